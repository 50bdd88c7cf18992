/**
 * The real Claude Code binary (the one @anthropic-ai/claude-agent-sdk ships, 2.1.329) with our
 * hooks installed by `workdeck hooks install`, against the local fake Messages API: its command
 * hooks run `workdeck hooks send`, which posts to POST /api/hooks, and the session shows up.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { readEnv } from "@/server/env";
import { startRuntime, stopRuntime } from "@/server/runtime-boot";
import { getActivity, listActive } from "@/server/agents/service";
import { afterToolResult, FakeAnthropic } from "../support/fake-anthropic";
import { hookRouteListener } from "../support/hook-route";
import { repoRoot, tempDir } from "../support/temp";

const run = promisify(execFile);
const claudeBin = path.join(repoRoot, "node_modules/@anthropic-ai/claude-agent-sdk-linux-x64/claude");

let fake: FakeAnthropic | null = null;
let server: http.Server | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
  await new Promise((r) => (server ? server.close(r) : r(null)));
  server = null;
  await stopRuntime();
});

describe.skipIf(!fs.existsSync(claudeBin))("real Claude Code with `workdeck hooks install`", () => {
  it("sends SessionStart, the prompt, Pre/Post of a Bash call, Stop and SessionEnd; they arrive linked to the project", async () => {
    const dir = tempDir();
    const project = path.join(dir, "billing-api");
    fs.mkdirSync(path.join(project, "openspec"), { recursive: true });
    const config = path.join(dir, "config.json");
    fs.writeFileSync(config, JSON.stringify({ projects: [{ slug: "billing-api", path: project }] }));
    const workdeckEnv = { ...process.env, WORKDECK_DB: path.join(dir, "w.db"), WORKDECK_CONFIG: config, WORKDECK_LOG_LEVEL: "silent" };
    const runtime = await startRuntime({ ...readEnv(workdeckEnv), appRoot: repoRoot }, { watch: false });
    server = http.createServer(hookRouteListener);
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const workdeckUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    await run(process.execPath, [path.join(repoRoot, "bin/workdeck.mjs"), "hooks", "install", "--project", "billing-api"], {
      env: workdeckEnv,
    });
    expect(JSON.parse(fs.readFileSync(path.join(project, ".claude/settings.json"), "utf8")).hooks.SessionStart).toHaveLength(1);

    fake = await FakeAnthropic.start();
    fake.queue({ kind: "tool_use", name: "Bash", input: { command: "echo hooks-e2e", description: "Say hello" }, text: "Running it." });
    fake.when(afterToolResult, { kind: "text", text: "All done." }, { times: 1 });
    const configDir = path.join(dir, "claude-config");
    fs.mkdirSync(configDir);
    const { stdout } = await run(claudeBin, ["-p", "Run echo hooks-e2e", "--output-format", "stream-json", "--verbose"], {
      cwd: project,
      timeout: 90_000,
      env: (<Record<string, string | undefined>>{
        PATH: process.env.PATH,
        HOME: dir,
        CLAUDE_CONFIG_DIR: configDir,
        ANTHROPIC_BASE_URL: fake.url,
        CLAUDE_CODE_OAUTH_TOKEN: "sk-ant-oat01-fake-hooks",
        IS_SANDBOX: "1",
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
        DISABLE_AUTOUPDATER: "1",
        // What the hook command (workdeck hooks send) reads.
        WORKDECK_URL: workdeckUrl,
        WORKDECK_SPOOL_DIR: path.join(dir, "spool"),
      }) as NodeJS.ProcessEnv,
    });
    const frames = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; session_id?: string; is_error?: boolean });
    const result = frames.at(-1)!;
    expect(result).toMatchObject({ type: "result", is_error: false });
    const sessionId = result.session_id!;

    const events = (
      runtime.db!.$client.prepare("SELECT event, tool_name FROM hooks WHERE session_id = ? ORDER BY id").all(sessionId) as {
        event: string;
        tool_name: string | null;
      }[]
    ).map((r) => (r.tool_name ? `${r.event}:${r.tool_name}` : r.event));
    expect(events).toEqual(
      expect.arrayContaining(["SessionStart", "UserPromptSubmit", "PreToolUse:Bash", "PostToolUse:Bash", "Stop", "SessionEnd"]),
    );
    expect(events.indexOf("PreToolUse:Bash")).toBeLessThan(events.indexOf("PostToolUse:Bash"));
    expect(fs.existsSync(path.join(dir, "spool", "hooks.ndjson"))).toBe(false);

    const activity = await getActivity(runtime, { sessionId });
    expect(activity.session).toMatchObject({ projectSlug: "billing-api", status: "ended", toolCount: 1, failureCount: 0, promptCount: 1 });
    const bash = activity.items.find((i) => i.kind === "tool")!;
    expect(bash).toMatchObject({ toolName: "Bash", toolStatus: "ok", input: { command: "echo hooks-e2e" } });
    expect(JSON.stringify(bash.result)).toContain("hooks-e2e");
    expect(bash.durationMs).toBeGreaterThanOrEqual(0);
    expect((await listActive(runtime)).map((s) => s.sessionId)).not.toContain(sessionId);
  });
});
