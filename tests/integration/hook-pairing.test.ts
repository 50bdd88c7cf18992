/**
 * Issue 12: a PostToolUse pairs with its PreToolUse from the committer's memory, with no index on
 * tool_use_id; a miss (evicted, a restart, another instance) reads the session's last
 * RECENT_LIMIT hooks. Same tests on SQLite and PostgreSQL.
 */
import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { HookCommitter, type AgentsDeps } from "@/server/agents/hook-ingest";
import { PreMemory, RECENT_LIMIT } from "@/server/agents/pre-memory";
import type { SqlStore } from "@/server/db/sql-store";
import { EventBus } from "@/server/events/bus";
import { describeEachDialect } from "../support/dialects";
import { hookSession } from "../support/hook-payloads";

const CWD = "/work/billing-api";

function committerOn(store: SqlStore, clock: { now: number }): HookCommitter {
  const deps: AgentsDeps = {
    sqlStore: store,
    bus: new EventBus(null, store),
    projects: { all: () => [] },
    config: { config: { agents: { idleMinutes: 5 } } },
    now: () => clock.now,
  };
  return new HookCommitter(deps);
}

const send = (c: HookCommitter, payload: unknown) => c.submit({ body: JSON.stringify(payload) });

describeEachDialect("hook pairing without a tool_use_id index", ({ open, again }) => {
  it("a Post pairs from memory, after its Pre was evicted, and after a restart (a new committer)", async () => {
    const store = await open();
    const clock = { now: Date.UTC(2026, 11, 4, 9, 0, 0) };
    const first = committerOn(store, clock);
    const a = hookSession("agent-a", CWD);
    await send(first, a.pre("t1", "Bash", { command: "npm test" }));
    await send(first, a.pre("t2", "Read", {}));
    // Evict t2 from the committer's memory (as 10,000 newer open Pres would).
    const pres = (first as unknown as { pres: PreMemory }).pres;
    pres.forget("agent-a", "t2");
    expect(pres.get("agent-a", "t2")).toBeUndefined();
    clock.now += 700;
    expect((await send(first, a.post("t1", "Bash", { command: "npm test" }, "ok", 5))).durationMs).toBe(700);
    expect((await send(first, a.post("t2", "Read", {}, "ok", 5))).durationMs).toBe(700);

    await send(first, a.pre("t3", "Bash", { command: "ls" }));
    clock.now += 300;
    const restarted = committerOn(store, clock);
    const r = await send(restarted, a.failure("t3", "Bash", { command: "ls" }, "Exit code 2", 5));
    expect(r.durationMs).toBe(300);
  });

  it("a Post whose Pre is more than RECENT_LIMIT hooks back, after a restart, is stored without a duration", async () => {
    const store = await open();
    const clock = { now: Date.UTC(2026, 11, 4, 9, 0, 0) };
    const a = hookSession("long", CWD);
    const before = committerOn(store, clock);
    await send(before, a.pre("old", "Bash", { command: "sleep 1" }));
    // 600 hooks of the same session after it, in a few batches.
    for (let i = 0; i < 600; i += 100) await Promise.all(Array.from({ length: 100 }, (_, j) => send(before, a.notification(`n${i + j}`))));
    expect(600).toBeGreaterThan(RECENT_LIMIT);
    clock.now += 1_000;
    const after = committerOn(store, clock);
    // No pair found: the CLI's own duration_ms stands in (null when it sends none), as when the Pre never arrived.
    const withCli = await send(after, a.post("old", "Bash", { command: "sleep 1" }, "ok", 42));
    expect(withCli.durationMs).toBe(42);
    const { duration_ms: _omit, ...noDuration } = a.post("old", "Bash", { command: "sleep 1" }, "ok");
    const bare = await send(after, noDuration);
    expect(bare.durationMs).toBeNull();
    const stored = await store.all<{ id: number; duration_ms: number | null }>(
      sql`SELECT id, duration_ms FROM hooks WHERE session_id = 'long' AND event = 'PostToolUse' ORDER BY id`,
    );
    expect(stored.map((h) => [Number(h.id), h.duration_ms === null ? null : Number(h.duration_ms)])).toEqual([
      [withCli.id, 42],
      [bare.id, null],
    ]);
  });

  it("a Post arriving at a second committer on the same database pairs with the Pre the first stored", async () => {
    const store = await open();
    const other = await again(store);
    const clock = { now: Date.UTC(2026, 11, 4, 9, 0, 0) };
    const one = committerOn(store, clock);
    const two = committerOn(other, clock);
    const a = hookSession("agent-x", CWD);
    await send(one, a.pre("x1", "Bash", { command: "make" }));
    clock.now += 250;
    expect((await send(two, a.post("x1", "Bash", { command: "make" }, "ok", 9))).durationMs).toBe(250);
    // A Pre and its Post in one batch pair too (the batch's own Pres are looked at first).
    const [pre, post] = await Promise.all([send(two, a.pre("x2", "Read", {})), send(two, a.post("x2", "Read", {}, "ok", 9))]);
    expect(pre.event).toBe("PreToolUse");
    expect(post.durationMs).toBe(0);
  });
});

it("PreMemory keeps at most its limit, oldest dropped first, and forgets an ended session's Pres", () => {
  const m = new PreMemory(3);
  m.remember("s", "a", 1);
  m.remember("s", "b", 2);
  m.remember("t", "c", 3);
  m.remember("t", "d", 4);
  expect(m.size).toBe(3);
  expect(m.get("s", "a")).toBeUndefined();
  expect(m.get("s", "b")).toBe(2);
  m.endSession("t");
  expect([m.size, m.get("t", "c"), m.get("s", "b")]).toEqual([1, undefined, 2]);
  // Keys cannot collide across the session/tool id boundary.
  m.remember("ab", "c", 5);
  expect(m.get("a", "bc")).toBeUndefined();
});
