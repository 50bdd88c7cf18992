/**
 * Error fingerprints: the same failure must hash the same across runs, machines and terminals,
 * so that failure groups (test case + fingerprint) accumulate occurrences instead of splitting.
 *
 * Decisions (see README for the long form):
 * - Input is the error TEXT without Playwright's code frame and `at` lines. The frame shows
 *   neighbouring source lines, so it changes with unrelated edits and can contain other tests'
 *   strings (reference/playwright-json.md §5).
 * - The failing LOCATION is part of the fingerprint as the repo-relative file plus the failing
 *   statement (the frame's `>` line), but NOT its line/column numbers: an import added at the top
 *   of a spec would otherwise split every group of that file and reset "recurring"/"persistent"
 *   counters, while the statement text still tells two identical messages from different
 *   assertions apart. Groups are already scoped to one test case, so this cannot merge tests.
 * - Varying tokens are replaced by placeholders: ANSI, absolute paths (repo-relative tail kept),
 *   ports, UUIDs, hex ids, timestamps/dates/times, durations, numbers of 4+ digits, decimals,
 *   temp dir names, `-retryN` output folders, and the call log except its first "waiting for"
 *   line, the target (the rest shows how far the action got before the timeout: load-dependent).
 *   Small integers (status codes, "Expected: 12") are kept: they are the failure's meaning.
 * - Several errors in one attempt (expect.soft, timeout + interrupted action) are fingerprinted
 *   as a SET: per-error signatures deduplicated and sorted, so order does not matter.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { stripAnsi } from "./ansi";
import { HookKindSchema, type AttemptStatus, type ExpectedStatus, type HookKind } from "./model";

/** Bumped whenever normalisation changes, so stored fingerprints can be recomputed or compared. */
export const FINGERPRINT_VERSION = 3;

/** The parts of an error we read; our TestError and Playwright's raw error both fit. */
export interface ErrorLike {
  message: string;
  snippet?: string;
  location?: { file: string; line?: number; column?: number };
}

export interface FingerprintContext {
  /**
   * Absolute roots of the producing machine, stripped from paths (config.rootDir and the config
   * file's folder). Paths outside them keep their last two segments.
   */
  rootDirs?: readonly string[];
  /** The test's declared status: `failed` (test.fail) with no error means "passed unexpectedly". */
  expectedStatus?: ExpectedStatus;
  /** Statuses of the attempts the errors come from (`timedOut` marks a timeout). */
  attemptStatuses?: readonly AttemptStatus[];
  /** A hook inferred from the report's structure (TestResult.structuralHook). */
  structuralHook?: HookKind;
}

export const SetupTeardownSchema = z.enum(["setup", "teardown"]);
export type SetupTeardown = z.infer<typeof SetupTeardownSchema>;

export const FingerprintSchema = z.object({
  /** 16 hex chars of sha256 over `signature`: the grouping key. */
  hash: z.string(),
  version: z.number().int(),
  /** The normalised text that was hashed (useful for debugging a split or merged group). */
  signature: z.string(),
  /** First line of the first error, ANSI stripped, not normalised: for display. */
  headline: z.string(),
  errorCount: z.number().int(),
  timeout: z.boolean(),
  hook: HookKindSchema.nullable(),
  setupTeardown: SetupTeardownSchema.nullable(),
  notImplemented: z.boolean(),
});
export type Fingerprint = z.infer<typeof FingerprintSchema>;

// 1. Code frame --------------------------------------------------------------------------------------

const FRAME_LINE = /^\s*>?\s*\d+\s\|/;
const FRAME_MARKER = /^\s+\|/;
const AT_LINE = /^\s*at\s.+/;

export interface SplitMessage {
  /** The error text: everything before the code frame and the stack `at` lines. */
  text: string;
  /** Frame lines (ANSI stripped), as printed. Empty when the message has none. */
  frame: string[];
}

/** Splits Playwright's formatted message (text + blank line + code frame + `at` line). */
export function splitCodeFrame(message: string): SplitMessage {
  const lines = stripAnsi(message).split(/\r?\n/);
  let end = lines.length;
  let frameStart = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    // A frame follows a blank line in the formatted message; an `at` line starts the stack.
    if (frameStart < 0 && FRAME_LINE.test(line) && (i === 0 || (lines[i - 1] ?? "").trim() === "")) {
      frameStart = i;
      end = Math.min(end, i);
    } else if (AT_LINE.test(line) && /:\d+(?::\d+)?\)?\s*$/.test(line)) {
      end = Math.min(end, i);
      if (frameStart < 0) break;
    }
  }
  const frame: string[] = [];
  if (frameStart >= 0) {
    for (let i = frameStart; i < lines.length; i++) {
      const line = lines[i] ?? "";
      if (FRAME_LINE.test(line) || FRAME_MARKER.test(line)) frame.push(line);
      else break;
    }
  }
  return { text: trimBlankLines(lines.slice(0, end)).join("\n"), frame };
}

