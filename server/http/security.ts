import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Pure request checks for the HTTP edge. The server starts agents that run
 * code, so every request passes: host binding, DNS-rebinding (Host header),
 * token, Origin on mutations, body size.
 */

/** The browser's login: a random session id (auth-sessions.ts), never the token itself. */
export const SESSION_COOKIE = "workdeck_session";
/** Set by the edge from the socket (replacing whatever a client sent), read by the login throttle. */
export const CLIENT_ADDRESS_HEADER = "x-workdeck-client-address";
/** Agent tokens carry a prefix, so the edge knows which lookup applies and a leaked one is recognisable. */
export const AGENT_TOKEN_PREFIX = "wda_";

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

export function isLoopbackAddress(host: string): boolean {
  const h = host.toLowerCase();
  return LOOPBACK_HOSTS.has(h) || /^127\.\d+\.\d+\.\d+$/.test(h) || h.endsWith(".localhost");
}

/** Refuses to listen beyond loopback without a token. */
export function assertListenAllowed(host: string, token: string | undefined): void {
  if (!isLoopbackAddress(host) && !token) {
    throw new Error(
      `Refusing to listen on ${host} without WORKDECK_TOKEN: Workdeck starts agents that run code. ` +
        `Set WORKDECK_TOKEN (16+ characters) or listen on 127.0.0.1.`,
    );
  }
}

export type RequestFacts = {
  method: string;
  pathname: string;
  headers: Record<string, string | string[] | undefined>;
};

export type Verdict = { ok: true } | { ok: false; status: number; message: string; redirectToLogin?: boolean };

/** The database lookups behind credentials the server issued (auth/credentials.ts; async: either SQL dialect, issue 14). */
export type Credentials = {
  /** A live login session id (the cookie). */
  loginSession(id: string): Promise<boolean>;
  /** A live agent token (its session is running). */
  agentToken(token: string): Promise<boolean>;
};

