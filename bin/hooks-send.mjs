// `workdeck hooks send`: relays one Claude Code hook payload (a `command` hook's stdin) to
// POST /api/hooks. Plain JavaScript on purpose, dispatched by bin/workdeck.mjs before tsx and
// commander load: it runs on every tool call of every agent, and the full CLI costs ~400 ms to
// start where this costs ~80. It never blocks or fails the agent: it always exits 0, within a
// short timeout, and keeps what it could not deliver in a small spool the next send flushes first.
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import path from "node:path";

/** Per request; a server that is up answers in a few ms. */
const REQUEST_TIMEOUT_MS = 1500;
/** The spool keeps at most this much; the oldest entries go first. */
export const SPOOL_MAX_BYTES = 1024 * 1024;
export const SPOOL_MAX_ENTRIES = 2000;
/** Bounded work per invocation, so one send never turns into a long flush. */
const FLUSH_MAX_ENTRIES = 500;
const STDIN_MAX_BYTES = 4 * 1024 * 1024;

/**
 * @param {{ env: Record<string, string | undefined>, appRoot: string, stdin?: NodeJS.ReadableStream, stderr?: { write(s: string): unknown }, now?: () => number }} opts
 * @returns {Promise<{ delivered: number, spooled: number, dropped: number }>}
 */
export async function sendHook(opts) {
  const stats = { delivered: 0, spooled: 0, dropped: 0 };
  const now = opts.now ?? Date.now;
  const target = targetOf(opts.env);
  const spool = spoolPath(opts.env, opts.appRoot);
  const body = await readAll(opts.stdin ?? process.stdin);
  const firedAt = now();
  const entry = body.trim() ? { firedAt, body, workdeckSessionId: opts.env.WORKDECK_SESSION_ID ?? null } : null;

  // Older events first, so the server sees a session in order.
  let serverUp = true;
  let spoolHeld = 0;
  const claimed = claimSpool(spool);
  if (claimed) {
    const pending = readSpool(claimed);
    let i = 0;
    for (; i < pending.length && i < FLUSH_MAX_ENTRIES; i++) {
      const outcome = await post(target, pending[i]);
      if (outcome === "retry") {
        serverUp = false;
        break;
      }
      if (outcome === "ok") stats.delivered++;
      else stats.dropped++;
    }
    const rest = pending.slice(i);
    fs.rmSync(claimed, { force: true });
    if (rest.length) appendSpool(spool, rest);
    spoolHeld = rest.length;
  }
  if (entry) {
    const outcome = serverUp ? await post(target, entry) : "retry";
    if (outcome === "retry") {
      appendSpool(spool, [entry]);
      stats.spooled++;
      // Once per spool: the send that starts one says so (Claude Code shows a hook's stderr in its
      // transcript), the ones that add to it stay quiet rather than repeat it on every tool call.
      if (spoolHeld === 0 && !otherSpoolHeld(spool)) {
        (opts.stderr ?? process.stderr).write(
          `workdeck: ${target.url.origin} did not take the hook event; keeping events in ${spool} until it answers. ` +
            `Wrong address? Run \`workdeck hooks install --project <slug> --url <server URL>\` or set WORKDECK_URL.\n`,
        );
      }
    } else if (outcome === "ok") stats.delivered++;
    else stats.dropped++;
  }
  return stats;
}

/**
 * A session Workdeck launched carries WORKDECK_AGENT_TOKEN (scoped to hook posts, revoked when its
 * run ends) and never WORKDECK_TOKEN; a session the user started reads their WORKDECK_TOKEN.
 * The address: WORKDECK_URL (a launched session's own server), else WORKDECK_HOOK_URL (what
 * `hooks install` recorded in the command), else the default port.
 * @param {Record<string, string | undefined>} env
 */
function targetOf(env) {
  const base = (env.WORKDECK_URL || env.WORKDECK_HOOK_URL || "http://127.0.0.1:3000").replace(/\/+$/, "");
  return { url: new URL(`${base}/api/hooks`), token: env.WORKDECK_AGENT_TOKEN || env.WORKDECK_TOKEN || undefined };
}

