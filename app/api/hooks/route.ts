import { HTTP_STATUS, isAppError } from "@/server/errors";
import { readBodyWithLimit } from "@/server/http/body";
import { getRuntime } from "@/server/runtime";
import { ingestHook } from "@/server/services/agents";

export const dynamic = "force-dynamic";

/**
 * `POST /api/hooks` with a Claude Code hook payload as the body, exactly as an `http` hook posts
 * it (or `workdeck hooks send` relays a `command` hook's stdin). 201 with what was stored; 4xx
 * `{ error: { code, message } }` for a body that is not JSON, too large, or has no session_id,
 * and nothing is stored. The edge has already checked token, Origin and Host.
 *
 * Optional headers: `x-workdeck-fired-at` (epoch ms; the spool's late deliveries keep their time)
 * and `x-workdeck-session-id` (the Workdeck session that launched the agent, issue 4).
 *
 * A field that is not a fact is stored as unknown rather than refused (a 4xx would make
 * `workdeck hooks send` drop the event): a duration that is negative, not a number or over 24 h,
 * a session id that names no session. The 201's `warnings` say what was left out (issue 10 item 8).
 */
export async function POST(request: Request): Promise<Response> {
  const runtime = await getRuntime();
  try {
    const body = await readBodyWithLimit(request, runtime.env.maxHookBytes);
    const result = ingestHook(runtime, {
      body,
      firedAt: positiveInt(request.headers.get("x-workdeck-fired-at")),
      workdeckSessionId: positiveInt(request.headers.get("x-workdeck-session-id")),
    });
    return Response.json(result, { status: 201 });
  } catch (err) {
    if (isAppError(err)) {
      const message = err.code === "PAYLOAD_TOO_LARGE" ? `${err.message} (hooks: WORKDECK_MAX_HOOK_BYTES)` : err.message;
      return Response.json({ error: { code: err.code, message } }, { status: HTTP_STATUS[err.code] });
    }
    runtime.log.error({ err }, "hook ingest failed");
    return Response.json({ error: { code: "INTERNAL", message: "Hook ingest failed; see the server log." } }, { status: 500 });
  }
}

function positiveInt(value: string | null): number | undefined {
  if (!value || !/^\d{1,16}$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}
