import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SessionRunner } from "@/server/sessions/service";
import { afterToolResult, FakeAnthropic, lastUserText } from "../support/fake-anthropic";
import { harnessDeps, harnessSpec, waitFor, type HarnessSpec } from "../support/session-harness";
import { repoRoot, tempDir } from "../support/temp";

/**
 * Issue 11 "Session state": a session's status follows what Claude Code did. The real Claude Code
 * binary runs a Bash tool that takes seconds against the fake Messages API; a message is sent
 * while the tool runs.
 */

let fake: FakeAnthropic | null = null;
let lastSpec: HarnessSpec | null = null;
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  await fake?.close();
  fake = null;
});

async function setup(maxConcurrent = 3, spec?: HarnessSpec): Promise<SessionRunner> {
  fake ??= await FakeAnthropic.start();
  spec ??= harnessSpec(tempDir("workdeck-state-"), fake.url);
  lastSpec = spec;
  const deps = harnessDeps(spec, repoRoot);
  deps.config.config.claude = { ...deps.config.config.claude, maxConcurrent };
  const r = new SessionRunner(deps, { stopGraceMs: 2_000, accountCheckMs: 0 });
  cleanups.push(async () => {
    await r.close();
    deps.db!.$client.close();
  });
  return r;
}

/** The session's Bash tool has started (Claude asked for it and the CLI reported the call). */
async function toolRunning(r: SessionRunner, id: number): Promise<void> {
  await waitFor(async () =>
    (await r.events({ id })).some((e) => e.type === "assistant" && JSON.stringify(e.payload).includes('"tool_use"')),
  );
}

