import { streamBodyWithLimit } from "@/server/http/body";
import { reportPost } from "@/server/http/report-post";
import { getRuntime } from "@/server/runtime";

export const dynamic = "force-dynamic";

/**
 * `POST /api/reports` through Next (`next start` without `workdeck serve`, the Playwright suite
 * harness). `workdeck serve` answers it in its own edge before Next; both go through reportPost
 * (server/http/report-post.ts), which documents the contract.
 */
export async function POST(request: Request): Promise<Response> {
  const runtime = await getRuntime();
  const { status, body } = await reportPost(runtime, {
    query: new URL(request.url).searchParams,
    body: (limit) => streamBodyWithLimit(request, limit),
  });
  return Response.json(body, { status });
}
