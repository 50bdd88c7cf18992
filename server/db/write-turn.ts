/**
 * A turn at SQLite's write lock for the main thread's writers, shared with this process's worker
 * threads (issue 10 item 6). SQLite has no queue for its lock: a writer that finds it taken polls,
 * and a worker that commits chunk after chunk can take it again before the poller looks. So a
 * writer on the main thread that found the lock taken raises this flag (HookCommitter does), and
 * a worker writing in chunks (report ingest) waits between two chunks until it is lowered.
 * Other processes cannot see the flag: for them each chunk is followed by a short pause.
 */
import { isMainThread, workerData } from "node:worker_threads";

const KEY = Symbol.for("workdeck.writeTurn");
/** The longest a chunked writer waits for the main thread (it may have given up or crashed). */
const MAX_WAIT_MS = 200;
/** The pause after each chunk, when no waiting writer is known: a poller in another process gets its chance. */
const PAUSE_MS = 1;

type Holder = { [KEY]?: Int32Array };

/** This process's flag (created on the main thread; a worker receives it as `workerData.writeTurn`). */
export function writeTurnBuffer(): SharedArrayBuffer {
  return flag().buffer as SharedArrayBuffer;
}

function flag(): Int32Array {
  const holder = globalThis as Holder;
  if (!holder[KEY]) {
    const shared = !isMainThread && (workerData as { writeTurn?: unknown } | null)?.writeTurn;
    holder[KEY] = new Int32Array(shared instanceof SharedArrayBuffer ? shared : new SharedArrayBuffer(4));
  }
  return holder[KEY];
}

/** The main thread wants the lock (it found it taken). */
export function requestWriteTurn(): void {
  Atomics.store(flag(), 0, 1);
}

/** The main thread has written (or given up): chunked writers go on. */
export function releaseWriteTurn(): void {
  const f = flag();
  if (Atomics.exchange(f, 0, 0) !== 0) Atomics.notify(f, 0);
}

/** Between two chunks of a long write: a short pause, and a longer one while a writer of this process waits. */
export function yieldToWaitingWriters(): void {
  const f = flag();
  if (Atomics.load(f, 0) === 0) Atomics.wait(f, 0, 0, PAUSE_MS);
  const until = performance.now() + MAX_WAIT_MS;
  for (let left = MAX_WAIT_MS; Atomics.load(f, 0) !== 0 && left > 0; left = until - performance.now()) Atomics.wait(f, 0, 1, left);
}
