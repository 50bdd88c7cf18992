/**
 * The package's only file-system entry point: reads `<root>/openspec` into an OpenSpecTree and
 * offers async conveniences over the pure API. `root` is the project folder that contains
 * `openspec/` (what the official CLI calls the root).
 */
import fsSync, { promises as fs } from 'node:fs';
import path from 'node:path';
import { getChangeDetailsFromTree, getSpecDetailsFromTree, readChangeTitlesFromTree, type ChangeDetails, type SpecDetails } from './details';
import { listChanges as listChangesInTree, listSpecs as listSpecsInTree, type ChangeList, type ChangeSort } from './list';
import { showChange as showChangeInTree, showSpec as showSpecInTree, type ShowChangeOptions, type ShowSpecOptions, type ShownChange, type ShownSpec } from './show';
import { OpenSpecTree, type EntryKind, type TreeSnapshot } from './tree';
import type { ItemType, RootOutput, SpecListEntry, StatusEntry, ValidationItemResult } from './types';
import {
  projectValidationFindings,
  validateArchived,
  validateBulk as validateBulkInTree,
  validateItem as validateItemInTree,
  type FindingsScope,
  type ValidationEnvelope,
  type ValidationFindingsEnvelope,
} from './validate';

/** Files larger than this are listed but not read (an openspec/ folder holds markdown and YAML). */
const MAX_FILE_BYTES = 8 * 1024 * 1024;

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'EACCES';
}

/** Snapshot `<root>/openspec` (contents, mtimes, readdir order). A missing folder gives an empty tree. */
export async function readOpenSpecTree(root: string): Promise<OpenSpecTree> {
  return readOpenSpecTreeSync(root);
}

/**
 * The synchronous walk behind readOpenSpecTree. An openspec/ folder is
 * thousands of small local files: awaiting an lstat and a read per file
 * costs a thread-pool round trip each (~0.9 s for 4,000 files here), while
 * the synchronous calls take ~0.1 s.
 */
