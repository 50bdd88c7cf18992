/**
 * Behaviour follows @fission-ai/openspec 1.13.2 (MIT), dist/core/validation/validator.js
 * (findArchiveBlockers) over dist/core/specs-apply.js (findSpecUpdates + buildUpdatedSpec).
 *
 * `validate <change>` runs archive's merge builder without writing, and
 * reports every precondition it would refuse as an INFO issue: INFO, because
 * a missing target may be a typo or a requirement a sibling change has not
 * archived yet. It does not run archive's later rebuilt-spec validation or
 * the retirement checks.
 */
import path from 'node:path';
import { discoverSpecFiles } from '../discovery';
import { CHANGES_DIR, SPECS_DIR, join, type OpenSpecTree } from '../tree';
import { ArchiveMergeError, buildUpdatedSpec } from './merge';

export interface ArchiveDryRunIssue {
  level: 'INFO';
  /** Delta file path relative to the change's `specs/`, e.g. `auth/spec.md`. */
  path: string;
  message: string;
}

export interface ArchiveDryRunOptions {
  /** Absolute project root, only used to render the main spec path inside messages. */
  rootPath?: string;
  /** Delta entry paths (`<cap>/spec.md`) earlier checks already rejected: not reported twice. */
  alreadyReportedPaths?: Iterable<string>;
}

/**
 * INFO issues "Archive would refuse this delta: <reason>" for change
 * `changeName` (a directory under `openspec/changes/`), in delta-id order.
 */
export function archiveDryRun(tree: OpenSpecTree, changeName: string, options: ArchiveDryRunOptions = {}): ArchiveDryRunIssue[] {
  const alreadyReported = new Set(options.alreadyReportedPaths ?? []);
  const rootPath = options.rootPath ?? '';
  const issues: ArchiveDryRunIssue[] = [];
  const changeSpecsDir = join(CHANGES_DIR, changeName, 'specs');
  for (const delta of discoverSpecFiles(tree, changeSpecsDir)) {
    const entryPath = `${delta.id}/spec.md`;
    if (alreadyReported.has(entryPath)) continue;
    const deltaContent = tree.readFile(delta.specFile);
    if (deltaContent === null) continue;
    const targetRel = join(SPECS_DIR, delta.id, 'spec.md');
    try {
      buildUpdatedSpec(
        {
          id: delta.id,
          deltaContent,
          targetContent: tree.readFile(targetRel) ?? undefined,
          targetPath: path.join(rootPath, ...targetRel.split('/')),
        },
        changeName,
      );
    } catch (error) {
      // Only the merge's own preconditions count; anything else says nothing
      // about whether the delta applies.
      if (!(error instanceof ArchiveMergeError)) continue;
      issues.push({ level: 'INFO', path: entryPath, message: `Archive would refuse this delta: ${error.message}` });
    }
  }
  return issues;
}
