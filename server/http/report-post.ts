import type http from "node:http";
import { z } from "zod";
import { AppError, HTTP_STATUS, isAppError } from "../app-error";
import type { WorkdeckEnv } from "../env";
import type { Logger } from "../logger";
import type { IngestDeps } from "../errors/ingest";
import { ProjectSlugSchema } from "@/lib/schemas/config";

/** What the report endpoint needs of the runtime (tests build it from a temp database). */
export type ReportPostDeps = IngestDeps & {
  env: Pick<WorkdeckEnv, "appRoot" | "maxReportBytes"> & { databaseUrl?: string };
  log: Pick<Logger, "error">;
};

/** A request as the endpoint sees it, whichever server carries it (the edge's Node request, or Next's web Request). */
export type ReportRequest = {
  query: URLSearchParams;
  /** The body as it arrives, refused with PAYLOAD_TOO_LARGE past the limit (declared or counted). */
  body(limitBytes: number): AsyncIterable<Uint8Array>;
};

const QuerySchema = z.object({
  // Checked as a slug before the lookup, so an error never echoes a path someone sent as a slug.
  project: z.string({ error: "Name the project: POST /api/reports?project=<slug>" }).pipe(ProjectSlugSchema),
  format: z.enum(["auto", "json", "junit"]).default("auto"),
  source: z.string().max(2000).optional(),
  branch: z.string().max(500).optional(),
  commit: z.string().max(200).optional(),
});

/**
 * `POST /api/reports?project=<slug>[&format=json|junit][&branch=…][&commit=…][&source=…]` with a
 * Playwright JSON (or JUnit XML) report as the body, once: `workdeck serve`'s edge (before Next,
 * issue 12) and the Next route handler both answer through this. 201 with the ingest summary; 200
 * when the same report was already ingested; 4xx `{ error: { code, message } }` otherwise. The
 * caller has already checked token, Origin and Host. The body streams to the ingest worker as it
 * arrives (the limit is enforced while it does), so a big report never blocks this thread.
 */
export async function reportPost(deps: ReportPostDeps, req: ReportRequest): Promise<{ status: number; body: unknown }> {
  try {
    const query = QuerySchema.safeParse(Object.fromEntries(req.query));
    if (!query.success) {
      const issue = query.error.issues[0];
      throw new AppError("BAD_REQUEST", issue?.path.length ? `${issue.path.join(".")}: ${issue.message}` : (issue?.message ?? "Bad query"));
    }
    const { project, ...rest } = query.data;
    // Imported at the first report: the report parsers (fast-xml-parser, the classifier) are no
    // part of a server's idle footprint (issue 12).
    const { ingestReportInWorker } = await import("../errors/ingest");
    const summary = await ingestReportInWorker(deps, { projectSlug: project, body: req.body(deps.env.maxReportBytes), ...rest });
    return { status: summary.duplicate ? 200 : 201, body: summary };
  } catch (err) {
    if (isAppError(err)) {
      const message = err.code === "PAYLOAD_TOO_LARGE" ? `${err.message} (reports: WORKDECK_MAX_REPORT_BYTES)` : err.message;
      return { status: HTTP_STATUS[err.code], body: { error: { code: err.code, message, ...(err.reason ? { reason: err.reason } : {}) } } };
    }
    deps.log.error({ err }, "report ingest failed");
    return { status: 500, body: { error: { code: "INTERNAL", message: "Ingest failed; see the server log." } } };
  }
}

/** The edge's side: a Node request and response, the body read straight from the socket. */
export async function serveReportPost(deps: ReportPostDeps, req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
  let finished = false;
  const { status, body } = await reportPost(deps, {
    query: url.searchParams,
    body: (limit) => nodeBody(req, limit, () => (finished = true)),
  });
  const json = JSON.stringify(body);
  // A body not read to its end (refused, too large, unknown project): close the connection rather than drain it.
  const headers: http.OutgoingHttpHeaders = { "content-type": "application/json", "content-length": Buffer.byteLength(json) };
  if (!finished) headers.connection = "close";
  res.writeHead(status, headers).end(json);
}

/** A Node request body chunk by chunk, counted as it arrives; past the limit, PAYLOAD_TOO_LARGE. */
async function* nodeBody(req: http.IncomingMessage, limitBytes: number, onEnd: () => void): AsyncGenerator<Uint8Array, void, undefined> {
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (Number.isFinite(declared) && declared > limitBytes) throw tooLarge(limitBytes);
  let total = 0;
  try {
    // Stopping early must not destroy the socket: the answer still has to go out on it.
    for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      total += chunk.byteLength;
      if (total > limitBytes) throw tooLarge(limitBytes);
      yield chunk;
    }
  } catch (err) {
    if (isAppError(err)) throw err;
    throw new AppError("BAD_REQUEST", `The upload failed: ${(err as Error).message}`);
  }
  onEnd();
}

function tooLarge(limit: number): AppError {
  return new AppError("PAYLOAD_TOO_LARGE", `Request body exceeds the limit of ${limit} bytes`);
}
