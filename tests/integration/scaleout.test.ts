/**
 * Issue 14, many instances, one Workdeck: real `workdeck serve` processes on one SQLite file.
 * With a real redis-server (WORKDECK_REDIS_URL), a report ingested through one is listed by the
 * other, a triage decision made on one is seen on the other, and a live event published on one
 * reaches an events.subscribe stream of the other, also once Redis is gone (the polling
 * fallback). Without Redis, the same live event arrives by polling; and the background jobs run
 * in one of them (the leader), taken over by the other when the leader is killed with -9.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import { openDatabase } from "@/server/db/client";
import { ensureNextBuild, subscribeEvents, trpcMutate, trpcQuery, type LiveEvents } from "../support/live-events";
import { startRedis, type RedisServer } from "../support/redis";
import { sharedPath } from "../support/shared";
import { serveWorkdeck } from "../support/workdeck-server";

const report = fs.readFileSync(sharedPath("playwright-sample", "reports", "run-1.json"));
const root = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? "/tmp"), "workdeck-scaleout-"));
type Server = Awaited<ReturnType<typeof serveWorkdeck>>;
const stops: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
  fs.rmSync(root, { recursive: true, force: true });
});

/** A database folder with one configured project, and `n` servers on it (started one after the other). */
async function cluster(name: string, n: number, env: Record<string, string>): Promise<{ dbPath: string; servers: Server[] }> {
  const dir = path.join(root, name);
  fs.mkdirSync(path.join(dir, "sample", "openspec"), { recursive: true });
  const configPath = path.join(dir, "config.json");
  fs.writeFileSync(configPath, JSON.stringify({ projects: [{ slug: "sample", path: path.join(dir, "sample") }] }));
  const dbPath = path.join(dir, "w.db");
  const servers: Server[] = [];
  for (let i = 0; i < n; i++) {
    const s = await serveWorkdeck({ dbPath, configPath, env: { WORKDECK_LOG_LEVEL: "warn", ...env } });
    stops.push(s.stop);
    servers.push(s);
  }
  return { dbPath, servers };
}

const query = <T>(s: Server, procedure: string, input?: unknown) => trpcQuery<T>(s.baseURL, procedure, input);
const mutate = <T>(s: Server, procedure: string, input: unknown) => trpcMutate<T>(s.baseURL, procedure, input);

type Failure = { id: number; decision: string; rationale?: string | null };
const triaged = (failureId: number, decision: string) => (e: WorkdeckEvent) =>
  e.type === "errors.triaged" && e.failureId === failureId && e.decision === decision;

/** A stream that is surely live: it has received an event its own server published after it opened. */
async function liveStream(s: Server, failureId: number): Promise<LiveEvents> {
  const live = await subscribeEvents(s.baseURL);
  for (let attempt = 0; ; attempt++) {
    const decision = attempt % 2 ? "one_off_fix" : "pending";
    await mutate(s, "errors.triageFailure", { failureId, decision, rationale: "scale-out test" });
    try {
      await live.next(triaged(failureId, decision), "its own server's event", 2_000);
      return live;
    } catch (err) {
      if (attempt >= 10) throw err;
    }
  }
}

