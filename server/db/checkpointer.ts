import path from "node:path";
import { Worker } from "node:worker_threads";
import type { Db } from "./client";

/**
 * WAL checkpoints off the hot path (issue 12). With SQLite's default, the commit that pushes the
 * WAL past 1,000 pages copies it into the database file and syncs it, inside that commit: a hook
 * batch on the event loop, after a big report ingest a copy of tens of megabytes. The server's
 * connection sets wal_autocheckpoint = 0 and a worker thread with its own connection checkpoints
 * instead (checkpointer-worker.mjs, plain JavaScript: it needs nothing but better-sqlite3).
 *
 * PASSIVE checkpoints never wait for or block anyone, and once one has copied the whole WAL the
 * next writer starts it over from the beginning. But a write that lands while one is copying
 * (under steady hook traffic, most of them) leaves the WAL to grow on: past `restartAbovePages` (64 MB of 4 KB pages, the size the WAL is cut back to),
 * right after a PASSIVE one has copied nearly everything, the thread runs a RESTART checkpoint. It
 * waits (50 ms at most, then tries again later) for the writer of the moment, copies the few
 * frames left, and makes the next writer start the WAL over, which bounds it. A reader holding an
 * old snapshot (an ingest planning) only delays that until it is done.
 */
export type CheckpointerOptions = { intervalMs?: number; restartAbovePages?: number };

export type Checkpointer = { close(): Promise<void> };

/** `appRoot` locates the worker's file (the server may run compiled, from elsewhere). */
export function startCheckpointer(db: Db, appRoot: string, opts: CheckpointerOptions = {}): Checkpointer | null {
  const sqlite = db.$client;
  if (sqlite.memory) return null;
  sqlite.pragma("wal_autocheckpoint = 0");
  const worker = new Worker(path.join(appRoot, "server", "db", "checkpointer-worker.mjs"), {
    workerData: { dbPath: sqlite.name, intervalMs: opts.intervalMs ?? 250, restartAbovePages: opts.restartAbovePages ?? 16_384 },
  });
  // It must never keep the process alive, and its failure must not take the server down: the
  // connection then goes back to checkpointing in its commits.
  worker.unref();
  let closed = false;
  worker.on("error", () => {
    if (!closed) sqlite.pragma("wal_autocheckpoint = 1000");
  });
  return {
    async close() {
      closed = true;
      await worker.terminate();
    },
  };
}