export function readOpenSpecTreeSync(root: string): OpenSpecTree {
  const rootStat = statOrNull(() => fsSync.statSync(root));
  const snapshot: TreeSnapshot = { dirs: { '': { mtimeMs: rootStat?.mtimeMs ?? 0, entries: [] } }, files: {}, links: {} };
  const links = snapshot.links as NonNullable<TreeSnapshot['links']>;

  const readInto = (abs: string, rel: string, mtimeMs: number, size: number): void => {
    if (size > MAX_FILE_BYTES) return;
    try {
      snapshot.files[rel] = { content: fsSync.readFileSync(abs, 'utf-8'), mtimeMs };
    } catch (error) {
      if (!isMissing(error) && (error as NodeJS.ErrnoException).code !== 'EISDIR') throw error;
    }
  };

  const walk = (abs: string, rel: string, mtimeMs: number): void => {
    let dirents: fsSync.Dirent[];
    try {
      dirents = fsSync.readdirSync(abs, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    const entries: Array<{ name: string; kind: EntryKind }> = [];
    snapshot.dirs[rel] = { mtimeMs, entries };
    for (const d of dirents) {
      const childAbs = path.join(abs, d.name);
      const childRel = rel ? `${rel}/${d.name}` : d.name;
      const kind: EntryKind = d.isDirectory() ? 'dir' : d.isFile() ? 'file' : d.isSymbolicLink() ? 'symlink' : 'other';
      entries.push({ name: d.name, kind });
      if (kind === 'dir') {
        const st = statOrNull(() => fsSync.lstatSync(childAbs));
        walk(childAbs, childRel, st?.mtimeMs ?? 0);
      } else if (kind === 'file') {
        const st = statOrNull(() => fsSync.lstatSync(childAbs));
        if (st) readInto(childAbs, childRel, st.mtimeMs, st.size);
      } else if (kind === 'symlink') {
        // Symlinked directories are not walked (the CLI's discovery does not follow them either).
        const st = statOrNull(() => fsSync.statSync(childAbs));
        if (!st) continue;
        links[childRel] = { kind: st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other', mtimeMs: st.mtimeMs };
        if (st.isFile()) readInto(childAbs, childRel, st.mtimeMs, st.size);
      }
    }
  };

  const openspecAbs = path.join(root, 'openspec');
  const st = statOrNull(() => fsSync.lstatSync(openspecAbs));
  if (st?.isDirectory()) {
    snapshot.dirs[''].entries.push({ name: 'openspec', kind: 'dir' });
    walk(openspecAbs, 'openspec', st.mtimeMs);
  }
  return new OpenSpecTree(snapshot);
}

function statOrNull(stat: () => fsSync.Stats): fsSync.Stats | null {
  try {
    return stat();
  } catch {
    return null;
  }
}

/** The `root` object of every JSON envelope. */
export function rootOutput(root: string): RootOutput {
  return { path: path.resolve(root), source: 'nearest' };
}

export async function listChanges(root: string, options: { sort?: ChangeSort } = {}): Promise<ChangeList> {
  return listChangesInTree(await readOpenSpecTree(root), options);
}

export async function listSpecs(root: string): Promise<SpecListEntry[]> {
  return listSpecsInTree(await readOpenSpecTree(root));
}

/** `show <change> --json` without the envelope. Throws ShowError (message = the CLI's). */
export async function showChange(root: string, id: string, options: Omit<ShowChangeOptions, 'rootPath'> = {}): Promise<ShownChange> {
  return showChangeInTree(await readOpenSpecTree(root), id, { ...options, rootPath: path.resolve(root) });
}

/** `show <spec> --json` without the envelope. Throws ShowError (message = the CLI's). */
export async function showSpec(root: string, id: string, options: Omit<ShowSpecOptions, 'rootPath'> = {}): Promise<ShownSpec> {
  return showSpecInTree(await readOpenSpecTree(root), id, { ...options, rootPath: path.resolve(root) });
}

/** A refusal the CLI reports as a `status` entry (unknown_item, ambiguous_item, invalid_item, ...). */
export class OpenSpecStatusError extends Error {
  constructor(readonly status: StatusEntry) {
    super(status.message);
    this.name = 'OpenSpecStatusError';
  }
}

/**
 * `validate <id> [--type] [--strict]`: the one item of the official envelope.
 * Throws OpenSpecStatusError for unknown / ambiguous / invalid ids.
 */
export async function validateItem(root: string, id: string, options: { type?: ItemType; strict?: boolean } = {}): Promise<ValidationItemResult> {
  const tree = await readOpenSpecTree(root);
  const { json } = validateItemInTree({ tree, root: rootOutput(root), strict: options.strict }, id, options.type);
  if ('status' in json) throw new OpenSpecStatusError(json.status[0]);
  return json.items[0];
}

export type BulkScope = 'all' | 'changes' | 'specs' | 'archived';

/** `validate --all|--changes|--specs|--archived [--strict] [--report findings] --json`. */
export async function validateBulk(root: string, options: { scope: BulkScope; strict?: boolean; report?: 'full' }): Promise<ValidationEnvelope>;
export async function validateBulk(root: string, options: { scope: BulkScope; strict?: boolean; report: 'findings' }): Promise<ValidationFindingsEnvelope>;
export async function validateBulk(
  root: string,
  options: { scope: BulkScope; strict?: boolean; report?: 'full' | 'findings' },
): Promise<ValidationEnvelope | ValidationFindingsEnvelope> {
  const tree = await readOpenSpecTree(root);
  const ctx = { tree, root: rootOutput(root), strict: options.strict };
  const full =
    options.scope === 'archived'
      ? validateArchived(ctx)
      : validateBulkInTree(ctx, { changes: options.scope !== 'specs', specs: options.scope !== 'changes' });
  // The exit code of the CLI is `summary.totals.failed > 0 ? 1 : 0`.
  return options.report === 'findings' ? projectValidationFindings(full.json, options.scope as FindingsScope) : full.json;
}

/** Proposal title per active change (the first H1, `Change: ` stripped; the id when absent). */
export async function readChangeTitles(root: string): Promise<Map<string, string>> {
  return readChangeTitlesFromTree(await readOpenSpecTree(root));
}

/** Everything a change page needs; never throws on broken content (issues say what is wrong). */
export async function getChangeDetails(root: string, id: string): Promise<ChangeDetails> {
  return getChangeDetailsFromTree(await readOpenSpecTree(root), id, { rootPath: path.resolve(root) });
}

/** Everything a spec page needs; never throws on broken content. */
export async function getSpecDetails(root: string, id: string): Promise<SpecDetails> {
  return getSpecDetailsFromTree(await readOpenSpecTree(root), id, { rootPath: path.resolve(root) });
}

export { OpenSpecTree };
export { ShowError } from './show';
export type { ChangeDetails, ChangeDeltaDetail, NamedRequirement, NamedScenario, SpecDetails } from './details';
export type { ChangeList, ChangeSort } from './list';
export type { ShownChange, ShownSpec } from './show';
export type { ValidationEnvelope, ValidationFindingsEnvelope } from './validate';
export type * from './types';
export {
  archiveChange,
  previewArchive,
  recoverInterruptedArchive,
  withOpenSpecLock,
  type ArchiveOutcome,
  type ArchivePreview,
  type RecoveryOutcome,
} from './archive/fs';
export { createChange, type CreateChangeResult } from './write/fs';

/** Everything the dashboard's lists need, from one read of the tree. */
export interface ProjectOverview {
  changes: ChangeList;
  specs: SpecListEntry[];
  titles: Map<string, string>;
  validation: ValidationEnvelope;
}

export function readProjectOverview(root: string): ProjectOverview {
  const tree = readOpenSpecTreeSync(root);
  return {
    changes: listChangesInTree(tree, { sort: 'recent' }),
    specs: listSpecsInTree(tree),
    titles: readChangeTitlesFromTree(tree),
    validation: validateBulkInTree({ tree, root: rootOutput(root), strict: false }, { changes: true, specs: true }).json,
  };
}
