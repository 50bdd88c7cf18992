/**
 * Issue 14: the credentials the server issues (login sessions, agent tokens, the login throttle)
 * on the SQL port, the same tests on SQLite and on a real PostgreSQL. Two stores on one database
 * stand for two server processes (`again`). Clocks are explicit values, never waited on.
 */
import { expect, it } from "vitest";
import { sql } from "drizzle-orm";
import {
  agentTokenScope,
  agentTokenSession,
  authCredentials,
  clearLoginFailures,
  createLoginSession,
  endLoginSession,
  isLoginSession,
  LOGIN_FAILURES_ALLOWED,
  LOGIN_TTL_MS,
  LOGIN_WINDOW_MS,
  loginAttempt,
  loginRetryAfterSeconds,
  mintAgentToken,
  recordLoginFailure,
  revokeAgentTokens,
} from "@/server/auth/credentials";
import type { SqlStore } from "@/server/db/sql-store";
import { checkRequest } from "@/server/http/security";
import { describeEachDialect } from "../support/dialects";

const count = async (store: SqlStore, table: "auth_tokens" | "login_failures") =>
  Number((await store.get<{ n: number }>(sql`SELECT COUNT(*) AS n FROM ${sql.raw(table)}`))?.n);

/** Everything in the credentials tables, to show a refused lookup changed nothing. */
const snapshot = async (store: SqlStore) => ({
  tokens: await store.all(sql`SELECT * FROM auth_tokens ORDER BY token_hash`),
  failures: await store.all(sql`SELECT * FROM login_failures ORDER BY id`),
});

async function addSession(store: SqlStore, status: string, projectSlug = "billing"): Promise<number> {
  const { row } = await store.run<{ id: number }>(
    sql`INSERT INTO sessions (session_type, status, project_slug, cwd, prompt, options, created_at)
        VALUES ('manual', ${status}, ${projectSlug}, '/tmp', 'p', '{}', ${Date.now()}) RETURNING id`,
  );
  return Number(row!.id);
}