describe("session state follows Claude Code", () => {
  it("Send while a tool runs: answered in the same turn, the session completes and the queue goes on (maxConcurrent 1)", async () => {
    const r = await setup(1);
    fake!.queue({ kind: "tool_use", name: "Bash", input: { command: "sleep 3 && echo slept" }, text: "Sleeping." });
    fake!.when(
      afterToolResult,
      (req) => ({ kind: "text", text: lastUserText(req).includes("also say hi") ? "Slept, and hi." : "Slept." }),
      { times: 1 },
    );
    const { id } = await r.start({ projectId: "demo", prompt: "sleep a bit" });
    const second = await r.start({ projectId: "demo", prompt: "second session" });
    await toolRunning(r, id);
    expect((await r.get({ id: second.id })).status).toBe("queued");

    await r.send({ id, text: "also say hi" });

    const ended = await r.waitForEnd(id, 45_000);
    expect(ended).toMatchObject({ status: "completed", exitReason: "success" });
    expect((await r.events({ id })).filter((e) => e.type === "result")).toHaveLength(1);
    // The message reached Claude within the turn (not left unanswered).
    expect(fake!.mainRequests.some((q) => JSON.stringify(q.body?.messages).includes("also say hi"))).toBe(true);
    expect(await r.waitForEnd(second.id, 45_000)).toMatchObject({ status: "completed" });
  });

  it("Stop while a tool runs: stopped", async () => {
    const r = await setup();
    fake!.queue({ kind: "tool_use", name: "Bash", input: { command: "sleep 30" }, text: "Sleeping." });
    const { id } = await r.start({ projectId: "demo", prompt: "sleep long" });
    await toolRunning(r, id);

    const stopped = await r.stop({ id });

    expect(stopped).toMatchObject({ status: "stopped", exitReason: "stopped" });
    expect(r.runningCount()).toBe(0);
  });

  it("resume after a stop: the same Claude session continues to completed", async () => {
    const r = await setup();
    fake!.queue({ kind: "tool_use", name: "Bash", input: { command: "sleep 30" }, text: "Sleeping." });
    const { id } = await r.start({ projectId: "demo", prompt: "sleep long" });
    await toolRunning(r, id);
    await r.stop({ id });
    const claudeSessionId = (await r.get({ id })).claudeSessionId;
    expect(claudeSessionId).toBeTruthy();
    fake!.queue({ kind: "text", text: "Resumed and done." });

    await r.resume({ id, text: "carry on" });

    const ended = await r.waitForEnd(id, 45_000);
    expect(ended).toMatchObject({ status: "completed", exitReason: "success", claudeSessionId });
    expect(ended.runs).toHaveLength(2);
    expect(ended.runs[1]).toMatchObject({ resumed: true, outcome: "success" });
  });

  it("a server shut down during a tool leaves the session interrupted; another server resumes it to completed", async () => {
    const first = await setup();
    fake!.queue({ kind: "tool_use", name: "Bash", input: { command: "sleep 30" }, text: "Sleeping." });
    // Until the shutdown, a tool result (Claude Code may move a long command to the background and
    // report back early, on a loaded machine) is answered with another long tool, never a final
    // answer: the session must still be inside a tool when its server stops.
    let holding = true;
    fake!.when((req) => holding && afterToolResult(req), {
      kind: "tool_use",
      name: "Bash",
      input: { command: "sleep 30" },
      text: "Still sleeping.",
    });
    const { id } = await first.start({ projectId: "demo", prompt: "sleep long" });
    await toolRunning(first, id);
    // Resuming needs Claude Code's transcript, which it writes shortly after each message: a kill
    // before that leaves nothing to resume (the next test).
    const claudeSessionId = (await first.get({ id })).claudeSessionId!;
    const projectsDir = path.join(lastSpec!.root, "default-config", "projects");
    await waitFor(
      () =>
        fs.existsSync(projectsDir) &&
        fs.readdirSync(projectsDir).some((d) => fs.existsSync(path.join(projectsDir, d, `${claudeSessionId}.jsonl`))),
    );

    await first.close();
    holding = false;

    expect(await first.get({ id })).toMatchObject({ status: "interrupted", exitReason: "shutdown" });
    const second = await setup(3, lastSpec!);
    await second.recover();
    fake!.queue({ kind: "text", text: "Picked up again." });
    await second.resume({ id, text: "carry on after the restart" });
    const ended = await second.waitForEnd(id, 45_000);
    expect(ended).toMatchObject({ status: "completed", exitMessage: "Picked up again." });
    expect(ended.runs.map((r) => r.outcome)).toEqual(["shutdown", "success"]);
  });

  it("a usage limit right after a tool: the account is parked and the session continues on the other one to completed", async () => {
    fake = await FakeAnthropic.start();
    const spec = harnessSpec(tempDir("workdeck-state-"), fake.url);
    const deps = harnessDeps(spec, repoRoot);
    const accounts = ["a", "b"].map((id) => {
      const configDir = path.join(spec.root, `account-${id}`);
      fs.mkdirSync(configDir);
      deps.baseEnv[`TOKEN_${id.toUpperCase()}`] = `tok-${id.toUpperCase()}`;
      return { id, configDir, oauthTokenEnv: `TOKEN_${id.toUpperCase()}` };
    });
    deps.config.config.claude = { ...deps.config.config.claude, accounts };
    const r = new SessionRunner(deps, { stopGraceMs: 2_000, accountCheckMs: 0 });
    cleanups.push(async () => {
      await r.close();
      deps.db!.$client.close();
    });
    fake.when(
      (q) => q.main && q.credential === "tok-A" && !afterToolResult(q),
      { kind: "tool_use", name: "Bash", input: { command: "sleep 2 && echo slept" }, text: "Sleeping." },
      { times: 1 },
    );
    fake.when((q) => q.credential === "tok-A" && afterToolResult(q), {
      kind: "usage_limit",
      resetsAt: Math.floor(Date.now() / 1000) + 3600,
    });
    fake.when((q) => q.main && q.credential === "tok-B", { kind: "text", text: "Finished on B." });
    const { id } = await r.start({ projectId: "demo", prompt: "sleep then finish" });

    const ended = await r.waitForEnd(id, 60_000);

    expect(ended).toMatchObject({ status: "completed", accountId: "b", exitMessage: "Finished on B." });
    expect(ended.runs.map((run) => [run.accountId, run.outcome])).toEqual([
      ["a", "usage_limit"],
      ["b", "success"],
    ]);
    // B continued the conversation that had the tool's result.
    expect(JSON.stringify(fake.mainRequests.filter((q) => q.credential === "tok-B").at(-1)?.body?.messages)).toContain("slept");
  });

  it("resume when Claude Code saved no transcript (killed before it wrote one): starts over with the prompt and the new message, to completed", async () => {
    const r = await setup();
    fake!.queue({ kind: "tool_use", name: "Bash", input: { command: "sleep 30" }, text: "Sleeping." });
    const { id } = await r.start({ projectId: "demo", prompt: "ORIGINAL-TASK sleep long" });
    await toolRunning(r, id);
    await r.stop({ id });
    // What a kill before the transcript write leaves: no conversation to resume.
    fs.rmSync(path.join(lastSpec!.root, "default-config", "projects"), { recursive: true, force: true });
    fake!.queue({ kind: "text", text: "Started over and done." });

    await r.resume({ id, text: "carry on" });

    const ended = await r.waitForEnd(id, 45_000);
    expect(ended).toMatchObject({ status: "completed", exitMessage: "Started over and done." });
    expect(ended.runs[1]).toMatchObject({ resumed: false, outcome: "success" });
    const asked = JSON.stringify(fake!.mainRequests.at(-1)?.body?.messages);
    expect(asked).toContain("ORIGINAL-TASK");
    expect(asked).toContain("carry on");
    expect((await r.events({ id })).filter((e) => e.type === "workdeck/run_started").at(-1)?.payload).toMatchObject({
      resume: null,
      transcriptMissing: expect.any(String),
    });
  });
});
