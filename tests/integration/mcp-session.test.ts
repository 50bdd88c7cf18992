/**
 * A session Workdeck launches has Workdeck's MCP server attached: the REAL Claude Code binary,
 * run by the session runner against the local fake Messages API, is offered
 * `mcp__workdeck__create_proposal`, calls it (the fake is scripted to), and the proposal lands in
 * the project through `/api/mcp` of serve's edge, authenticated with the run's agent token.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { readEnv } from "@/server/env";
import { listAsks, startAsk } from "@/server/ask/service";
import { saveSubagent } from "@/server/claude-config/service";
import type { Runtime } from "@/server/runtime";
import { startRuntime, stopRuntime } from "@/server/runtime-boot";
import { afterToolResult, FakeAnthropic, lastToolResult, offersTool } from "../support/fake-anthropic";
import { testEdge } from "../support/edge";
import { repoRoot, tempDir } from "../support/temp";
import { fakeClaudeChildEnv } from "../support/claude-env";

const TOKEN = "mcp-session-token-0123456789abcdef";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  await stopRuntime();
  for (const c of cleanups.splice(0).reverse()) await c();
  vi.unstubAllEnvs();
});

/** serve's pieces: a listener first (the port goes into the sessions' MCP config), then the runtime, then the edge. */
async function serveWorld(
  fake: FakeAnthropic,
  extraConfig: Record<string, unknown> = {},
): Promise<{ dir: string; runtime: Runtime; env: Record<string, string> }> {
  const dir = tempDir("workdeck-mcp-session-");
  const project = path.join(dir, "sample");
  fs.mkdirSync(path.join(project, "openspec", "changes"), { recursive: true });
  const config = path.join(dir, "config.json");
  fs.writeFileSync(
    config,
    JSON.stringify({
      projects: [{ slug: "sample", path: project }],
      claude: { defaults: { permissionMode: "acceptEdits", worktrees: false, timeoutMinutes: 3 } },
      ...extraConfig,
    }),
  );
  let handler: http.RequestListener | null = null;
  const server = http.createServer((req, res) => (handler ? handler(req, res) : res.writeHead(503).end()));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanups.push(() => new Promise((r) => (server.closeAllConnections(), server.close(r))));
  fs.mkdirSync(path.join(dir, "claude-config"));
  // What the Claude child inherits (the runtime reads the environment once, at start).
  for (const [k, v] of Object.entries(fakeClaudeChildEnv(fake.url, dir, "sk-ant-oat01-fake-mcp"))) vi.stubEnv(k, v);
  const vars = { WORKDECK_DB: path.join(dir, "w.db"), WORKDECK_CONFIG: config, WORKDECK_LOG_LEVEL: "silent", WORKDECK_TOKEN: TOKEN };
  const env = {
    ...readEnv({ ...process.env, ...vars }),
    appRoot: repoRoot,
    port: (server.address() as AddressInfo).port,
  };
  const runtime = await startRuntime(env, { watch: false, sessions: true });
  handler = testEdge(runtime, { mcp: runtime }, TOKEN);
  return { dir, runtime, env: vars };
}

