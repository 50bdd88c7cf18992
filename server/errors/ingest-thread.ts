import path from "node:path";
import { Worker } from "node:worker_threads";
import { AppError, type AppErrorCode } from "../app-error";
import { writeTurnBuffer } from "../db/write-turn";
import type { ReportOrigin, StoredReport } from "./ingest-store";
import type { ReportFormat } from "@/lib/schemas/errors";

/**
 * The ingest worker thread as the main thread sees it: one long-lived thread, started on the
 * first report (booting it compiles the sources, about half a second) and stopped after a minute
 * without work. Jobs run one at a time, in order; the body is handed over chunk by chunk as it
 * arrives, so the main thread never holds a whole report.
 */

/** Main -> worker: the job, and the database it stores into (the worker opens its own connection to it). */
export type JobStart = {
  projectSlug: string;
  format: "auto" | ReportFormat;
  origin: ReportOrigin;
} & (
  | {
      dbPath: string;
      /** The main connection's wal_autocheckpoint: 0 when a background checkpointer runs (the worker's commits must not checkpoint either). */
      autoCheckpoint: number;
    }
  /** PostgreSQL (issue 14): the worker writes through a small pool of its own, through the SQL port. */
  | { databaseUrl: string }
);
export type IngestRequest =
  | ({ type: "start"; job: number } & JobStart)
  | { type: "chunk"; job: number; data: Uint8Array }
  | { type: "end"; job: number }
  | { type: "abort"; job: number };

/** Worker -> main: stored, refused (bad input, an AppError), or failed (a bug: logged, answered 500). */
export type IngestReply =
  | { type: "stored"; job: number; stored: StoredReport }
  | { type: "refused"; job: number; code: AppErrorCode; message: string; reason?: string }
  | { type: "failed"; job: number; message: string; stack?: string };

const IDLE_MS = 60_000;
const THREADS = Symbol.for("workdeck.ingestThreads");

export function ingestThread(appRoot: string): IngestThread {
  // On globalThis: Next's route bundles and the tsx-loaded runtime are separate module graphs.
  const holder = globalThis as { [THREADS]?: Map<string, IngestThread> };
  const threads = (holder[THREADS] ??= new Map());
  const entry = path.join(appRoot, "server", "errors", "ingest-worker.mjs");
  let thread = threads.get(entry);
  if (!thread) threads.set(entry, (thread = new IngestThread(entry)));
  return thread;
}

class IngestThread {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, { resolve(stored: StoredReport): void; reject(err: unknown): void }>();
  private nextJob = 1;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(private readonly entry: string) {}

  /** Sends the body to the worker as it streams in; resolves once the report is stored. */
  async run(start: JobStart, body: AsyncIterable<Uint8Array>): Promise<StoredReport> {
    const worker = this.ensureWorker();
    const job = this.nextJob++;
    const done = new Promise<StoredReport>((resolve, reject) => this.pending.set(job, { resolve, reject }));
    // The worker may die while the body is still streaming: nobody awaits `done` yet.
    done.catch(() => {});
    worker.postMessage({ type: "start", job, ...start } satisfies IngestRequest);
    try {
      for await (const chunk of body) {
        if (!this.pending.has(job)) break; // the thread died: stop reading the upload
        // A copy of exactly these bytes (a chunk may be a view on a larger buffer), moved, not cloned.
        const data = new Uint8Array(chunk);
        worker.postMessage({ type: "chunk", job, data } satisfies IngestRequest, [data.buffer]);
      }
    } catch (err) {
      worker.postMessage({ type: "abort", job } satisfies IngestRequest);
      this.settle(job);
      throw err;
    }
    worker.postMessage({ type: "end", job } satisfies IngestRequest);
    return done;
  }

  /** Stops the thread now; jobs in flight fail, the next job starts a new thread. */
  async stop(): Promise<void> {
    const worker = this.worker;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (!worker) return;
    this.lost(worker, new Error("ingest worker was stopped"));
    await worker.terminate();
  }

  private ensureWorker(): Worker {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.worker) {
      this.worker.ref();
      return this.worker;
    }
    // The write-turn flag: the worker's chunked writes give way to this thread's waiting writers.
    const worker = new Worker(this.entry, { workerData: { writeTurn: writeTurnBuffer() } });
    worker.on("message", (reply: IngestReply) => {
      const waiter = this.settle(reply.job);
      if (!waiter) return;
      if (reply.type === "stored") waiter.resolve(reply.stored);
      else if (reply.type === "refused") waiter.reject(new AppError(reply.code, reply.message, reply.reason));
      else waiter.reject(Object.assign(new Error(`ingest worker: ${reply.message}`), { stack: reply.stack }));
    });
    worker.on("error", (err) => this.lost(worker, err));
    worker.on("exit", (code) => this.lost(worker, new Error(`ingest worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  /** The thread died or was stopped: every job it held fails (answered 500), the next one starts a new thread. */
  private lost(worker: Worker, err: Error): void {
    if (this.worker !== worker) return;
    this.worker = null;
    const waiters = [...this.pending.values()];
    this.pending.clear();
    for (const waiter of waiters) waiter.reject(err);
  }

  private settle(job: number) {
    const waiter = this.pending.get(job);
    this.pending.delete(job);
    if (this.pending.size === 0 && this.worker) {
      // Idle: let the process exit without it, and stop it if nothing comes for a while.
      this.worker.unref();
      const worker = this.worker;
      if (this.idleTimer) clearTimeout(this.idleTimer);
      this.idleTimer = setTimeout(() => {
        if (this.worker === worker && this.pending.size === 0) void this.stop();
      }, IDLE_MS);
      this.idleTimer.unref();
    }
    return waiter;
  }
}
