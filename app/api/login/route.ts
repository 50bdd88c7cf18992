import { getRuntime } from "@/server/runtime";
import { TOKEN_COOKIE, tokensEqual } from "@/server/http/security";

export const dynamic = "force-dynamic";

/** The login form posts the token; a match sets an HttpOnly, SameSite=Strict cookie. */
export async function POST(req: Request): Promise<Response> {
  const runtime = await getRuntime();
  const token = runtime.env.token;
  const form = await req.formData().catch(() => null);
  const presented = String(form?.get("token") ?? "");
  const next = safeNext(String(form?.get("next") ?? "/"));
  if (!token) return Response.redirect(new URL(next, req.url), 303);
  if (!presented || !tokensEqual(presented, token)) {
    return new Response(null, { status: 303, headers: { location: `/login?error=1&next=${encodeURIComponent(next)}` } });
  }
  return new Response(null, {
    status: 303,
    headers: {
      location: next,
      "set-cookie": `${TOKEN_COOKIE}=${encodeURIComponent(presented)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${60 * 60 * 24 * 30}`,
    },
  });
}

/** Only same-site relative paths: an open redirect would turn login into phishing. */
function safeNext(next: string): string {
  return next.startsWith("/") && !next.startsWith("//") && !next.includes("\\") ? next : "/";
}
