import fs from "node:fs";
import path from "node:path";
import type { SDKUserMessage } from "@anthropic-ai/claude-agent-sdk";

/**
 * The streaming input of one run: the messages start/send push, in order, to the SDK's
 * `query()`. Its end tells Claude Code to exit once it has answered what it has.
 *
 * When it ends (issue 11, "session state"): at the first `result` Claude Code sends. A message
 * sent while a tool ran is answered in that same turn, so counting messages against results
 * strands the session (one result for two messages: the input never ends, the status stays
 * `running`, a maxConcurrent queue stalls). Ending the input never drops a message: whatever was
 * pushed and not yet taken is still yielded before the end, and Claude Code answers every
 * message it has read before it exits (another `result` then follows, and the last one decides).
 * With `canUseTool` the SDK itself keeps stdin open until the run is idle, for the permission
 * answers.
 */
export class InputQueue implements AsyncIterable<SDKUserMessage> {
  private items: SDKUserMessage[] = [];
  private wake: (() => void) | null = null;
  closed = false;

  push(text: string): void {
    this.items.push({ type: "user", message: { role: "user", content: text }, parent_tool_use_id: null });
    this.wake?.();
  }

  /** A `result` arrived: the run ends once Claude Code has answered what it was sent. */
  resultArrived(): void {
    this.close();
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<SDKUserMessage> {
    while (true) {
      const next = this.items.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }
}

/**
 * Whether Claude Code saved the conversation `claudeSessionId` under one of these config dirs
 * (`projects/<folder>/<id>.jsonl`). It writes the transcript shortly after each message, so a run
 * killed before that (a crash, a shutdown mid-tool) leaves nothing for `--resume`, which then
 * fails with "No conversation found": such a session starts over with its prompt instead.
 */
export function transcriptSaved(configDirs: string[], claudeSessionId: string): boolean {
  for (const dir of configDirs) {
    const projects = path.join(dir, "projects");
    let folders: string[];
    try {
      folders = fs.readdirSync(projects);
    } catch {
      continue;
    }
    if (folders.some((f) => fs.existsSync(path.join(projects, f, `${claudeSessionId}.jsonl`)))) return true;
  }
  return false;
}
