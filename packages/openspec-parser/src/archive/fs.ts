/**
 * Archive on disk: read what the plan needs, plan (pure), then apply the
 * plan with the journal writer under the lock. Refusals come back as values;
 * only unexpected I/O failures throw (after rolling back).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { changeProgress } from '../model/change';
import { readTree } from '../read';
import type { StatusEntry } from '../schemas';
import type { OpenSpecTree } from '../tree';
import {
  executeArchiveOperations,
  recoverUnlocked,
  withOpenSpecLock,
  type ArchiveOperation,
  type ExecuteOptions,
  type LockOptions,
} from './journal';
import { planArchive, type ArchivePlanOptions, type ArchiveResult, type SpecUpdate } from './plan';

export * from './journal';

/**
 * The parts of `openspec/` an archive of `changeName` reads: the change,
 * the main specs, config and schemas, and only the listings of `changes/`
 * and `changes/archive/` (archived changes are never opened).
 */
export function readArchiveTree(root: string, changeName: string): OpenSpecTree {
  const changeDir = `openspec/changes/${changeName}`;
  return readTree(root, {
    wanted: (parent, child) => {
      if (parent === '') return child === 'openspec';
      if (parent === 'openspec') return true;
      if (parent === 'openspec/changes') return child === 'openspec/changes/archive' || (changeName !== '' && child === changeDir);
      if (parent === 'openspec/changes/archive') return false;
      return true;
    },
  });
}

const safeName = (name: string | undefined): name is string => Boolean(name) && !/[\\/]/.test(name!) && name !== '.' && name !== '..';

export interface ArchiveChangeOptions extends ArchivePlanOptions, ExecuteOptions, LockOptions {
  /** Archive date (local time zone); defaults to now. */
  now?: Date;
  /** Test hook, run after the tree is read (to edit files behind the plan's back). */
  afterRead?: (tree: OpenSpecTree) => void;
}

/** `result` / `status` are exactly what the CLI prints; the flat fields are for services. */
export type ArchiveOutcome =
  | { ok: true; result: ArchiveResult; archivedAs: string; specsUpdated: boolean; warnings: string[] }
  | { ok: false; status: StatusEntry; code: string; message: string; fix?: string };

/** `openspec archive <changeName> --json [--yes] [--skip-specs] [--no-validate]` against the project at `root`. */
export async function archiveChange(root: string, changeName: string, options: ArchiveChangeOptions = {}): Promise<ArchiveOutcome> {
  const rootPath = path.resolve(root);
  return withOpenSpecLock(
    rootPath,
    async () => {
      await recoverUnlocked(rootPath);
      const tree = readArchiveTree(rootPath, safeName(changeName) ? changeName : '');
      options.afterRead?.(tree);
      const plan = planArchive(tree, changeName, options, options.now ?? new Date(), rootPath);
      if (!plan.ok) {
        const { status } = plan;
        if (plan.ensureArchiveDir) await fsp.mkdir(path.join(rootPath, 'openspec/changes/archive'), { recursive: true });
        return { ok: false, status, code: status.code, message: status.message, ...(status.fix ? { fix: status.fix } : {}) };
      }
      // Writes before deletes: the journal's steps run in operation order.
      const ordered = [...plan.writes.filter((w) => w.content !== null), ...plan.writes.filter((w) => w.content === null)];
      const operations: ArchiveOperation[] = [
        ...ordered.map((w): ArchiveOperation => {
          const specId = w.path.replace(/^openspec\/specs\//, '').replace(/\/spec\.md$/, '');
          return w.content === null
            ? { kind: 'delete-spec', specId, path: w.path, expected: tree.read(w.path) ?? '' }
            : { kind: 'write-spec', specId, path: w.path, content: w.content, expected: tree.read(w.path) ?? null };
        }),
        { kind: 'move-change', from: plan.move.from, to: plan.move.to },
      ];
      await executeArchiveOperations(rootPath, changeName, operations, options);
      const { result } = plan;
      return { ok: true, result, archivedAs: result.archivedAs, specsUpdated: result.specsUpdated, warnings: result.warnings ?? [] };
    },
    options,
  );
}

export interface ArchivePreview {
  /** Archive folder name, or null when the archive would be refused. */
  archivedAs: string | null;
  incompleteTasks: number;
  specUpdates: SpecUpdate[];
  warnings: string[];
  refusal: { code: string; message: string; fix?: string } | null;
}

/** What `archiveChange(root, id, { yes: true })` would do, without the lock and without writing. */
export async function previewArchive(
  root: string,
  changeName: string,
  options: { now?: Date; skipSpecs?: boolean } = {},
): Promise<ArchivePreview> {
  const rootPath = path.resolve(root);
  const tree = readArchiveTree(rootPath, safeName(changeName) ? changeName : '');
  const progress = safeName(changeName) ? changeProgress(tree, `openspec/changes/${changeName}`) : { total: 0, completed: 0 };
  const incompleteTasks = Math.max(0, progress.total - progress.completed);
  const plan = planArchive(tree, changeName, { yes: true, skipSpecs: options.skipSpecs ?? false }, options.now ?? new Date(), rootPath);
  if (!plan.ok) {
    const { status } = plan;
    return {
      archivedAs: null,
      incompleteTasks,
      specUpdates: [],
      warnings: [],
      refusal: { code: status.code, message: status.message, ...(status.fix ? { fix: status.fix } : {}) },
    };
  }
  return {
    archivedAs: plan.result.archivedAs,
    incompleteTasks: plan.incompleteTasks,
    specUpdates: plan.specUpdates,
    warnings: plan.result.warnings ?? [],
    refusal: null,
  };
}

/** The JSON document `archive --json` prints for an outcome. */
export function archiveEnvelope(outcome: ArchiveOutcome, root: { path: string; source: string }): unknown {
  return outcome.ok ? { archive: outcome.result, root } : { archive: null, root, status: [outcome.status] };
}
