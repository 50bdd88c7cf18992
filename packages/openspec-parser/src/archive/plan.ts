/**
 * Behaviour follows @fission-ai/openspec 1.13.2 (MIT), dist/core/archive.js
 * (ArchiveCommand.run in JSON mode) and dist/core/specs-apply.js.
 *
 * `planArchive` decides everything `openspec archive <id> --json` decides —
 * every refusal with its code, message and fix, every merged spec byte for
 * byte — without writing anything. It returns either the refusal or the list
 * of operations (write spec, delete spec, move change dir) plus the result
 * JSON the CLI would print; `./fs.ts` executes the list all-or-nothing.
 */
import path from 'node:path';
import { describeNestedChange, discoverSpecFiles, findNestedChangesIn, findUnreadDeltaFiles, hasAnyFileUnder } from '../discovery';
import { METADATA_FILENAME, readRetireCapabilitiesMarker, readSkipSpecsMarker } from '../schemas';
import { ARCHIVE_DIR, CHANGES_DIR, OPENSPEC_DIR, SPECS_DIR, join, type OpenSpecTree } from '../tree';
import { Validator } from '../validation/validator';
import { folderStyleNameProblem, lkind, taskProgress } from './change-tree';
import { ArchiveMergeError, buildUpdatedSpec, matchLineEnding, type MergeCounts, type SpecMergeResult } from './merge';
import type {
  ArchiveDiagnostic,
  ArchiveOperation,
  ArchiveOptions,
  ArchivePlan,
  ArchiveResult,
  ArchiveSpecUpdate,
  ArchiveStatusCode,
  ArchiveValidators,
  ValidationReportLike,
} from './types';

/** The official CLI's exclusive claim on an archive in progress. */
export const OFFICIAL_ARCHIVE_CLAIM = 'openspec/changes/archive/.openspec-archive.lock';

/** A change whose name already starts with a date keeps it (#1309). */
const ARCHIVE_DATE_PREFIX_PATTERN = /^\d{4}-\d{2}-\d{2}-/;
const SPEC_NO_REQUIREMENTS = 'Spec must have at least one requirement';
const UNACCOUNTED_LINE_MAX = 200;

export interface PlanArchiveContext {
  /** Absolute project root (holds `openspec/`); used for the result `path` and messages. */
  rootPath: string;
  /** Defaults to the read side's `Validator` over the same tree. */
  validators?: ArchiveValidators;
}

/** The validators the CLI's archive runs, over `tree`. */
export function defaultArchiveValidators(tree: OpenSpecTree, rootPath: string): ArchiveValidators {
  const validator = new Validator(tree, { rootPath });
  return {
    // No main-spec checks here on purpose: the scenario-loss guard is the one
    // buildUpdatedSpec enforces a few steps later, under archive's own wording.
    validateChangeDeltaSpecs: (changeId) =>
      validator.validateChangeDeltaSpecs(join(CHANGES_DIR, changeId), { checkMainSpecs: false, checkTasks: false }),
    validateSpecContent: (specName, content) => validator.validateSpecContent(specName, content),
  };
}

/** `YYYY-MM-DD` in the process's local time zone, like the CLI's formatLocalDate. */
export function formatLocalDate(date: Date): string {
  const year = date.getFullYear();
  const month = String(date.getMonth() + 1).padStart(2, '0');
  const day = String(date.getDate()).padStart(2, '0');
  return `${year}-${month}-${day}`;
}

export function archiveNameFor(changeName: string, now: Date): string {
  return ARCHIVE_DATE_PREFIX_PATTERN.test(changeName) ? changeName : `${formatLocalDate(now)}-${changeName}`;
}

function refuse(code: ArchiveStatusCode, message: string, fix?: string): ArchivePlan {
  const status: ArchiveDiagnostic = { severity: 'error', code, message, ...(fix ? { fix } : {}) };
  return { ok: false, status };
}

