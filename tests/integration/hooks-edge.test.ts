/**
 * POST /api/hooks in `workdeck serve`'s own edge (issue 12): a real HTTP listener with the edge
 * handler serve uses (token, Host, Origin and size checks, hooks answered before Next), on a temp
 * database, next to the Next route handler: both must answer alike. Group commit: the hook row and
 * its bus rows in one transaction, each answer and each bus event only after the commit.
 */
import http from "node:http";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { Runtime } from "@/server/runtime";
import { startRuntime, stopRuntime } from "@/server/runtime-boot";
import { mintAgentToken } from "@/server/auth/credentials";
import { RECENT_HOOKS } from "@/server/agents/pre-memory";
import { hookSession } from "../support/hook-payloads";
import { listenLoopback, testEdge } from "../support/edge";
import { postHookRoute } from "../support/hook-route";
import { emptyProject, oneProjectEnv } from "../support/runtime-env";
import { tempDir } from "../support/temp";

const TOKEN = "edge-test-token-0123456789abcdef";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await stopRuntime();
});

type Started = { runtime: Runtime; url: string; project: string; dbPath: string };

/** A runtime on a temp database, behind the edge serve uses (Next never prepared: everything else answers 503). */
async function start(extraEnv: Record<string, string> = {}): Promise<Started> {
  const dir = tempDir();
  const project = emptyProject(dir, "proj");
  const { env, dbPath } = oneProjectEnv(dir, { slug: "proj", path: project }, { env: extraEnv });
  const runtime = await startRuntime(env, { watch: false });
  const { url, close } = await listenLoopback(testEdge(runtime, {}, env.token));
  cleanups.push(close);
  return { runtime, url, project, dbPath };
}

/** A second connection to the same file: it sees only what is committed. */
function reader(dbPath: string): Database.Database {
  const db = new Database(dbPath, { readonly: true });
  cleanups.push(() => db.close());
  return db;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
afterAll(() => agent.destroy());

/** A raw POST over Node http (what the edge sees from `workdeck hooks send` or Claude Code's http hook). */
function post(
  url: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
  opts: { chunked?: boolean } = {},
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const buf = typeof body === "string" ? Buffer.from(body) : body;
    const req = http.request(`${url}/api/hooks`, {
      method: "POST",
      agent,
      headers: { "content-type": "application/json", ...(opts.chunked ? {} : { "content-length": String(buf.byteLength) }), ...headers },
    });
    let answered = false;
    req.on("response", (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null });
      });
    });
    // A refused upload closes the connection; the answer has already arrived by then.
    req.on("error", (err) => (answered ? undefined : reject(err)));
    req.end(buf);
  });
}

const routePost = async (body: string | Buffer, headers: Record<string, string> = {}) => {
  const res = await postHookRoute(body, headers);
  return { status: res.status, body: (await res.json()) as unknown };
};

const count = (db: Database.Database, sql: string) => (db.prepare(sql).get() as { n: number }).n;

