// The background WAL checkpointer's thread (checkpointer.ts explains why). Plain JavaScript, so
// it starts as it is under tsx, Vitest and the compiled server alike.
import { workerData } from "node:worker_threads";
import Database from "better-sqlite3";

const { dbPath, intervalMs, hardLimitPages } = workerData;
const db = new Database(dbPath);
// A RESTART waits this long at most for readers (and blocks writers meanwhile): rare, and short.
db.pragma("busy_timeout = 100");
db.pragma("wal_autocheckpoint = 0");

const passive = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
const restart = db.prepare("PRAGMA wal_checkpoint(RESTART)");

setInterval(() => {
  try {
    const { log } = passive.get();
    if (log > hardLimitPages) restart.get();
  } catch {
    // SQLITE_BUSY and the like: the next tick tries again.
  }
}, intervalMs);