describe("two workdeck serve processes on one database, with Redis", () => {
  let redis: RedisServer;
  let a: Server;
  let b: Server;
  let failures: Failure[];

  beforeAll(async () => {
    ensureNextBuild();
    redis = await startRedis();
    stops.push(() => redis.stop());
    [a, b] = (await cluster("redis", 2, { WORKDECK_REDIS_URL: redis.url })).servers as [Server, Server];
    // The first describe may run `next build` on a fresh checkout, inside a busy Vitest run.
  }, 900_000);

  it("a report ingested through one is listed by the other", async () => {
    const res = await fetch(`${a.baseURL}/api/reports?project=sample&branch=main`, {
      method: "POST",
      body: report,
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(201);
    failures = await query<Failure[]>(b, "errors.listFailures");
    expect(failures.length).toBeGreaterThan(0);
    expect(failures).toEqual(await query<Failure[]>(a, "errors.listFailures"));
  });

  it("a triage decision made on one is seen on the other", async () => {
    const target = failures[0]!;
    await mutate(a, "errors.triageFailure", { failureId: target.id, decision: "ignore", rationale: "decided on instance A" });
    const seen = (await query<Failure[]>(b, "errors.listFailures")).find((f) => f.id === target.id);
    expect(seen).toMatchObject({ id: target.id, decision: "ignore" });
  });

  it("a live event published on one reaches an events.subscribe stream of the other", async () => {
    const [first, second] = failures;
    const live = await liveStream(b, first!.id);
    try {
      await mutate(a, "errors.triageFailure", { failureId: second!.id, decision: "needs_spec", rationale: "scale-out test" });
      const event = await live.next(triaged(second!.id, "needs_spec"), "event published on A");
      // The id is the shared table's: a reconnect to either instance resumes after it.
      const resumed = await subscribeEvents(a.baseURL, { lastEventId: event.id - 1 });
      try {
        expect(await resumed.next((e) => e.id === event.id, "the same event resumed on A")).toEqual(event);
      } finally {
        resumed.close();
      }
    } finally {
      live.close();
    }
  });

  it("with Redis gone, a live event still reaches the other instance (polling fallback)", async () => {
    const [first, second] = failures;
    const live = await liveStream(b, first!.id);
    try {
      await redis.kill();
      await mutate(a, "errors.triageFailure", { failureId: second!.id, decision: "one_off_fix", rationale: "scale-out test" });
      await live.next(triaged(second!.id, "one_off_fix"), "event published on A while Redis is down");
    } finally {
      live.close();
    }
  });
});

describe("two workdeck serve processes on one database, without Redis", () => {
  let dbPath: string;
  let c: Server;
  let d: Server;
  let failureId: number;

  beforeAll(async () => {
    ensureNextBuild();
    const plain = await cluster("plain", 2, { WORKDECK_LEADER_TTL_MS: "1500" });
    dbPath = plain.dbPath;
    [c, d] = plain.servers as [Server, Server];
    const res = await fetch(`${c.baseURL}/api/reports?project=sample`, {
      method: "POST",
      body: report,
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(201);
    failureId = (await query<Failure[]>(d, "errors.listFailures"))[0]!.id;
  }, 300_000);

  it("a live event published on one reaches an events.subscribe stream of the other by polling", async () => {
    const live = await liveStream(d, failureId);
    try {
      await mutate(c, "errors.triageFailure", { failureId, decision: "needs_spec", rationale: "scale-out test" });
      await live.next(triaged(failureId, "needs_spec"), "event published on C");
    } finally {
      live.close();
    }
  });

  it("background jobs run in one of them; killed with -9, the other takes them over", async () => {
    const leaderPid = () => {
      const db = openDatabase(dbPath);
      try {
        const row = db.$client.prepare("SELECT owner FROM integration_locks WHERE name = 'leader'").get() as { owner: string } | undefined;
        return row ? Number(row.owner.split(":").at(-2)) : null;
      } finally {
        db.$client.close();
      }
    };
    // The first to start leads; the second stands by.
    expect(leaderPid()).toBe(c.pid);
    await c.kill();
    // A bus event past the retention (30 days by default), written once the leader is dead: only a
    // new leader's history retention job (its first sweep comes soon after it starts) removes it.
    const db = openDatabase(dbPath);
    const old = Number(
      db.$client
        .prepare(
          'INSERT INTO events (type, project_slug, payload, created_at) VALUES (\'projects.changed\', NULL, \'{"type":"projects.changed","projectSlug":null,"slugs":[]}\', 0)',
        )
        .run().lastInsertRowid,
    );
    db.$client.close();
    const exists = () => {
      const check = openDatabase(dbPath);
      try {
        return check.$client.prepare("SELECT 1 FROM events WHERE id = ?").get(old) !== undefined;
      } finally {
        check.$client.close();
      }
    };
    for (let i = 0; i < 240 && (leaderPid() !== d.pid || exists()); i++) await new Promise((r) => setTimeout(r, 250));
    expect(leaderPid()).toBe(d.pid);
    expect(exists()).toBe(false);
  });
});
