/**
 * The ingest worker thread's side (ingest-worker.mjs loads it; ingest-thread.ts talks to it).
 * Collects a report's bytes as they stream in, hashing as it goes, then prepares and stores it
 * with its own connection: on SQLite its own file connection (WAL lets it write while the main
 * thread keeps reading), on PostgreSQL its own small pool through the SQL port. Either way the
 * main thread's event loop stays free. Jobs run one at a time, in the order they end.
 */
import { createHash, type Hash } from "node:crypto";
import type { MessagePort } from "node:worker_threads";
import { openDatabase } from "../db/client";
import { PostgresStore } from "../db/sql-store";
import { isAppError } from "../app-error";
import { prepareReport, storeReport, storeReportOnStore, type PreparedReport, type StoredReport } from "./ingest-store";
import type { IngestReply, IngestRequest, JobStart } from "./ingest-thread";

type Job = { start: JobStart; chunks: Buffer[]; bytes: number; hash: Hash };

export function serveIngestJobs(port: MessagePort): void {
  const jobs = new Map<number, Job>();
  // Stores to PostgreSQL are awaited: the next job waits for the one before it.
  let queue = Promise.resolve();
  port.on("message", (message: IngestRequest) => {
    switch (message.type) {
      case "start": {
        const { type: _type, job, ...start } = message;
        jobs.set(job, { start, chunks: [], bytes: 0, hash: createHash("sha256") });
        return;
      }
      case "chunk": {
        const job = jobs.get(message.job);
        if (!job) return;
        const bytes = Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength);
        job.chunks.push(bytes);
        job.bytes += bytes.byteLength;
        job.hash.update(bytes);
        return;
      }
      case "abort":
        jobs.delete(message.job);
        return;
      case "end": {
        const job = jobs.get(message.job);
        jobs.delete(message.job);
        if (job) queue = queue.then(async () => port.postMessage(await runJob(message.job, job)));
      }
    }
  });
}

async function runJob(id: number, job: Job): Promise<IngestReply> {
  try {
    const body = Buffer.concat(job.chunks, job.bytes);
    job.chunks = [];
    const prepared = prepareReport(body, job.start.format, job.hash.digest("hex"));
    return { type: "stored", job: id, stored: await store(job.start, prepared) };
  } catch (err) {
    if (isAppError(err)) return { type: "refused", job: id, code: err.code, message: err.message, reason: err.reason };
    const error = err instanceof Error ? err : new Error(String(err));
    return { type: "failed", job: id, message: error.message, stack: error.stack };
  }
}

async function store(start: JobStart, prepared: PreparedReport): Promise<StoredReport> {
  if ("databaseUrl" in start) {
    // Loaded only here: a SQLite server's worker never loads the PostgreSQL driver.
    const { openPgDatabase } = await import("../db/pg-client");
    const pool = openPgDatabase(start.databaseUrl, { max: 2, applicationName: "workdeck-ingest" }).$client;
    try {
      return await storeReportOnStore(new PostgresStore(pool), start.projectSlug, prepared, start.origin);
    } finally {
      await pool.end();
    }
  }
  const db = openDatabase(start.dbPath, { autoCheckpoint: start.autoCheckpoint });
  try {
    return storeReport(db.$client, start.projectSlug, prepared, start.origin);
  } finally {
    db.$client.close();
  }
}
