/**
 * Browser logins (issue 10 item 10): the cookie holds a server-side session id, stored hashed in
 * the database (so it survives a restart and every server process on the database agrees), with
 * an expiry; POST /api/logout ends it; failed sign-ins are throttled per client address. Through
 * the real route handlers behind the real edge check, as `workdeck serve` wires them.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { POST as login } from "@/app/api/login/route";
import { POST as logout } from "@/app/api/logout/route";
import { migrateDatabase, openDatabase, type Db } from "@/server/db/client";
import { SqliteStore } from "@/server/db/sql-store";
import { checkRequest, CLIENT_ADDRESS_HEADER, stampClientAddress } from "@/server/http/security";
import { startRuntime, stopRuntime } from "@/server/runtime-boot";
import { authCredentials, createLoginSession, endLoginSession, isLoginSession, LOGIN_TTL_MS } from "@/server/auth/credentials";
import { emptyProject, oneProjectEnv } from "../support/runtime-env";
import { repoRoot, tempDir } from "../support/temp";

const TOKEN = "auth-test-token-0123456789abcdef";
/** The SQL port over one connection (each stands for a server process here). */
const on = (db: Db) => SqliteStore.on(db.$client);

let server: http.Server | null = null;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(null)));
  server = null;
  await stopRuntime();
});

describe("login sessions in the database", () => {
  it("are stored hashed, survive a restart, are seen by another connection, expire, and end on logout", async () => {
    const file = path.join(tempDir(), "w.db");
    const db = openDatabase(file);
    migrateDatabase(db, path.join(repoRoot, "drizzle"));
    const now = Date.now();
    const { id, expiresAt } = await createLoginSession(on(db), now);
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(expiresAt.getTime()).toBe(now + LOGIN_TTL_MS);
    expect(JSON.stringify(db.$client.prepare("SELECT * FROM auth_tokens").all())).not.toContain(id);

    // A second server process on the same file, and this one after a restart.
    const other = openDatabase(file);
    expect(await isLoginSession(on(other), id)).toBe(true);
    db.$client.close();
    const restarted = openDatabase(file);
    expect(await isLoginSession(on(restarted), id)).toBe(true);

    expect(await isLoginSession(on(restarted), id, now + LOGIN_TTL_MS + 1)).toBe(false);
    expect(await isLoginSession(on(restarted), "made-up-session-id")).toBe(false);
    // Logging out on one process ends the session for the other.
    await endLoginSession(on(other), id);
    expect(await isLoginSession(on(restarted), id)).toBe(false);
    other.$client.close();
    restarted.$client.close();
  });
});

/** The runtime (token set) behind an HTTP server doing what serve.ts's edge does, then the routes. */
async function serveWithEdge(): Promise<{ url: string; db: Awaited<ReturnType<typeof startRuntime>>["db"] }> {
  const dir = tempDir();
  const { env } = oneProjectEnv(dir, { slug: "p", path: emptyProject(dir, "p") }, { env: { WORKDECK_TOKEN: TOKEN } });
  const runtime = await startRuntime(env, { watch: false });
  const credentials = authCredentials(runtime.sqlStore);
  server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://local");
    stampClientAddress(req.headers, req.socket.remoteAddress);
    const verdict = await checkRequest(
      { method: req.method ?? "GET", pathname: url.pathname, headers: req.headers },
      { bindHost: "127.0.0.1", token: TOKEN, maxBodyBytes: 1 << 20, credentials },
    );
    if (!verdict.ok) {
      res.writeHead(verdict.status, { "content-type": "application/json" }).end(JSON.stringify({ error: verdict.message }));
      return;
    }
    const route = { "/api/login": login, "/api/logout": logout }[url.pathname];
    if (!route) {
      res.writeHead(200).end("the app");
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
    const response = await route(new Request(`http://127.0.0.1${req.url}`, { method: "POST", headers, body: Buffer.concat(chunks) }));
    res.writeHead(response.status, Object.fromEntries(response.headers)).end(await response.text());
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, db: runtime.db };
}

