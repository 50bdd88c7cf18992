/**
 * Issue 14: the session queue and a session's messages on the SQL port, the same tests on a temp
 * SQLite file and on a real PostgreSQL. Two stores on one database stand for two instances
 * (`again`). Most tests are the store-level rules the scheduler is built from (claim, priority,
 * accounts, dependencies, ordered notes); the last runs two whole runners on one database with
 * the real Claude Code binary against the fake Messages API.
 */
import fs from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import type { SessionOptions } from "@/lib/schemas/sessions";
import { AccountPool } from "@/server/accounts/service";
import type { SqlStore } from "@/server/db/sql-store";
import { addDependency, listEdgesOn, sessionGate } from "@/server/dependencies/service";
import { EventBus } from "@/server/events/bus";
import { claimNext, dueSessions } from "@/server/sessions/queue";
import { recoverOrphanedRuns } from "@/server/sessions/recovery";
import { sessionInsertValues } from "@/server/sessions/rows";
import { ServerLease } from "@/server/sessions/server-lease";
import { sessionSummariesOn, SessionStore } from "@/server/sessions/store";
import { runningHealthOn } from "@/server/sessions/health";
import { waitingOnPermission } from "@/server/sessions/permissions";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import { SessionRunner } from "@/server/sessions/service";
import { describeEachDialect } from "../support/dialects";
import { FakeAnthropic } from "../support/fake-anthropic";
import { harnessDeps, harnessSpec } from "../support/session-harness";
import { repoRoot, tempDir } from "../support/temp";

/** One instance on `store`: its account pool (accounts `a` and `b`, each with a config dir), its session store and bus. */
function instance(store: SqlStore, root: string) {
  const accounts = ["a", "b"].map((id) => {
    const configDir = path.join(root, id);
    fs.mkdirSync(configDir, { recursive: true });
    return { id, configDir };
  });
  const pool = new AccountPool({ sqlStore: store, config: { config: { claude: { accounts } }, file: undefined, baseDir: root } });
  const bus = new EventBus(null, store);
  return { store, pool, bus, sessions: new SessionStore({ sqlStore: store, bus }) };
}
type Instance = ReturnType<typeof instance>;

async function queue(store: SqlStore, priority = 3, options: SessionOptions = {}, cwd = "/tmp"): Promise<number> {
  const r = await store.run<{ id: number | string }>(
    sql`INSERT INTO sessions ${sessionInsertValues({
      sessionType: "manual",
      status: "queued",
      projectSlug: "demo",
      cwd,
      prompt: "do it",
      options,
      priority,
      runs: [],
      createdAt: new Date(),
    })} RETURNING id`,
  );
  return Number(r.row!.id);
}

/** What the scheduler does for one start: the due sessions, then one claim for this instance's lease. */
async function claimOne(at: Instance, lease: string, now = Date.now()) {
  const { due } = await dueSessions(at.store, now);
  return claimNext(
    { store: at.store, pool: at.pool, env: {} },
    due,
    (row, account) => ({ change: { ownerLease: lease, accountId: account.id } }),
    now,
  );
}

