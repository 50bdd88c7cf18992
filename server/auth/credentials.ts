import { createHash, randomBytes } from "node:crypto";
import { and, desc, eq, gt, lt, lte, notInArray } from "drizzle-orm";
import type { Db } from "../db/client";
import { authTokens, loginFailures, sessions } from "../db/schema";
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
 */

export const LOGIN_TTL_MS = 14 * 24 * 3600 * 1000;
/** Failed sign-ins allowed per address within the window; the next one is refused (429). */
export const LOGIN_FAILURES_ALLOWED = 5;
export const LOGIN_WINDOW_MS = 60_000;

const hash = (secret: string) => createHash("sha256").update(secret).digest("hex");
const secret = () => randomBytes(32).toString("base64url");

// ----- browser logins -----

/** A new login session; the id goes in the cookie, only its hash in the table. */
export function createLoginSession(db: Db, now = Date.now()): { id: string; expiresAt: Date } {
  const id = secret();
  const expiresAt = new Date(now + LOGIN_TTL_MS);
  db.transaction((tx) => {
    tx.delete(authTokens)
      .where(and(eq(authTokens.kind, "login"), lte(authTokens.expiresAt, new Date(now))))
      .run();
    tx.insert(authTokens)
      .values({ tokenHash: hash(id), kind: "login", createdAt: new Date(now), expiresAt })
      .run();
  });
  return { id, expiresAt };
}

export function isLoginSession(db: Db, id: string, now = Date.now()): boolean {
  const row = db
    .select({ k: authTokens.kind })
    .from(authTokens)
    .where(and(eq(authTokens.tokenHash, hash(id)), eq(authTokens.kind, "login"), gt(authTokens.expiresAt, new Date(now))))
    .get();
  return row !== undefined;
}

export function endLoginSession(db: Db, id: string): void {
  db.delete(authTokens)
    .where(and(eq(authTokens.tokenHash, hash(id)), eq(authTokens.kind, "login")))
    .run();
}

// ----- agent tokens -----

/**
 * A token for one run of a launched session. Also drops tokens whose session no longer runs
 * (a crashed server never revoked them; they were already refused, this only tidies).
 */
export function mintAgentToken(db: Db, sessionId: number, now = Date.now()): string {
  const token = `${AGENT_TOKEN_PREFIX}${secret()}`;
  db.transaction((tx) => {
    const running = tx.select({ id: sessions.id }).from(sessions).where(eq(sessions.status, "running"));
    tx.delete(authTokens)
      .where(and(eq(authTokens.kind, "agent"), notInArray(authTokens.sessionId, running)))
      .run();
    tx.insert(authTokens)
      .values({ tokenHash: hash(token), kind: "agent", sessionId, createdAt: new Date(now) })
      .run();
  });
  return token;
}

/** The session an agent token belongs to, if the token exists and that session is running. */
export function agentTokenSession(db: Db, token: string): number | null {
  if (!token.startsWith(AGENT_TOKEN_PREFIX)) return null;
  const row = db
    .select({ sessionId: authTokens.sessionId })
    .from(authTokens)
    .innerJoin(sessions, eq(sessions.id, authTokens.sessionId))
    .where(and(eq(authTokens.tokenHash, hash(token)), eq(authTokens.kind, "agent"), eq(sessions.status, "running")))
    .get();
  return row?.sessionId ?? null;
}

/** Ends every agent token of a session (its run ended). */
export function revokeAgentTokens(db: Db, sessionId: number): void {
  db.delete(authTokens)
    .where(and(eq(authTokens.kind, "agent"), eq(authTokens.sessionId, sessionId)))
    .run();
}

// ----- the login throttle -----

/**
 * Seconds until this address may try again, or 0. Sliding window: blocked while the last
 * LOGIN_FAILURES_ALLOWED failures all fall within LOGIN_WINDOW_MS.
 */
export function loginRetryAfterSeconds(db: Db, address: string, now = Date.now()): number {
  const nth = db
    .select({ at: loginFailures.at })
    .from(loginFailures)
    .where(and(eq(loginFailures.address, address), gt(loginFailures.at, new Date(now - LOGIN_WINDOW_MS))))
    .orderBy(desc(loginFailures.at))
    .limit(1)
    .offset(LOGIN_FAILURES_ALLOWED - 1)
    .get();
  if (!nth) return 0;
  return Math.max(1, Math.ceil((nth.at.getTime() + LOGIN_WINDOW_MS - now) / 1000));
}

export function recordLoginFailure(db: Db, address: string, now = Date.now()): void {
  db.transaction((tx) => {
    tx.delete(loginFailures)
      .where(lt(loginFailures.at, new Date(now - LOGIN_WINDOW_MS)))
      .run();
    tx.insert(loginFailures)
      .values({ address, at: new Date(now) })
      .run();
  });
}

/** A successful sign-in forgets the address's failures. */
export function clearLoginFailures(db: Db, address: string): void {
  db.delete(loginFailures).where(eq(loginFailures.address, address)).run();
}

/** The lookups the HTTP edge needs (security.ts stays free of the database). */
export function authCredentials(db: Db): Credentials {
  return {
    loginSession: (id) => isLoginSession(db, id),
    agentToken: (token) => agentTokenSession(db, token) !== null,
  };
}