describe("sessions Workdeck launches have its MCP server", () => {
  it("files a proposal from inside a launched session with mcp__workdeck__create_proposal", async () => {
    const fake = await FakeAnthropic.start();
    cleanups.push(() => fake.close());
    const { dir, runtime } = await serveWorld(fake);
    const proposal = {
      projectId: "sample",
      title: "Flaky login retry",
      description: "The login test fails one run in ten on a slow CI runner; specify the retry.",
      tasks: ["Specify the retry behaviour"],
    };
    fake.when(
      (req) => offersTool("mcp__workdeck__create_proposal")(req) && !afterToolResult(req),
      { kind: "tool_use", name: "mcp__workdeck__create_proposal", input: proposal, text: "Filing it." },
      { times: 1 },
    );
    fake.when(afterToolResult, { kind: "text", text: "Filed the proposal." }, { times: 1 });

    const { id } = await runtime.sessions.start({ projectId: "sample", prompt: "File a proposal for the flaky login test." });
    const ended = await runtime.sessions.waitForEnd(id, 150_000);
    expect(ended).toMatchObject({ status: "completed" });

    // Claude Code was offered Workdeck's tools and called one; the answer came back without error.
    const answered = fake.requests.find((r) => r.main && lastToolResult(r));
    expect(answered, "no request carried a tool result").toBeDefined();
    const result = lastToolResult(answered!)!;
    expect(result.isError).toBe(false);
    expect(JSON.parse(result.text)).toMatchObject({ projectSlug: "sample", changeId: "flaky-login-retry" });
    // The change is on disk and the runtime lists it.
    expect(fs.readFileSync(path.join(dir, "sample", "openspec", "changes", "flaky-login-retry", "proposal.md"), "utf8")).toContain(
      "slow CI runner",
    );
    expect((await runtime.openspec.listChanges({ projectId: "sample" })).map((c) => c.id)).toContain("flaky-login-retry");
    // The tool ran without a permission request (allowed for launched sessions).
    const events = await runtime.sessions.events({ id });
    expect(events.some((e) => e.type === "workdeck/permission_requested")).toBe(false);
  }, 200_000);

  it("runs a session as the sub-agent picked at launch: Claude Code gets it through the SDK's agents/agent", async () => {
    const fake = await FakeAnthropic.start();
    cleanups.push(() => fake.close());
    const { runtime } = await serveWorld(fake);
    saveSubagent(runtime, {
      projectId: "sample",
      version: null,
      fields: {
        name: "flake-hunter",
        description: "Finds why a test is flaky.",
        tools: ["Read", "Grep"],
        prompt: "You are FLAKE-HUNTER-7. Look for timing assumptions.",
      },
    });
    fake.queue({ kind: "text", text: "Looked." });
    const { id } = await runtime.sessions.start({
      projectId: "sample",
      prompt: "Why is login flaky?",
      overrides: { agent: "flake-hunter" },
    });
    expect(await runtime.sessions.waitForEnd(id, 150_000)).toMatchObject({ status: "completed" });
    const main = fake.requests.filter((r) => r.main);
    expect(main.length).toBeGreaterThan(0);
    // The main thread runs as the agent: its prompt is the system prompt the API receives, its tool list is the agent's.
    expect(JSON.stringify(main[0]!.body!.system)).toContain("FLAKE-HUNTER-7");
    const tools = (main[0]!.body!.tools ?? []).map((t) => t.name).filter((n) => !n.startsWith("mcp__"));
    expect(tools).toEqual(expect.arrayContaining(["Grep", "Read"]));
    for (const other of ["Bash", "Edit", "Write"]) expect(tools).not.toContain(other);
    const init = (await runtime.sessions.events({ id })).find((e) => e.type === "system/init");
    expect((init?.payload as { agents?: string[] }).agents).toContain("flake-hunter");
    // A sub-agent the project does not have is refused before anything starts.
    await expect(runtime.sessions.start({ projectId: "sample", prompt: "x", overrides: { agent: "nobody" } })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  }, 200_000);

  it("the Ask chat is a session in the project with Workdeck's tools: a question creates a skill, and the conversation is listed", async () => {
    const fake = await FakeAnthropic.start();
    cleanups.push(() => fake.close());
    const { dir, runtime } = await serveWorld(fake);
    const skill = {
      projectId: "sample",
      version: null,
      fields: { name: "flaky-tests", description: "How this project handles flaky tests.", body: "Retry once, then file a proposal." },
    };
    // save_skill writes into .claude: it asks, and the loop below answers like the Ask page's Allow button.
    fake.when(
      (req) => offersTool("mcp__workdeck__save_skill")(req) && !afterToolResult(req),
      { kind: "tool_use", name: "mcp__workdeck__save_skill", input: skill },
      { times: 1 },
    );
    fake.when(afterToolResult, { kind: "text", text: "Created the flaky-tests skill." }, { times: 1 });
    const { id } = await startAsk(runtime, { projectId: "sample", text: "Create a skill about flaky tests." });
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline && (await runtime.sessions.get({ id })).status !== "completed") {
      for (const p of await runtime.sessions.pendingPermissions({ id }))
        await runtime.sessions.answerPermission({ id, requestId: p.requestId, allow: true });
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await runtime.sessions.get({ id })).toMatchObject({ status: "completed", cwd: path.join(dir, "sample"), sessionType: "manual" });
    expect(fs.readFileSync(path.join(dir, "sample", ".claude", "skills", "flaky-tests", "SKILL.md"), "utf8")).toContain(
      "Retry once, then file a proposal.",
    );
    // The write was asked for (save_skill is not among the tools allowed without asking).
    expect(
      (await runtime.sessions.events({ id })).some(
        (e) => e.type === "workdeck/permission_requested" && JSON.stringify(e.payload).includes("mcp__workdeck__save_skill"),
      ),
    ).toBe(true);
    expect(await listAsks(runtime, { projectId: "sample" })).toEqual([
      expect.objectContaining({ id, question: "Create a skill about flaky tests.", status: "completed" }),
    ]);
  }, 200_000);

  it("start_session over stdio (`workdeck mcp`) only queues; the running server starts the session", async () => {
    const fake = await FakeAnthropic.start();
    cleanups.push(() => fake.close());
    const { runtime, env } = await serveWorld(fake);
    // What `workdeck serve` does: relay the rows other processes write.
    await runtime.bus.startPolling(100);
    fake.queue({ kind: "text", text: "Queued work done." });
    const client = new Client({ name: "t", version: "1" });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [path.join(repoRoot, "bin/workdeck.mjs"), "mcp", "--project", "sample"],
        cwd: repoRoot,
        env: { ...(process.env as Record<string, string>), ...env },
        stderr: "pipe",
      }),
    );
    cleanups.push(() => client.close());
    const answer = await client.callTool({ name: "start_session", arguments: { projectId: "sample", prompt: "Do the queued work." } });
    expect(answer.isError).toBeFalsy();
    const { id } = JSON.parse((answer.content as { text: string }[])[0]!.text) as { id: number };
    expect(await runtime.sessions.waitForEnd(id, 150_000)).toMatchObject({ status: "completed" });
    expect((await runtime.sessions.events({ id })).some((e) => e.type === "result")).toBe(true);
  }, 200_000);
});
