/**
 * The ingest worker thread's side (ingest-worker.mjs loads it; ingest-thread.ts talks to it).
 * Collects a report's bytes as they stream in, hashing as it goes, then prepares and stores it
 * with its own SQLite connection: WAL lets it write while the main thread keeps reading, and the
 * main thread's event loop stays free. Jobs run one at a time, in the order they end.
 */
import { createHash, type Hash } from "node:crypto";
import type { MessagePort } from "node:worker_threads";
import { openDatabase } from "../db/client";
import { isAppError } from "../app-error";
import { prepareReport, storeReport } from "./ingest-store";
import type { IngestReply, IngestRequest, JobStart } from "./ingest-thread";

type Job = { start: JobStart; chunks: Buffer[]; bytes: number; hash: Hash };

export function serveIngestJobs(port: MessagePort): void {
  const jobs = new Map<number, Job>();
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
        if (job) port.postMessage(runJob(message.job, job));
      }
    }
  });
}

function runJob(id: number, job: Job): IngestReply {
  try {
    const body = Buffer.concat(job.chunks, job.bytes);
    job.chunks = [];
    const prepared = prepareReport(body, job.start.format, job.hash.digest("hex"));
    const db = openDatabase(job.start.dbPath, { autoCheckpoint: job.start.autoCheckpoint });
    try {
      return { type: "stored", job: id, stored: storeReport(db.$client, job.start.projectSlug, prepared, job.start.origin) };
    } finally {
      db.$client.close();
    }
  } catch (err) {
    if (isAppError(err)) return { type: "refused", job: id, code: err.code, message: err.message, reason: err.reason };
    const error = err instanceof Error ? err : new Error(String(err));
    return { type: "failed", job: id, message: error.message, stack: error.stack };
  }
}
