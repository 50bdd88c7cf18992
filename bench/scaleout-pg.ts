/**
 * Scale-out on a PostgreSQL store (issue 14), measured in process. Two "instances" (each its own
 * pool, bus and LISTEN connection) on one real PostgreSQL: the latency from an event's commit on A to its
 * arrival on B's stream, through the events table's NOTIFY trigger. Then the event store's write
 * rate through the SQL port on PostgreSQL and on a SQLite file, side by side, and hook ingest
 * (the HookCommitter, the server's path for POST /api/hooks) on both.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { migrateDatabase, openDatabase } from "@/server/db/client";
import { HookCommitter } from "@/server/agents/hook-ingest";
import { PostgresStore, SqliteStore, type SqlStore } from "@/server/db/sql-store";
import { EventBus } from "@/server/events/bus";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import { changedEvent } from "../tests/support/bus-events";
import { startPostgres } from "../tests/support/postgres";
import { percentile, type BenchRow } from "./stats";
import { migratePostgres, pgBusInstance } from "../tests/support/pg-bus";
import { agentTraffic } from "./hooks-http";

const RUNS = 60;
const WRITES = 2000;
const repoRoot = path.resolve(import.meta.dirname, "..");
const changed = (id: string) => changedEvent(id);

export async function benchScaleoutPostgres(): Promise<BenchRow[]> {
  const server = await startPostgres();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workdeck-bench-pg-"));
  const closers: (() => Promise<void>)[] = [];
  try {
    await migratePostgres(server.url);

    const instance = async () => {
      const inst = await pgBusInstance(server.url);
      closers.push(() => inst.close());
      return inst.bus;
    };
    const a = await instance();
    const b = await instance();
    const controller = new AbortController();
    const stream = b.stream({ signal: controller.signal });
    const latencies: number[] = [];
    for (let i = 0; i <= RUNS; i++) {
      const next = stream.next();
      const sent = await a.publishAsync(changed(`e${i}`));
      const got = (await next).value as WorkdeckEvent;
      if (got.id !== sent.id) throw new Error("B saw another event than A sent");
      // One warm-up event first, not counted.
      if (i > 0) latencies.push(Date.now() - sent.at);
    }
    controller.abort();

    const pgWrites = await writeRate(new EventBus(null, new PostgresStore(new pg.Pool({ connectionString: server.url, max: 1 }))));
    const file = path.join(dir, "w.db");
    const lite = openDatabase(file);
    migrateDatabase(lite, path.join(repoRoot, "drizzle"));
    const liteWrites = await writeRate(new EventBus(lite, SqliteStore.on(lite.$client)));

    // Hook ingest on each, alternating rounds (the machine's load varies).
    const pgPool = new pg.Pool({ connectionString: server.url, max: 2 });
    closers.push(() => pgPool.end());
    const pgStore = new PostgresStore(pgPool);
    const hooks = { postgres: emptyIngest(), sqlite: emptyIngest() };
    for (let round = 0; round < HOOK_ROUNDS; round++) {
      await hookIngest(hooks.postgres, pgStore, new EventBus(null, pgStore), dir, `pg${round}`);
      await hookIngest(hooks.sqlite, SqliteStore.on(lite.$client), new EventBus(lite, SqliteStore.on(lite.$client)), dir, `lite${round}`);
    }
    lite.$client.close();
    const rate = (i: HookIngest) => i.events / i.seconds;
    return [
      { name: "cross-instance event p50 (PostgreSQL LISTEN/NOTIFY, bus level)", value: percentile(latencies, 50), unit: "ms" },
      { name: "cross-instance event p95 (PostgreSQL LISTEN/NOTIFY, bus level)", value: percentile(latencies, 95), unit: "ms", target: 200 },
      { name: `event writes through the SQL port, PostgreSQL (${WRITES} one at a time)`, value: pgWrites, unit: "/s" },
      { name: `event writes through the SQL port, SQLite file (${WRITES} one at a time)`, value: liteWrites, unit: "/s" },
      ...(["postgres", "sqlite"] as const).flatMap((d): BenchRow[] => {
        const label = d === "postgres" ? "PostgreSQL" : "SQLite file";
        return [
          {
            name: `hook ingest through the HookCommitter, ${label} (${HOOK_AGENTS} agents, ${HOOK_ROUNDS}×${HOOK_EVENTS} events)`,
            value: rate(hooks[d]),
            unit: "/s",
          },
          { name: `hook ingest, ${label}, p50 submit to commit`, value: percentile(hooks[d].latencies, 50), unit: "ms" },
          { name: `hook ingest, ${label}, p99 submit to commit`, value: percentile(hooks[d].latencies, 99), unit: "ms" },
        ];
      }),
      {
        name: "hook ingest, PostgreSQL / SQLite (events/s)",
        value: (100 * rate(hooks.postgres)) / rate(hooks.sqlite),
        unit: "%",
        higherIsBetter: true,
      },
    ];
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {});
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function writeRate(bus: EventBus): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < WRITES; i++) await bus.publishAsync(changed(`w${i}`));
  return Math.round(WRITES / ((performance.now() - start) / 1000));
}

const HOOK_AGENTS = 16;
const HOOK_EVENTS = 4000;
const HOOK_ROUNDS = 2;

type HookIngest = { events: number; seconds: number; latencies: number[] };
const emptyIngest = (): HookIngest => ({ events: 0, seconds: 0, latencies: [] });

/**
 * HOOK_EVENTS realistic PreToolUse/PostToolUse payloads (bench/hooks-http.ts's Bash and Read
 * calls) from HOOK_AGENTS agents, each submitting its next event once the previous one committed,
 * as Claude Code's hooks do through the server's endpoint; a warm-up first, not counted.
 */
async function hookIngest(into: HookIngest, sqlStore: SqlStore, bus: EventBus, cwd: string, prefix: string): Promise<void> {
  const project = { slug: "bench", name: "bench", path: cwd, openspecRoot: cwd, source: "config" as const, problem: null };
  const committer = new HookCommitter({ sqlStore, bus, projects: { all: () => [project] }, config: { config: {} } });
  const drive = async (tag: string, events: number, latencies?: number[]) => {
    let left = events;
    await Promise.all(
      Array.from({ length: HOOK_AGENTS }, async (_, a) => {
        const next = agentTraffic(`${tag}-${a}`, cwd);
        while (left > 0) {
          left--;
          const t0 = performance.now();
          await committer.submit({ body: next() });
          latencies?.push(performance.now() - t0);
        }
      }),
    );
  };
  await drive(`${prefix}-warm`, 400);
  const started = performance.now();
  await drive(prefix, HOOK_EVENTS, into.latencies);
  into.seconds += (performance.now() - started) / 1000;
  into.events += HOOK_EVENTS;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printRows } = await import("./stats");
  printRows(await benchScaleoutPostgres());
  process.exit(0);
}
