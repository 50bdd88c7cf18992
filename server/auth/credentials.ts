import { createHash, randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import type { SqlStore } from "../db/sql-store";
import { AGENT_TOKEN_PREFIX, type Credentials } from "../http/security";

/**
 * Credentials the server issues, kept in the database as sha256 hashes (issue 10 item 10):
 * - login sessions: the browser's cookie holds a random id, never WORKDECK_TOKEN itself; logout
 *   or expiry ends it, and every server process on the database sees the same sessions;
 * - agent tokens: minted per launched run, handed to the child instead of WORKDECK_TOKEN, valid
 *   only for what an agent needs (security.ts decides the scope) and only while the run's
 *   session is `running`;
 * - the login throttle: failed sign-ins per client address.
 * The secrets are 32 random bytes, so a plain sha256 is enough (nothing to brute-force).
 *
 * Everything goes through the SQL port in portable SQL, so it holds on SQLite and PostgreSQL
 * alike (issue 14). Lookups only read: a forged or expired secret changes nothing.
 */

export const LOGIN_TTL_MS = 14 * 24 * 3600 * 1000;
/** Failed sign-ins allowed per address within the window; the next one is refused (429). */
export const LOGIN_FAILURES_ALLOWED = 5;
export const LOGIN_WINDOW_MS = 60_000;

const hash = (secret: string) => createHash("sha256").update(secret).digest("hex");
const secret = () => randomBytes(32).toString("base64url");

// ----- browser logins -----

/** A new login session; the id goes in the cookie, only its hash in the table. */
export async function createLoginSession(store: SqlStore, now = Date.now()): Promise<{ id: string; expiresAt: Date }> {
  const id = secret();
  const expiresAt = new Date(now + LOGIN_TTL_MS);
  await store.transaction(async (tx) => {
    await tx.run(sql`DELETE FROM auth_tokens WHERE kind = 'login' AND expires_at <= ${now}`);
    await tx.run(
      sql`INSERT INTO auth_tokens (token_hash, kind, created_at, expires_at) VALUES (${hash(id)}, 'login', ${now}, ${expiresAt})`,
    );
  });
  return { id, expiresAt };
}

export async function isLoginSession(store: SqlStore, id: string, now = Date.now()): Promise<boolean> {
  const row = await store.get(sql`SELECT kind FROM auth_tokens WHERE token_hash = ${hash(id)} AND kind = 'login' AND expires_at > ${now}`);
  return row !== undefined;
}

export async function endLoginSession(store: SqlStore, id: string): Promise<void> {
  await store.run(sql`DELETE FROM auth_tokens WHERE token_hash = ${hash(id)} AND kind = 'login'`);
}

// ----- agent tokens -----

/**
 * A token for one run of a launched session. Also drops tokens whose session no longer runs
 * (a crashed server never revoked them; they were already refused, this only tidies).
 */
export async function mintAgentToken(store: SqlStore, sessionId: number, now = Date.now()): Promise<string> {
  const token = newAgentToken();
  await storeAgentToken(store, sessionId, token, now);
  return token;
}

/** A fresh agent token, valid only once `storeAgentToken` has stored it (a launch builds the child's env first). */
export function newAgentToken(): string {
  return `${AGENT_TOKEN_PREFIX}${secret()}`;
}

/** Makes a token from `newAgentToken` valid for the session's runs (see mintAgentToken). */
export async function storeAgentToken(store: SqlStore, sessionId: number, token: string, now = Date.now()): Promise<void> {
  await store.transaction(async (tx) => {
    await tx.run(
      sql`DELETE FROM auth_tokens WHERE kind = 'agent' AND session_id NOT IN (SELECT id FROM sessions WHERE status = 'running')`,
    );
    await tx.run(
      sql`INSERT INTO auth_tokens (token_hash, kind, session_id, created_at) VALUES (${hash(token)}, 'agent', ${sessionId}, ${now})`,
    );
  });
}

/** The session (and its project) an agent token belongs to, if the token exists and that session is running. */
export async function agentTokenScope(store: SqlStore, token: string): Promise<{ sessionId: number; projectSlug: string } | null> {
  if (!token.startsWith(AGENT_TOKEN_PREFIX)) return null;
  const row = await store.get<{ session_id: number; project_slug: string }>(
    sql`SELECT t.session_id, s.project_slug FROM auth_tokens t INNER JOIN sessions s ON s.id = t.session_id
        WHERE t.token_hash = ${hash(token)} AND t.kind = 'agent' AND s.status = 'running'`,
  );
  return row ? { sessionId: Number(row.session_id), projectSlug: row.project_slug } : null;
}

/** The session an agent token belongs to, if the token exists and that session is running. */
export async function agentTokenSession(store: SqlStore, token: string): Promise<number | null> {
  return (await agentTokenScope(store, token))?.sessionId ?? null;
}

/** Ends every agent token of a session (its run ended). */
export async function revokeAgentTokens(store: SqlStore, sessionId: number): Promise<void> {
  await store.run(sql`DELETE FROM auth_tokens WHERE kind = 'agent' AND session_id = ${sessionId}`);
}

// ----- the login throttle -----

/**
 * Seconds until this address may try again, or 0. Sliding window: blocked while the last
 * LOGIN_FAILURES_ALLOWED failures all fall within LOGIN_WINDOW_MS.
 */
export async function loginRetryAfterSeconds(store: SqlStore, address: string, now = Date.now()): Promise<number> {
  const nth = await store.get<{ at: number | string }>(
    sql`SELECT at FROM login_failures WHERE address = ${address} AND at > ${now - LOGIN_WINDOW_MS}
        ORDER BY at DESC LIMIT 1 OFFSET ${LOGIN_FAILURES_ALLOWED - 1}`,
  );
  if (!nth) return 0;
  return Math.max(1, Math.ceil((Number(nth.at) + LOGIN_WINDOW_MS - now) / 1000));
}

export async function recordLoginFailure(store: SqlStore, address: string, now = Date.now()): Promise<void> {
  await store.transaction(async (tx) => {
    await tx.run(sql`DELETE FROM login_failures WHERE at < ${now - LOGIN_WINDOW_MS}`);
    await tx.run(sql`INSERT INTO login_failures (address, at) VALUES (${address}, ${now})`);
  });
}

/**
 * One sign-in attempt against the throttle, in one exclusive transaction per address so concurrent
 * guesses (in this process or another) cannot all pass the check before any is counted. Returns
 * the seconds to wait (refused, nothing recorded, even for the right token), or 0: a wrong token
 * is then counted and a right one clears the address's failures.
 */
export function loginAttempt(store: SqlStore, address: string, matches: boolean, now = Date.now()): Promise<number> {
  return store.transaction(
    async (tx) => {
      const wait = await loginRetryAfterSeconds(tx, address, now);
      if (wait > 0) return wait;
      if (matches) await clearLoginFailures(tx, address);
      else await recordLoginFailure(tx, address, now);
      return 0;
    },
    { exclusive: `login:${address}` },
  );
}

/** A successful sign-in forgets the address's failures. */
export async function clearLoginFailures(store: SqlStore, address: string): Promise<void> {
  await store.run(sql`DELETE FROM login_failures WHERE address = ${address}`);
}

/** The lookups the HTTP edge needs (security.ts stays free of the database). */
export function authCredentials(store: SqlStore): Credentials {
  return {
    loginSession: (id) => isLoginSession(store, id),
    agentToken: async (token) => (await agentTokenSession(store, token)) !== null,
  };
}
