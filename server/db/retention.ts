/**
 * History retention (issue 10 item 8): the `hooks` and `events` tables grow with every tool call
 * of every agent. The server deletes rows older than `retention.days` (default 30) soon after it
 * starts and then every hour, in small batches with the event loop free between them, so hook
 * ingest and page loads never wait long on the sweep. Settings shows what the file weighs.
 */
import { setImmediate as nextTurn } from "node:timers/promises";
import { sql } from "drizzle-orm";
import type { Db } from "./client";
import { SqliteStore, type SqlStore, type StorageSize } from "./sql-store";
import type { Logger } from "../logger";
import type { WorkdeckConfig } from "@/lib/schemas/config";

export const DEFAULT_RETENTION_DAYS = 30;
const DAY_MS = 24 * 3600_000;
/** Rows per DELETE: a few milliseconds of write lock each. */
const BATCH = 2000;

/** The tables swept, each with the column holding when its row happened. */
const TABLES = [
  { table: "hooks", at: "received_at" },
  { table: "events", at: "created_at" },
] as const;
type Table = (typeof TABLES)[number]["table"];

/** The SQL port (issue 14: the same sweep on SQLite and PostgreSQL), else the SQLite connection's. */
export type RetentionDeps = {
  sqlStore?: SqlStore;
  db?: Db;
  config: { config: Pick<WorkdeckConfig, "retention"> };
  now?: () => number;
};

export type Pruned = Record<Table, number>;

function retentionStore(deps: Pick<RetentionDeps, "sqlStore" | "db">): SqlStore {
  if (deps.sqlStore) return deps.sqlStore;
  if (!deps.db) throw new Error("retention: no database (sqlStore or db)");
  return SqliteStore.on(deps.db.$client);
}

export function retentionDays(deps: Pick<RetentionDeps, "config">): number {
  return deps.config.config.retention?.days ?? DEFAULT_RETENTION_DAYS;
}

/**
 * Deletes up to `batch` rows past the cut-off from one table; returns how many. The age index
 * (migration 0009) finds them without reading the table, and a small batch keeps each write lock short.
 */
async function pruneBatch(store: SqlStore, { table, at }: (typeof TABLES)[number], cutoff: number, batch: number): Promise<number> {
  const [t, column] = [sql.identifier(table), sql.identifier(at)];
  return (
    await store.run(sql`DELETE FROM ${t} WHERE id IN (SELECT id FROM ${t} WHERE ${column} < ${cutoff} ORDER BY ${column} LIMIT ${batch})`)
  ).changes;
}

/**
 * One sweep, batch by batch, yielding to the event loop between batches (a first sweep over a
 * year of history must not stall the server). Returns the rows deleted per table.
 */
export async function pruneHistory(deps: RetentionDeps, opts: { batch?: number; signal?: AbortSignal } = {}): Promise<Pruned> {
  const cutoff = (deps.now?.() ?? Date.now()) - retentionDays(deps) * DAY_MS;
  const batch = opts.batch ?? BATCH;
  const store = retentionStore(deps);
  const pruned: Pruned = { hooks: 0, events: 0 };
  for (const t of TABLES) {
    for (let n = await pruneBatch(store, t, cutoff, batch); n > 0; n = n < batch ? 0 : await pruneBatch(store, t, cutoff, batch)) {
      pruned[t.table] += n;
      await nextTurn();
      // The server is closing (and the database with it): the next sweep finishes the job.
      if (opts.signal?.aborted) return pruned;
    }
  }
  return pruned;
}

/**
 * Sweeps shortly after start and then every `everyMs` (default hourly) while the server runs.
 * Sweeps never overlap; a failed one is logged and the next runs as planned.
 */
export function startRetention(
  deps: RetentionDeps & { log: Logger },
  opts: { firstAfterMs?: number; everyMs?: number } = {},
): { close(): void } {
  let running = false;
  const closing = new AbortController();
  const sweep = async () => {
    if (running || closing.signal.aborted) return;
    running = true;
    try {
      const pruned = await pruneHistory(deps, { signal: closing.signal });
      if (pruned.hooks || pruned.events)
        deps.log.info({ ...pruned, days: retentionDays(deps) }, "pruned hook events and bus events past their retention");
    } catch (err) {
      deps.log.error({ err }, "history retention sweep failed");
    } finally {
      running = false;
    }
  };
  const timers = [setTimeout(() => void sweep(), opts.firstAfterMs ?? 10_000), setInterval(() => void sweep(), opts.everyMs ?? 3600_000)];
  for (const t of timers) t.unref();
  return {
    close() {
      closing.abort();
      for (const t of timers) clearTimeout(t);
    },
  };
}

export type DatabaseStats = StorageSize & {
  /** The file and the write-ahead log together (PostgreSQL: the database); null for an in-memory database. */
  totalBytes: number | null;
  retentionDays: number;
  /** When the oldest kept hook event and bus event happened (epoch ms), null when none. */
  oldestHookAt: number | null;
  oldestEventAt: number | null;
};

/** Sizes from the store (the file system, or pg_database_size) and two first-row lookups: cheap enough for every Settings load. */
export async function databaseStats(deps: Pick<RetentionDeps, "sqlStore" | "db" | "config">): Promise<DatabaseStats> {
  const store = retentionStore(deps);
  const size = await store.size();
  const oldest = async ({ table, at }: (typeof TABLES)[number]) => {
    const row = await store.get<{ at: number }>(sql`SELECT ${sql.identifier(at)} AS at FROM ${sql.identifier(table)} ORDER BY id LIMIT 1`);
    return row ? Number(row.at) : null;
  };
  return {
    ...size,
    totalBytes: size.fileBytes === null || size.walBytes === null ? null : size.fileBytes + size.walBytes,
    retentionDays: retentionDays(deps),
    oldestHookAt: await oldest(TABLES[0]),
    oldestEventAt: await oldest(TABLES[1]),
  };
}