describe("POST /api/hooks at the edge", () => {
  it("answers every case exactly as the Next route handler does (status, body, warnings, what is stored)", async () => {
    const cases = (cwd: string): [string, string | Buffer, Record<string, string>][] => {
      const h = hookSession("same-answers", cwd);
      return [
        ["pre", JSON.stringify(h.pre("tu-1", "Bash", { command: "ls" })), {}],
        ["post with a negative duration", JSON.stringify(h.post("tu-2", "Bash", { command: "ls" }, "ok", -5)), {}],
        ["an unknown workdeck session", JSON.stringify(h.prompt("hi")), { "x-workdeck-session-id": "999" }],
        ["late, with its fired-at time", JSON.stringify(h.notification()), { "x-workdeck-fired-at": "1000" }],
        ["not JSON", "{not json", {}],
        ["an array", "[]", {}],
        ["no session_id", JSON.stringify({ hook_event_name: "Stop" }), {}],
        ["too large", Buffer.alloc(2048, 32), {}],
      ];
    };
    const answers: Record<string, { status: number; body: unknown }[]> = { edge: [], route: [] };
    const stored: Record<string, unknown[]> = {};
    for (const via of ["route", "edge"] as const) {
      const { url, project, dbPath } = await start({ WORKDECK_TOKEN: TOKEN, WORKDECK_MAX_HOOK_BYTES: "1024" });
      for (const [, body, headers] of cases(project)) {
        answers[via]!.push(
          via === "edge" ? await post(url, body, { authorization: `Bearer ${TOKEN}`, ...headers }) : await routePost(body, headers),
        );
      }
      stored[via] = reader(dbPath)
        .prepare("SELECT id, session_id, event, duration_ms, success, project_slug, received_at = 1000 AS late FROM hooks ORDER BY id")
        .all();
      for (const c of cleanups.splice(0).reverse()) await c();
      await stopRuntime();
    }
    expect(answers.edge).toEqual(answers.route);
    expect(answers.edge!.map((a) => a.status)).toEqual([201, 201, 201, 201, 400, 400, 400, 413]);
    expect(JSON.stringify(answers.edge![1]!.body)).toContain("is negative");
    expect(JSON.stringify(answers.edge![2]!.body)).toContain("names no Workdeck session 999");
    expect(stored.edge).toEqual(stored.route);
    expect(stored.edge).toHaveLength(4);
  });

  it("stores 400 concurrent hooks from 16 connections, linked, each answered and published only after its commit", async () => {
    const { runtime, url, project, dbPath } = await start();
    const committed = reader(dbPath);
    const seenUncommitted: number[] = [];
    const published: number[] = [];
    // Another connection sees only committed rows: an event emitted before its commit would be missing there.
    const off = runtime.bus.on((e) => {
      if (e.type !== "agents.activity") return;
      published.push(e.hookId);
      if (!committed.prepare("SELECT 1 FROM hooks WHERE id = ?").get(e.hookId)) seenUncommitted.push(e.hookId);
      if (!committed.prepare("SELECT 1 FROM events WHERE id = ?").get(e.id)) seenUncommitted.push(e.hookId);
    });
    cleanups.push(off);
    const answeredUncommitted: number[] = [];
    await Promise.all(
      Array.from({ length: 16 }, async (_, c) => {
        const h = hookSession(`conn-${c}`, path.join(project, "src"));
        for (let i = 0; i < 12; i++) {
          const pre = await post(url, JSON.stringify(h.pre(`tu-${c}-${i}`, "Bash", { command: "npm test" })));
          const postAnswer = await post(url, JSON.stringify(h.post(`tu-${c}-${i}`, "Bash", { command: "npm test" }, { stdout: "ok" }, 7)));
          for (const a of [pre, postAnswer]) {
            expect(a.status).toBe(201);
            const id = (a.body as { id: number }).id;
            if (!committed.prepare("SELECT 1 FROM hooks WHERE id = ?").get(id)) answeredUncommitted.push(id);
          }
        }
        expect((await post(url, JSON.stringify(h.stop()))).status).toBe(201);
      }),
    );
    expect(answeredUncommitted).toEqual([]);
    expect(seenUncommitted).toEqual([]);
    expect(count(committed, "SELECT count(*) AS n FROM hooks")).toBe(16 * 25);
    expect(count(committed, "SELECT count(*) AS n FROM hooks WHERE project_slug = 'proj'")).toBe(16 * 25);
    // Every Post found its Pre (the pair's duration, not the CLI's 7 ms: linked even within one batch).
    expect(count(committed, "SELECT count(*) AS n FROM hooks WHERE event = 'PostToolUse' AND duration_ms IS NOT NULL")).toBe(16 * 12);
    expect(
      count(committed, "SELECT count(*) AS n FROM agent_sessions WHERE event_count = 25 AND tool_count = 12 AND status = 'stopped'"),
    ).toBe(16);
    const activity = committed
      .prepare("SELECT json_extract(payload, '$.hookId') AS hookId FROM events WHERE type = 'agents.activity' ORDER BY id")
      .all() as { hookId: number }[];
    expect(activity.map((a) => a.hookId).sort((a, b) => a - b)).toEqual(
      (committed.prepare("SELECT id FROM hooks ORDER BY id").all() as { id: number }[]).map((r) => r.id),
    );
    expect(published.sort((a, b) => a - b)).toEqual(activity.map((a) => a.hookId).sort((a, b) => a - b));
  });

  it("keeps the hook row and its bus row together: an event whose bus row fails is not stored, its batch-mates are", async () => {
    const { runtime, url, project, dbPath } = await start();
    // The events table refusing one session's rows stands in for any failure between the two INSERTs.
    runtime.db!.$client.exec(
      `CREATE TRIGGER refuse_doomed BEFORE INSERT ON events WHEN json_extract(NEW.payload, '$.sessionId') = 'doomed'
       BEGIN SELECT RAISE(ABORT, 'refused for the test'); END`,
    );
    cleanups.push(() => runtime.db!.$client.exec("DROP TRIGGER IF EXISTS refuse_doomed"));
    const sessions = ["ok-1", "doomed", "ok-2", "ok-3"];
    const answers = await Promise.all(sessions.map((s) => post(url, JSON.stringify(hookSession(s, project).prompt("go")))));
    expect(answers.map((a) => a.status)).toEqual([201, 500, 201, 201]);
    const committed = reader(dbPath);
    expect(committed.prepare("SELECT session_id FROM hooks ORDER BY session_id").all()).toEqual([
      { session_id: "ok-1" },
      { session_id: "ok-2" },
      { session_id: "ok-3" },
    ]);
    expect(count(committed, "SELECT count(*) AS n FROM agent_sessions WHERE session_id = 'doomed'")).toBe(0);
    expect(count(committed, "SELECT count(*) AS n FROM events WHERE type = 'agents.activity'")).toBe(3);
  });

  it("never answers 201 for an event that is not committed: a commit that cannot happen answers 500 and nothing is stored", async () => {
    const { runtime, url, project, dbPath } = await start();
    runtime.db!.$client.pragma("busy_timeout = 50");
    // Another writer holds the database: the batch's commit cannot happen.
    const other = new Database(dbPath);
    cleanups.push(() => other.close());
    other.exec("BEGIN IMMEDIATE");
    const held = await Promise.all(["a", "b", "c"].map((s) => post(url, JSON.stringify(hookSession(`held-${s}`, project).prompt("go")))));
    expect(held.map((a) => a.status)).toEqual([500, 500, 500]);
    other.exec("ROLLBACK");
    expect(count(reader(dbPath), "SELECT count(*) AS n FROM hooks")).toBe(0);
    expect((await post(url, JSON.stringify(hookSession("after", project).prompt("go")))).status).toBe(201);
    expect(count(reader(dbPath), "SELECT count(*) AS n FROM hooks")).toBe(1);
  });

  it("waits for a write lock another writer holds without blocking the server, and stores the hooks once it is free", async () => {
    const { url, project, dbPath } = await start();
    // Another writer (a report ingest, say) holds the lock.
    const other = new Database(dbPath);
    cleanups.push(() => other.close());
    other.exec("BEGIN IMMEDIATE");
    const pending = Promise.all(["a", "b"].map((s) => post(url, JSON.stringify(hookSession(`wait-${s}`, project).prompt("go")))));
    // The event loop stays free meanwhile: other requests are answered (here: a 503 from the edge, Next is not prepared).
    const page = await fetch(`${url}/work`);
    expect(page.status).toBe(503);
    expect(count(reader(dbPath), "SELECT count(*) AS n FROM hooks")).toBe(0);
    other.exec("COMMIT");
    expect((await pending).map((a) => a.status)).toEqual([201, 201]);
    expect(count(reader(dbPath), "SELECT count(*) AS n FROM hooks")).toBe(2);
  });

  it("stays as strict as the edge: no token 401, a wrong Origin 403, an agent token of a running session 201, huge or bad bodies 413/400, nothing stored", async () => {
    const { runtime, url, project, dbPath } = await start({ WORKDECK_TOKEN: TOKEN, WORKDECK_MAX_HOOK_BYTES: "65536" });
    const body = JSON.stringify(hookSession("strict", project).prompt("hi"));
    expect((await post(url, body)).status).toBe(401);
    expect((await post(url, body, { authorization: "Bearer wrong-token-0123456789" })).status).toBe(401);
    expect((await post(url, body, { authorization: "Bearer wda_not-a-live-agent-token" })).status).toBe(401);
    expect((await post(url, body, { authorization: `Bearer ${TOKEN}`, origin: "http://evil.example" })).status).toBe(403);
    expect((await post(url, body, { authorization: `Bearer ${TOKEN}`, host: "evil.example" })).status).toBe(403);
    const huge = Buffer.alloc(512 * 1024, 32);
    const declared = await post(url, huge, { authorization: `Bearer ${TOKEN}` });
    expect(declared.status).toBe(413);
    expect(JSON.stringify(declared.body)).toContain("WORKDECK_MAX_HOOK_BYTES");
    expect((await post(url, huge, { authorization: `Bearer ${TOKEN}` }, { chunked: true })).status).toBe(413);
    expect((await post(url, "{oops", { authorization: `Bearer ${TOKEN}` })).status).toBe(400);
    expect(count(reader(dbPath), "SELECT count(*) AS n FROM hooks")).toBe(0);

    const now = Date.now();
    const sessionId = Number(
      runtime
        .db!.$client.prepare(
          "INSERT INTO sessions (session_type, status, project_slug, cwd, prompt, options, created_at) VALUES ('manual', 'running', 'proj', ?, 'p', '{}', ?)",
        )
        .run(project, now).lastInsertRowid,
    );
    const agentToken = await mintAgentToken(runtime.sqlStore, sessionId);
    const ok = await post(url, body, { authorization: `Bearer ${agentToken}`, "x-workdeck-session-id": String(sessionId) });
    expect(ok.status).toBe(201);
    expect(count(reader(dbPath), `SELECT count(*) AS n FROM hooks WHERE workdeck_session_id = ${sessionId}`)).toBe(1);
  });

  it("per event, every statement is a lookup by key or index, also with a long history analysed", async () => {
    const { runtime, url, project } = await start();
    const h = hookSession("long", project);
    const rows = runtime.db!.$client.prepare(
      "INSERT INTO hooks (session_id, event, tool_name, tool_use_id, cwd, project_slug, payload, received_at) VALUES ('long', ?, 'Bash', ?, ?, 'proj', '{}', ?)",
    );
    runtime.db!.$client.transaction(() => {
      for (let i = 0; i < 20_000; i++) rows.run(i % 2 ? "PostToolUse" : "PreToolUse", `old-${i >> 1}`, project, i);
    })();
    runtime.db!.$client.exec("ANALYZE");
    expect((await post(url, JSON.stringify(h.pre("tu-new", "Bash", {})))).status).toBe(201);
    const plans = [
      "SELECT * FROM agent_sessions WHERE session_id = 'long'",
      RECENT_HOOKS.text.replace("?", "'long'"),
      "SELECT id FROM sessions WHERE id = 1",
    ].map((sql) =>
      (runtime.db!.$client.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join("; "),
    );
    for (const plan of plans) {
      expect(plan).toMatch(/SEARCH/);
      expect(plan).not.toMatch(/SCAN|TEMP B-TREE/);
    }
  });
});