describeEachDialect("the session queue and messages", ({ open, again }) => {
  it("a queued session raced for by two instances is claimed by exactly one", async () => {
    const store = await open();
    const root = tempDir();
    const one = instance(store, root);
    const two = instance(await again(store), root);
    const ids = [await queue(store), await queue(store)];

    // Four claims at once for two sessions: each session is taken once, and both are taken.
    const claims = await Promise.all([
      claimOne(one, "lease-1"),
      claimOne(two, "lease-2"),
      claimOne(one, "lease-1"),
      claimOne(two, "lease-2"),
    ]);
    const taken = claims.flatMap((c) => (c.claimed ? [c.claimed.row.id] : []));
    expect(taken.sort((x, y) => x - y)).toEqual(ids);
    const rows = await store.all<{ id: number; status: string; owner_lease: string }>(
      sql`SELECT id, status, owner_lease FROM sessions ORDER BY id`,
    );
    expect(rows.map((r) => r.status)).toEqual(["running", "running"]);
    expect(rows.every((r) => r.owner_lease === "lease-1" || r.owner_lease === "lease-2")).toBe(true);
    expect((await claimOne(two, "lease-2")).claimed).toBeNull();
  });

  it("starts by priority, then by age; a session in its backoff waits and says when it is due", async () => {
    const store = await open();
    const at = instance(store, tempDir());
    const low = await queue(store, 1);
    const high = await queue(store, 5);
    const olderMid = await queue(store, 3);
    const youngerMid = await queue(store, 3);
    const now = Date.now();
    const backoff = await queue(store, 5);
    await store.run(sql`UPDATE sessions SET not_before = ${now + 30_000} WHERE id = ${backoff}`);

    const order: number[] = [];
    for (let c = await claimOne(at, "l", now); c.claimed; c = await claimOne(at, "l", now)) order.push(c.claimed.row.id);
    expect(order).toEqual([high, olderMid, youngerMid, low]);
    expect(await dueSessions(store, now)).toEqual({ due: [], wakeAt: now + 30_000 });
    expect((await claimOne(at, "l", now + 30_000)).claimed?.row.id).toBe(backoff);
  });

  it("a parked account is skipped for all instances: a session moves to the free one, one pinned to it waits for its reset", async () => {
    const store = await open();
    const root = tempDir();
    const one = instance(store, root);
    const two = instance(await again(store), root);
    const now = Date.now();
    const until = await one.pool.park("a", new Date(now + 60_000), { status: "rejected" }, "Usage limit reached");

    const pinned = await queue(store, 5, { accountId: "a" });
    const free = await queue(store, 3);
    const c = await claimOne(two, "lease-2", now);
    expect(c.claimed).toMatchObject({ row: { id: free }, account: { id: "b" } });
    expect(c.wakeAt).toBe(until.getTime());
    const waiting = (await store.get<{ status: string; not_before: number | string }>(
      sql`SELECT status, not_before FROM sessions WHERE id = ${pinned}`,
    ))!;
    expect({ status: waiting.status, notBefore: Number(waiting.not_before) }).toEqual({ status: "queued", notBefore: until.getTime() });

    // With b parked too, nothing starts, and the claim says when the earliest reset is.
    await two.pool.park("b", new Date(now + 30_000), null, "Usage limit reached");
    const later = await queue(store, 3);
    const none = await claimOne(one, "lease-1", now);
    expect(none.claimed).toBeNull();
    expect(none.wakeAt).toBe(Math.min(until.getTime(), now + 30_000 + 5_000));
    expect((await claimOne(one, "lease-1", until.getTime() + 1)).claimed?.row.id).toBe(pinned);
    expect((await claimOne(one, "lease-1", until.getTime() + 1)).claimed).toMatchObject({ row: { id: later } });
  });

  it("the dependency gate holds a session until the session it waits for completed", async () => {
    const store = await open();
    const at = instance(store, tempDir());
    const first = await queue(store);
    const second = await queue(store);
    await addDependency(
      { sqlStore: store, bus: at.bus },
      { blocker: { kind: "session", sessionId: first }, blocked: { kind: "session", sessionId: second } },
    );
    const gate = async (id: number) => sessionGate({ sqlStore: store }, await at.sessions.row(id));

    expect(await gate(second)).toEqual({
      action: "wait",
      blockers: [{ key: `session:${first}`, state: "open", label: `session #${first} (queued)`, via: null }],
    });
    expect(await gate(first)).toEqual({ action: "start" });
    await at.sessions.update(first, { status: "completed", endedAt: new Date() });
    expect(await gate(second)).toEqual({ action: "start" });
    // Discarded instead: the waiting one is cancelled, with the blocker named.
    const third = await queue(store);
    await addDependency(
      { sqlStore: store, bus: at.bus },
      { blocker: { kind: "session", sessionId: second }, blocked: { kind: "session", sessionId: third } },
    );
    await at.sessions.update(second, { status: "completed", landed: "discarded" });
    expect(await gate(third)).toMatchObject({ action: "cancel", message: `Cancelled: it was waiting for session #${second} (discarded)` });
  });

  it("messages are stored in the order they were made, once each, and read back in order; each is announced", async () => {
    const store = await open();
    const root = tempDir();
    const one = instance(store, root);
    const two = instance(await again(store), root);
    const id = await queue(store);
    const heard: WorkdeckEvent[] = [];
    one.bus.on((e) => heard.push(e));

    // Made without waiting, as a stream arrives: stored in call order.
    const seqs = await Promise.all(Array.from({ length: 30 }, (_, i) => one.sessions.note(id, "assistant", { n: i })));
    expect(seqs).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    // Another instance adding notes meanwhile (a recovery, a resume) never takes a seq twice.
    await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => one.sessions.note(id, "user", { from: "one", i })),
      ...Array.from({ length: 10 }, (_, i) => two.sessions.note(id, "user", { from: "two", i })),
    ]);

    const events = await two.sessions.events({ id });
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(events.slice(0, 30).map((e) => (e.payload as { n: number }).n)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    for (const from of ["one", "two"])
      expect(events.filter((e) => (e.payload as { from?: string }).from === from).map((e) => (e.payload as { i: number }).i)).toEqual(
        Array.from({ length: 10 }, (_, i) => i),
      );
    expect(events[0]).toMatchObject({ type: "assistant", at: expect.any(Date) });
    expect((await one.sessions.events({ id, after: 45, limit: 2 })).map((e) => e.seq)).toEqual([46, 47]);
    const announced = heard.flatMap((e) => (e.type === "sessions.event" ? [e.seq] : []));
    expect(announced.slice(0, 30)).toEqual(seqs);
    await expect(one.sessions.note(999_999, "assistant", {})).rejects.toThrow(/No session with id 999999/);
  });

  it("the reads other views make of sessions: summaries, health with a permission wait, dependency edges", async () => {
    const store = await open();
    const at = instance(store, tempDir());
    const done = await queue(store, 2);
    const running = await queue(store, 4);
    const started = Date.now() - 90_000;
    await at.sessions.update(done, { status: "completed", endedAt: new Date(), costUsd: 0.25 });
    await at.sessions.update(running, { status: "running", startedAt: new Date(started), prompt: "p".repeat(300) });

    expect(await sessionSummariesOn(store, { limit: 10 })).toEqual([
      expect.objectContaining({ id: running, status: "running", priority: 4, prompt: "p".repeat(200), startedAt: started, endedAt: null }),
      expect.objectContaining({ id: done, status: "completed", costUsd: 0.25, startedAt: null, endedAt: expect.any(Number) }),
    ]);
    expect(await sessionSummariesOn(store, { projectId: "elsewhere", limit: 10 })).toEqual([]);

    // Quiet for 90 s: idle; asked for a permission nobody answered: still idle, and waiting; answered: back to the clock.
    const health = async (now: number) => (await runningHealthOn(store, { now, stuckMs: 10 * 60_000 })).get(running)?.health;
    expect(await health(started + 90_000)).toBe("idle");
    await at.sessions.note(running, "workdeck/permission_requested", { requestId: "r1", toolName: "Bash" });
    const asked = (await at.sessions.events({ id: running })).at(-1)!.at.getTime();
    expect(await waitingOnPermission(store)).toEqual(new Set([running]));
    expect(await health(asked + 20 * 60_000)).toBe("idle");
    await at.sessions.note(running, "workdeck/permission_answered", { requestId: "r1", allow: true });
    expect(await waitingOnPermission(store)).toEqual(new Set());
    expect(await health(asked + 1_000)).toBe("active");
    expect(await health(asked + 20 * 60_000)).toBe("stuck");

    await addDependency(
      { sqlStore: store, bus: at.bus },
      { blocker: { kind: "session", sessionId: done }, blocked: { kind: "session", sessionId: running } },
    );
    expect(await listEdgesOn({ sqlStore: store })).toEqual([
      { blocker: `session:${done}`, blocked: `session:${running}`, state: "resolved", label: `session #${done} (completed)` },
    ]);
  });

  it("recovery interrupts a session whose server is gone, once, and leaves a live server's alone", async () => {
    const store = await open();
    const two = await again(store);
    const live = new ServerLease(store);
    const liveId = await live.acquire();
    try {
      const mine = await queue(store);
      const orphan = await queue(store);
      await store.run(sql`UPDATE sessions SET status = 'running', owner_lease = ${liveId} WHERE id = ${mine}`);
      // A lease of a process that no longer exists on this host.
      await store.run(
        sql`INSERT INTO server_leases (id, host, pid, pid_start, started_at, heartbeat_at)
            SELECT 'gone', host, 2147483646, NULL, 0, 0 FROM server_leases WHERE id = ${liveId}`,
      );
      await store.run(sql`UPDATE sessions SET status = 'running', owner_lease = 'gone' WHERE id = ${orphan}`);

      const [a, b] = await Promise.all([recoverOrphanedRuns(store, "self-1"), recoverOrphanedRuns(two, "self-2")]);
      expect([...a, ...b].map((r) => r.id)).toEqual([orphan]);
      const rows = await store.all<{ id: number | string; status: string }>(sql`SELECT id, status FROM sessions ORDER BY id`);
      expect(rows.map((r) => [Number(r.id), r.status])).toEqual([
        [mine, "running"],
        [orphan, "interrupted"],
      ]);
      expect(await store.all(sql`SELECT id FROM server_leases WHERE id = 'gone'`)).toEqual([]);
    } finally {
      await live.release();
    }
  });

  it("two runners on one database, racing for the queue, run every session exactly once (real Claude Code, fake API)", async () => {
    const store = await open();
    const fake = await FakeAnthropic.start();
    const root = tempDir();
    const built = [store, await again(store)].map((sqlStore, i) => {
      const base = harnessDeps(harnessSpec(path.join(root, `instance-${i}`), fake.url), repoRoot);
      const config = { ...base.config, config: { ...base.config.config, claude: { ...base.config.config.claude, maxConcurrent: 1 } } };
      const deps = { ...base, config, sqlStore, bus: new EventBus(null, sqlStore) };
      return { deps, runner: new SessionRunner(deps, { accountCheckMs: 0 }) };
    });
    try {
      const cwd = path.join(root, "instance-0", "project");
      const ids: number[] = [];
      for (let i = 0; i < 4; i++) ids.push(await queue(store, 3, { permissionMode: "bypassPermissions" }, cwd));

      await Promise.all(built.map((b) => b.runner.schedule()));
      const ends = await Promise.all(ids.map((id) => built[0]!.runner.waitForEnd(id, 120_000)));

      expect(ends.map((s) => [s.status, s.runs.length])).toEqual(ids.map(() => ["completed", 1]));
      for (const id of ids) {
        const events = await built[1]!.runner.events({ id });
        expect(events.filter((e) => e.type === "workdeck/run_started")).toHaveLength(1);
        expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      }
      expect(fake.mainRequests).toHaveLength(4);
      // Each runner had room for one when both looked at the queue: both ran sessions.
      const owners = await store.all<{ id: number | string; owner_lease: string }>(sql`SELECT id, owner_lease FROM sessions ORDER BY id`);
      expect(new Set(owners.map((o) => o.owner_lease)).size).toBe(2);
      // And each kept to its maxConcurrent of 1: one runner's sessions ran one after another.
      for (const lease of new Set(owners.map((o) => o.owner_lease))) {
        const runs = ends
          .filter((_, i) => owners[i]!.owner_lease === lease)
          .map((s) => s.runs[0]!)
          .sort((x, y) => x.startedAt - y.startedAt);
        for (let i = 1; i < runs.length; i++) expect(runs[i]!.startedAt).toBeGreaterThanOrEqual(runs[i - 1]!.endedAt!);
      }
    } finally {
      for (const b of built) {
        await b.runner.close();
        b.deps.db!.$client.close();
      }
      await fake.close();
    }
  }, 180_000);
});
