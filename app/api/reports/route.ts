import { z } from "zod";
import { AppError, HTTP_STATUS, isAppError } from "@/server/app-error";
import { streamBodyWithLimit } from "@/server/http/body";
import { getRuntime } from "@/server/runtime";
import { ingestReportInWorker } from "@/server/errors/ingest";
import { ProjectSlugSchema } from "@/lib/schemas/config";

export const dynamic = "force-dynamic";

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
 * Playwright JSON (or JUnit XML) report as the body. 201 with the ingest summary; 200 when the
 * same report was already ingested; 4xx `{ error: { code, message } }` otherwise. The edge has
 * already checked token, Origin and Host. The body streams to the ingest worker as it arrives (the
 * limit is enforced while it does), so a big report never blocks this thread.
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
    const { project, ...rest } = query.data;
    const body = streamBodyWithLimit(request, runtime.env.maxReportBytes);
    const summary = await ingestReportInWorker(runtime, { projectSlug: project, body, ...rest });
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
