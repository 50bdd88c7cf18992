import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Pure request checks for the HTTP edge. The server starts agents that run
 * code, so every request passes: host binding, DNS-rebinding (Host header),
 * token, Origin on mutations, body size.
 */

export const TOKEN_COOKIE = "workdeck_token";

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

/** Paths a browser must reach before it has the cookie. */
const PUBLIC_PATHS = [/^\/login\/?$/, /^\/api\/login\/?$/, /^\/_next\/static\//, /^\/favicon\.ico$/];

export function checkRequest(req: RequestFacts, opts: { bindHost: string; token: string | undefined; maxBodyBytes: number }): Verdict {
  const hostHeader = header(req.headers, "host") ?? "";
  // DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends Host: evil.example.
  if (isLoopbackAddress(opts.bindHost) && !isLoopbackAddress(hostnameOf(hostHeader))) {
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

  if (opts.token && !PUBLIC_PATHS.some((p) => p.test(req.pathname))) {
    const presented = bearer(header(req.headers, "authorization")) ?? cookie(header(req.headers, "cookie"), TOKEN_COOKIE);
    if (!presented || !tokensEqual(presented, opts.token)) {
      const wantsHtml = req.method === "GET" && (header(req.headers, "accept") ?? "").includes("text/html");
      return { ok: false, status: 401, message: "A valid Workdeck token is required", redirectToLogin: wantsHtml };
    }
  }
  return { ok: true };
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

function cookie(value: string | undefined, name: string): string | undefined {
  for (const part of value?.split(";") ?? []) {
    const [k, ...rest] = part.trim().split("=");
    if (k === name) return decodeURIComponent(rest.join("="));
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