const form = (token: string, next = "/specs") => new URLSearchParams({ token, next }).toString();
const formHeaders = { "content-type": "application/x-www-form-urlencoded" };

describe("POST /api/login and /api/logout behind the edge", () => {
  it("a login sets a session cookie that is not the token, lets the browser in, and logout ends it on the server", async () => {
    const { url } = await serveWithEdge();
    const res = await fetch(`${url}/api/login`, { method: "POST", headers: formHeaders, body: form(TOKEN), redirect: "manual" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/specs");
    const setCookie = res.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/^workdeck_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    expect(setCookie).not.toContain(TOKEN);
    expect(setCookie).not.toContain(encodeURIComponent(TOKEN));
    const cookie = setCookie.split(";")[0]!;

    expect((await fetch(`${url}/specs`, { headers: { cookie } })).status).toBe(200);
    // The raw token as a cookie (what the old login set) is no longer a credential.
    expect((await fetch(`${url}/specs`, { headers: { cookie: `workdeck_token=${TOKEN}` } })).status).toBe(401);

    const out = await fetch(`${url}/api/logout`, { method: "POST", headers: { cookie, origin: url }, redirect: "manual" });
    expect(out.status).toBe(303);
    expect(out.headers.get("location")).toBe("/login?signedOut=1");
    expect(out.headers.get("set-cookie")).toMatch(/^workdeck_session=; .*Max-Age=0/);
    // A copy of the cookie kept after logout no longer works.
    expect((await fetch(`${url}/specs`, { headers: { cookie } })).status).toBe(401);
    // Logging out again (or with no session) is harmless.
    expect((await fetch(`${url}/api/logout`, { method: "POST", redirect: "manual" })).status).toBe(303);
  });

  it("5 failed sign-ins per minute from one address, then 429 with Retry-After, even for the right token", async () => {
    const { url, db } = await serveWithEdge();
    const attempt = (token: string, headers: Record<string, string> = {}) =>
      fetch(`${url}/api/login`, { method: "POST", headers: { ...formHeaders, ...headers }, body: form(token), redirect: "manual" });
    for (let i = 0; i < 5; i++) {
      const res = await attempt(`wrong-guess-number-${i}`);
      expect(res.status, `attempt ${i + 1}`).toBe(303);
      expect(res.headers.get("location")).toBe("/login?error=1&next=%2Fspecs");
    }
    const blocked = await attempt("wrong-guess-number-6");
    expect(blocked.status).toBe(429);
    const retryAfter = Number(blocked.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await blocked.text()).toMatch(/Too many failed sign-ins from this address\. Try again in \d+ seconds\./);
    expect((await attempt(TOKEN)).status).toBe(429);
    // The address is the socket's: a client cannot claim another one.
    expect((await attempt(TOKEN, { [CLIENT_ADDRESS_HEADER]: "203.0.113.7" })).status).toBe(429);
    // Refused attempts are not counted (the lockout does not grow), and no session was created.
    expect((db!.$client.prepare("SELECT count(*) AS n FROM login_failures").get() as { n: number }).n).toBe(5);
    expect((db!.$client.prepare("SELECT count(*) AS n FROM auth_tokens").get() as { n: number }).n).toBe(0);

    // Another address (as the edge stamps it) is not affected, and its success clears its own failures.
    const fromElsewhere = (token: string) =>
      login(
        new Request("http://127.0.0.1/api/login", {
          method: "POST",
          headers: { ...formHeaders, [CLIENT_ADDRESS_HEADER]: "10.0.0.2" },
          body: form(token),
        }),
      );
    expect((await fromElsewhere("wrong-guess-elsewhere")).headers.get("location")).toMatch(/error=1/);
    const ok = await fromElsewhere(TOKEN);
    expect(ok.status).toBe(303);
    expect(ok.headers.get("set-cookie")).toMatch(/^workdeck_session=/);
    expect((db!.$client.prepare("SELECT count(*) AS n FROM login_failures WHERE address = '10.0.0.2'").get() as { n: number }).n).toBe(0);
  });
});
