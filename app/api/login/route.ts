import { getRuntime } from "@/server/runtime";
import { CLIENT_ADDRESS_HEADER, SESSION_COOKIE, tokensEqual } from "@/server/http/security";
import { createLoginSession, LOGIN_TTL_MS, loginAttempt } from "@/server/auth/credentials";

export const dynamic = "force-dynamic";

/**
 * The login form posts the token; a match starts a server-side login session whose random id
 * goes in an HttpOnly, SameSite=Strict cookie (the token itself never leaves the form). Failed
 * attempts are throttled per client address: past the allowance, 429 with Retry-After, even for
 * the right token, so guessing cannot go faster than the window.
 */
export async function POST(req: Request): Promise<Response> {
  const runtime = await getRuntime();
  const token = runtime.env.token;
  const form = await req.formData().catch(() => null);
  const presented = String(form?.get("token") ?? "");
  const next = safeNext(String(form?.get("next") ?? "/"));
  if (!token) return new Response(null, { status: 303, headers: { location: next } });

  // The edge sets this from the socket; without it (a caller that bypassed the edge) all share one bucket.
  const address = req.headers.get(CLIENT_ADDRESS_HEADER) ?? "unknown";
  // Checked, then counted or cleared, in one step: concurrent guesses cannot slip past the count.
  const matches = Boolean(presented) && tokensEqual(presented, token);
  const wait = await loginAttempt(runtime.sqlStore, address, matches);
  if (wait > 0) {
    return new Response(`Too many failed sign-ins from this address. Try again in ${wait} seconds.\n`, {
      status: 429,
      headers: { "retry-after": String(wait), "content-type": "text/plain; charset=utf-8" },
    });
  }
  if (!matches) {
    return new Response(null, { status: 303, headers: { location: `/login?error=1&next=${encodeURIComponent(next)}` } });
  }
  const session = await createLoginSession(runtime.sqlStore);
  return new Response(null, {
    status: 303,
    headers: {
      location: next,
      "set-cookie": `${SESSION_COOKIE}=${session.id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(LOGIN_TTL_MS / 1000)}`,
    },
  });
}

/** Only same-site relative paths: an open redirect would turn login into phishing. */
function safeNext(next: string): string {
  return next.startsWith("/") && !next.startsWith("//") && !next.includes("\\") ? next : "/";
}
