/**
 * Launched agents get a scoped, revocable token instead of WORKDECK_TOKEN (issue 10 item 10).
 * The session runner launches the REAL Claude Code binary against the local fake Messages API;
 * the agent's Bash tool runs a probe that prints its whole environment and tries the API with
 * what it was given; its hooks post through `workdeck hooks send` to a server doing the real
 * edge check, backed by the same database.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Db } from "@/server/db/client";
import { SqliteStore } from "@/server/db/sql-store";
import { EventBus } from "@/server/events/bus";
import { checkRequest } from "@/server/http/security";
import { ingestHook } from "@/server/agents/service";
import { authCredentials } from "@/server/auth/credentials";
import { ProjectRegistry } from "@/server/projects/service";
import { SessionRunner } from "@/server/sessions/service";
import { afterToolResult, FakeAnthropic } from "../support/fake-anthropic";
import { projectStore, runnerDeps } from "../support/session-harness";
import { repoRoot, tempDir } from "../support/temp";

const FULL_TOKEN = "the-full-workdeck-token-0123456789";

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Prints the environment, then tries a few endpoints with the token it was handed. */
const PROBE = `
const env = process.env;
console.log("ENV " + JSON.stringify(env));
console.log("full=" + (env.WORKDECK_TOKEN ?? "none"));
const auth = { authorization: "Bearer " + (env.WORKDECK_AGENT_TOKEN ?? "") };
for (const [method, p] of [["GET", "/api/trpc/projects.list"], ["POST", "/api/reports?project=demo"], ["POST", "/api/trpc/sessions.start"]]) {
  const r = await fetch(env.WORKDECK_URL + p, { method, headers: auth, body: method === "POST" ? "{}" : undefined });
  console.log("probe " + method + " " + p + " -> " + r.status);
}
`;

type Seen = { method: string; path: string; authorization: string | undefined; status: number };

/** An HTTP server with the real edge check (token set, credentials from the database), then the hook ingest. */
async function edgeServer(db: Db, projects: ProjectRegistry): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const credentials = authCredentials(SqliteStore.on(db.$client));
  const agentsDeps = { db, bus: new EventBus(db), projects, config: { config: {} } };
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? "/", "http://local");
    const verdict = await checkRequest(
      { method: req.method ?? "GET", pathname: url.pathname, headers: req.headers },
      { bindHost: "127.0.0.1", token: FULL_TOKEN, maxBodyBytes: 1 << 20, credentials },
    );
    let status = 200;
    if (!verdict.ok) status = verdict.status;
    else if (url.pathname === "/api/hooks") {
      const header = req.headers["x-workdeck-session-id"];
      await ingestHook(agentsDeps, {
        body: Buffer.concat(chunks).toString("utf8"),
        workdeckSessionId: typeof header === "string" ? Number(header) : undefined,
      });
      status = 201;
    }
    seen.push({ method: req.method ?? "GET", path: url.pathname, authorization: req.headers.authorization, status });
    res.writeHead(status, { "content-type": "application/json" }).end("{}");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanups.push(() => new Promise((r) => server.close(r)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe("the token a launched agent gets", () => {
  it("is scoped and revocable: never WORKDECK_TOKEN; its hooks get in, the API does not; it dies with the run", async () => {
    const fake = await FakeAnthropic.start();
    cleanups.push(() => fake.close());
    const root = tempDir("workdeck-agent-token-");
    const project = path.join(root, "project");
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, "probe.mjs"), PROBE);
    const configDir = path.join(root, "claude-config");
    fs.mkdirSync(configDir);
    const { db, bus, projects } = projectStore(path.join(root, "w.db"), project, repoRoot);
    cleanups.push(() => db.$client.close());
    const { url, seen } = await edgeServer(db, projects);
    const runner = new SessionRunner({
      ...runnerDeps(
        root,
        { db, bus, projects },
        {
          fakeUrl: fake.url,
          configDir,
          defaults: { worktrees: false },
          // The server's own environment carries WORKDECK_TOKEN (as `workdeck serve` with a token does).
          env: { CLAUDE_CODE_OAUTH_TOKEN: "tok-default", WORKDECK_TOKEN: FULL_TOKEN },
        },
      ),
      hooks: { appRoot: repoRoot, url, token: FULL_TOKEN, spoolDir: path.join(root, "spool") },
    });
    cleanups.push(() => runner.close());

    fake.queue({ kind: "tool_use", name: "Bash", input: { command: "node probe.mjs" }, text: "Probing." });
    fake.when(afterToolResult, { kind: "text", text: "Probed." }, { times: 1 });
    const { id } = await runner.start({ projectId: "demo", prompt: "Run the probe" });
    const session = await runner.waitForEnd(id);
    expect(session.status).toBe("completed");

    // What the agent saw, from its own tool output.
    const output = JSON.stringify((await runner.events({ id })).filter((e) => e.type === "user").map((e) => e.payload));
    expect(output).toContain("full=none");
    expect(output).not.toContain(FULL_TOKEN);
    const agentToken = /WORKDECK_AGENT_TOKEN\\":\\"(wda_[A-Za-z0-9_-]+)/.exec(output)?.[1];
    expect(agentToken, "the agent's environment holds a scoped token").toBeDefined();
    for (const probe of [
      "GET /api/trpc/projects.list -> 403",
      "POST /api/reports?project=demo -> 403",
      "POST /api/trpc/sessions.start -> 403",
    ])
      expect(output).toContain(`probe ${probe}`);

    // Every hook event got in with that token, linked to the session, none spooled.
    const hookPosts = seen.filter((s) => s.path === "/api/hooks");
    expect(hookPosts.length).toBeGreaterThanOrEqual(4);
    expect(hookPosts.every((s) => s.authorization === `Bearer ${agentToken}` && s.status === 201)).toBe(true);
    const events = db.$client.prepare("SELECT event, workdeck_session_id AS w FROM hooks ORDER BY id").all() as {
      event: string;
      w: number;
    }[];
    expect(events.map((e) => e.event)).toEqual(expect.arrayContaining(["SessionStart", "PreToolUse", "PostToolUse", "Stop", "SessionEnd"]));
    expect(events.every((e) => e.w === id)).toBe(true);
    expect(fs.existsSync(path.join(root, "spool", "hooks.ndjson"))).toBe(false);

    // The run is over: the token is gone from the database and refused at the edge.
    expect((db.$client.prepare("SELECT count(*) AS n FROM auth_tokens WHERE kind = 'agent'").get() as { n: number }).n).toBe(0);
    const after = await fetch(`${url}/api/hooks`, {
      method: "POST",
      headers: { authorization: `Bearer ${agentToken}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(after.status).toBe(401);
    expect(JSON.stringify(db.$client.prepare("SELECT * FROM auth_tokens").all())).not.toContain(agentToken!);
  });
});
