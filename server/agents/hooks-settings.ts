import fs from "node:fs";
import path from "node:path";
import { AppError } from "../app-error";

/**
 * `workdeck hooks install`: our command hooks merged into a Claude Code settings.json
 * (reference/claude-cli.md §4.1). Command hooks, not http ones: SessionStart is never delivered
 * to http hooks, and `workdeck hooks send` spools what it cannot deliver while the server is down.
 */

/** Every event the agents view reads. Tool events take a matcher ("*" = every tool). */
export const HOOK_EVENTS: { event: string; matcher?: string }[] = [
  { event: "SessionStart" },
  { event: "UserPromptSubmit" },
  { event: "PreToolUse", matcher: "*" },
  { event: "PostToolUse", matcher: "*" },
  { event: "PostToolUseFailure", matcher: "*" },
  { event: "PermissionRequest", matcher: "*" },
  { event: "Notification" },
  { event: "Stop" },
  { event: "StopFailure" },
  { event: "SubagentStart" },
  { event: "SubagentStop" },
  { event: "SessionEnd" },
];

/** Seconds Claude Code waits for a hook; `hooks send` gives up well before (it spools instead). */
const HOOK_TIMEOUT_S = 5;

type HookEntry = { type?: unknown; command?: unknown; [k: string]: unknown };
type MatcherGroup = { matcher?: string; hooks?: HookEntry[]; [k: string]: unknown };
type Settings = { hooks?: Record<string, MatcherGroup[]>; [k: string]: unknown };

/**
 * The command our hooks run: node with the absolute path of bin/workdeck.mjs. Claude Code hands
 * the string to a shell (`sh -c`), so the path is quoted for the shell; JSON quoting let `$`,
 * backquotes and `"` in a folder name expand or run. With `url`, the server's address rides in
 * WORKDECK_HOOK_URL (an assignment prefix, so bin/workdeck.mjs needs no flag parsing): without
 * it `hooks send` assumed 127.0.0.1:3000 and a server on any other port never heard a thing.
 */
export function hookCommand(appRoot: string, url?: string): string {
  const prefix = url ? `WORKDECK_HOOK_URL=${shellQuote(url)} ` : "";
  return `${prefix}node ${shellQuote(path.join(appRoot, "bin", "workdeck.mjs"))} hooks send`;
}

/**
 * A server URL fit for a settings file everybody can read: http(s), no credentials, no query.
 * Returns the normalised origin + path, or throws a BAD_REQUEST naming what is wrong.
 */
export function hookServerUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError("BAD_REQUEST", `"${raw}" is not a URL; give the server's address, such as http://127.0.0.1:3000.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new AppError("BAD_REQUEST", `The server URL must be http or https, not ${url.protocol}`);
  if (url.username || url.password)
    throw new AppError(
      "BAD_REQUEST",
      "The server URL must not carry a user or password: it is written into a settings file. Hooks read WORKDECK_TOKEN from the environment.",
    );
  if (url.search || url.hash) throw new AppError("BAD_REQUEST", "The server URL must not carry a query or a fragment.");
  // A quote is legal in a path but would make the recorded command harder to read back.
  return `${url.origin}${url.pathname.replace(/\/+$/, "").replace(/'/g, "%27")}`;
}

/** Where this install's `serve` listens (a wildcard bind is reached on loopback). */
export function localServerUrl(env: { host: string; port: number }): string {
  const host =
    env.host === "0.0.0.0" || env.host === "::" || env.host === "" ? "127.0.0.1" : env.host.includes(":") ? `[${env.host}]` : env.host;
  return `http://${host}:${env.port}`;
}

/** The URL an installed command records (null: an older install, which defaults to :3000). */
export function installedHookUrl(command: string): string | null {
  const m = /^WORKDECK_HOOK_URL='([^']*)'\s/.exec(command);
  return m ? m[1]! : null;
}

/**
 * POSIX single quotes: nothing inside is special, and a `'` becomes `'\''` (close, escaped quote,
 * reopen). Six characters of code; libraries such as shell-quote pick double quotes for strings
 * containing `'`, which brings `$` and backquote escaping back into play.
 */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, "'\\''")}'`;
}