function trimBlankLines(lines: string[]): string[] {
  let a = 0;
  let b = lines.length;
  while (a < b && (lines[a] ?? "").trim() === "") a++;
  while (b > a && (lines[b - 1] ?? "").trim() === "") b--;
  return lines.slice(a, b);
}

interface FrameLine {
  n: number;
  code: string;
  failing: boolean;
}

function parseFrame(frame: readonly string[]): FrameLine[] {
  const out: FrameLine[] = [];
  for (const line of frame) {
    const m = /^\s*(>)?\s*(\d+)\s\|(.*)$/.exec(line);
    if (m) out.push({ n: Number(m[2]), code: m[3] ?? "", failing: m[1] === ">" });
  }
  return out;
}

function frameOf(error: ErrorLike): FrameLine[] {
  const fromMessage = splitCodeFrame(error.message).frame;
  if (fromMessage.length > 0) return parseFrame(fromMessage);
  return error.snippet ? parseFrame(stripAnsi(error.snippet).split(/\r?\n/)) : [];
}

// 2. Varying-token normalisation ------------------------------------------------------------------

const TEMP_SEGMENT = /^(?:tmp|temp|T)$|^(?:playwright-artifacts|playwright-transform-cache|vitest|jest|tmp|npm)-[\w.-]+$/i;