/** Directory names under changes/ (not following symlinks), minus `archive`, code-point sorted. */
export function listActiveChangeNames(tree: OpenSpecTree): string[] {
  return (tree.readdir(CHANGES_DIR) ?? [])
    .filter((e) => e.kind === 'dir' && e.name !== 'archive')
    .map((e) => e.name)
    .sort();
}

function describeUnaccountedContent(lines: string[]): string {
  const shown = lines
    .slice(0, 3)
    .map((line) => {
      const safe = [...line.replace(/[\u0000-\u001f\u007f]/g, '?')];
      const clipped = safe.slice(0, UNACCOUNTED_LINE_MAX).join('');
      return `"${safe.length > UNACCOUNTED_LINE_MAX ? `${clipped}\u2026` : clipped}"`;
    })
    .join(', ');
  const rest = lines.length > 3 ? `, and ${lines.length - 3} more line(s)` : '';
  return `${shown}${rest}`;
}

function quoteForShell(value: string): string | undefined {
  if (/^[A-Za-z0-9._/-]+$/.test(value)) return value;
  if (!/["\\$`\r\n%!]/.test(value)) return `"${value}"`;
  return undefined;
}

interface Prepared {
  id: string;
  deltaPath: string;
  targetPath: string;
  exists: boolean;
  previous: string | undefined;
  built: SpecMergeResult;
  outcome: 'write' | 'retire' | 'skip';
}

/**
 * Plan `openspec archive <changeName> --json [--yes] [--skip-specs] [--no-validate]`.
 * `now` fixes the archive date (local time zone of the process).
 */
export async function planArchive(
  tree: OpenSpecTree,
  changeName: string,
  opts: ArchiveOptions,
  now: Date,
  ctx: PlanArchiveContext,
): Promise<ArchivePlan> {
  const abs = (rel: string) => path.join(ctx.rootPath, ...rel.split('/'));
  const validators = ctx.validators ?? defaultArchiveValidators(tree, ctx.rootPath);

  // Managed directories reached through a symlink could lead outside the root.
  for (const managed of [OPENSPEC_DIR, CHANGES_DIR, ARCHIVE_DIR, SPECS_DIR]) {
    if (lkind(tree, managed) === 'symlink') {
      return refuse(
        'archive_path_outside_root',
        `Refusing to archive through a path outside the OpenSpec root: ${abs(managed)}`,
      );
    }
  }

  if (!changeName) {
    return refuse(
      'archive_change_name_required',
      'A change name is required: archive --json is non-interactive.',
      'openspec archive <change-name> --json',
    );
  }
  const nameProblem = folderStyleNameProblem(changeName, 'Change name');
  if (nameProblem) return refuse('archive_change_name_invalid', nameProblem);

  const changeDir = join(CHANGES_DIR, changeName);
  const changeKind = lkind(tree, changeDir);
  if (changeKind === 'symlink') {
    return refuse(
      'archive_change_symlink',
      `Change '${changeName}' is a symbolic link. Replace it with a real directory before archiving.`,
    );
  }
  if (changeKind !== 'dir') {
    const available = listActiveChangeNames(tree);
    return refuse(
      'archive_change_not_found',
      available.length > 0
        ? `Change '${changeName}' not found. Available changes: ${available.join(', ')}`
        : `Change '${changeName}' not found. No active changes exist in this root.`,
    );
  }

  // Archiving a namespace folder would bury an unfinished change (#1846).
  const nested = findNestedChangesIn(tree, changeName);
  if (nested) {
    return refuse(
      'archive_change_is_namespace_folder',
      `Cannot archive '${changeName}': ${describeNestedChange(nested)}`,
      `Rename openspec/changes/${nested.nested[0]}/ to a flat change directory, then archive it.`,
    );
  }

  const skipValidation = opts.noValidate === true;
  const changeSpecsDir = join(changeDir, 'specs');
  if (!skipValidation) {
    // Delta validation runs only when something under specs/ looks like a delta
    // (a change with no delta files archives without complaint: a known gap).
    let hasDeltaSpecs = tree.isFile(join(changeSpecsDir, 'spec.md'));
    if (!hasDeltaSpecs) hasDeltaSpecs = findUnreadDeltaFiles(tree, changeSpecsDir).length > 0;
    if (!hasDeltaSpecs) {
      const marker = readSkipSpecsMarker(tree, changeDir);
      if (marker.invalidReason) hasDeltaSpecs = true;
      else if (marker.declared) hasDeltaSpecs = hasAnyFileUnder(tree, changeSpecsDir);
    }
    if (!hasDeltaSpecs) {
      for (const { specFile } of discoverSpecFiles(tree, changeSpecsDir)) {
        const content = tree.readFile(specFile);
        if (content !== null && /^##\s+(ADDED|MODIFIED|REMOVED|RENAMED)\s+Requirements/im.test(content)) {
          hasDeltaSpecs = true;
          break;
        }
      }
    }
    if (hasDeltaSpecs) {
      const report = await validators.validateChangeDeltaSpecs(changeName);
      if (!report.valid) {
        return refuse(
          'archive_validation_failed',
          `Validation failed for change '${changeName}'.`,
          `Run openspec validate ${changeName} for details, fix the errors, or rerun with --no-validate.`,
        );
      }
    }
  } else if (!opts.yes) {
    return refuse(
      'archive_confirmation_required',
      'Skipping validation requires confirmation: rerun with --yes.',
      'openspec archive <change-name> --json --no-validate --yes',
    );
  }

  const progress = taskProgress(tree, changeDir);
  const incompleteTasks = Math.max(progress.total - progress.completed, 0);
  if (incompleteTasks > 0 && !opts.yes) {
    return refuse(
      'archive_tasks_incomplete',
      `${incompleteTasks} incomplete task(s) found for change '${changeName}'.`,
      'Complete the tasks or rerun with --yes.',
    );
  }

  // The destination is settled before any spec is touched: a collision found
  // after the merge would leave specs rewritten for an archive that never happened.
  const archiveName = archiveNameFor(changeName, now);
  const archiveRel = join(ARCHIVE_DIR, archiveName);
  if (lkind(tree, archiveRel) !== undefined) {
    return refuse('archive_target_exists', `Archive '${archiveName}' already exists.`);
  }
  if (lkind(tree, OFFICIAL_ARCHIVE_CLAIM) !== undefined) {
    return refuse(
      'archive_target_exists',
      `Archive '${archiveName}' is already being created. If no archive process is running, ` +
        `remove the stale claim at ${abs(OFFICIAL_ARCHIVE_CLAIM)} and rerun.`,
    );
  }
  const retirement = readRetireCapabilitiesMarker(tree, changeDir);
  // From here on the CLI has already created changes/archive/.
  const refuseLate = (code: ArchiveStatusCode, message: string, fix?: string): ArchivePlan => ({
    ...(refuse(code, message, fix) as Extract<ArchivePlan, { ok: false }>),
    ensureArchiveDir: true,
  });

  const operations: ArchiveOperation[] = [];
  const specWarnings: string[] = [];
  let totals: MergeCounts | undefined;
  let specsUpdated = false;
  const specUpdates: ArchiveSpecUpdate[] = [];

  if (!opts.skipSpecs) {
    const deltas = discoverSpecFiles(tree, changeSpecsDir);
    if (deltas.length > 0) {
      const prepared: Prepared[] = [];
      let prepareError: string | undefined;
      try {
        for (const delta of deltas) {
          const targetPath = join(SPECS_DIR, delta.id, 'spec.md');
          // The CLI writes through linked capability dirs and linked spec.md files
          // in place; our executor replaces files by rename, which would turn a
          // link into a copy (or write a skeleton over an unread external spec).
          const segments = targetPath.split('/');
          for (let i = 3; i <= segments.length; i++) {
            const prefix = segments.slice(0, i).join('/');
            if (lkind(tree, prefix) === 'symlink') {
              return refuse(
                'archive_error',
                `Capability '${delta.id}' is reached through a symbolic link (${prefix}); Workdeck does not write through links. No files were changed.`,
                `Archive this change with the official CLI: openspec archive ${changeName} --yes`,
              );
            }
          }
          const previous = tree.readFile(targetPath) ?? undefined;
          const built = buildUpdatedSpec(
            {
              id: delta.id,
              deltaContent: tree.readFile(delta.specFile) ?? '',
              targetContent: previous,
              targetPath: abs(targetPath),
            },
            changeName,
          );
          const exists = previous !== undefined;
          prepared.push({
            id: delta.id,
            deltaPath: delta.specFile,
            targetPath,
            exists,
            previous,
            built,
            outcome: await decideSpecOutcome(delta.id, exists, built, skipValidation, retirement.declared, validators),
          });
          specWarnings.push(...built.warnings);
        }
      } catch (error) {
        if (!(error instanceof ArchiveMergeError)) throw error;
        prepareError = error.message;
      }

      // JSON mode never prompts: confirmation is checked before the merge error surfaces.
      if (!opts.yes) {
        return refuseLate(
          'archive_confirmation_required',
          `Updating ${deltas.length} spec(s) requires confirmation: rerun with --yes.`,
          'openspec archive <change-name> --json --yes',
        );
      }
      if (prepareError !== undefined) {
        return refuseLate('archive_spec_update_failed', prepareError, 'Fix the change delta specs and rerun. No files were changed.');
      }

      // Every rebuilt spec is validated before any is written.
      if (!skipValidation) {
        for (const p of prepared) {
          if (p.outcome !== 'write') continue;
          const report = await validators.validateSpecContent(p.id, p.built.rebuilt);
          if (report.valid) continue;
          const emptiedByThisRun =
            p.exists && p.built.counts.removed > 0 && p.built.noRequirementBlocks && isRetirableReport(report);
          const invalidNote = retirement.invalidReason
            ? ` The marker present now cannot be honored (${retirement.invalidReason}).`
            : '';
          const retirementHint =
            !retirement.declared && emptiedByThisRun && p.built.unaccountedContent.length === 0
              ? `This change removes the last requirement '${p.id}' has. To retire the` +
                ` capability and delete its spec, add \`retire_capabilities: true\` to the` +
                ` change's ${METADATA_FILENAME} (alongside its \`schema:\`, which that file` +
                ` requires), then rerun.` +
                invalidNote
              : undefined;
          const blockedRetirementHint =
            !retirement.declared && emptiedByThisRun && p.built.unaccountedContent.length > 0
              ? `This change removes the last requirement '${p.id}' has, so the rebuilt ` +
                `spec has none left and cannot be written. Retiring the capability is what ` +
                `archive does instead, and it is refused while the spec holds content the ` +
                `merge cannot safely account for and deleting the file would take with it: ` +
                `${describeUnaccountedContent(p.built.unaccountedContent)}. ` +
                'Move it into `## Purpose` or a canonical requirement, or delete the spec by hand, then rerun.' +
                invalidNote
              : undefined;
          const refusalReason =
            retirement.declared && p.built.unaccountedContent.length > 0 && isRetirableReport(report)
              ? `'${p.id}' declares retire_capabilities, but the spec holds content the merge ` +
                `cannot safely account for and deleting the file would take with it: ` +
                `${describeUnaccountedContent(p.built.unaccountedContent)}. ` +
                'Move it into `## Purpose` or a canonical requirement, or delete the spec by hand.'
              : undefined;
          return refuseLate(
            'archive_spec_validation_failed',
            `Rebuilt spec for '${p.id}' failed validation. No files were changed.`,
            refusalReason ?? retirementHint ?? blockedRetirementHint ?? `Run openspec validate ${p.id} after fixing the change deltas.`,
          );
        }
      }

      const writeTotals: MergeCounts = { added: 0, modified: 0, removed: 0, renamed: 0 };
      const addCounts = (c: MergeCounts) => {
        writeTotals.added += c.added;
        writeTotals.modified += c.modified;
        writeTotals.removed += c.removed;
        writeTotals.renamed += c.renamed;
      };
      let wroteAny = false;
      for (const p of prepared) {
        if (p.outcome !== 'write') continue;
        const c = p.built.counts;
        // Fully synced: rewriting would only churn normalisation into the file.
        if (c.added + c.modified + c.removed + c.renamed === 0) continue;
        const content = p.previous === undefined ? p.built.rebuilt : matchLineEnding(p.built.rebuilt, p.previous);
        operations.push({ kind: 'write-spec', specId: p.id, path: p.targetPath, content, expected: p.previous ?? null });
        wroteAny = true;
        addCounts(c);
      }
      // Retirements come after every write, as in the CLI.
      for (const p of prepared) {
        if (p.outcome !== 'retire' || p.previous === undefined) continue;
        operations.push({ kind: 'delete-spec', specId: p.id, path: p.targetPath, expected: p.previous });
        wroteAny = true;
        addCounts(p.built.counts);
        const pasteable = quoteForShell(`:(top)${p.targetPath}`);
        const recovery = pasteable
          ? `If it was committed, restore it with: git checkout HEAD -- ${pasteable}`
          : `It was deleted from ${p.targetPath}; if it was committed, restore it from that checkout's history.`;
        specWarnings.push(
          `${p.id} - capability retired; deleted the main spec (all requirements removed` +
            `, declared by retire_capabilities) at ${p.targetPath}` +
            `. Its section(s) went with it: Purpose. ` +
            recovery,
        );
      }
      specsUpdated = wroteAny;
      totals = writeTotals;
      for (const p of prepared) {
        specUpdates.push({ spec: p.id, ...p.built.counts, created: !p.exists, outcome: p.outcome });
      }
    }
  }

  operations.push({ kind: 'move-change', from: changeDir, to: archiveRel });
  return {
    ok: true,
    operations,
    specUpdates,
    incompleteTasks,
    result: {
      change: changeName,
      archivedAs: archiveName,
      path: abs(archiveRel),
      specsUpdated,
      ...(totals ? { totals } : {}),
      ...(specWarnings.length > 0 ? { warnings: specWarnings } : {}),
    },
  };
}

/** Invalid only because it has no requirements: the one failure retirement replaces (#1302). */
function isRetirableReport(report: ValidationReportLike): boolean {
  if (report.valid) return false;
  const errors = report.issues.filter((issue) => issue.level === 'ERROR');
  return errors.length > 0 && errors.every((issue) => issue.message === SPEC_NO_REQUIREMENTS);
}

async function decideSpecOutcome(
  specId: string,
  exists: boolean,
  built: SpecMergeResult,
  skipValidation: boolean,
  retirementDeclared: boolean,
  validators: ArchiveValidators,
): Promise<'write' | 'retire' | 'skip'> {
  // Deleting a spec is only ever the author's call (the marker), and only when
  // the validator says "no requirements" is the sole problem and nothing else
  // in the file would go unmentioned. Under --no-validate nothing is retired.
  if (!retirementDeclared) return 'write';
  const retirable =
    !skipValidation &&
    built.noRequirementBlocks &&
    built.unaccountedContent.length === 0 &&
    isRetirableReport(await validators.validateSpecContent(specId, built.rebuilt));
  if (!retirable) return 'write';
  if (!exists) return 'skip';
  return built.counts.removed > 0 ? 'retire' : 'write';
}

/** The JSON document `openspec archive --json` prints for a plan outcome. */
export function archiveEnvelope(
  outcome: { ok: true; result: ArchiveResult } | { ok: false; status: ArchiveDiagnostic },
  root: { path: string; source: string } | null,
): Record<string, unknown> {
  if (outcome.ok) return { archive: outcome.result, root };
  return { archive: null, ...(root ? { root } : {}), status: [outcome.status] };
}
