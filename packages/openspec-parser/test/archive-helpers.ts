/** Shared helpers for the archive/write tests: temp roots, tree dumps, the official CLI. */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const oracleDir = path.resolve(repoRoot, '../shared/openspec-oracle');
export const officialBin = path.join(repoRoot, 'node_modules/.bin/openspec');
export const PINNED_MTIME = new Date('2025-01-01T00:00:00Z');

export function makeTempDir(prefix = 'wd-archive-'): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
}

/** Copy a tree (symlinks kept as links) and pin every mtime, like the oracle recorder. */
export function copyRoot(src: string, dest: string): void {
  fs.cpSync(src, dest, { recursive: true, verbatimSymlinks: true });
  pinMtimes(dest);
}

export function pinMtimes(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) pinMtimes(p);
    fs.utimesSync(p, PINNED_MTIME, PINNED_MTIME);
  }
  fs.utimesSync(dir, PINNED_MTIME, PINNED_MTIME);
}

/** Write `files` (path → content) under `root`; `symlinks` maps link path → target (relative to the link's dir). */
export function writeTree(root: string, files: Record<string, string>, symlinks: Record<string, string> = {}): void {
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }
  for (const [rel, target] of Object.entries(symlinks)) {
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.symlinkSync(target, p);
  }
}

/**
 * Every file under `root` with its content (symlinks as `-> target`, empty
 * dirs as `<dir>`), excluding the given top-level noise (lock dirs).
 */
export function dumpTree(root: string, ignore: (rel: string) => boolean = () => false): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    const entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
    if (entries.length === 0 && rel !== '') out[rel + '/'] = '<dir>';
    for (const e of entries) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (ignore(child)) continue;
      if (e.isSymbolicLink()) out[child] = `-> ${fs.readlinkSync(path.join(root, child))}`;
      else if (e.isDirectory()) walk(child);
      else out[child] = fs.readFileSync(path.join(root, child), 'utf-8');
    }
  };
  walk('');
  return out;
}

export const OFFICIAL_ENV = {
  OPENSPEC_TELEMETRY: '0',
  DO_NOT_TRACK: '1',
  OPENSPEC_NO_UPDATE_CHECK: '1',
  NO_COLOR: '1',
  LANG: 'C',
};

/** Run the official CLI in `cwd`; returns stdout, stderr and the exit code. */
export async function runOfficial(cwd: string, args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const xdg = path.join(os.tmpdir(), 'wd-openspec-xdg');
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [officialBin, ...args], {
      cwd,
      env: {
        ...process.env,
        ...OFFICIAL_ENV,
        XDG_CONFIG_HOME: path.join(xdg, 'config'),
        XDG_DATA_HOME: path.join(xdg, 'data'),
        XDG_CACHE_HOME: path.join(xdg, 'cache'),
      },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; code?: number };
    return { stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: typeof e.code === 'number' ? e.code : 1 };
  }
}

/** Mask the temp root and the archive date prefix the way the oracle recorder did. */
export function normaliseArchiveJson(value: unknown, root: string): unknown {
  const text = JSON.stringify(value)
    .split(root)
    .join('<ROOT>')
    .replace(/\d{4}-\d{2}-\d{2}-/g, (m) => m); // dates kept; masked per field below
  const parsed = JSON.parse(text) as { archive?: { archivedAs?: string; path?: string; change?: string } | null };
  if (parsed.archive && parsed.archive.archivedAs && parsed.archive.change) {
    const { change } = parsed.archive;
    if (parsed.archive.archivedAs !== change) {
      parsed.archive.archivedAs = parsed.archive.archivedAs.replace(/^\d{4}-\d{2}-\d{2}-/, '<DATE>-');
      parsed.archive.path = parsed.archive.path?.replace(/\/\d{4}-\d{2}-\d{2}-([^/]*)$/, '/<DATE>-$1');
    }
  }
  return parsed;
}
