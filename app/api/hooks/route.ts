import { readBodyWithLimit } from "@/server/http/body";
import { hookPost } from "@/server/http/hook-post";
import { getRuntime } from "@/server/runtime";

export const dynamic = "force-dynamic";

/**
 * `POST /api/hooks` through Next (`next dev`, tests). `workdeck serve` answers it in its own edge
 * before Next; both go through hookPost (server/http/hook-post.ts), which documents the contract.
 *
 * A field that is not a fact is stored as unknown rather than refused (a 4xx would make
 * `workdeck hooks send` drop the event): a duration that is negative, not a number or over 24 h,
 * a session id that names no session. The 201's `warnings` say what was left out (issue 10 item 8).
 */
export async function POST(request: Request): Promise<Response> {
  const runtime = await getRuntime();
  const { status, body } = await hookPost(runtime, {
    readBody: (limit) => readBodyWithLimit(request, limit),
    header: (name) => request.headers.get(name) ?? undefined,
  });
  return Response.json(body, { status });
}
