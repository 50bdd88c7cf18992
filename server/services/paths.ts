import fs from "node:fs";
import path from "node:path";
import { AppError } from "../errors";

/**
 * A change id as the official CLI accepts for lookups: any directory name,
 * but never a path (no separators, no `.`/`..`, no NUL).
 */
const ITEM_SEGMENT = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,200}$/;

export function assertChangeId(id: string): string {
  if (!ITEM_SEGMENT.test(id)) throw new AppError("BAD_REQUEST", `Invalid change id "${printable(id)}": use letters, digits, '.', '_' or '-'`);
  return id;
}

/** Spec ids may be nested (`platform/auth`): each segment follows the change-id rule. */
export function assertSpecId(id: string): string {
  const segments = id.split("/");
  if (segments.length > 8 || !segments.every((s) => ITEM_SEGMENT.test(s))) {
    throw new AppError("BAD_REQUEST", `Invalid spec id "${printable(id)}": segments of letters, digits, '.', '_' or '-' joined by '/'`);
  }
  return id;
}

/**
 * Joins segments under root and proves the result stays inside it, following
 * symlinks for the parts that exist. Rejects absolute segments, `..`, NUL.
 */
export function resolveInside(root: string, ...segments: string[]): string {
  for (const s of segments) {
    if (s.includes("\0")) throw new AppError("BAD_REQUEST", "Path contains a NUL byte");
    if (path.isAbsolute(s)) throw new AppError("FORBIDDEN", `Absolute path not allowed: ${printable(s)}`);
  }
  const rootReal = realpathOrSelf(root);
  const target = path.resolve(rootReal, ...segments);
  if (!isWithin(rootReal, target)) throw new AppError("FORBIDDEN", `Path leaves the project root: ${printable(segments.join("/"))}`);
  // The deepest existing ancestor decides where a symlink really points.
  let probe = target;
  while (!fs.existsSync(probe) && probe !== rootReal) probe = path.dirname(probe);
  const probeReal = realpathOrSelf(probe);
  if (!isWithin(rootReal, probeReal)) throw new AppError("FORBIDDEN", `Path leaves the project root through a link: ${printable(segments.join("/"))}`);
  return target;
}

export function isWithin(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

function realpathOrSelf(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

function printable(s: string): string {
  return s.replace(/[\0-\x1f]/g, "?").slice(0, 120);
}
