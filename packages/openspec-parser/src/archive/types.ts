/** Shapes of `openspec archive <id> --json` (reference §3.6) and of the archive plan. */
import type { MergeCounts } from './merge';

export type ArchiveStatusCode =
  | 'archive_change_name_required'
  | 'archive_change_name_invalid'
  | 'archive_change_symlink'
  | 'archive_change_not_found'
  | 'archive_change_is_namespace_folder'
  | 'archive_validation_failed'
  | 'archive_confirmation_required'
  | 'archive_tasks_incomplete'
  | 'archive_target_exists'
  | 'archive_spec_update_failed'
  | 'archive_spec_validation_failed'
  | 'archive_path_outside_root'
  | 'archive_error';

export interface ArchiveDiagnostic {
  severity: 'error';
  code: ArchiveStatusCode;
  message: string;
  fix?: string;
}

export interface ArchiveResult {
  change: string;
  archivedAs: string;
  /** Absolute path of the archived change directory. */
  path: string;
  specsUpdated: boolean;
  totals?: MergeCounts;
  warnings?: string[];
}

export interface ArchiveOptions {
  /** `--yes`: accept incomplete tasks, spec updates and --no-validate. */
  yes?: boolean;
  /** `--skip-specs`: move the change without merging its deltas. */
  skipSpecs?: boolean;
  /** `--no-validate`. */
  noValidate?: boolean;
}

/**
 * One file-system step of an archive, paths relative to the project root.
 * `expected` is what the planner read, so the executor can refuse to
 * overwrite a file someone edited between planning and writing.
 */
export type ArchiveOperation =
  | { kind: 'write-spec'; specId: string; path: string; content: string; expected: string | null }
  | { kind: 'delete-spec'; specId: string; path: string; expected: string }
  | { kind: 'move-change'; from: string; to: string };

/** Per-capability summary of a planned merge (for previews; not part of the CLI's JSON). */
export interface ArchiveSpecUpdate extends MergeCounts {
  spec: string;
  /** The main spec does not exist yet. */
  created: boolean;
  /** write (possibly a no-op when all counts are 0), retire (delete the spec), skip (already retired). */
  outcome: 'write' | 'retire' | 'skip';
}

export type ArchivePlan =
  | {
      ok: false;
      status: ArchiveDiagnostic;
      /**
       * The CLI creates `changes/archive/` before merging specs, so refusals
       * from the merge stage on leave that (empty) directory behind; executors
       * mirror it to keep trees identical.
       */
      ensureArchiveDir?: boolean;
    }
  | {
      ok: true;
      operations: ArchiveOperation[];
      result: ArchiveResult;
      specUpdates: ArchiveSpecUpdate[];
      /** Incomplete tasks accepted by --yes. */
      incompleteTasks: number;
    };

export interface ValidationIssueLike {
  level: 'ERROR' | 'WARNING' | 'INFO';
  path: string;
  message: string;
  line?: number;
}

export interface ValidationReportLike {
  valid: boolean;
  issues: ValidationIssueLike[];
}

/**
 * The validators archive runs, supplied by the read side (src/validation).
 * Injected so the planner stays pure and the two halves of the package do
 * not import each other in a cycle.
 */
export interface ArchiveValidators {
  /** `Validator.validateChangeDeltaSpecs(changeDir)` without the main-spec scenario-loss check. */
  validateChangeDeltaSpecs(changeId: string): Promise<ValidationReportLike> | ValidationReportLike;
  /** `Validator.validateSpecContent(specName, content)` (non-strict). */
  validateSpecContent(specName: string, content: string): Promise<ValidationReportLike> | ValidationReportLike;
}