describeEachDialect("issued credentials", ({ open, again }) => {
  it("login sessions: stored hashed, seen by another instance, expire, and end on logout there too; forged or expired ones change nothing", async () => {
    const a = await open();
    const b = await again(a);
    const now = Date.now();
    const { id, expiresAt } = await createLoginSession(a, now);
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(expiresAt.getTime()).toBe(now + LOGIN_TTL_MS);
    expect(JSON.stringify(await a.all(sql`SELECT * FROM auth_tokens`))).not.toContain(id);

    expect(await isLoginSession(b, id, now + 1)).toBe(true);
    const before = await snapshot(a);
    expect(await isLoginSession(b, id, now + LOGIN_TTL_MS)).toBe(false);
    expect(await isLoginSession(b, "made-up-session-id", now)).toBe(false);
    expect(await isLoginSession(b, id.slice(0, -1) + (id.endsWith("A") ? "B" : "A"), now)).toBe(false);
    expect(await snapshot(a)).toEqual(before);

    // A new login tidies away expired ones, never live ones.
    const { id: second } = await createLoginSession(b, now + LOGIN_TTL_MS + 5);
    expect(await count(a, "auth_tokens")).toBe(1);
    expect(await isLoginSession(a, second, now + LOGIN_TTL_MS + 6)).toBe(true);

    await endLoginSession(b, second);
    expect(await isLoginSession(a, second, now + LOGIN_TTL_MS + 6)).toBe(false);
    expect(await count(a, "auth_tokens")).toBe(0);
  });

  it("agent tokens: valid only while their session runs, scoped to its project, revoked with the run; forged ones change nothing", async () => {
    const a = await open();
    const b = await again(a);
    const running = await addSession(a, "running", "billing");
    const ended = await addSession(a, "completed", "billing");
    const stale = await mintAgentToken(a, ended);
    const token = await mintAgentToken(a, running);
    expect(token).toMatch(/^wda_/);
    // Minting tidied the token of the session that no longer runs; it was refused anyway.
    expect(await count(a, "auth_tokens")).toBe(1);
    expect(await agentTokenSession(b, stale)).toBeNull();

    expect(await agentTokenSession(b, token)).toBe(running);
    expect(await agentTokenScope(b, token)).toEqual({ sessionId: running, projectSlug: "billing" });

    const before = await snapshot(a);
    expect(await agentTokenSession(b, "wda_forged-token-that-was-never-issued")).toBeNull();
    expect(await agentTokenSession(b, token.slice(4))).toBeNull();
    expect(await snapshot(a)).toEqual(before);

    // The edge's check on the database: hooks and MCP only, and only while the run lasts.
    const opts = { bindHost: "0.0.0.0", token: "full-token-of-some-length", maxBodyBytes: 1000, credentials: authCredentials(b) };
    const req = (method: string, pathname: string, bearer: string) => ({
      method,
      pathname,
      headers: { host: "10.0.0.5:3000", authorization: `Bearer ${bearer}` },
    });
    expect(await checkRequest(req("POST", "/api/hooks", token), opts)).toEqual({ ok: true });
    expect(await checkRequest(req("POST", "/api/mcp", token), opts)).toEqual({ ok: true });
    expect(await checkRequest(req("GET", "/api/trpc/projects.list", token), opts)).toMatchObject({ ok: false, status: 403 });
    expect(await checkRequest(req("POST", "/api/hooks", "wda_forged"), opts)).toMatchObject({ ok: false, status: 401 });

    await a.run(sql`UPDATE sessions SET status = 'stopped' WHERE id = ${running}`);
    expect(await agentTokenSession(b, token)).toBeNull();
    expect(await checkRequest(req("POST", "/api/hooks", token), opts)).toMatchObject({ ok: false, status: 401 });
    await a.run(sql`UPDATE sessions SET status = 'running' WHERE id = ${running}`);
    expect(await agentTokenSession(b, token)).toBe(running);

    await revokeAgentTokens(b, running);
    expect(await agentTokenSession(a, token)).toBeNull();
    expect(await count(a, "auth_tokens")).toBe(0);
  });

  it("the login throttle: a sliding window per address, pruned as it goes, cleared by a sign-in", async () => {
    const a = await open();
    const b = await again(a);
    const t0 = Date.now();
    for (let i = 0; i < LOGIN_FAILURES_ALLOWED - 1; i++) await recordLoginFailure(i % 2 ? a : b, "10.0.0.1", t0 + i);
    expect(await loginRetryAfterSeconds(a, "10.0.0.1", t0 + 10)).toBe(0);
    await recordLoginFailure(b, "10.0.0.1", t0 + 10);
    expect(await loginRetryAfterSeconds(a, "10.0.0.1", t0 + 10)).toBe(Math.ceil(LOGIN_WINDOW_MS / 1000));
    expect(await loginRetryAfterSeconds(a, "10.0.0.2", t0 + 10)).toBe(0);
    // The first failure leaves the window: four in it again.
    expect(await loginRetryAfterSeconds(b, "10.0.0.1", t0 + LOGIN_WINDOW_MS + 1)).toBe(0);

    // Recording prunes what has left the window, any address's.
    await recordLoginFailure(a, "10.0.0.2", t0 + LOGIN_WINDOW_MS + 5);
    expect(await count(b, "login_failures")).toBe(LOGIN_FAILURES_ALLOWED - 5 + 1 + 1);
    await clearLoginFailures(b, "10.0.0.1");
    expect(await a.all(sql`SELECT address FROM login_failures`)).toEqual([{ address: "10.0.0.2" }]);
  });

  it("sign-in attempts are counted one at a time: concurrent guesses from two instances never exceed the allowance", async () => {
    const a = await open();
    const b = await again(a);
    const now = Date.now();
    const guesses = Array.from({ length: 12 }, (_, i) => loginAttempt(i % 2 ? a : b, "10.0.0.9", false, now));
    const waits = await Promise.all(guesses);
    expect(waits.filter((w) => w === 0)).toHaveLength(LOGIN_FAILURES_ALLOWED);
    expect(await count(a, "login_failures")).toBe(LOGIN_FAILURES_ALLOWED);

    // Blocked: even the right token is refused, and nothing is recorded or cleared.
    const before = await snapshot(a);
    expect(await loginAttempt(b, "10.0.0.9", true, now + 1)).toBeGreaterThan(0);
    expect(await snapshot(a)).toEqual(before);

    // Past the window the right token clears the address.
    expect(await loginAttempt(a, "10.0.0.9", true, now + LOGIN_WINDOW_MS + 1)).toBe(0);
    expect(await count(b, "login_failures")).toBe(0);
  });
});
