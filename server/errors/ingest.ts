import type { WorkdeckEnv } from "../env";
import type { Db } from "../db/client";
import type { EventBus } from "../events/bus";
import type { ProjectRegistry } from "../projects/service";
import { prepareReport, storeReport, storeReportOnStore, type StoredReport } from "./ingest-store";
import { ingestThread, type JobStart } from "./ingest-thread";
import { errorsStore, type StoreDeps } from "./listing";
import type { IngestSummary, ReportFormat } from "@/lib/schemas/errors";

/** What the errors services need from the runtime (tests build it from a temp database); `db` is absent on PostgreSQL. */
export type ErrorsDeps = { db?: Db; bus: EventBus; projects: Pick<ProjectRegistry, "get"> };

/** The same on either dialect: the SQL port (or a SQLite connection to make one). */
export type IngestDeps = StoreDeps & { bus: EventBus; projects: Pick<ProjectRegistry, "get"> };

export type IngestInput = {
  projectSlug: string;
  body: Uint8Array | string;
  format?: "auto" | ReportFormat;
  /** Where the report came from (a CI build URL, say); defaults to the report's own metadata. */
  source?: string;
  branch?: string;
  commit?: string;
};

/** The same, with the body as it streams in (POST /api/reports). */
export type StreamedIngestInput = Omit<IngestInput, "body"> & { body: AsyncIterable<Uint8Array> };

/**
 * The one ingest path behind `workdeck ingest`, `POST /api/reports` and the reporter: parse with
 * the classifier, store the run, every result, the failure groups and their triage (visible all
 * at once: ingest-plan.ts), then publish. Bad input throws AppError before anything is written; a report
 * already ingested (same bytes) returns its summary with `duplicate: true` and changes nothing.
 *
 * This form runs on the calling thread, on SQLite: right for the CLI and scripts, which have
 * nothing else to serve. ingestReportOnStore is the same on either dialect; the server uses
 * ingestReportInWorker.
 */
export function ingestReport(deps: ErrorsDeps, input: IngestInput): IngestSummary {
  if (!deps.db) throw new Error("ingestReport is SQLite's synchronous path: use ingestReportOnStore on this store");
  const started = performance.now();
  const project = deps.projects.get(input.projectSlug);
  const stored = storeReport(deps.db.$client, project.slug, prepareReport(input.body, input.format), input);
  return publish(deps.bus, stored, started);
}

/** ingestReport on either dialect, on the calling thread: through the port, or on the SQLite connection when there is one. */
export async function ingestReportOnStore(deps: IngestDeps, input: IngestInput): Promise<IngestSummary> {
  if (deps.db) return ingestReport(deps, input);
  const started = performance.now();
  const project = deps.projects.get(input.projectSlug);
  const stored = await storeReportOnStore(errorsStore(deps), project.slug, prepareReport(input.body, input.format), input);
  return publishAsync(deps.bus, stored, started);
}

/**
 * ingestReport off the request thread (issue 10: a 36 MB report held the event loop for 3.4 s).
 * The body streams to a worker thread as it arrives; the worker parses, prepares and stores it
 * with its own SQLite connection; this thread publishes the events, so subscribers see them as
 * before. The project is checked first, before any byte is read.
 *
 * On PostgreSQL (issue 14) the worker does the same through the SQL port, with a small pool of
 * its own on `env.databaseUrl`.
 */
export async function ingestReportInWorker(
  deps: IngestDeps & { env: Pick<WorkdeckEnv, "appRoot"> & { databaseUrl?: string } },
  input: StreamedIngestInput,
): Promise<IngestSummary> {
  const started = performance.now();
  const project = deps.projects.get(input.projectSlug);
  const origin = { source: input.source, branch: input.branch, commit: input.commit };
  const job = { projectSlug: project.slug, format: input.format ?? "auto", origin };
  if (errorsStore(deps).dialect === "postgres") {
    const databaseUrl = deps.env.databaseUrl;
    if (!databaseUrl) throw new Error("report ingest on PostgreSQL needs the database URL (WORKDECK_DATABASE_URL) for its worker");
    const stored = await ingestThread(deps.env.appRoot).run({ ...job, databaseUrl } satisfies JobStart, input.body);
    return publishAsync(deps.bus, stored, started);
  }
  if (!deps.db) throw new Error("report ingest on SQLite needs the database connection");
  const sqlite = deps.db.$client;
  let stored: StoredReport;
  if (sqlite.memory) {
    // A worker cannot open another connection to an in-memory database: ingest here.
    const chunks: Uint8Array[] = [];
    for await (const chunk of input.body) chunks.push(chunk);
    stored = storeReport(sqlite, project.slug, prepareReport(Buffer.concat(chunks), input.format), origin);
  } else {
    const autoCheckpoint = sqlite.pragma("wal_autocheckpoint", { simple: true }) as number;
    stored = await ingestThread(deps.env.appRoot).run({ ...job, dbPath: sqlite.name, autoCheckpoint }, input.body);
  }
  return publishAsync(deps.bus, stored, started);
}

function publish(bus: EventBus, stored: StoredReport, started: number): IngestSummary {
  for (const event of stored.events) bus.publish(event);
  return { ...stored.summary, durationMs: performance.now() - started };
}

/** After the commit, through the port (the events table may be PostgreSQL's, the bus may have no SQLite connection). */
async function publishAsync(bus: EventBus, stored: StoredReport, started: number): Promise<IngestSummary> {
  for (const event of stored.events) await bus.publishAsync(event);
  return { ...stored.summary, durationMs: performance.now() - started };
}
