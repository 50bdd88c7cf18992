/**
 * Scale-out on a PostgreSQL store (issue 14), measured where it runs today: at the bus, since
 * `workdeck serve` does not serve from PostgreSQL yet. Two "instances" (each its own pool, bus
 * and LISTEN connection) on one real PostgreSQL: the latency from an event's commit on A to its
 * arrival on B's stream, through the events table's NOTIFY trigger. Then the event store's write
 * rate through the SQL port on PostgreSQL and on a SQLite file, side by side.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { migrateDatabase, openDatabase } from "@/server/db/client";
import { PostgresStore, SqliteStore } from "@/server/db/sql-store";
import { EventBus } from "@/server/events/bus";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import { changedEvent } from "../tests/support/bus-events";
import { startPostgres } from "../tests/support/postgres";
import { percentile, type BenchRow } from "./stats";
import { migratePostgres, pgBusInstance } from "../tests/support/pg-bus";

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
    lite.$client.close();
    return [
      { name: "cross-instance event p50 (PostgreSQL LISTEN/NOTIFY, bus level)", value: percentile(latencies, 50), unit: "ms" },
      { name: "cross-instance event p95 (PostgreSQL LISTEN/NOTIFY, bus level)", value: percentile(latencies, 95), unit: "ms", target: 200 },
      { name: `event writes through the SQL port, PostgreSQL (${WRITES} one at a time)`, value: pgWrites, unit: "/s" },
      { name: `event writes through the SQL port, SQLite file (${WRITES} one at a time)`, value: liteWrites, unit: "/s" },
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

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printRows } = await import("./stats");
  printRows(await benchScaleoutPostgres());
  process.exit(0);
}
