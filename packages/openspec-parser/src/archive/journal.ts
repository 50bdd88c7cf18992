/**
 * The archive executor (Workdeck's own): the only place an archive touches
 * the disk. It applies a plan (src/archive/plan.ts) all-or-nothing, moving
 * the change with a copy+delete fallback where rename cannot, crash-safe
 * with a write-ahead journal:
 *
 *   lock  →  journal{preparing}  →  mkdir, temp files, backups
 *         →  journal{committing} →  rename temps / unlink retired specs → move change dir
 *         →  delete backups, prune emptied dirs  →  delete journal  →  unlock
 *
 * A crash at any point leaves a journal; `recoverInterruptedArchive` (run by
 * every write operation and at server start) rolls back when the change dir
 * has not reached its archive destination yet, and forward when it has — so
 * the tree is always either exactly the old one or exactly the new one.
 */
import { randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as fs from 'node:fs';
import path from 'node:path';
import { lock } from 'proper-lockfile';

/**
 * One file-system step of an archive, paths relative to the project root.
 * `expected` is what the planner read, so the executor can refuse to
 * overwrite a file someone edited between planning and writing.
 */
export type ArchiveOperation =
  | { kind: 'write-spec'; specId: string; path: string; content: string; expected: string | null }
  | { kind: 'delete-spec'; specId: string; path: string; expected: string }
  | { kind: 'move-change'; from: string; to: string };
/** Lock file (a directory, proper-lockfile style) guarding every Workdeck write to a root. */
export const LOCK_FILE = 'openspec/.workdeck.lock';
/** Write-ahead journal of an archive in progress. */
export const JOURNAL_FILE = 'openspec/.workdeck-archive-journal.json';
/** Scratch space for writes that must appear atomically (new change dirs). */
export const STAGING_DIR = 'openspec/.workdeck-staging';

/** Thrown by a fault-injection hook to simulate the process dying at that step: no in-process rollback. */
export class SimulatedCrash extends Error {
  constructor(step: string) {
    super(`simulated crash at ${step}`);
    this.name = 'SimulatedCrash';
  }
}

export type FaultHook = (step: string) => void | Promise<void>;

export class LockBusyError extends Error {
  readonly code = 'openspec_root_locked';
  constructor(root: string, cause?: unknown) {
    super(`Another Workdeck operation is writing to ${path.join(root, 'openspec')}; try again in a moment.`);
    this.name = 'LockBusyError';
    this.cause = cause;
  }
}

const abs = (root: string, rel: string) => path.join(root, ...rel.split('/'));

// ---------------------------------------------------------------------------
// Lock
// ---------------------------------------------------------------------------

export interface LockOptions {
  /** How long to keep retrying a held lock, in ms (default 10 s). */
  waitMs?: number;
}

/**
 * Run `fn` holding the root's Workdeck lock. The lock lives at
 * `openspec/.workdeck.lock`, not under `changes/`: `openspec list` shows every
 * directory there, dot-directories included.
 */
export async function withOpenSpecLock<T>(root: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const openspecDir = path.join(root, 'openspec');
  const waitMs = options.waitMs ?? 10_000;
  let release: () => Promise<void>;
  try {
    release = await lock(openspecDir, {
      lockfilePath: abs(root, LOCK_FILE),
      stale: 10_000,
      retries: { retries: Math.max(1, Math.ceil(waitMs / 100)), minTimeout: 50, maxTimeout: 200, factor: 1.2 },
      // The mtime refresh failing means someone removed our lock; the journal
      // still protects the tree, so do not crash the server over it.
      onCompromised: () => undefined,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException)?.code === 'ELOCKED') throw new LockBusyError(root, error);
    throw error;
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------
// Journal
// ---------------------------------------------------------------------------

interface JournalSpec {
  path: string;
  action: 'write' | 'delete';
  /** Temp file holding the new content (write only). */
  temp?: string;
  /** Copy of the previous content, when the file existed. */
  backup?: string;
}

export interface ArchiveJournal {
  version: 1;
  nonce: string;
  phase: 'preparing' | 'committing';
  change: string;
  specs: JournalSpec[];
  /** Directories this archive creates, parents first (removed on rollback when empty). */
  createdDirs: string[];
  move: { from: string; to: string; staging: string };
  /** Directories to prune (when emptied) after retiring specs. */
  prune: string[];
}

async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.tmp`;
  const handle = await fsp.open(tmp, 'w');
  try {
    await handle.writeFile(JSON.stringify(value, null, 2));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fsp.rename(tmp, file);
  await syncDir(path.dirname(file));
}

async function syncDir(dir: string): Promise<void> {
  // Directory fsync makes renames durable on Linux; unsupported elsewhere.
  try {
    const handle = await fsp.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    /* best effort */
  }
}

async function fsyncFile(file: string): Promise<void> {
  const handle = await fsp.open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fsp.lstat(p);
    return true;
  } catch {
    return false;
  }
}

async function removeIfExists(p: string): Promise<void> {
  await fsp.rm(p, { recursive: true, force: true });
}

async function rmdirIfEmpty(dir: string): Promise<void> {
  try {
    await fsp.rmdir(dir);
  } catch {
    /* not empty or gone */
  }
}

/** Remove emptied directories from `startDir` upwards, never `boundary` itself. */
async function pruneEmptyDirs(startDir: string, boundary: string): Promise<void> {
  let dir = startDir;
  while (dir.startsWith(boundary + path.sep)) {
    try {
      const st = await fsp.lstat(dir);
      if (st.isSymbolicLink()) return;
      if ((await fsp.readdir(dir)).length > 0) return;
      await fsp.rmdir(dir);
    } catch {
      return;
    }
    dir = path.dirname(dir);
  }
}

export type RecoveryOutcome = 'rolled-back' | 'rolled-forward';

async function rollBack(root: string, j: ArchiveJournal): Promise<void> {
  for (const s of j.specs) {
    const target = abs(root, s.path);
    if (s.backup && j.phase === 'preparing') {
      // Originals are untouched before the commit point, and a backup may be partial.
      await removeIfExists(abs(root, s.backup));
    } else if (s.backup && (await exists(abs(root, s.backup)))) {
      await fsp.rename(abs(root, s.backup), target);
    } else if (s.action === 'write' && !s.backup && j.phase === 'committing') {
      // A brand-new spec: remove it whether or not its rename happened.
      await removeIfExists(target);
    }
    if (s.temp) await removeIfExists(abs(root, s.temp));
  }
  await removeIfExists(abs(root, j.move.staging));
  // The change dir never reached its destination; if a copy fallback got as far
  // as publishing, the destination is complete and the source is what is partial,
  // which is the roll-forward case, so here only the staging copy can exist.
  for (const dir of [...j.createdDirs].reverse()) await rmdirIfEmpty(abs(root, dir));
}

async function rollForward(root: string, j: ArchiveJournal): Promise<void> {
  for (const s of j.specs) {
    const target = abs(root, s.path);
    if (s.action === 'write' && s.temp && (await exists(abs(root, s.temp)))) {
      await fsp.rename(abs(root, s.temp), target);
    }
    if (s.action === 'delete') await removeIfExists(target);
  }
  // Copy fallback interrupted while deleting the source: finish the delete.
  if (await exists(abs(root, j.move.from))) await removeIfExists(abs(root, j.move.from));
  await removeIfExists(abs(root, j.move.staging));
  await finishCleanup(root, j);
}

async function finishCleanup(root: string, j: ArchiveJournal): Promise<void> {
  for (const s of j.specs) {
    if (s.backup) await removeIfExists(abs(root, s.backup));
    if (s.temp) await removeIfExists(abs(root, s.temp));
  }
  const specsRoot = abs(root, 'openspec/specs');
  for (const dir of j.prune) await pruneEmptyDirs(abs(root, dir), specsRoot);
}

function readJournal(root: string): ArchiveJournal | undefined {
  try {
    return JSON.parse(fs.readFileSync(abs(root, JOURNAL_FILE), 'utf-8')) as ArchiveJournal;
  } catch {
    return undefined;
  }
}

/** Recover without taking the lock (the caller holds it). */
export async function recoverUnlocked(root: string): Promise<RecoveryOutcome | null> {
  // A journal write that never reached its rename left only the temp copy,
  // and nothing else had been touched yet.
  await removeIfExists(abs(root, `${JOURNAL_FILE}.tmp`));
  await removeIfExists(abs(root, STAGING_DIR));
  if (!fs.existsSync(abs(root, JOURNAL_FILE))) return null;
  const j = readJournal(root);
  if (!j) {
    // Unparseable journal: it was written atomically, so this is not ours to guess at.
    throw new Error(`Cannot read ${abs(root, JOURNAL_FILE)}; inspect it and remove it by hand.`);
  }
  let outcome: RecoveryOutcome;
  if (j.phase === 'committing' && (await exists(abs(root, j.move.to)))) {
    await rollForward(root, j);
    outcome = 'rolled-forward';
  } else {
    await rollBack(root, j);
    outcome = 'rolled-back';
  }
  await fsp.unlink(abs(root, JOURNAL_FILE));
  await syncDir(abs(root, 'openspec'));
  return outcome;
}

/**
 * Finish or undo an archive a crash interrupted; null when there was nothing to recover.
 * Called by every write operation before it starts and at server start-up.
 */
export async function recoverInterruptedArchive(root: string, options: LockOptions = {}): Promise<RecoveryOutcome | null> {
  if (!fs.existsSync(path.join(root, 'openspec'))) return null;
  return withOpenSpecLock(root, () => recoverUnlocked(root), options);
}

// ---------------------------------------------------------------------------
// Executing a plan
// ---------------------------------------------------------------------------

export interface ExecuteOptions {
  /** Called before each step with its name; throw SimulatedCrash to stop dead there. */
  faultHook?: FaultHook;
  /** Test hook: take the copy+delete path of the move, as on EXDEV. */
  forceCopyMove?: boolean;
}

const FALLBACK_RENAME_CODES = new Set(['EXDEV', 'EPERM', 'EACCES', 'EBUSY', 'ENOTEMPTY', 'EEXIST']);

async function copyDir(src: string, dest: string): Promise<void> {
  await fsp.cp(src, dest, { recursive: true, verbatimSymlinks: true, errorOnExist: true, force: false, preserveTimestamps: true });
}

/** Run planned operations all-or-nothing. The caller holds the lock. */
export async function executeArchiveOperations(
  root: string,
  changeName: string,
  operations: ArchiveOperation[],
  options: ExecuteOptions = {},
): Promise<void> {
  const hook = options.faultHook ?? (() => undefined);
  const nonce = randomUUID().slice(0, 8);
  const move = operations.find((o): o is Extract<ArchiveOperation, { kind: 'move-change' }> => o.kind === 'move-change');
  if (!move) throw new Error('archive plan has no move-change operation');

  const specs: JournalSpec[] = [];
  const createdDirs: string[] = [];
  const prune: string[] = [];
  const plannedDirs = new Set<string>();
  const needDir = (relDir: string) => {
    const parts = relDir.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (plannedDirs.has(d)) continue;
      plannedDirs.add(d);
      if (!fs.existsSync(abs(root, d))) createdDirs.push(d);
    }
  };
  for (const op of operations) {
    if (op.kind === 'write-spec') {
      const dir = path.posix.dirname(op.path);
      const base = path.posix.basename(op.path);
      needDir(dir);
      specs.push({
        path: op.path,
        action: 'write',
        temp: `${dir}/.${base}.workdeck-${nonce}.tmp`,
        ...(op.expected !== null ? { backup: `${dir}/.${base}.workdeck-${nonce}.bak` } : {}),
      });
    } else if (op.kind === 'delete-spec') {
      const dir = path.posix.dirname(op.path);
      specs.push({ path: op.path, action: 'delete', backup: `${dir}/.${path.posix.basename(op.path)}.workdeck-${nonce}.bak` });
      prune.push(dir);
    }
  }
  const archiveParent = path.posix.dirname(move.to);
  needDir(archiveParent);
  const journal: ArchiveJournal = {
    version: 1,
    nonce,
    phase: 'preparing',
    change: changeName,
    specs,
    createdDirs,
    move: { from: move.from, to: move.to, staging: `${archiveParent}/.workdeck-move-${nonce}` },
    prune,
  };

  // Refuse to overwrite what someone edited since planning (the lock only
  // keeps other Workdeck instances out, not editors).
  for (const op of operations) {
    if (op.kind === 'move-change') continue;
    const current = await fsp.readFile(abs(root, op.path), 'utf-8').catch(() => null);
    if (current !== op.expected) {
      throw new Error(`Main spec '${op.specId}' changed while archive was preparing it. No files were changed; rerun.`);
    }
  }
  if (await exists(abs(root, move.to))) throw new Error(`Archive '${path.posix.basename(move.to)}' already exists.`);

  let committed = false;
  try {
    await hook('journal-prepare');
    await writeJsonAtomic(abs(root, JOURNAL_FILE), journal);
    for (const dir of createdDirs) {
      await hook(`mkdir:${dir}`);
      await fsp.mkdir(abs(root, dir));
    }
    for (const op of operations) {
      if (op.kind === 'move-change') continue;
      const entry = specs.find((s) => s.path === op.path)!;
      if (op.kind === 'write-spec') {
        await hook(`temp:${op.path}`);
        const handle = await fsp.open(abs(root, entry.temp!), 'wx');
        try {
          await handle.writeFile(op.content);
          await handle.sync();
        } finally {
          await handle.close();
        }
      }
      if (entry.backup) {
        await hook(`backup:${op.path}`);
        await fsp.copyFile(abs(root, op.path), abs(root, entry.backup), fs.constants.COPYFILE_EXCL);
        await fsyncFile(abs(root, entry.backup));
      }
    }
    await hook('journal-commit');
    journal.phase = 'committing';
    await writeJsonAtomic(abs(root, JOURNAL_FILE), journal);

    for (const s of specs) {
      if (s.action === 'write') {
        await hook(`rename:${s.path}`);
        await fsp.rename(abs(root, s.temp!), abs(root, s.path));
      } else {
        await hook(`delete:${s.path}`);
        await fsp.unlink(abs(root, s.path));
      }
    }
    await hook('move');
    await moveDirectory(root, journal, options, hook);
    committed = true;

    await hook('cleanup');
    await finishCleanup(root, journal);
    await hook('journal-remove');
    await fsp.unlink(abs(root, JOURNAL_FILE));
    await syncDir(abs(root, 'openspec'));
  } catch (error) {
    if (error instanceof SimulatedCrash) throw error;
    // An ordinary failure: undo it right away — or, once the change dir has
    // reached its destination, finish it (the archive then succeeded).
    let recovered: RecoveryOutcome | null;
    try {
      recovered = await recoverUnlocked(root);
    } catch (recoveryError) {
      const original = error instanceof Error ? error.message : String(error);
      throw new Error(
        `${original} Rollback also failed: ${recoveryError instanceof Error ? recoveryError.message : String(recoveryError)}`,
      );
    }
    if (committed || recovered === 'rolled-forward') return;
    throw error;
  }
}

async function moveDirectory(root: string, j: ArchiveJournal, options: ExecuteOptions, hook: FaultHook): Promise<void> {
  const from = abs(root, j.move.from);
  const to = abs(root, j.move.to);
  if (!options.forceCopyMove) {
    try {
      await fsp.rename(from, to);
      await syncDir(path.dirname(to));
      return;
    } catch (error) {
      if (!FALLBACK_RENAME_CODES.has((error as NodeJS.ErrnoException)?.code ?? '')) throw error;
    }
  }
  // Copy into a staging dir next to the destination, publish it with one
  // rename (so the destination is either absent or complete), then delete
  // the source. Recovery keys on the destination's existence.
  const staging = abs(root, j.move.staging);
  await hook('move-copy');
  await copyDir(from, staging);
  await hook('move-publish');
  await fsp.rename(staging, to);
  await syncDir(path.dirname(to));
  await hook('move-remove-source');
  await fsp.rm(from, { recursive: true, force: true });
}