/**
 * Ours = a command hook running `workdeck… hooks send`, in the shell-quoted form or the older
 * JSON-quoted one (so reinstalling replaces it). Recognised by the command rather than an extra
 * marker field: Claude Code ignores a settings file it cannot validate, whole.
 */
export function isOurHook(hook: HookEntry): boolean {
  return hook.type === "command" && typeof hook.command === "string" && /workdeck(\.mjs)?["']?\s+hooks\s+send\b/.test(hook.command);
}

export type InstallResult = { file: string; action: "installed" | "updated" | "unchanged" | "uninstalled" | "absent"; events: string[] };

/** Merges (or with `uninstall`, removes) our hooks; other hooks and settings are left as they were. */
export function installHooks(opts: { settingsFile: string; appRoot: string; url?: string; uninstall?: boolean }): InstallResult {
  const file = opts.settingsFile;
  const exists = fs.existsSync(file);
  const original = exists ? readSettings(file) : {};
  const next = withoutOurHooks(structuredClone(original));
  if (!opts.uninstall) {
    const command = hookCommand(opts.appRoot, opts.url);
    next.hooks ??= {};
    for (const { event, matcher } of HOOK_EVENTS) {
      const groups = (next.hooks[event] ??= []);
      groups.push({ ...(matcher ? { matcher } : {}), hooks: [{ type: "command", command, timeout: HOOK_TIMEOUT_S }] });
    }
  }
  const changed = JSON.stringify(next) !== JSON.stringify(original);
  const events = opts.uninstall ? [] : HOOK_EVENTS.map((e) => e.event);
  if (!changed) return { file, action: opts.uninstall ? "absent" : "unchanged", events };
  if (!exists && opts.uninstall) return { file, action: "absent", events };
  writeAtomic(file, `${JSON.stringify(next, null, 2)}\n`);
  const hadOurs = JSON.stringify(withoutOurHooks(structuredClone(original))) !== JSON.stringify(original);
  return { file, action: opts.uninstall ? "uninstalled" : hadOurs ? "updated" : "installed", events };
}

function readSettings(file: string): Settings {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new AppError(
      "BAD_REQUEST",
      `Cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); nothing was changed.`,
    );
  }
  let parsed: unknown;
  try {
    parsed = text.trim() ? JSON.parse(text) : {};
  } catch (err) {
    throw new AppError("UNPROCESSABLE", `${file} is not valid JSON (${(err as Error).message}); fix it first, it was left untouched.`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new AppError("UNPROCESSABLE", `${file} must hold a JSON object; it was left untouched.`);
  const hooks = (parsed as Settings).hooks;
  if (hooks !== undefined && (typeof hooks !== "object" || hooks === null || Array.isArray(hooks))) {
    throw new AppError("UNPROCESSABLE", `${file}: "hooks" must be an object of event names; it was left untouched.`);
  }
  for (const [event, groups] of Object.entries(hooks ?? {})) {
    if (!Array.isArray(groups)) throw new AppError("UNPROCESSABLE", `${file}: hooks.${event} must be an array; it was left untouched.`);
  }
  return parsed as Settings;
}

/** Removes our hooks, then any group or event they leave empty (only those we emptied). */
function withoutOurHooks(settings: Settings): Settings {
  if (!settings.hooks) return settings;
  let removed = false;
  for (const [event, groups] of Object.entries(settings.hooks)) {
    const kept: MatcherGroup[] = [];
    for (const group of groups) {
      if (!Array.isArray(group?.hooks)) {
        kept.push(group);
        continue;
      }
      const hooks = group.hooks.filter((h) => !isOurHook(h));
      if (hooks.length === group.hooks.length) kept.push(group);
      else {
        removed = true;
        if (hooks.length > 0) kept.push({ ...group, hooks });
      }
    }
    if (kept.length) settings.hooks[event] = kept;
    else if (groups.length) delete settings.hooks[event];
  }
  if (removed && Object.keys(settings.hooks).length === 0) delete settings.hooks;
  return settings;
}

/** Write to a temp file beside it, then rename: a crash never leaves half a settings file. */
function writeAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}
