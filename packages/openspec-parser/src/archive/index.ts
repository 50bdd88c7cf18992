/**
 * Archive: `openspec archive <id> --json` as a pure planner plus a crash-safe
 * executor. `./fs.js` is the only part that touches the disk.
 */
export { archiveDryRun, type ArchiveDryRunIssue, type ArchiveDryRunOptions } from './dry-run';
export {
  ArchiveMergeError,
  buildSpecSkeleton,
  buildUpdatedSpec,
  detectLineEnding,
  matchLineEnding,
  type MergeCounts,
  type SpecMergeInput,
  type SpecMergeResult,
} from './merge';
export {
  archiveEnvelope,
  archiveNameFor,
  defaultArchiveValidators,
  formatLocalDate,
  listActiveChangeNames,
  planArchive,
  type PlanArchiveContext,
} from './plan';
export { countTasks, folderStyleNameProblem } from './change-tree';
export type * from './types';
