/**
 * Reading `<root>/openspec` into an in-memory tree. Symlinks are never
 * followed out of the project: a link whose real path leaves `root` is
 * skipped and listed in `snapshot.skipped` (and passed to `onSkip`), so a
 * hostile root cannot make the dashboard read `/etc/passwd` through it.
 * Links that stay inside are described (their target kind), and a linked
 * file's content is read; linked directories are never walked.
 */
import * as fs from 'node:fs';
import path from 'node:path';
import { OpenSpecTree, type EntryKind, type TreeSnapshot } from './tree';

export interface ReadOptions {
  /** Whether to read/walk `parent/child` (tree paths); default: everything under openspec/. */
  wanted?: (parent: string, child: string) => boolean;
  onSkip?: (relPath: string) => void;
}

const kindOf = (d: fs.Dirent | fs.Stats): EntryKind =>
  d.isSymbolicLink() ? 'symlink' : d.isDirectory() ? 'dir' : d.isFile() ? 'file' : 'other';

export function readTree(root: string, options: ReadOptions = {}): OpenSpecTree {
  const snapshot: TreeSnapshot = { dirs: {}, files: {}, links: {}, skipped: [] };
  let realRoot: string;
  try {
    realRoot = fs.realpathSync(root);
  } catch {
    return new OpenSpecTree(snapshot);
  }
  const inside = (p: string) => p === realRoot || p.startsWith(realRoot + path.sep);
  const wanted = options.wanted ?? ((parent: string, child: string) => parent !== '' || child === 'openspec');
  const abs = (rel: string) => path.join(realRoot, ...rel.split('/'));
  const walk = (rel: string): void => {
    let dirents: fs.Dirent[];
    let st: fs.Stats;
    try {
      st = fs.lstatSync(abs(rel));
      dirents = fs.readdirSync(abs(rel), { withFileTypes: true });
    } catch {
      return;
    }
    snapshot.dirs[rel] = { mtimeMs: st.mtimeMs, entries: dirents.map((d) => ({ name: d.name, kind: kindOf(d) })) };
    for (const d of dirents) {
      const child = rel === '' ? d.name : `${rel}/${d.name}`;
      if (!wanted(rel, child)) continue;
      try {
        if (d.isDirectory()) walk(child);
        else if (d.isFile()) {
          const fst = fs.statSync(abs(child));
          snapshot.files[child] = { content: fs.readFileSync(abs(child), 'utf-8'), mtimeMs: fst.mtimeMs };
        } else if (d.isSymbolicLink()) {
          const target = fs.realpathSync(abs(child));
          if (!inside(target)) {
            snapshot.skipped!.push(child);
            options.onSkip?.(child);
            continue;
          }
          const tst = fs.statSync(target);
          snapshot.links![child] = { kind: kindOf(tst), mtimeMs: tst.mtimeMs };
          if (tst.isFile()) snapshot.files[child] = { content: fs.readFileSync(target, 'utf-8'), mtimeMs: tst.mtimeMs };
        }
      } catch {
        // Vanished or unreadable between listing and reading: leave it out.
      }
    }
  };
  walk('');
  return new OpenSpecTree(snapshot);
}
