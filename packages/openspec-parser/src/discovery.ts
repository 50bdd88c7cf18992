// Behaviour follows @fission-ai/openspec 1.13.2 (MIT), dist/utils/spec-discovery.js,
// dist/utils/item-discovery.js, dist/utils/nested-change.js, dist/utils/match.js
import { parseDeltaSpec } from './parsers/requirement-blocks';
import { artifactOutputExists, resolveSchema, resolveSchemaForChange } from './schemas';
import { ARCHIVE_DIR, CHANGES_DIR, SPECS_DIR, join, type OpenSpecTree } from './tree';

export interface DiscoveredSpec {
  id: string;
  /** Tree path of the spec.md file. */
  specFile: string;
}

/** Code-point order — deliberately not localeCompare (the CLI does the same here). */
export const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Every `spec.md` below a specs root (nested ids allowed). A `spec.md` directly in the root is
 * ignored, dot entries are skipped, symlinked directories are not followed, a symlinked spec.md is.
 */
export function discoverSpecFiles(tree: OpenSpecTree, specsRoot: string): DiscoveredSpec[] {
  const results: DiscoveredSpec[] = [];
  const walk = (dir: string, segments: string[]): void => {
    const entries = tree.readdir(dir);
    if (!entries) return;
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      if (entry.kind === 'dir') {
        walk(join(dir, entry.name), [...segments, entry.name]);
      } else if (entry.name === 'spec.md' && segments.length > 0) {
        const specFile = join(dir, entry.name);
        if (entry.kind === 'file' || (entry.kind === 'symlink' && tree.isFile(specFile))) {
          results.push({ id: segments.join('/'), specFile });
        }
      }
    }
  };
  walk(specsRoot, []);
  return results.sort((a, b) => byCodePoint(a.id, b.id));
}

/** Markdown files with delta sections that the merge path never reads (`specs/x.md`, `specs/x/delta.md`). */
export function findUnreadDeltaFiles(tree: OpenSpecTree, specsRoot: string): Array<{ path: string; expected: string }> {
  const results: Array<{ path: string; expected: string }> = [];
  const walk = (dir: string, segments: string[]): void => {
    const entries = tree.readdir(dir);
    if (!entries) return;
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      if (entry.kind === 'dir') {
        walk(join(dir, entry.name), [...segments, entry.name]);
        continue;
      }
      if (entry.kind !== 'file' && entry.kind !== 'symlink') continue;
      if (entry.name === 'spec.md' || !entry.name.toLowerCase().endsWith('.md')) continue;
      const content = tree.readFile(join(dir, entry.name));
      if (content === null) continue;
      if (!Object.values(parseDeltaSpec(content).sectionPresence).some(Boolean)) continue;
      const capability = segments.length > 0 ? segments.join('/') : entry.name.slice(0, -'.md'.length);
      results.push({ path: [...segments, entry.name].join('/'), expected: `${capability}/spec.md` });
    }
  };
  walk(specsRoot, []);
  return results.sort((a, b) => byCodePoint(a.path, b.path));
}

/** Any non-dot regular file or symlink anywhere below `dir`. */
export function hasAnyFileUnder(tree: OpenSpecTree, dir: string): boolean {
  const entries = tree.readdir(dir);
  if (!entries) return false;
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    if (entry.kind === 'file' || entry.kind === 'symlink') return true;
    if (entry.kind === 'dir' && hasAnyFileUnder(tree, join(dir, entry.name))) return true;
  }
  return false;
}

