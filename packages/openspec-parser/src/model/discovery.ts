/** Which changes and specs a root holds (reference §3.1, §3.2, §5). */
import { ARCHIVE_DIR, CHANGES_DIR, join, SPECS_DIR, type OpenSpecTree } from '../tree';

/** ICU collation, as the CLI sorts ids (`.hidden` < `2025-x` < `ACTION-1` < `add-x`). */
export const byLocale = (a: string, b: string): number => a.localeCompare(b);
export const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Every directory under `changes/` but `archive`, dot-directories included (what `list` shows). */
export function listedChangeNames(tree: OpenSpecTree): string[] {
  return tree.subdirs(CHANGES_DIR).filter((n) => n !== 'archive');
}

/** Change ids `show` and `validate` know: the listed ones without dot-directories. */
export function changeIds(tree: OpenSpecTree): string[] {
  return listedChangeNames(tree)
    .filter((n) => !n.startsWith('.'))
    .sort(byLocale);
}

export function archivedChangeIds(tree: OpenSpecTree): string[] {
  return tree
    .subdirs(ARCHIVE_DIR)
    .filter((n) => !n.startsWith('.'))
    .sort(byLocale);
}

/** Spec ids: folders (nested allowed, dot-folders and links skipped) holding a `spec.md`. */
export function specIds(tree: OpenSpecTree): string[] {
  return tree.cached('specIds', () => {
    const out: string[] = [];
    const walk = (rel: string): void => {
      for (const name of tree.subdirs(join(SPECS_DIR, rel))) {
        if (name.startsWith('.')) continue;
        const id = rel ? `${rel}/${name}` : name;
        if (tree.isFile(join(SPECS_DIR, id, 'spec.md'))) out.push(id);
        walk(id);
      }
    };
    walk('');
    return out.sort(byLocale);
  });
}

export const specPath = (id: string): string => join(SPECS_DIR, id, 'spec.md');
export const changeDir = (id: string): string => join(CHANGES_DIR, id);

/** Files a change dir can hold that make it a change (a nested folder holding one is a "nested change"). */
const CHANGE_MARKERS = ['proposal.md', 'tasks.md', 'design.md', '.openspec.yaml', 'specs'];

const looksLikeChange = (tree: OpenSpecTree, dir: string): boolean => CHANGE_MARKERS.some((m) => tree.kind(join(dir, m)) !== undefined);

/**
 * A folder under `changes/` that holds no change files of its own but wraps
 * change folders (tricky fixture `ns/inner`, `ns/other`): the CLI lists it as
 * "not a change" and refuses to show, validate or archive it.
 */
export function nestedChangesOf(tree: OpenSpecTree, name: string, base = CHANGES_DIR): string[] | null {
  const dir = join(base, name);
  if (looksLikeChange(tree, dir)) return null;
  const nested = tree
    .subdirs(dir)
    .filter((child) => looksLikeChange(tree, join(dir, child)))
    .map((child) => `${name}/${child}`)
    .sort(byCodePoint);
  return nested.length > 0 ? nested : null;
}

export function nestedChangeMessage(name: string, nested: readonly string[]): string {
  const paths = nested.map((n) => `openspec/changes/${n}/`).join(', ');
  const example = nested[0]!.replace('/', '-');
  return (
    `"${name}" is not a change: it is a folder wrapping ${paths}. A change must be a directory directly under openspec/changes/, ` +
    'so those nested directories are invisible to OpenSpec while the folder around them is reported as a change. ' +
    `Nested paths are supported under openspec/specs/ only. Rename each nested change to a flat name (for example "${example}").`
  );
}

/** Delta spec files of a change: `specs/<cap-path>/spec.md`, keyed by capability id (code-point order). */
export function deltaSpecFiles(tree: OpenSpecTree, id: string, base = CHANGES_DIR): Array<{ spec: string; path: string }> {
  const root = join(base, id, 'specs');
  const out: Array<{ spec: string; path: string }> = [];
  const walk = (rel: string): void => {
    for (const name of tree.subdirs(join(root, rel))) {
      const cap = rel ? `${rel}/${name}` : name;
      if (tree.isFile(join(root, cap, 'spec.md'))) out.push({ spec: cap, path: join(root, cap, 'spec.md') });
      walk(cap);
    }
  };
  walk('');
  return out.sort((a, b) => byCodePoint(a.spec, b.spec));
}

/** Levenshtein distance, for "Did you mean" suggestions. */
export function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

export function suggestions(input: string, candidates: readonly string[], max = 5): string[] {
  return candidates
    .map((c, i) => ({ c, i, d: distance(input, c) }))
    .sort((x, y) => x.d - y.d || x.i - y.i)
    .slice(0, max)
    .map((x) => x.c);
}
