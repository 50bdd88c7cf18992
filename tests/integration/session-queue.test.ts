/**
 * Issue 14: the session queue behind its interface, the same tests on a temp SQLite file (the
 * table queue) and on a real PostgreSQL (pg-boss jobs, one queue per account). Two or three
 * stores on one database stand for instances, each with its own queue (on PostgreSQL its own
 * pg-boss, all started at once on a fresh database). On PostgreSQL each test also reads pg-boss's
 * jobs, to show the session went through them.
 */
import fs from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import PgBoss from "pg-boss";
import pino from "pino";
import { afterEach, expect, it, vi } from "vitest";
import { ClaudeAccountConfigSchema, WorkdeckConfigSchema } from "@/lib/schemas/config";
import type { z } from "zod";
import type { SessionOptions } from "@/lib/schemas/sessions";
import { AccountPool } from "@/server/accounts/service";
import type { SqlStore } from "@/server/db/sql-store";
import { EventBus } from "@/server/events/bus";
import { SessionRunner } from "@/server/sessions/service";
import { createLogger } from "@/server/logger";
import { dueSessions, TableQueue, type SessionQueue } from "@/server/sessions/queue";
import { liveJobsQuery, PgBossQueue, sessionQueueName } from "@/server/sessions/queue-pgboss";
import { recoverOrphanedRuns } from "@/server/sessions/recovery";
import { applyOutcome } from "@/server/sessions/run";
import { DEFAULT_TUNING } from "@/server/sessions/deps";
import { SessionStore } from "@/server/sessions/store";
import { heartbeat } from "@/server/workers/service";
import { describeEachDialect } from "../support/dialects";
import { insertQueuedSession } from "../support/queued-session";
import { FakeAnthropic } from "../support/fake-anthropic";
import { harnessDeps, harnessSpec } from "../support/session-harness";
import { repoRoot, tempDir } from "../support/temp";

const log = createLogger("silent");
const opened: SessionQueue[] = [];
afterEach(async () => {
  // Each pg-boss stops before the matrix closes the pools it runs on.
  for (const q of opened.splice(0)) await q.close();
});

type AccountSpec = Omit<z.infer<typeof ClaudeAccountConfigSchema>, "configDir"> & { configDir?: string };

/** One instance on `store`: its account pool (each account with a config dir of its own) and its queue, as the scheduler builds it. */
function instance(store: SqlStore, root: string, accounts: AccountSpec[]) {
  const configured = accounts.map((a) => {
    const configDir = a.configDir ?? path.join(root, a.id);
    fs.mkdirSync(configDir, { recursive: true });
    return { ...a, configDir };
  });
  const config = { config: { claude: { accounts: configured } }, file: undefined, baseDir: root };
  const pool = new AccountPool({ sqlStore: store, config });
  const deps = { store, pool, env: {}, log };
  const queue: SessionQueue = store.dialect === "postgres" ? new PgBossQueue(deps) : new TableQueue(deps);
  opened.push(queue);
  return { store, pool, config, queue };
}
type Instance = ReturnType<typeof instance>;

const enqueue = (store: SqlStore, priority = 3, options: SessionOptions = {}) => insertQueuedSession(store, { priority, options });

/** What the scheduler (or workers.claim, with `worker`) does for one start: the due sessions, then one claim. */
async function claim(at: Instance, lease: string, opts: { now?: number; worker?: string[] } = {}) {
  const now = opts.now ?? Date.now();
  const { due, wakeAt } = await dueSessions(at.store, now);
  const r = await at.queue.claim(
    { worker: opts.worker },
    due,
    (row, account) => ({ change: { ownerLease: lease, accountId: account.id, worker: opts.worker ? lease : null, notBefore: null } }),
    now,
  );
  const wakes = [wakeAt, r.wakeAt].filter((w) => w !== null);
  return { claimed: r.claimed, wakeAt: wakes.length ? Math.min(...wakes) : null };
}

/** The run ends: its row says so, and its job is released (run.ts consume, workers.finish). */
async function end(at: Instance, id: number): Promise<void> {
  await at.store.run(sql`UPDATE sessions SET status = 'completed', ended_at = ${Date.now()} WHERE id = ${id}`);
  await at.queue.release(id);
}

