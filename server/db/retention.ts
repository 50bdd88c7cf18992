/**
 * History retention (issue 10 item 8): the `hooks` and `events` tables grow with every tool call
 * of every agent. The server deletes rows older than `retention.days` (default 30) soon after it
 * starts and then every hour, in small batches with the event loop free between them, so hook
 * ingest and page loads never wait long on the sweep. Settings shows what the file weighs.
 */
import fs from "node:fs";
import { setImmediate as nextTurn } from "node:timers/promises";
import type { Db } from "./client";
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

export type RetentionDeps = {
  db: Db;
  config: { config: Pick<WorkdeckConfig, "retention"> };
  now?: () => number;
};

export type Pruned = Record<Table, number>;

export function retentionDays(deps: Pick<RetentionDeps, "config">): number {
  return deps.config.config.retention?.days ?? DEFAULT_RETENTION_DAYS;
}

/**
 * Deletes up to `batch` rows past the cut-off from one table; returns how many. The age index
 * (migration 0009) finds them without reading the table, and a small batch keeps each write lock short.
 */
function pruneBatch(db: Db, { table, at }: (typeof TABLES)[number], cutoff: number, batch: number): number {
  return db.$client
    .prepare(`DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE ${at} < ? ORDER BY ${at} LIMIT ?)`)
    .run(cutoff, batch).changes;
}

/**
 * One sweep, batch by batch, yielding to the event loop between batches (a first sweep over a
 * year of history must not stall the server). Returns the rows deleted per table.
 */
export async function pruneHistory(deps: RetentionDeps, opts: { batch?: number; signal?: AbortSignal } = {}): Promise<Pruned> {
  const cutoff = (deps.now?.() ?? Date.now()) - retentionDays(deps) * DAY_MS;
  const batch = opts.batch ?? BATCH;
  const pruned: Pruned = { hooks: 0, events: 0 };
  for (const t of TABLES) {
    for (let n = pruneBatch(deps.db, t, cutoff, batch); n > 0; n = n < batch ? 0 : pruneBatch(deps.db, t, cutoff, batch)) {
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

export type DatabaseStats = {
  /** The main file, the write-ahead log beside it, and their sum; null for an in-memory database. */
  fileBytes: number | null;
  walBytes: number | null;
  totalBytes: number | null;
  /** Space inside the file freed by deletes, reused by new rows before the file grows again. */
  freeBytes: number;
  retentionDays: number;
  /** When the oldest kept hook event and bus event happened (epoch ms), null when none. */
  oldestHookAt: number | null;
  oldestEventAt: number | null;
};

/** Sizes from the file system and two first-row lookups: cheap enough for every Settings load. */
export function databaseStats(deps: Pick<RetentionDeps, "db" | "config">): DatabaseStats {
  const sqlite = deps.db.$client;
  const size = (file: string) => {
    try {
      return fs.statSync(file).size;
    } catch {
      return 0; // no WAL yet (or checkpointed away)
    }
  };
  const fileBytes = sqlite.memory ? null : size(sqlite.name);
  const walBytes = sqlite.memory ? null : size(`${sqlite.name}-wal`);
  const pageSize = sqlite.pragma("page_size", { simple: true }) as number;
  const freePages = sqlite.pragma("freelist_count", { simple: true }) as number;
  const oldest = (table: Table, at: string) =>
    (sqlite.prepare(`SELECT ${at} AS at FROM ${table} ORDER BY id LIMIT 1`).get() as { at: number } | undefined)?.at ?? null;
  return {
    fileBytes,
    walBytes,
    totalBytes: fileBytes === null || walBytes === null ? null : fileBytes + walBytes,
    freeBytes: pageSize * freePages,
    retentionDays: retentionDays(deps),
    oldestHookAt: oldest("hooks", "received_at"),
    oldestEventAt: oldest("events", "created_at"),
  };
}
