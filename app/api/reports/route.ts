import { z } from "zod";
import { AppError, HTTP_STATUS, isAppError } from "@/server/errors";
import { readBodyWithLimit } from "@/server/http/body";
import { getRuntime } from "@/server/runtime";
import { ingestReport } from "@/server/services/ingest";

export const dynamic = "force-dynamic";

const QuerySchema = z.object({
  project: z.string({ error: "Name the project: POST /api/reports?project=<slug>" }).min(1).max(63),
  format: z.enum(["auto", "json", "junit"]).default("auto"),
  source: z.string().max(2000).optional(),
  branch: z.string().max(500).optional(),
  commit: z.string().max(200).optional(),
});

/**
 * `POST /api/reports?project=<slug>[&format=json|junit][&branch=…][&commit=…][&source=…]` with a
 * Playwright JSON (or JUnit XML) report as the body. 201 with the ingest summary; 200 when the
 * same report was already ingested; 4xx `{ error: { code, message } }` otherwise. The edge has
 * already checked token, Origin and Host.
 */
export async function POST(request: Request): Promise<Response> {
  const runtime = await getRuntime();
  try {
    const url = new URL(request.url);
    const query = QuerySchema.safeParse(Object.fromEntries(url.searchParams));
    if (!query.success) {
      const issue = query.error.issues[0];
      throw new AppError("BAD_REQUEST", issue?.path.length ? `${issue.path.join(".")}: ${issue.message}` : (issue?.message ?? "Bad query"));
    }
    const body = await readBodyWithLimit(request, runtime.env.maxReportBytes);
    const { project, ...rest } = query.data;
    const summary = ingestReport(runtime, { projectSlug: project, body, ...rest });
    return Response.json(summary, { status: summary.duplicate ? 200 : 201 });
  } catch (err) {
    if (isAppError(err)) {
      const message = err.code === "PAYLOAD_TOO_LARGE" ? `${err.message} (reports: WORKDECK_MAX_REPORT_BYTES)` : err.message;
      return Response.json({ error: { code: err.code, message, ...(err.reason ? { reason: err.reason } : {}) } }, { status: HTTP_STATUS[err.code] });
    }
    runtime.log.error({ err }, "report ingest failed");
    return Response.json({ error: { code: "INTERNAL", message: "Ingest failed; see the server log." } }, { status: 500 });
  }
}