const status = async (store: SqlStore, id: number) =>
  (await store.get<{ status: string; account_id: string | null; owner_lease: string | null; attempts: number }>(
    sql`SELECT status, account_id, owner_lease, attempts FROM sessions WHERE id = ${id}`,
  ))!;

/** pg-boss's jobs for a session (PostgreSQL only): its queue, state and priority, oldest first. */
async function jobsOf(store: SqlStore, id: number) {
  return store.all<{ name: string; state: string; priority: number }>(
    sql`SELECT name, state::text AS state, priority FROM pgboss.job WHERE data->>'sessionId' = ${String(id)} ORDER BY created_on, id`,
  );
}

describeEachDialect("the session queue", ({ dialect, open, again }) => {
  it("is pg-boss on PostgreSQL, started by the first claim only (a process that never claims never starts it), the table on SQLite", async () => {
    const store = await open();
    const at = instance(store, tempDir(), [{ id: "a" }]);
    expect(at.queue.kind).toBe(dialect === "postgres" ? "pg-boss" : "table");
    if (dialect !== "postgres") return;
    const schema = async () => (await store.get<{ ns: string | null }>(sql`SELECT to_regnamespace('pgboss')::text AS ns`))?.ns ?? null;
    await at.queue.release(1);
    expect(await schema()).toBeNull();
    await claim(at, "l");
    expect(await schema()).toBe("pgboss");
    const queues = await store.all<{ name: string }>(sql`SELECT name FROM pgboss.queue ORDER BY name`);
    expect(queues.map((q) => q.name)).toEqual(["workdeck-session-a"]);
  });

  it("starts sessions by priority, then by age, each through its account's queue", async () => {
    const store = await open();
    const at = instance(store, tempDir(), [{ id: "a" }]);
    const low = await enqueue(store, 1);
    const high = await enqueue(store, 5);
    const olderMid = await enqueue(store, 3);
    const youngerMid = await enqueue(store, 3);

    const order: number[] = [];
    for (let c = await claim(at, "l"); c.claimed; c = await claim(at, "l")) order.push(c.claimed.row.id);
    expect(order).toEqual([high, olderMid, youngerMid, low]);
    if (dialect === "postgres") {
      expect(await jobsOf(store, high)).toEqual([{ name: "workdeck-session-a", state: "active", priority: 5 }]);
      expect(await jobsOf(store, low)).toEqual([{ name: "workdeck-session-a", state: "active", priority: 1 }]);
    }
  });

  it("an account's maxConcurrent holds across instances: a session waits for a free slot, then takes it", async () => {
    const store = await open();
    const root = tempDir();
    const accounts = [
      { id: "a", maxConcurrent: 1 },
      { id: "b", maxConcurrent: 1 },
    ];
    const one = instance(store, root, accounts);
    const two = instance(await again(store), root, accounts);
    const ids = [await enqueue(store), await enqueue(store), await enqueue(store)];

    const claims = await Promise.all([claim(one, "one"), claim(two, "two"), claim(one, "one"), claim(two, "two")]);
    const taken = claims.flatMap((c) => (c.claimed ? [c.claimed] : []));
    expect(taken.map((c) => c.account.id).sort()).toEqual(["a", "b"]);
    expect(taken.map((c) => c.row.id).sort((x, y) => x - y)).toEqual(ids.slice(0, 2));
    // Both accounts are at their limit: nobody takes the third, and it is not pushed back in time either.
    expect((await claim(two, "two")).claimed).toBeNull();
    expect(await status(store, ids[2]!)).toMatchObject({ status: "queued" });

    const onB = taken.find((c) => c.account.id === "b")!;
    await end(one, onB.row.id);
    const next = await claim(two, "two");
    expect(next.claimed).toMatchObject({ row: { id: ids[2] }, account: { id: "b" } });
    if (dialect === "postgres") {
      expect((await jobsOf(store, onB.row.id)).map((j) => j.state)).toEqual(["completed"]);
      expect(await jobsOf(store, ids[2]!)).toEqual([{ name: "workdeck-session-b", state: "active", priority: 3 }]);
    }
  });

  it("a stopped session's job never starts it, whether the stop released the job or not", async () => {
    const store = await open();
    const root = tempDir();
    const accounts = [{ id: "w1", configDir: "/on-the-worker/w1", runsOn: "worker" as const }];
    const server = instance(store, root, accounts);
    const worker = instance(await again(store), root, accounts);
    await heartbeat(
      { sqlStore: store, config: server.config },
      { name: "alpha", accounts: [{ id: "w1", ready: true, reason: null }], capacity: 2, running: [], version: "0.1.0", host: "alpha" },
    );
    const released = await enqueue(store);
    const raced = await enqueue(store);

    // The server holds no w1, but its claim routes both sessions to w1's queue for the worker.
    expect((await claim(server, "server")).claimed).toBeNull();
    if (dialect === "postgres")
      for (const id of [released, raced]) expect((await jobsOf(store, id)).map((j) => j.state)).toEqual(["created"]);

    // One is stopped as sessions.stop does (its job released); the other by a stop the queue never heard of.
    await store.run(sql`UPDATE sessions SET status = 'stopped' WHERE id IN (${released}, ${raced})`);
    await server.queue.release(released);
    expect((await claim(worker, "alpha", { worker: ["w1"] })).claimed).toBeNull();
    expect(await status(store, released)).toMatchObject({ status: "stopped", owner_lease: null });
    expect(await status(store, raced)).toMatchObject({ status: "stopped", owner_lease: null });
    if (dialect === "postgres")
      for (const id of [released, raced]) expect((await jobsOf(store, id)).map((j) => j.state)).toEqual(["cancelled"]);
  });

  it("a transient failure requeues the session with backoff; it starts again once due, counting the attempt", async () => {
    const store = await open();
    const at = instance(store, tempDir(), [{ id: "a" }]);
    const sessions = new SessionStore({ sqlStore: store, bus: new EventBus(null, store) });
    const id = await enqueue(store);
    expect((await claim(at, "l")).claimed?.row.id).toBe(id);

    const tuning = { ...DEFAULT_TUNING, retryBaseMs: 10_000, retryMaxMs: 10_000 };
    const deps = { baseEnv: {} } as unknown as Parameters<typeof applyOutcome>[0]["deps"];
    const outcome = { kind: "transient" as const, reason: "overloaded" as const, status: 529, text: "Overloaded" };
    // As a run's end does (run.ts consume): its job released, then the outcome applied.
    await at.queue.release(id);
    await applyOutcome({ store: sessions, pool: at.pool, tuning, deps }, id, { accountId: "a", stopping: null }, outcome);
    const row = await sessions.row(id);
    expect(row).toMatchObject({ status: "queued", attempts: 1, exitReason: "transient" });
    const dueAt = row.notBefore!.getTime();

    // In its backoff: nothing starts, and the claim says when to look again.
    const early = await claim(at, "l", { now: dueAt - 1 });
    expect(early).toEqual({ claimed: null, wakeAt: dueAt });
    const again = await claim(at, "l", { now: dueAt });
    expect(again.claimed).toMatchObject({ row: { id, attempts: 1 }, account: { id: "a" } });
    if (dialect === "postgres") expect((await jobsOf(store, id)).map((j) => j.state)).toEqual(["completed", "active"]);
  });

  it("a session held by a process that died is recovered: interrupted by the lease sweep, then resumed on another instance", async () => {
    const store = await open();
    const root = tempDir();
    const one = instance(store, root, [{ id: "a" }]);
    const two = instance(await again(store), root, [{ id: "a" }]);
    const id = await enqueue(store);
    // The first instance takes it under a lease that no live process holds (it died with its job).
    expect((await claim(one, "dead-lease")).claimed?.row.id).toBe(id);

    const recovered = await recoverOrphanedRuns(two.store, "lease-two");
    expect(recovered.map((r) => r.id)).toEqual([id]);
    expect(await status(store, id)).toMatchObject({ status: "interrupted" });
    // Resumed (sessions.resume): queued again, and the other instance takes it, its dead job and all.
    await store.run(sql`UPDATE sessions SET status = 'queued', ended_at = NULL WHERE id = ${id}`);
    expect((await claim(two, "lease-two")).claimed?.row.id).toBe(id);
    expect(await status(store, id)).toMatchObject({ status: "running", owner_lease: "lease-two" });
    if (dialect === "postgres") expect((await jobsOf(store, id)).map((j) => j.state)).toEqual(["cancelled", "active"]);
  });

  it("a claim that dies midway leaves the session and its job as they were, for another instance to take", async () => {
    const store = await open();
    const root = tempDir();
    const one = instance(store, root, [{ id: "a" }]);
    const two = instance(await again(store), root, [{ id: "a" }]);
    const id = await enqueue(store);

    // The first instance fails after taking the job and before the session is marked running.
    const { due } = await dueSessions(store);
    await expect(
      one.queue.claim({}, due, () => {
        throw new Error("the process died here");
      }),
    ).rejects.toThrow("the process died here");
    expect(await status(store, id)).toMatchObject({ status: "queued", owner_lease: null });
    // The job it sent and fetched went with the transaction: nothing is left active for nobody.
    if (dialect === "postgres") expect(await jobsOf(store, id)).toEqual([]);

    expect((await claim(two, "two")).claimed?.row.id).toBe(id);
    expect(await status(store, id)).toMatchObject({ status: "running", owner_lease: "two" });
    if (dialect === "postgres") expect((await jobsOf(store, id)).map((j) => j.state)).toEqual(["active"]);
  });

  it("when pg-boss cannot start, sessions are still claimed, from the table", async () => {
    const store = await open();
    // A pgboss schema pg-boss cannot use (a version from the future, none of its tables).
    if (dialect === "postgres") {
      await store.run(sql`CREATE SCHEMA pgboss`);
      await store.run(sql`CREATE TABLE pgboss.version (version int)`);
      await store.run(sql`INSERT INTO pgboss.version VALUES (999)`);
    }
    const at = instance(store, tempDir(), [{ id: "a" }]);
    const id = await enqueue(store);
    expect((await claim(at, "l")).claimed?.row.id).toBe(id);
    expect(await status(store, id)).toMatchObject({ status: "running", account_id: "a" });
    if (dialect === "postgres")
      expect((await store.get<{ t: string | null }>(sql`SELECT to_regclass('pgboss.queue')::text AS t`))?.t ?? null).toBeNull();
  });

  it("a pg-boss whose start fails after it began (an account's queue cannot be created) is stopped, not left running beside the table queue", async () => {
    const store = await open();
    const root = tempDir();
    if (dialect === "postgres") {
      // pg-boss's schema as an earlier instance left it, and a queue row nobody may add any more.
      const first = instance(store, root, [{ id: "a" }]);
      await claim(first, "first");
      await first.queue.close();
      await store.run(
        sql`CREATE FUNCTION pgboss.refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no new queues'; END $$`,
      );
      await store.run(sql`CREATE TRIGGER refuse BEFORE INSERT ON pgboss.queue FOR EACH ROW EXECUTE FUNCTION pgboss.refuse()`);
    }
    // Every pg-boss this test's queues start, and the ones that stopped.
    const started: PgBoss[] = [];
    const stopped = new Set<PgBoss>();
    const realStart = PgBoss.prototype.start;
    const spy = vi.spyOn(PgBoss.prototype, "start").mockImplementation(function (this: PgBoss) {
      started.push(this);
      this.on("stopped", () => stopped.add(this));
      return realStart.call(this);
    });
    try {
      const at = instance(store, root, [{ id: "a" }, { id: "b" }]);
      const id = await enqueue(store);
      expect((await claim(at, "l")).claimed?.row.id).toBe(id);
      expect(await status(store, id)).toMatchObject({ status: "running" });
      await at.queue.close();
      if (dialect === "postgres") expect(started).toHaveLength(1);
      // Its supervision timers would keep the process alive and run maintenance beside the fallback.
      expect(started.filter((b) => !stopped.has(b)).length).toBe(0);
    } finally {
      spy.mockRestore();
    }
  });

  it("a claim and a release read pg-boss's live jobs through an index, not every job of the last hours", async () => {
    const store = await open();
    const at = instance(store, tempDir(), [{ id: "a" }, { id: "b" }]);
    const id = await enqueue(store);
    expect((await claim(at, "l")).claimed?.row.id).toBe(id);
    if (dialect !== "postgres") return expect(at.queue.kind).toBe("table");
    // pg-boss keeps finished jobs in its job table for 12 hours before archiving them.
    await store.run(sql`INSERT INTO pgboss.job (name, data, state, completed_on)
      SELECT CASE WHEN i % 2 = 0 THEN 'workdeck-session-a' ELSE 'workdeck-session-b' END, jsonb_build_object('sessionId', 100000 + i),
             (CASE WHEN i % 3 = 0 THEN 'cancelled' ELSE 'completed' END)::pgboss.job_state, now()
      FROM generate_series(1, 5000) i`);
    await store.run(sql`ANALYZE pgboss.job`);
    const names = ["a", "b"].map(sessionQueueName);
    for (const query of [liveJobsQuery(names), liveJobsQuery(names, id)]) {
      const plan = JSON.stringify(await store.all(sql`EXPLAIN (FORMAT JSON) ${query}`));
      expect(plan).not.toContain("Seq Scan");
    }
    // And it finds the live job.
    expect((await store.all<{ state: string }>(liveJobsQuery(names, id))).map((j) => j.state)).toEqual(["active"]);
  });

  it("every account id the config takes names a queue (the longest, with dots), and the config refuses the others, saying what an id is", async () => {
    const longest = `A${"b.c_d-".repeat(10)}e9`;
    expect(longest).toHaveLength(63);
    for (const id of [longest, "max.1"]) expect(ClaudeAccountConfigSchema.safeParse({ id, configDir: "/c" }).success).toBe(true);
    for (const id of ["max 1", "a/b", "a,b", "-a", `${longest}x`, "ünï"]) {
      const parsed = ClaudeAccountConfigSchema.safeParse({ id, configDir: "/c" });
      expect(parsed.error?.issues[0]?.message).toBe(
        "an account id is 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit",
      );
    }

    // One id, one queue and one row of state: an id listed twice is refused too.
    const twice = WorkdeckConfigSchema.safeParse({
      claude: {
        accounts: [
          { id: "max.1", configDir: "/c" },
          { id: "max.1", configDir: "/d" },
        ],
      },
    });
    expect(twice.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      ["claude.accounts.1.id", 'account "max.1" is listed twice: each account needs an id of its own'],
    ]);

    const store = await open();
    const at = instance(store, tempDir(), [{ id: longest }, { id: "max.1" }]);
    const ids = [await enqueue(store, 3, { accountId: longest }), await enqueue(store, 3, { accountId: "max.1" })];
    const taken = [(await claim(at, "l")).claimed, (await claim(at, "l")).claimed];
    expect(taken.map((c) => [c?.row.id, c?.account.id])).toEqual([
      [ids[0], longest],
      [ids[1], "max.1"],
    ]);
    if (dialect === "postgres")
      expect((await jobsOf(store, ids[0]!)).map((j) => [j.name, j.state])).toEqual([[sessionQueueName(longest), "active"]]);
  });

  it("a candidate another claim put back to its account's reset meanwhile is woken then, by the claim that finds it", async () => {
    const store = await open();
    const at = instance(store, tempDir(), [{ id: "a" }]);
    const id = await enqueue(store);
    // Read as due by a pass whose claim then waits on the lock, while another claim (a worker's,
    // whose wake-up nobody keeps) finds its account parked and writes the reset on the session.
    const { due } = await dueSessions(store);
    const resetAt = Date.now() + 60_000;
    await store.run(sql`UPDATE sessions SET not_before = ${resetAt} WHERE id = ${id}`);
    const r = await at.queue.claim({}, due, (row, account) => ({ change: { ownerLease: "l", accountId: account.id } }));
    expect(r).toEqual({ claimed: null, wakeAt: resetAt });
  });

  it("a closed queue claims nothing and says nothing (a worker's claim while the server shuts down), and starts no pg-boss", async () => {
    const store = await open();
    const at = instance(store, tempDir(), [{ id: "a" }]);
    const lines: string[] = [];
    const log = pino({ level: "debug" }, { write: (line: string) => void lines.push(line) });
    const deps = { store, pool: at.pool, env: {}, log };
    const queue: SessionQueue = dialect === "postgres" ? new PgBossQueue(deps) : new TableQueue(deps);
    opened.push(queue);
    await queue.close();
    const id = await enqueue(store);

    expect(await claim({ ...at, queue }, "l")).toEqual({ claimed: null, wakeAt: null });
    expect(await status(store, id)).toMatchObject({ status: "queued" });
    expect(lines).toEqual([]);
    if (dialect === "postgres")
      expect((await store.get<{ ns: string | null }>(sql`SELECT to_regnamespace('pgboss')::text AS ns`))?.ns ?? null).toBeNull();
  });

  it("three instances claiming at once start every session exactly once", async () => {
    const store = await open();
    const root = tempDir();
    const accounts = [{ id: "a" }, { id: "b", maxConcurrent: 3 }];
    const instances = [
      instance(store, root, accounts),
      instance(await again(store), root, accounts),
      instance(await again(store), root, accounts),
    ];
    const ids: number[] = [];
    for (let i = 0; i < 12; i++) ids.push(await enqueue(store, i % 3));

    const claims = await Promise.all(Array.from({ length: 18 }, (_, i) => claim(instances[i % 3]!, `lease-${i % 3}`)));
    const taken = claims.flatMap((c) => (c.claimed ? [c.claimed.row.id] : []));
    expect(taken.sort((x, y) => x - y)).toEqual(ids);
    const rows = await store.all<{ status: string }>(sql`SELECT status FROM sessions ORDER BY id`);
    expect(rows.every((r) => r.status === "running")).toBe(true);
    if (dialect === "postgres") for (const id of ids) expect((await jobsOf(store, id)).filter((j) => j.state === "active")).toHaveLength(1);
  });

  it("two runners on one database keep each account to its maxConcurrent, real Claude Code against the fake API", async () => {
    const store = await open();
    const fake = await FakeAnthropic.start();
    const root = tempDir();
    const built = [store, await again(store)].map((sqlStore, i) => {
      const base = harnessDeps(harnessSpec(path.join(root, `instance-${i}`), fake.url), repoRoot);
      const accounts = ["solo", "duo"].map((id) => {
        const configDir = path.join(root, "claude", id);
        fs.mkdirSync(configDir, { recursive: true });
        return { id, configDir, oauthTokenEnv: `TOKEN_${id.toUpperCase()}`, maxConcurrent: 1 };
      });
      const claude = { ...base.config.config.claude, maxConcurrent: 3, accounts };
      const config = { ...base.config, config: { ...base.config.config, claude } };
      const baseEnv = { ...base.baseEnv, TOKEN_SOLO: "tok-solo", TOKEN_DUO: "tok-duo" };
      const deps = { ...base, config, baseEnv, sqlStore, bus: new EventBus(null, sqlStore) };
      return { deps, runner: new SessionRunner(deps, { accountCheckMs: 0 }) };
    });
    try {
      const cwd = path.join(root, "instance-0", "project");
      const ids: number[] = [];
      for (let i = 0; i < 4; i++) {
        const id = await enqueue(store, 3, { permissionMode: "bypassPermissions" });
        await store.run(sql`UPDATE sessions SET cwd = ${cwd} WHERE id = ${id}`);
        ids.push(id);
      }

      await Promise.all(built.map((b) => b.runner.schedule()));
      const ends = await Promise.all(ids.map((id) => built[0]!.runner.waitForEnd(id, 120_000)));
      expect(ends.map((s) => [s.status, s.runs.length])).toEqual(ids.map(() => ["completed", 1]));
      // Room for six in the two processes, one per account: each account's runs came one after another.
      const runs = ends.map((s) => s.runs[0]!);
      expect(new Set(runs.map((r) => r.accountId))).toEqual(new Set(["solo", "duo"]));
      for (const account of ["solo", "duo"]) {
        const mine = runs.filter((r) => r.accountId === account).sort((x, y) => x.startedAt - y.startedAt);
        for (let i = 1; i < mine.length; i++) expect(mine[i]!.startedAt).toBeGreaterThanOrEqual(mine[i - 1]!.endedAt!);
      }
      if (dialect === "postgres") for (const id of ids) expect((await jobsOf(store, id)).map((j) => j.state)).toEqual(["completed"]);
    } finally {
      for (const b of built) {
        await b.runner.close();
        b.deps.db!.$client.close();
      }
      await fake.close();
    }
  }, 180_000);
});
