import fs from "node:fs";
import { Readable } from "node:stream";
import { isAppError } from "@/server/app-error";
import { resolveAttachment } from "@/server/errors/attachments";
import { getRuntime } from "@/server/runtime";

export const dynamic = "force-dynamic";

type Params = { params: Promise<{ failureId: string; reportId: string; retry: string; index: string }> };

const int = (s: string) => (/^\d{1,12}$/.test(s) ? Number(s) : null);

/**
 * `GET /api/attachments/<failure>/<report>/<retry>/<index>`: one file of a failure's report
 * (screenshot, video, trace), by position; resolution and refusals in server/errors/attachments.ts.
 */
export async function GET(_request: Request, { params }: Params): Promise<Response> {
  const p = await params;
  const ref = { failureId: int(p.failureId), reportId: int(p.reportId), retry: int(p.retry), index: int(p.index) };
  if (Object.values(ref).some((v) => v === null))
    return Response.json({ error: "An attachment is named by four numbers: failure, report, retry, index." }, { status: 400 });
  const runtime = await getRuntime();
  try {
    const a = await resolveAttachment(runtime, ref as { failureId: number; reportId: number; retry: number; index: number });
    const body = Readable.toWeb(fs.createReadStream(a.file)) as ReadableStream;
    return new Response(body, {
      headers: {
        "content-type": a.contentType,
        "content-length": String(a.size),
        "content-disposition": `${a.disposition}; filename="${a.fileName}"`,
        "x-content-type-options": "nosniff",
        // Served from the app's origin: a file from a test run must not run scripts there.
        "content-security-policy": "sandbox; default-src 'none'; img-src 'self'; media-src 'self'",
        "cache-control": "private, max-age=300",
      },
    });
  } catch (err) {
    if (isAppError(err))
      return Response.json({ error: err.message }, { status: err.code === "NOT_FOUND" ? 404 : err.code === "FORBIDDEN" ? 403 : 400 });
    throw err;
  }
}
