/**
 * Issue 14: `workdeck worker` heartbeats on SQLite and on a real PostgreSQL. A heartbeat names
 * only account ids and readiness; an unknown account or a hostile name is refused and stores
 * nothing; health follows the last heartbeat; a silent worker is lost once, even when two
 * instances sweep at the same moment, and is back with its next heartbeat.
 */
import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import type { LoadedConfig } from "@/server/config";
import type { SqlStore } from "@/server/db/sql-store";
import { heartbeat, HEARTBEAT_MS, listWorkers, LOST_AFTER_MS, markSilentWorkersLost } from "@/server/workers/service";
import { describeEachDialect } from "../support/dialects";

const config = {
  config: {
    claude: {
      accounts: [
        { id: "max-1", configDir: "/c1" },
        { id: "max-2", configDir: "/c2" },
      ],
    },
  },
  file: undefined,
  baseDir: "/",
} as LoadedConfig;

const T0 = Date.parse("2026-12-04T10:00:00Z");

const beat = (store: SqlStore, name: string, at: number, extra: Partial<Parameters<typeof heartbeat>[1]> = {}) =>
  heartbeat(
    { sqlStore: store, config },
    { name, accounts: [{ id: "max-1", ready: true, reason: null }], capacity: 2, running: [], version: "0.1.0", host: "box-a", ...extra },
    at,
  );

const count = async (store: SqlStore) => (await store.get<{ n: number }>(sql`SELECT count(*) AS n FROM workers`))!.n;

describeEachDialect("workers on the SQL port", ({ open, again }) => {
  it("a heartbeat creates the worker, the next refreshes it, and the list says what it holds", async () => {
    const store = await open();
    expect(await beat(store, "gpu-box", T0)).toEqual({ heartbeatMs: HEARTBEAT_MS, lostAfterMs: LOST_AFTER_MS });
    await beat(store, "gpu-box", T0 + 5_000, {
      accounts: [
        { id: "max-1", ready: true, reason: null },
        { id: "max-2", ready: false, reason: "needs_login" },
      ],
      running: [12, 13],
      capacity: 3,
    });
    const [w] = await listWorkers({ sqlStore: store }, T0 + 6_000);
    expect(w).toMatchObject({
      name: "gpu-box",
      host: "box-a",
      capacity: 3,
      running: [12, 13],
      health: "healthy",
      accounts: [
        { id: "max-1", ready: true, reason: null },
        { id: "max-2", ready: false, reason: "needs_login" },
      ],
      lostAt: null,
    });
    expect(w!.firstSeenAt.getTime()).toBe(T0);
    expect(w!.lastSeenAt.getTime()).toBe(T0 + 5_000);
    expect(await count(store)).toBe(1);
  });

  it("refuses an unknown account, a hostile name or a credential-shaped field, and stores nothing", async () => {
    const store = await open();
    await expect(beat(store, "w1", T0, { accounts: [{ id: "max-9", ready: true, reason: null }] })).rejects.toThrow(
      /Unknown account "max-9": the server's claude.accounts lists "max-1", "max-2"/,
    );
    await expect(beat(store, "../etc/passwd", T0)).rejects.toThrow(/worker name/);
    await expect(
      beat(store, "w1", T0, { accounts: [{ id: "max-1", ready: true, reason: null, token: "sk-ant-oat01-secret" } as never] }),
    ).rejects.toThrow(/Bad heartbeat/);
    await expect(beat(store, "w1", T0, { capacity: 0 })).rejects.toThrow(/capacity/);
    expect(await count(store)).toBe(0);
  });

  it("health follows the last heartbeat: healthy, late after three missed, lost after a minute", async () => {
    const store = await open();
    await beat(store, "w1", T0);
    const health = async (at: number) => (await listWorkers({ sqlStore: store }, at))[0]!.health;
    expect(await health(T0 + HEARTBEAT_MS)).toBe("healthy");
    expect(await health(T0 + 4 * HEARTBEAT_MS)).toBe("late");
    expect(await health(T0 + LOST_AFTER_MS + 1)).toBe("lost");
  });

  it("a silent worker is marked lost once though two instances sweep together, and its next heartbeat brings it back", async () => {
    const a = await open();
    const b = await again(a);
    await beat(a, "quiet", T0, { running: [7] });
    await beat(a, "chatty", T0 + LOST_AFTER_MS);
    const at = T0 + LOST_AFTER_MS + 1_000;
    const [fromA, fromB] = await Promise.all([markSilentWorkersLost({ sqlStore: a }, at), markSilentWorkersLost({ sqlStore: b }, at)]);
    const lost = [...fromA, ...fromB];
    expect(lost.map((w) => [w.name, w.running, w.health])).toEqual([["quiet", [7], "lost"]]);
    expect(await markSilentWorkersLost({ sqlStore: a }, at + 5_000)).toEqual([]);

    await beat(b, "quiet", at + 10_000);
    const quiet = (await listWorkers({ sqlStore: a }, at + 10_000)).find((w) => w.name === "quiet")!;
    expect(quiet).toMatchObject({ health: "healthy", lostAt: null, running: [] });
  });
});