/** Replaces tokens that vary per run/machine in one piece of error text. */
export function normalizeText(text: string, rootDirs: readonly string[] = []): string {
  let s = stripAnsi(text);
  // Roots first, longest first, so the repo-relative tail survives intact.
  for (const root of [...rootDirs]
    .map(toPosix)
    .filter((r) => r.length > 1)
    .sort((a, b) => b.length - a.length)) {
    s = s.split(`file://${root}/`).join("").split(`${root}/`).join("");
    // The bare root only when it is a whole path (not the start of `/rootfoo`).
    s = s.replace(new RegExp(`${root.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\w.-])`, "g"), "<ROOT>");
  }
  s = toPosixPaths(s);
  s = s
    // URLs and host:port pairs: the web server gets a new port per run.
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/(?:[^\s/:@'"`]+@)?(?:\[[^\]\s]+\]|[^\s/:'"`<>]+)):\d{1,5}\b/gi, "$1:<PORT>")
    .replace(/\b(localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1?\]):\d{1,5}\b/gi, "$1:<PORT>")
    .replace(/\bport:? \d{2,5}\b/gi, "port <PORT>")
    .replace(/:::\d{2,5}\b/g, ":::<PORT>")
    // Absolute paths not under a known root: keep the last two segments, or <TMP> for temp dirs.
    .replace(/(?<![\w.:/>-])(?:file:\/\/)?(?:[A-Za-z]:\/|\/)(?:[^\s/'"`()<>:]+\/)+[^\s/'"`()<>:]*/g, shortenAbsolutePath)
    .replace(/-retry\d+\b/g, "")
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, "<UUID>")
    .replace(
      /\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? (?:\d{1,2} )?(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* (?:\d{1,2},? )?\d{4}(?: \d{1,2}:\d{2}(?::\d{2})?)?(?: (?:GMT|UTC)(?:[+-]\d{4})?)?(?: \([^)]*\))?/g,
      "<TIMESTAMP>",
    )
    .replace(/\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?\b/g, "<TIMESTAMP>")
    .replace(/\b\d{4}-\d{2}-\d{2}\b/g, "<DATE>")
    .replace(/\b\d{1,2}\/\d{1,2}\/\d{2,4}\b/g, "<DATE>")
    .replace(/\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b/g, "<TIME>")
    .replace(/\b0x[0-9a-f]+\b/gi, "<HEX>")
    // Hex ids (sess_2b174f004133, wh_9f8e7d6c, sha1s): 6+ hex chars with a digit and a letter.
    // `_` and `-` count as separators, so prefixed ids are caught; plain words have no digit.
    .replace(/(?<![0-9A-Za-z])(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{6,}(?![0-9A-Za-z])/g, "<HEX>")
    .replace(/(?<![0-9A-Za-z])(?=[0-9A-F]*\d)(?=[0-9A-F]*[A-F])[0-9A-F]{6,}(?![0-9A-Za-z])/g, "<HEX>")
    // Random tokens (nanoid, base62): 16+ alphanumerics mixing digits and letters.
    .replace(/(?<![0-9A-Za-z])(?=[0-9A-Za-z]*\d)(?=[0-9A-Za-z]*[A-Za-z])[0-9A-Za-z]{16,}(?![0-9A-Za-z])/g, "<ID>")
    // Durations as Playwright prints them (5000ms, 1.5s): timeouts are configuration, not meaning.
    .replace(/(?<![\w.])\d+(?:\.\d+)?(?:ms|s)\b/g, "<DURATION>")
    // Decimals and numbers of 4+ digits (epoch ms, counters, sizes, ids); small integers stay.
    .replace(/(?<![\w.])\d+\.\d+(?![\w.])/g, "<N>")
    .replace(/(?<![A-Za-z0-9.])\d{4,}(?![A-Za-z0-9])/g, "<N>");
  return s;
}

function toPosix(p: string): string {
  return p.replace(/\\/g, "/").replace(/\/+$/, "");
}

/** Windows paths (C:\a\b) -> C:/a/b so one path regex serves both. */
function toPosixPaths(s: string): string {
  return s.replace(/\b[A-Za-z]:\\(?:[^\\\s'"`]+\\)*[^\\\s'"`]*/g, (p) => p.replace(/\\/g, "/"));
}

const SYSTEM_TOP =
  /^(?:[A-Za-z]:|home|Users|tmp|var|private|opt|srv|mnt|root|builds|ci|workspace|github|runner|usr|app|work|__w|data|Volumes|build|agent|jenkins|drone|codebuild)$/;

function shortenAbsolutePath(match: string): string {
  const path = match.replace(/^file:\/\//, "");
  const segments = path.split("/").filter(Boolean);
  // Only rewrite what looks like a machine path: an API route (/v1/notes/n1) stays as it is.
  if (segments.length < 3 || !SYSTEM_TOP.test(segments[0] ?? "")) return match;
  const tempAt = segments.findIndex((seg) => TEMP_SEGMENT.test(seg));
  if (tempAt >= 0) return `<TMP>/${segments.at(-1) ?? ""}`;
  return `<PATH>/${segments.slice(-2).join("/")}`;
}

// 3. Per-error signature -------------------------------------------------------------------------

const MAX_LINES = 15;
const MAX_CHARS = 2000;

/** The first meaningful lines of an error, normalised, with the call log reduced to what is stable. */
export function normalizeErrorMessage(message: string, rootDirs: readonly string[] = []): string {
  const { text } = splitCodeFrame(message);
  const kept: string[] = [];
  let inCallLog = false;
  let targetKept = false;
  for (const rawLine of text.split("\n")) {
    const line = rawLine.trim();
    if (/^Call log:?$/i.test(line)) {
      inCallLog = true;
      targetKept = false;
      kept.push("Call log:");
      continue;
    }
    if (inCallLog) {
      if (line === "") continue;
      if (/^(?:-|\d+\s*×)/.test(line)) {
        // Keep only the first wait: the target ("waiting for locator('#save')"), logged as the
        // action starts. Everything after it records how far the action got before the timeout
        // (resolved, attempting, "waiting for element to be …", retries, `N ×` counts), which
        // depends on the timeout and the machine's load; the action is in the headline.
        const wait = /^(?:-|\d+\s*×)\s*(waiting for .*)$/.exec(line);
        if (wait?.[1] && !targetKept) {
          targetKept = true;
          kept.push(`- ${wait[1]}`);
        }
        continue;
      }
      inCallLog = false;
    }
    if (line !== "") kept.push(line.replace(/\s+/g, " "));
    if (kept.length >= MAX_LINES) break;
  }
  return normalizeText(kept.join("\n"), rootDirs).slice(0, MAX_CHARS);
}

/** One error's canonical form: normalised text, then `@ file :: failing statement` when known. */
export function errorSignature(error: ErrorLike, rootDirs: readonly string[] = []): string {
  const text = normalizeErrorMessage(error.message, rootDirs);
  const failing = frameOf(error).find((l) => l.failing);
  const file = error.location?.file ? normalizeText(error.location.file, rootDirs) : undefined;
  const where = [file, failing ? normalizeText(failing.code.trim().replace(/\s+/g, " "), rootDirs) : undefined].filter(Boolean);
  return where.length > 0 ? `${text}\n@ ${where.join(" :: ")}` : text;
}

// 4. Flags ---------------------------------------------------------------------------------------

const HOOK_TIMEOUT = /exceeded while running "(beforeAll|beforeEach|afterAll|afterEach)" hook/;
const HOOK_CALL = /(?:^|[^\w$])(beforeAll|beforeEach|afterAll|afterEach)\s*\(/;
// A test or describe declaration (a call whose first argument is a title string).
const TEST_CALL = /(?:^|[^\w$.])(?:test|it|describe)(?:\.(?:describe|only|skip|fixme|fail|slow|serial|parallel))*\s*\(\s*['"`]/;

/**
 * Which hook raised the error. The JSON never names it (reference §3), so: (1) the hook-timeout
 * wording; (2) the code frame: walking up from the failing line, a hook call reached before any
 * test/describe declaration encloses the throw (only within the frame's 2 lines of context);
 * (3) the structural hint (failed first test + did-not-run siblings = beforeAll).
 */
export function detectHook(errors: readonly ErrorLike[], structuralHook?: HookKind): HookKind | null {
  // A run-level error of global setup/teardown (run-errors.ts): the stage is known for certain.
  if (structuralHook === "globalSetup" || structuralHook === "globalTeardown") return structuralHook;
  for (const e of errors) {
    const m = HOOK_TIMEOUT.exec(stripAnsi(e.message));
    if (m) return m[1] as HookKind;
  }
  for (const e of errors) {
    const frame = frameOf(e);
    const failingAt = frame.findIndex((l) => l.failing);
    if (failingAt < 0) continue;
    for (let i = failingAt; i >= 0; i--) {
      const code = frame[i]?.code ?? "";
      const hook = HOOK_CALL.exec(code);
      if (hook) return hook[1] as HookKind;
      if (TEST_CALL.test(code)) break;
    }
  }
  return structuralHook ?? null;
}

export function setupOrTeardown(hook: HookKind | null): SetupTeardown | null {
  if (hook === null) return null;
  return hook === "beforeAll" || hook === "beforeEach" || hook === "globalSetup" ? "setup" : "teardown";
}

/**
 * Test timeouts and action timeouts (`locator.click: Timeout 5000ms exceeded`). A retrying
 * assertion's `Timeout: 5000ms` line is NOT a timeout: its result is `failed` and the cause is the
 * asserted state, so it stays an assertion failure.
 */
export function detectTimeout(errors: readonly ErrorLike[], attemptStatuses: readonly AttemptStatus[] = []): boolean {
  if (attemptStatuses.includes("timedOut")) return true;
  return errors.some((e) => {
    const text = splitCodeFrame(e.message).text;
    return /\b(?:Test|Worker teardown) timeout of \d+ms exceeded\b|\bTimeout \d+ms exceeded\b|\bTimed out \d+ms waiting for\b/.test(text);
  });
}

/** "feature not implemented" in the error text itself (never in the code frame, which shows neighbours). */
export function detectNotImplemented(errors: readonly ErrorLike[]): boolean {
  return errors.some((e) => /feature not implemented/i.test(splitCodeFrame(e.message).text));
}

// 5. The fingerprint -----------------------------------------------------------------------------

const NO_ERROR = "<no error message>";
const PASSED_UNEXPECTEDLY = "test.fail(): expected to fail, but passed";

/** Fingerprint of the errors of one failing attempt (or of one test result). */
export function fingerprintErrors(errors: readonly ErrorLike[], context: FingerprintContext = {}): Fingerprint {
  const roots = context.rootDirs ?? [];
  let signatures = [...new Set(errors.map((e) => errorSignature(e, roots)))].sort();
  if (signatures.length === 0) signatures = [context.expectedStatus === "failed" ? PASSED_UNEXPECTEDLY : NO_ERROR];
  const signature = signatures.join("\n---\n");
  const hook = detectHook(errors, context.structuralHook);
  const first = errors[0]
    ? splitCodeFrame(errors[0].message)
        .text.split("\n")
        .find((l) => l.trim() !== "")
    : undefined;
  return {
    hash: hashSignature(signature),
    version: FINGERPRINT_VERSION,
    signature,
    headline: first?.trim() ?? signatures[0] ?? NO_ERROR,
    errorCount: errors.length,
    timeout: detectTimeout(errors, context.attemptStatuses),
    hook,
    setupTeardown: setupOrTeardown(hook),
    notImplemented: detectNotImplemented(errors),
  };
}

export function hashSignature(signature: string): string {
  return createHash("sha256").update(`v${FINGERPRINT_VERSION}\n${signature}`).digest("hex").slice(0, 16);
}
