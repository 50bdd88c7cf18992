import fs from "node:fs";
import path from "node:path";
import { AppError } from "../app-error";

/**
 * A change id as the official CLI accepts for lookups: any directory name,
 * but never a path (no separators, no `.`/`..`, no NUL).
 */
const ITEM_SEGMENT = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,200}$/;

export function assertChangeId(id: string): string {
  if (!ITEM_SEGMENT.test(id))
    throw new AppError("BAD_REQUEST", `Invalid change id "${printable(id)}": use letters, digits, '.', '_' or '-'`);
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
  const rootReal = realOrResolved(root);
  const target = path.resolve(rootReal, ...segments);
  if (!isWithin(rootReal, target)) throw new AppError("FORBIDDEN", `Path leaves the project root: ${printable(segments.join("/"))}`);
  // The deepest existing ancestor decides where a symlink really points.
  let probe = target;
  while (!fs.existsSync(probe) && probe !== rootReal) probe = path.dirname(probe);
  const probeReal = realOrResolved(probe);
  if (!isWithin(rootReal, probeReal))
    throw new AppError("FORBIDDEN", `Path leaves the project root through a link: ${printable(segments.join("/"))}`);
  return target;
}

/**
 * The one check before a file or folder is opened on behalf of a request:
 * `rel` (forward slashes, relative to the project) must really be inside the
 * project once every link on the way is followed, the last one included (a
 * `spec.md` that links to `/etc/passwd` leaves the project as surely as a
 * folder does). Returns the real path to open; a path that does not exist
 * yet is checked through its deepest existing ancestor. Errors name `rel`,
 * never a server path.
 */
export function resolveInsideProject(root: string, rel: string): string {
  const target = resolveInside(root, ...rel.split("/").filter((s) => s !== "" && s !== "."));
  try {
    return fs.realpathSync(target);
  } catch {
    return target;
  }
}

export function isWithin(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/** Whether `abs` (a link, or a path under links) really lies inside one of `roots` (already real). A dangling link does not leave. */
export function staysInside(realRoots: string[], abs: string): boolean {
  const real = realpathOrNull(abs);
  return real === null || realRoots.some((r) => isWithin(r, real));
}

/** Bounds for walking a folder on a request: an openspec/ tree is thousands of files, not millions. */
const WALK_MAX_ENTRIES = 200_000;
const WALK_MAX_DEPTH = 32;

/**
 * Links under `dir` whose target leaves every root, as paths relative to
 * `relTo` with forward slashes. Nothing is read and no link that leaves is
 * followed: a link to `/usr` costs one realpath. Links that stay inside are
 * walked (once per real folder, so a link to an ancestor cannot loop).
 */
export function findEscapingLinks(realRootsList: string[], dir: string, relTo: string): string[] {
  const found: string[] = [];
  const seen = new Set<string>();
  let budget = WALK_MAX_ENTRIES;
  // `real` is carried down instead of asked for per folder: only a link costs a realpath.
  const walk = (abs: string, real: string, depth: number): void => {
    if (seen.has(real) || depth > WALK_MAX_DEPTH) return;
    seen.add(real);
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(abs, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (--budget < 0) return;
      const child = path.join(abs, e.name);
      if (e.isSymbolicLink()) {
        const target = realpathOrNull(child);
        if (target === null) continue;
        if (!realRootsList.some((r) => isWithin(r, target))) found.push(toRel(relTo, child));
        else if (isDirectory(target)) walk(child, target, depth + 1);
      } else if (e.isDirectory()) {
        walk(child, path.join(real, e.name), depth + 1);
      }
    }
  };
  // A link anywhere on the way to `dir` (openspec/ itself, changes/) counts as one at `dir`.
  const start = realpathOrNull(dir);
  if (start === null) return [];
  if (!realRootsList.some((r) => isWithin(r, start))) return [toRel(relTo, dir)];
  walk(dir, start, 0);
  return found;
}

function realpathOrNull(p: string): string | null {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return null;
  }
}

function toRel(from: string, abs: string): string {
  return path.relative(from, abs).split(path.sep).join("/");
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The real path, or the resolved one for a path that does not exist (yet). */
export function realOrResolved(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

function printable(s: string): string {
  return s.replace(/[\0-\x1f]/g, "?").slice(0, 120);
}
