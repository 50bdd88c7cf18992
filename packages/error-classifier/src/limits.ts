/**
 * Bounds on what a report may hold, and checks of its bytes, so a broken or hostile file is refused
 * with a message instead of overflowing the stack or filling the database with megabyte keys
 * (issue 10). Real Playwright reports sit far below every bound.
 */
import { ReportFormatError, type ReportFormatErrorCode } from "./errors";

/** Describe blocks inside a file. The schema and the normaliser recurse per level; 800 overflowed the stack. */
export const MAX_SUITE_DEPTH = 100;
/** One title (a describe's or a test's); titles become part of every test's stored identity. */
export const MAX_TITLE_CHARS = 4096;
/** A spec file path. */
export const MAX_FILE_CHARS = 4096;
/** Playwright project names, tags, annotation types. */
export const MAX_NAME_CHARS = 1024;
/** A JUnit testcase name holds the whole title path (`describe › test`). */
export const MAX_JUNIT_NAME_CHARS = 16384;
/** Entries of one list inside a spec (its tests, their results, a result's errors and attachments). */
export const MAX_LIST_ENTRIES = 10_000;
/** Durations beyond a month are not measurements: clamped, so sums and averages stay meaningful. */
export const MAX_DURATION_MS = 30 * 24 * 3600 * 1000;

export function clampDuration(ms: number): number {
  return Math.min(MAX_DURATION_MS, Math.max(0, ms));
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Report bytes -> text. Playwright writes UTF-8 (JSON.stringify output), so anything else is a file
 * that was re-encoded, compressed or damaged on the way: refused, with what it looks like.
 */
export function decodeReportText(input: Uint8Array, code: Extract<ReportFormatErrorCode, "NOT_JSON" | "NOT_XML">): string {
  if ((input[0] === 0xff && input[1] === 0xfe) || (input[0] === 0xfe && input[1] === 0xff)) {
    throw new ReportFormatError(
      code,
      "The report is UTF-16 text (it starts with a UTF-16 byte-order mark). Send the file as UTF-8, the encoding Playwright writes.",
    );
  }
  if (input[0] === 0x1f && input[1] === 0x8b) {
    throw new ReportFormatError(code, "The report is gzip-compressed. Decompress it and send the plain file.");
  }
  try {
    return utf8.decode(input);
  } catch {
    throw new ReportFormatError(
      code,
      "The report is not valid UTF-8 text: the file was damaged or re-encoded on the way. Send the file Playwright wrote, unchanged.",
    );
  }
}

/** A string field that becomes part of a stored identity: bounded, and no NUL (file names reach the filesystem). */
export function checkIdentityText(value: string, max: number): string | undefined {
  if (value.length > max)
    return `is ${value.length.toLocaleString("en")} characters long; at most ${max.toLocaleString("en")} are accepted`;
  if (value.includes("\u0000")) return "contains a NUL character";
  return undefined;
}

/** An HTML page (a proxy's error page, the html reporter's index.html) rather than a report. */
export function looksLikeHtml(text: string): boolean {
  return /^(?:<\?xml[^>]*>\s*)?(?:<!--[\s\S]*?-->\s*)*<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])/i.test(text.slice(0, 4096));
}
