/**
 * The file-system entry: the same calls as the tree-based ones, each
 * reading the root first (symlinks leaving the project are never followed).
 * `root` is the project folder, the one holding `openspec/`.
 */
import path from 'node:path';
import {
  getChangeDetailsFromTree,
  getSpecDetailsFromTree,
  readChangeTitlesFromTree,
  type ChangeDetails,
  type SpecDetails,
} from './details';
import * as lists from './list';
import { readTree } from './read';
import type { ItemType, RootOutput, SpecListEntry, ValidationItemResult } from './schemas';
import * as shows from './show';
import type { OpenSpecTree } from './tree';
import * as validation from './validate';

export { readTree } from './read';
export {
  archiveChange,
  archiveEnvelope,
  previewArchive,
  readArchiveTree,
  recoverInterruptedArchive,
  withOpenSpecLock,
  LockBusyError,
  SimulatedCrash,
  type ArchiveChangeOptions,
  type ArchiveOutcome,
  type ArchivePreview,
  type RecoveryOutcome,
} from './archive/fs';
export { createChange, type CreateChangeOptions, type CreateChangeResult } from './write/fs';
export { deriveChangeId, draftChangeIssues, validateChangeName, type CreateChangeInput } from './write/proposal';
export { overlayTree, renderDeltaSpec, type DeltaOperationDraft, type RequirementDraft, type ScenarioDraft } from './write/delta';
export { parseTaskLines } from './tasks';
export { OpenSpecTree } from './tree';
export { ShowError } from './show';
export type { ChangeDetails, ChangeDeltaDetail, NamedRequirement, NamedScenario, SpecDetails } from './details';
export type { ChangeList, ChangeSort } from './list';
export type { ShownChange, ShownSpec } from './show';
export type { ValidationEnvelope, ValidationFindingsEnvelope } from './validate';
export type * from './schemas';

export async function readOpenSpecTree(root: string): Promise<OpenSpecTree> {
  return readTree(root);
}

export const readOpenSpecTreeSync = (root: string): OpenSpecTree => readTree(root);

export function rootOutput(root: string): RootOutput {
  return { path: path.resolve(root), source: 'nearest' };
}

export async function listChanges(root: string, options: { sort?: lists.ChangeSort } = {}): Promise<lists.ChangeList> {
  return lists.listChanges(readTree(root), options);
}

export async function listSpecs(root: string): Promise<SpecListEntry[]> {
  return lists.listSpecs(readTree(root));
}

export async function showChange(
  root: string,
  id: string,
  options: Omit<shows.ShowChangeOptions, 'rootPath'> = {},
): Promise<shows.ShownChange> {
  return shows.showChange(readTree(root), id, { ...options, rootPath: path.resolve(root) });
}

export async function showSpec(root: string, id: string, options: Omit<shows.ShowSpecOptions, 'rootPath'> = {}): Promise<shows.ShownSpec> {
  return shows.showSpec(readTree(root), id, { ...options, rootPath: path.resolve(root) });
}

/** One item's report; without `type`, a change id wins over a spec id. */
export async function validateItem(
  root: string,
  id: string,
  options: { type?: ItemType; strict?: boolean } = {},
): Promise<ValidationItemResult> {
  const tree = readTree(root);
  const type = options.type ?? (tree.isDir(`openspec/changes/${id}`) ? 'change' : 'spec');
  return validation.itemResult(tree, id, type, { strict: options.strict, rootPath: path.resolve(root) });
}

export type BulkScope = validation.FindingsScope;

export async function validateBulk(
  root: string,
  options: { scope: BulkScope; strict?: boolean; report?: 'full' },
): Promise<validation.ValidationEnvelope>;
export async function validateBulk(
  root: string,
  options: { scope: BulkScope; strict?: boolean; report: 'findings' },
): Promise<validation.ValidationFindingsEnvelope>;
export async function validateBulk(
  root: string,
  options: { scope: BulkScope; strict?: boolean; report?: 'full' | 'findings' },
): Promise<validation.ValidationEnvelope | validation.ValidationFindingsEnvelope> {
  const tree = readTree(root);
  const { scope } = options;
  const full =
    scope === 'archived'
      ? validation.validateArchived(tree)
      : validation.validateBulk(tree, {
          changes: scope !== 'specs',
          specs: scope !== 'changes',
          strict: options.strict,
          rootPath: path.resolve(root),
        });
  return options.report === 'findings' ? validation.findings(full, scope) : full;
}

export async function readChangeTitles(root: string): Promise<Map<string, string>> {
  return readChangeTitlesFromTree(readTree(root));
}

export async function getChangeDetails(root: string, id: string): Promise<ChangeDetails> {
  return getChangeDetailsFromTree(readTree(root), id);
}

export async function getSpecDetails(root: string, id: string): Promise<SpecDetails> {
  return getSpecDetailsFromTree(readTree(root), id, { rootPath: path.resolve(root) });
}

export interface ProjectOverview {
  changes: lists.ChangeList;
  specs: SpecListEntry[];
  titles: Map<string, string>;
  validation: validation.ValidationEnvelope;
}

/** Everything the dashboard's list pages need, from one read of the root. */
export function readProjectOverview(root: string): ProjectOverview {
  const tree = readTree(root);
  return {
    changes: lists.listChanges(tree),
    specs: lists.listSpecs(tree),
    titles: readChangeTitlesFromTree(tree),
    validation: validation.validateBulk(tree, { changes: true, specs: true, rootPath: path.resolve(root) }),
  };
}
