import { getRuntime } from "@/server/runtime";
import { cookie, SESSION_COOKIE } from "@/server/http/security";
import { endLoginSession } from "@/server/auth/credentials";

export const dynamic = "force-dynamic";

/**
 * Ends the login session the cookie names (on the server, so a copied cookie stops working too)
 * and clears the cookie. POST only: a GET a page could embed must not sign anyone out.
 */
export async function POST(req: Request): Promise<Response> {
  const runtime = await getRuntime();
  const id = cookie(req.headers.get("cookie"), SESSION_COOKIE);
  if (id) await endLoginSession(runtime.sqlStore, id);
  return new Response(null, {
    status: 303,
    headers: { location: "/login?signedOut=1", "set-cookie": `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0` },
  });
}
