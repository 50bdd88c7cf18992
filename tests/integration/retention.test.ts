/**
 * History retention (issue 10 item 8): `retention.days` in the config (validated, default 30),
 * the sweep that prunes `hooks` and `events` (batch by batch, while the server runs, on a
 * schedule), and the database size Settings shows. Real SQLite files in temp folders; the
 * sweep's clock is injected, so nothing here waits on wall time.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "@/server/config";
import { createLogger } from "@/server/logger";
import { startRuntime, stopRuntime, type Runtime } from "@/server/runtime-boot";
import { ingestHook } from "@/server/agents/service";
import { pruneHistory, startRetention } from "@/server/db/retention";
import { createContext } from "@/server/trpc/init";
import { createCaller } from "@/server/trpc/root";
import { hookSession } from "../support/hook-payloads";
import { configEnv } from "../support/runtime-env";
import { tempDir } from "../support/temp";

const DAY = 24 * 3600_000;

async function start(config: Record<string, unknown> = {}): Promise<{ runtime: Runtime; project: string; dbPath: string }> {
  const dir = tempDir();
  const project = path.join(dir, "billing-api");
  fs.mkdirSync(path.join(project, "openspec"), { recursive: true });
  const { env, dbPath } = configEnv(dir, { projects: [{ slug: "billing-api", path: project }], ...config });
  return { runtime: await startRuntime(env, { watch: false }), project, dbPath };
}

/** `count` hook events fired at `at` (as the spool delivers late ones) and `count` bus events stored at `at`. */
async function history(runtime: Runtime, project: string, at: number, count: number, tag: string) {
  const s = hookSession(`agent-${tag}`, project);
  const insertEvent = runtime.db!.$client.prepare(
    "INSERT INTO events (type, project_slug, payload, created_at) VALUES ('projects.changed', NULL, ?, ?)",
  );
  for (let i = 0; i < count; i++) {
    await ingestHook({ ...runtime, now: () => at + DAY }, { body: JSON.stringify(s.prompt(`${tag} ${i}`)), firedAt: at });
    insertEvent.run(JSON.stringify({ type: "projects.changed", projectSlug: null, slugs: [tag] }), at);
  }
}

const rows = (runtime: Runtime, sql: string) => runtime.db!.$client.prepare(sql).all() as Record<string, unknown>[];
const count = (runtime: Runtime, table: string) => (rows(runtime, `SELECT count(*) AS n FROM ${table}`)[0] as { n: number }).n;

afterEach(() => stopRuntime());

describe("retention.days in the config", () => {
  it("defaults to 30 and refuses anything but a whole, positive number of days, by name", () => {
    expect(parseConfig({ retention: { days: 7 } }).retention).toEqual({ days: 7 });
    for (const [raw, message] of [
      [{ retention: { days: 0 } }, /retention\.days: /],
      [{ retention: { days: 1.5 } }, /retention\.days: retention\.days is a whole number of days/],
      [{ retention: { days: "30" } }, /retention\.days: /],
      [{ retention: { dayz: 30 } }, /retention\.dayz: unknown field/],
    ] as const) {
      expect(() => parseConfig(raw)).toThrow(ConfigError);
      expect(() => parseConfig(raw)).toThrow(message);
    }
  });
});

describe("pruning hooks and events", () => {
  it("deletes what is older than retention.days, batch by batch, and keeps the rest", async () => {
    const { runtime, project } = await start({ retention: { days: 7 } });
    const now = Date.now();
    await history(runtime, project, now - 40 * DAY, 2500, "old");
    await history(runtime, project, now - 8 * DAY, 500, "week-old");
    await history(runtime, project, now - 6 * DAY, 300, "recent");
    const oldEvents = (rows(runtime, `SELECT count(*) AS n FROM events WHERE created_at < ${now - 7 * DAY}`)[0] as { n: number }).n;
    expect(oldEvents).toBe(3000);

    const pruned = await pruneHistory({ ...runtime, now: () => now }, { batch: 700 });
    expect(pruned).toEqual({ hooks: 3000, events: 3000 });
    expect(rows(runtime, "SELECT DISTINCT session_id FROM hooks")).toEqual([{ session_id: "agent-recent" }]);
    expect(count(runtime, "hooks")).toBe(300);
    expect(rows(runtime, `SELECT count(*) AS n FROM events WHERE created_at < ${now - 7 * DAY}`)).toEqual([{ n: 0 }]);
    // What ingest published while the history was written happened "now" (the wall clock), so it stays.
    expect(count(runtime, "events")).toBeGreaterThanOrEqual(300);

    // A second sweep finds nothing more.
    expect(await pruneHistory({ ...runtime, now: () => now })).toEqual({ hooks: 0, events: 0 });
  });

  it("the server sweeps on a schedule, not only at start: rows that age after the first sweep go in a later one", async () => {
    const { runtime, project } = await start({ retention: { days: 1 } });
    const clock = { now: Date.now() };
    const sweeps: unknown[] = [];
    const log = createLogger("silent");
    const logged = Object.assign(Object.create(log), { info: (obj: unknown) => sweeps.push(obj) });
    await history(runtime, project, clock.now - 3 * DAY, 50, "old");
    const schedule = startRetention({ ...runtime, log: logged, now: () => clock.now }, { firstAfterMs: 0, everyMs: 20 });
    try {
      await until(() => count(runtime, "hooks") === 0 && sweeps.length === 1);
      // Time passes: what was recent at the first sweep is now past the retention, and goes too.
      await history(runtime, project, clock.now - 1000, 30, "then-recent");
      await new Promise((r) => setTimeout(r, 60));
      expect(count(runtime, "hooks")).toBe(30);
      clock.now += 2 * DAY;
      // The sweep logs after its last batch commits: wait for the log line, not only the rows.
      await until(() => count(runtime, "hooks") === 0 && sweeps.length === 2);
    } finally {
      schedule.close();
    }
    expect(sweeps).toEqual([expect.objectContaining({ hooks: 50, days: 1 }), expect.objectContaining({ hooks: 30, days: 1 })]);
  });
});

describe("Settings shows the database size", () => {
  it("file + WAL, from the file system, with the retention in force", async () => {
    const { runtime, project, dbPath } = await start({ retention: { days: 12 } });
    await history(runtime, project, Date.now() - DAY, 200, "some");
    const { database, effective } = await createCaller(createContext(runtime)).settings.get();
    const file = fs.statSync(dbPath).size;
    const wal = fs.existsSync(`${dbPath}-wal`) ? fs.statSync(`${dbPath}-wal`).size : 0;
    expect(database).toMatchObject({ fileBytes: file, walBytes: wal, totalBytes: file + wal, retentionDays: 12 });
    expect(database.totalBytes).toBeGreaterThan(0);
    expect(database.oldestHookAt).toBe((rows(runtime, "SELECT min(received_at) AS at FROM hooks")[0] as { at: number }).at);
    expect(effective).toMatchObject({ retention: { days: 12 } });
  });

  it("says 30 days when the config says nothing", async () => {
    const { runtime } = await start();
    const { database, effective } = await createCaller(createContext(runtime)).settings.get();
    expect(database.retentionDays).toBe(30);
    expect(effective).toMatchObject({ retention: { days: 30 } });
  });
});

/** Polls a condition the sweep makes true (no assertion on how long it takes). */
async function until(ok: () => boolean): Promise<void> {
  while (!ok()) await new Promise((r) => setTimeout(r, 10));
}