/** Paths a browser must reach before it has the cookie (logout only ends what its cookie names). */
const PUBLIC_PATHS = [/^\/login\/?$/, /^\/api\/login\/?$/, /^\/api\/logout\/?$/, /^\/_next\/static\//, /^\/favicon\.ico$/];

/**
 * All an agent token may reach: posting hook events, and the MCP endpoint Workdeck attaches to
 * the sessions it launches. Everything else (the API, reports, the UI) needs WORKDECK_TOKEN.
 */
const AGENT_SCOPE: { method: string | null; path: RegExp }[] = [
  { method: "POST", path: /^\/api\/hooks\/?$/ },
  { method: null, path: /^\/api\/mcp\/?$/ },
];

/**
 * Inbound webhooks (issue 15): GitHub, GitLab and Railway reach them from outside, without the
 * Workdeck token, through whatever name the tunnel or proxy has. Exactly these POSTs skip the
 * Host and token checks: each is authenticated by its sender's signature or secret instead
 * (server/webhooks/ingest.ts), before anything is parsed or stored.
 */
const WEBHOOK_PATH = /^\/api\/webhooks\/(?:github|gitlab|railway\/[^/]{1,300})\/?$/;

export function isWebhookPost(req: Pick<RequestFacts, "method" | "pathname">): boolean {
  return req.method.toUpperCase() === "POST" && WEBHOOK_PATH.test(req.pathname);
}

/** Every check on one request; only a credential issued by the server needs the database (hence async). */
export async function checkRequest(
  req: RequestFacts,
  opts: { bindHost: string; token: string | undefined; maxBodyBytes: number; credentials?: Credentials },
): Promise<Verdict> {
  const hostHeader = header(req.headers, "host") ?? "";
  const webhook = isWebhookPost(req);
  // DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends Host: evil.example.
  if (!webhook && isLoopbackAddress(opts.bindHost) && !isLoopbackAddress(hostnameOf(hostHeader))) {
    return { ok: false, status: 403, message: `Host "${hostHeader.slice(0, 100)}" is not allowed on a loopback-only server` };
  }

  const mutating = !["GET", "HEAD", "OPTIONS"].includes(req.method.toUpperCase());
  if (mutating) {
    const origin = header(req.headers, "origin");
    const fetchSite = header(req.headers, "sec-fetch-site");
    if (fetchSite === "cross-site") return { ok: false, status: 403, message: "Cross-site requests may not change anything" };
    // Browsers always send Origin on cross-origin POSTs; CLI and hooks send none.
    if (origin && origin !== "null" && hostOfUrl(origin) !== hostHeader.toLowerCase()) {
      return { ok: false, status: 403, message: `Origin ${origin.slice(0, 100)} does not match this server` };
    }
    if (origin === "null") return { ok: false, status: 403, message: "Opaque origins may not change anything" };
  }

  const length = Number(header(req.headers, "content-length") ?? 0);
  if (Number.isFinite(length) && length > opts.maxBodyBytes) {
    return { ok: false, status: 413, message: `Request body of ${length} bytes exceeds the limit of ${opts.maxBodyBytes} bytes` };
  }

  if (opts.token && !webhook && !PUBLIC_PATHS.some((p) => p.test(req.pathname))) return authenticate(req, opts.token, opts.credentials);
  return { ok: true };
}

/** Bearer WORKDECK_TOKEN (CLI, hooks, reports), a bearer agent token within its scope, or a login cookie. */
async function authenticate(req: RequestFacts, token: string, credentials: Credentials | undefined): Promise<Verdict> {
  const presented = bearer(header(req.headers, "authorization"));
  if (presented) {
    if (tokensEqual(presented, token)) return { ok: true };
    if (presented.startsWith(AGENT_TOKEN_PREFIX) && (await credentials?.agentToken(presented))) {
      const method = req.method.toUpperCase();
      if (AGENT_SCOPE.some((s) => (s.method === null || s.method === method) && s.path.test(req.pathname))) return { ok: true };
      return { ok: false, status: 403, message: "An agent token only reaches hook posts and MCP; this needs WORKDECK_TOKEN" };
    }
  } else {
    const session = cookie(header(req.headers, "cookie"), SESSION_COOKIE);
    if (session && (await credentials?.loginSession(session))) return { ok: true };
  }
  const wantsHtml = req.method === "GET" && (header(req.headers, "accept") ?? "").includes("text/html");
  return { ok: false, status: 401, message: "A valid Workdeck token is required", redirectToLogin: wantsHtml };
}

/**
 * Records the caller's socket address in CLIENT_ADDRESS_HEADER, replacing any value the client
 * sent under that name (Next's handler reads `req.headers`). Not X-Forwarded-For: anyone can send
 * that, and behind a proxy all callers share the proxy's address, which only throttles harder.
 */
export function stampClientAddress(headers: Record<string, string | string[] | undefined>, remoteAddress: string | undefined): void {
  headers[CLIENT_ADDRESS_HEADER] = remoteAddress ?? "unknown";
}

/** Constant-time comparison that does not leak the token's length. */
export function tokensEqual(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb);
}

function header(headers: RequestFacts["headers"], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function bearer(value: string | undefined): string | undefined {
  const m = value?.match(/^Bearer\s+(.+)$/i);
  return m?.[1]?.trim();
}

/** One cookie's value; a malformed %-escape reads as absent (it must not throw in the edge). */
export function cookie(value: string | null | undefined, name: string): string | undefined {
  for (const part of value?.split(";") ?? []) {
    const [k, ...rest] = part.trim().split("=");
    if (k !== name) continue;
    try {
      return decodeURIComponent(rest.join("="));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function hostnameOf(hostHeader: string): string {
  if (hostHeader.startsWith("[")) return hostHeader.slice(0, hostHeader.indexOf("]") + 1);
  return hostHeader.split(":")[0] ?? "";
}

function hostOfUrl(url: string): string | undefined {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return undefined;
  }
}
