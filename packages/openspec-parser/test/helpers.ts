/** Shared test helpers: temp copies with pinned mtimes, normalisation like the oracle recorder. */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = path.resolve(packageRoot, '../..');
export const oracleDir = path.resolve(repoRoot, '../shared/openspec-oracle');
export const officialBin = path.join(repoRoot, 'node_modules/.bin/openspec');

/** The official CLI run quiet (no telemetry, update check or colour) in UTC and the C locale, as the oracle was recorded. */
export const officialEnv = {
  ...process.env,
  OPENSPEC_TELEMETRY: '0',
  DO_NOT_TRACK: '1',
  OPENSPEC_NO_UPDATE_CHECK: '1',
  NO_COLOR: '1',
  TZ: 'UTC',
  LANG: 'C',
};

/** Every corpus file's mtime, as the recorder pinned it. */
export const PINNED = new Date('2025-01-01T00:00:00Z');

async function pinTimes(dir: string): Promise<void> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await pinTimes(full);
    if (!entry.isSymbolicLink()) await fs.utimes(full, PINNED, PINNED);
  }
}

/** Copy `src` (a folder holding `openspec/`) to a fresh temp dir with pinned mtimes. */
export async function copyRoot(src: string, label: string): Promise<string> {
  const tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), `osp-${label}-`)));
  await fs.cp(src, tmp, { recursive: true, verbatimSymlinks: true });
  await pinTimes(tmp);
  await fs.utimes(tmp, PINNED, PINNED);
  return tmp;
}

/** `<ROOT>` for the temp root and `durationMs: 0`, as the recorder normalised. */
export function normalise(json: unknown, root: string): unknown {
  const text = JSON.stringify(json).split(root).join('<ROOT>');
  return JSON.parse(text, (key, value: unknown) => (key === 'durationMs' ? 0 : value));
}