/** Active change ids: non-dot directories under changes/ except `archive`, code-point sorted. */
export function getActiveChangeIds(tree: OpenSpecTree): string[] {
  return (tree.readdir(CHANGES_DIR) ?? [])
    .filter((e) => e.kind === 'dir' && e.name !== 'archive' && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

export function getSpecIds(tree: OpenSpecTree): string[] {
  return discoverSpecFiles(tree, SPECS_DIR).map((s) => s.id);
}

export function getArchivedChangeIds(tree: OpenSpecTree): string[] {
  return (tree.readdir(ARCHIVE_DIR) ?? [])
    .filter((e) => e.kind === 'dir' && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

// ---------------------------------------------------------------------------
// Namespace folders wrapping nested changes (#1846)
// ---------------------------------------------------------------------------

export interface NestedChangeFinding {
  name: string;
  nested: string[];
}

const CHANGE_ROOT_MARKERS = ['.openspec.yaml', 'proposal.md', 'tasks.md', 'design.md'];
const MAX_NESTING_DEPTH = 3;
export const NESTED_CHANGE_ISSUE_MARKER = 'is not a change: it is a folder wrapping';

function looksLikeChange(tree: OpenSpecTree, dir: string): boolean {
  if (CHANGE_ROOT_MARKERS.some((marker) => tree.isFile(join(dir, marker)))) return true;
  if (hasAnyFileUnder(tree, join(dir, 'specs'))) return true;
  try {
    const schema = resolveSchema(tree, resolveSchemaForChange(tree, dir));
    return schema.artifacts.some((artifact) => artifactOutputExists(tree, dir, artifact.generates));
  } catch {
    return false;
  }
}

function hasOwnFile(tree: OpenSpecTree, dir: string): boolean {
  return (tree.readdir(dir) ?? []).some((e) => !e.name.startsWith('.') && e.kind !== 'dir');
}

function collectNested(tree: OpenSpecTree, dir: string, prefix: string, depth: number, found: string[]): void {
  if (depth > MAX_NESTING_DEPTH) return;
  const children = (tree.readdir(dir) ?? []).filter((e) => e.kind === 'dir' && !e.name.startsWith('.')).map((e) => e.name);
  for (const child of children) {
    const childPath = join(dir, child);
    const id = `${prefix}/${child}`;
    if (looksLikeChange(tree, childPath)) {
      found.push(id);
      continue;
    }
    collectNested(tree, childPath, id, depth + 1, found);
  }
}

/** Whether `changes/<name>/` is a namespace folder holding nested change directories. */
export function findNestedChangesIn(tree: OpenSpecTree, name: string, changesDir = CHANGES_DIR): NestedChangeFinding | undefined {
  if (name === 'archive' || name.startsWith('.')) return undefined;
  const dir = join(changesDir, name);
  if (looksLikeChange(tree, dir)) return undefined;
  if (hasOwnFile(tree, dir)) return undefined;
  const nested: string[] = [];
  collectNested(tree, dir, name, 1, nested);
  if (nested.length === 0) return undefined;
  return { name, nested: nested.sort() };
}

export function findNestedChanges(tree: OpenSpecTree, names: readonly string[]): NestedChangeFinding[] {
  return names.map((name) => findNestedChangesIn(tree, name)).filter((f): f is NestedChangeFinding => f !== undefined);
}

export function describeNestedChange(finding: NestedChangeFinding): string {
  const list = finding.nested.map((id) => `openspec/changes/${id}/`).join(', ');
  const example = finding.nested[0].split('/').join('-');
  return (
    `"${finding.name}" ${NESTED_CHANGE_ISSUE_MARKER} ${list}. ` +
    'A change must be a directory directly under openspec/changes/, so those ' +
    'nested directories are invisible to OpenSpec while the folder around them ' +
    'is reported as a change. Nested paths are supported under openspec/specs/ ' +
    `only. Rename each nested change to a flat name (for example "${example}").`
  );
}

// ---------------------------------------------------------------------------
// "Did you mean" suggestions
// ---------------------------------------------------------------------------

export function nearestMatches(input: string, candidates: readonly string[], max = 5): string[] {
  const scored = candidates.map((candidate) => ({ candidate, distance: levenshtein(input, candidate) }));
  scored.sort((a, b) => a.distance - b.distance);
  return scored.slice(0, max).map((s) => s.candidate);
}

export function levenshtein(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  const dp: number[][] = Array.from({ length: m + 1 }, () => new Array<number>(n + 1).fill(0));
  for (let i = 0; i <= m; i++) dp[i][0] = i;
  for (let j = 0; j <= n; j++) dp[0][j] = j;
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      dp[i][j] = Math.min(dp[i - 1][j] + 1, dp[i][j - 1] + 1, dp[i - 1][j - 1] + cost);
    }
  }
  return dp[m][n];
}
