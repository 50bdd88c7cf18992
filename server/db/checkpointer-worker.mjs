// The background WAL checkpointer's thread (checkpointer.ts explains why). Plain JavaScript, so
// it starts as it is under tsx, Vitest and the compiled server alike.
import { workerData } from "node:worker_threads";
import Database from "better-sqlite3";

const { dbPath, intervalMs, restartAbovePages } = workerData;
const db = new Database(dbPath);
// A RESTART waits this long at most for the writer and readers of the moment (new writers wait meanwhile).
db.pragma("busy_timeout = 50");
db.pragma("wal_autocheckpoint = 0");

/** Frames a writer may have added while the PASSIVE checkpoint copied. */
const SLACK_PAGES = 256;

const passive = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
const restart = db.prepare("PRAGMA wal_checkpoint(RESTART)");

setInterval(() => {
  try {
    const { log, checkpointed } = passive.get();
    // Only when the PASSIVE one got (nearly) everything: then no reader holds an old snapshot, and
    // the RESTART waits for nothing but the writer of the moment.
    if (log > restartAbovePages && checkpointed >= log - SLACK_PAGES) restart.get();
  } catch {
    // SQLITE_BUSY and the like: the next tick tries again.
  }
}, intervalMs);
