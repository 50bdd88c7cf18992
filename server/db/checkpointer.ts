import fs from "node:fs";
import os from "node:os";
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
 *
 * The thread is a whole second V8 instance (about 10 MB resident), and an idle server has nothing
 * to checkpoint: it runs only while there is. The event loop reads how far the WAL is ahead of the
 * database from the WAL index (the -shm file's header, https://www.sqlite.org/walformat.html: a
 * 136-byte read, no lock, no SQL), starts the thread once `startAbovePages` frames wait (SQLite's
 * own threshold), and stops it after `stopAfterQuietMs` with everything copied. If that header
 * cannot be read the thread just stays on, as it always did.
 */
export type CheckpointerOptions = {
  intervalMs?: number;
  restartAbovePages?: number;
  startAbovePages?: number;
  stopAfterQuietMs?: number;
};

export type Checkpointer = {
  /** Whether the checkpointing thread runs now (it runs only while the WAL has frames to copy). */
  active(): boolean;
  close(): Promise<void>;
};

/** `appRoot` locates the worker's file (the server may run compiled, from elsewhere). */
export function startCheckpointer(db: Db, appRoot: string, opts: CheckpointerOptions = {}): Checkpointer | null {
  const sqlite = db.$client;
  if (sqlite.memory) return null;
  sqlite.pragma("wal_autocheckpoint = 0");
  const intervalMs = opts.intervalMs ?? 250;
  const restartAbovePages = opts.restartAbovePages ?? 16_384;
  const startAbovePages = opts.startAbovePages ?? 1_000;
  const quietTicksToStop = Math.max(1, Math.ceil((opts.stopAfterQuietMs ?? 5_000) / intervalMs));
  const walIndex = new WalIndex(`${sqlite.name}-shm`);
  let worker: Worker | null = null;
  let quietTicks = 0;
  let closed = false;

  const startWorker = () => {
    const w = new Worker(path.join(appRoot, "server", "db", "checkpointer-worker.mjs"), {
      workerData: { dbPath: sqlite.name, intervalMs, restartAbovePages },
    });
    // It must never keep the process alive, and its failure must not take the server down: the
    // connection then goes back to checkpointing in its commits.
    w.unref();
    w.on("error", () => {
      if (closed) return;
      clearInterval(timer);
      worker = null;
      sqlite.pragma("wal_autocheckpoint = 1000");
    });
    worker = w;
    quietTicks = 0;
  };

  const tick = () => {
    const wal = walIndex.read();
    if (wal === "torn") return; // a writer is updating the header: next tick
    if (!worker) {
      if (wal === null || wal.frames - wal.backfilled >= startAbovePages || wal.frames > restartAbovePages) startWorker();
      return;
    }
    // Everything copied and the WAL small enough to be started over: the thread has nothing to do.
    const drained = wal !== null && wal.backfilled === wal.frames && wal.frames <= restartAbovePages;
    quietTicks = drained ? quietTicks + 1 : 0;
    if (quietTicks >= quietTicksToStop) {
      void worker.terminate();
      worker = null;
    }
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  tick();

  return {
    active: () => worker !== null,
    async close() {
      closed = true;
      clearInterval(timer);
      walIndex.close();
      await worker?.terminate();
      worker = null;
    },
  };
}

/** Frames in the WAL (`mxFrame`) and those already copied into the database (`nBackfill`). */
type WalState = { frames: number; backfilled: number };

/**
 * The WAL index header: two copies of a 48-byte header (mxFrame at byte 16, native byte order),
 * then the checkpoint info (nBackfill at byte 96). The copies differ while a writer updates them.
 */
class WalIndex {
  private fd: number | null = null;
  private readonly buf = Buffer.alloc(100);
  private readonly le = os.endianness() === "LE";

  constructor(private readonly file: string) {}

  read(): WalState | "torn" | null {
    try {
      this.fd ??= fs.openSync(this.file, "r");
      if (fs.readSync(this.fd, this.buf, 0, 100, 0) < 100) return { frames: 0, backfilled: 0 };
    } catch {
      this.close();
      return null;
    }
    if (!this.buf.subarray(0, 48).equals(this.buf.subarray(48, 96))) return "torn";
    const u32 = (at: number) => (this.le ? this.buf.readUInt32LE(at) : this.buf.readUInt32BE(at));
    // isInit (byte 12) is 0 until a connection has built the index: nothing written yet.
    if (this.buf[12] === 0) return { frames: 0, backfilled: 0 };
    return { frames: u32(16), backfilled: u32(96) };
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}