/** Under the Workdeck data dir (where the database lives by default). */
export function spoolPath(env, appRoot) {
  if (env.WORKDECK_SPOOL_DIR) return path.join(env.WORKDECK_SPOOL_DIR, "hooks.ndjson");
  return path.join(env.WORKDECK_HOME || appRoot, "data", "spool", "hooks.ndjson");
}

/**
 * "ok" (stored), "drop" (the server refused the payload itself: a 4xx other than auth/limits
 * can never succeed, so keeping it would only block the spool), "retry" (down, slow, 5xx, 401).
 * @returns {Promise<"ok" | "drop" | "retry">}
 */
function post(target, entry) {
  return new Promise((resolve) => {
    const data = Buffer.from(entry.body, "utf8");
    const headers = {
      "content-type": "application/json",
      "content-length": String(data.byteLength),
      "x-workdeck-fired-at": String(entry.firedAt),
    };
    if (entry.workdeckSessionId) headers["x-workdeck-session-id"] = String(entry.workdeckSessionId);
    if (target.token) headers.authorization = `Bearer ${target.token}`;
    const lib = target.url.protocol === "https:" ? https : http;
    let settled = false;
    const done = (value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(value);
    };
    const req = lib.request(target.url, { method: "POST", headers }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      res.on("end", () =>
        done(status < 300 ? "ok" : status >= 500 || status === 401 || status === 403 || status === 429 ? "retry" : "drop"),
      );
      res.on("error", () => done("retry"));
    });
    const timer = setTimeout(() => {
      req.destroy();
      done("retry");
    }, REQUEST_TIMEOUT_MS);
    req.on("error", () => done("retry"));
    req.end(data);
  });
}

/**
 * Whether the spool already held entries before this send appended its own (another send may
 * have claimed it meanwhile; its `.sending` file counts as the same spool).
 */
function otherSpoolHeld(spool) {
  try {
    const lines = fs.readFileSync(spool, "utf8").split("\n").filter(Boolean).length;
    if (lines > 1) return true;
    const base = path.basename(spool);
    return fs.readdirSync(path.dirname(spool)).some((n) => n.startsWith(`${base}.`) && n.endsWith(".sending"));
  } catch {
    return false;
  }
}

/** Takes the spool for this process (two hooks firing at once must not send it twice). */
function claimSpool(spool) {
  const claimed = `${spool}.${process.pid}.${Date.now()}.sending`;
  try {
    fs.renameSync(spool, claimed);
    return claimed;
  } catch {
    return null;
  }
}

function readSpool(file) {
  const entries = [];
  let text = "";
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return entries;
  }
  for (const line of text.split("\n")) {
    if (!line) continue;
    try {
      const e = JSON.parse(line);
      if (typeof e.body === "string" && typeof e.firedAt === "number") entries.push(e);
    } catch {
      // A line cut short by a crash; the rest of the spool is still good.
    }
  }
  return entries;
}

/** Appends, then trims to the bounds dropping the oldest entries. */
function appendSpool(spool, entries) {
  try {
    fs.mkdirSync(path.dirname(spool), { recursive: true });
    fs.appendFileSync(spool, entries.map((e) => `${JSON.stringify(e)}\n`).join(""));
    const size = fs.statSync(spool).size;
    // Entries are at least ~60 bytes: below this size neither bound can be exceeded.
    if (size <= Math.min(SPOOL_MAX_BYTES, SPOOL_MAX_ENTRIES * 60)) return;
    const lines = fs.readFileSync(spool, "utf8").split("\n").filter(Boolean);
    let kept = lines.slice(-SPOOL_MAX_ENTRIES);
    let bytes = kept.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
    while (kept.length && bytes > SPOOL_MAX_BYTES) bytes -= Buffer.byteLength(kept.shift()) + 1;
    if (kept.length === lines.length) return;
    const tmp = `${spool}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, kept.map((l) => `${l}\n`).join(""));
    fs.renameSync(tmp, spool);
  } catch {
    // Never fail the agent over telemetry.
  }
}

function readAll(stream) {
  return new Promise((resolve) => {
    if (stream.isTTY) return resolve("");
    const chunks = [];
    let size = 0;
    stream.on("data", (c) => {
      size += c.length;
      if (size <= STDIN_MAX_BYTES) chunks.push(c);
    });
    stream.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    stream.on("error", () => resolve(""));
  });
}
