/**
 * `archive <id> --json` as a pure plan (reference §8): every refusal the CLI
 * gives, in its order, or the files to write / delete and the folder to move.
 * The journal writer applies the plan; nothing here touches the disk.
 */
import { parsedDelta, changeProgress, markerSet, readMetadata } from '../model/change';
import {
  archivedChangeIds,
  changeDir,
  deltaSpecFiles,
  listedChangeNames,
  nestedChangeMessage,
  nestedChangesOf,
  specPath,
} from '../model/discovery';
import type { StatusEntry } from '../schemas';
import { ARCHIVE_DIR, join, type OpenSpecTree } from '../tree';
import { changeIssues } from '../validate';
import { validateSpecContent } from '../validate/spec-rules';
import { walk } from '../markdown/walk';
import { mergeSpec, type MergeCounts } from './merge';

export interface ArchivePlanOptions {
  yes?: boolean;
  skipSpecs?: boolean;
  noValidate?: boolean;
}

export interface ArchiveResult {
  change: string;
  archivedAs: string;
  path: string;
  specsUpdated: boolean;
  totals?: MergeCounts;
  warnings?: string[];
}

export interface SpecUpdate extends MergeCounts {
  spec: string;
  created: boolean;
}

export type ArchivePlan =
  | { ok: false; status: StatusEntry; /** The CLI has created changes/archive/ by the time it refuses. */ ensureArchiveDir?: boolean }
  | {
      ok: true;
      result: ArchiveResult;
      /** Main spec files to write (content) or delete (null), tree paths. */
      writes: Array<{ path: string; content: string | null }>;
      move: { from: string; to: string };
      incompleteTasks: number;
      specUpdates: SpecUpdate[];
    };

const refuse = (code: string, message: string, fix?: string): ArchivePlan => ({
  ok: false,
  status: { severity: 'error', code, message, ...(fix ? { fix } : {}) },
});

/** Local calendar date, as the CLI names archive folders. */
export function localDate(now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}`;
}

export const archiveNameFor = (id: string, now: Date): string => (/^\d{4}-\d{2}-\d{2}-/.test(id) ? id : `${localDate(now)}-${id}`);

/** Lines of an emptied spec that are not its title, Purpose or (empty) Requirements: retiring would delete them. */
function unaccounted(content: string): string[] {
  const doc = walk(content);
  const kept = new Set<number>();
  for (const sec of doc.sections) {
    const known = sec.level === 1 || (sec.level === 2 && /^(purpose|requirements)$/i.test(sec.title));
    if (!known) continue;
    kept.add(sec.line);
    if (sec.level === 2) for (let i = sec.line + 1; i < (sec.children[0]?.line ?? sec.end); i++) kept.add(i);
  }
  return doc.lines.filter((l, i) => l.trim() !== '' && !kept.has(i)).map((l) => l.trim());
}

/** The validation archive runs: the change's ERRORs without the scenario-loss check (archive reports that itself). */
const blockingErrors = (tree: OpenSpecTree, id: string) =>
  changeIssues(tree, id).filter((i) => i.level === 'ERROR' && !/^MODIFIED ".*" omits /.test(i.message));

export function planArchive(
  tree: OpenSpecTree,
  id: string | undefined,
  options: ArchivePlanOptions,
  now: Date,
  rootPath: string,
): ArchivePlan {
  if (!id)
    return refuse(
      'archive_change_name_required',
      'A change name is required: archive --json is non-interactive.',
      'openspec archive <change-name> --json',
    );
  if (id === '.' || id === '..') return refuse('archive_change_name_invalid', `Change name must not be '${id}'`);
  if (/[\\/]/.test(id)) return refuse('archive_change_name_invalid', 'Change name must not contain path separators');
  const dir = changeDir(id);
  if (tree.lkind(dir) === 'symlink')
    return refuse('archive_change_symlink', `Change '${id}' is a symbolic link. Replace it with a real directory before archiving.`);
  if (!tree.isDir(dir)) {
    const available = listedChangeNames(tree).sort((a, b) => a.localeCompare(b));
    return refuse('archive_change_not_found', `Change '${id}' not found. Available changes: ${available.join(', ')}`);
  }
  const nested = nestedChangesOf(tree, id);
  if (nested) {
    return refuse(
      'archive_change_is_namespace_folder',
      `Cannot archive '${id}': ${nestedChangeMessage(id, nested)}`,
      `Rename openspec/changes/${nested[0]}/ to a flat change directory, then archive it.`,
    );
  }
  if (options.noValidate && !options.yes)
    return refuse(
      'archive_confirmation_required',
      'Skipping validation requires confirmation: rerun with --yes.',
      'openspec archive <change-name> --json --no-validate --yes',
    );
  const files = deltaSpecFiles(tree, id);
  const metadata = readMetadata(tree, dir);
  if (!options.noValidate) {
    const errors = blockingErrors(tree, id);
    const checked = files.some((f) => parsedDelta(tree, f.path).sections.length > 0) || errors.some((e) => e.path === '.openspec.yaml');
    if (checked && errors.length > 0) {
      return refuse(
        'archive_validation_failed',
        `Validation failed for change '${id}'.`,
        `Run openspec validate ${id} for details, fix the errors, or rerun with --no-validate.`,
      );
    }
  }
  const progress = changeProgress(tree, dir);
  const incompleteTasks = Math.max(0, progress.total - progress.completed);
  if (incompleteTasks > 0 && !options.yes)
    return refuse(
      'archive_tasks_incomplete',
      `${incompleteTasks} incomplete task(s) found for change '${id}'.`,
      'Complete the tasks or rerun with --yes.',
    );
  const archivedAs = archiveNameFor(id, now);
  if (archivedChangeIds(tree).includes(archivedAs) || tree.lkind(join(ARCHIVE_DIR, archivedAs)) !== undefined) {
    return refuse('archive_target_exists', `Archive '${archivedAs}' already exists.`);
  }
  const skipSpecs = Boolean(options.skipSpecs) || markerSet(metadata, 'skip_specs');
  const writes: Array<{ path: string; content: string | null }> = [];
  const specUpdates: SpecUpdate[] = [];
  const warnings: string[] = [];
  const totals: MergeCounts = { added: 0, modified: 0, removed: 0, renamed: 0 };
  if (!skipSpecs && files.length > 0) {
    const retire = markerSet(metadata, 'retire_capabilities');
    for (const f of files) {
      const merged = mergeSpec(tree.read(specPath(f.spec)), parsedDelta(tree, f.path), f.spec, id);
      if (!merged.ok)
        return {
          ...refuse('archive_spec_update_failed', merged.message, 'Fix the change delta specs and rerun. No files were changed.'),
          ensureArchiveDir: true,
        } as ArchivePlan;
      warnings.push(...merged.warnings);
      const retired = retire && !merged.created && !merged.content.includes('### Requirement:');
      const stray = retired ? unaccounted(merged.content) : [];
      if (stray.length > 0) {
        const fix = `'${f.spec}' declares retire_capabilities, but the spec holds content the merge cannot safely account for and deleting the file would take with it: ${stray.map((l) => `"${l}"`).join(', ')}. Move it into \`## Purpose\` or a canonical requirement, or delete the spec by hand.`;
        return {
          ...refuse('archive_spec_validation_failed', `Rebuilt spec for '${f.spec}' failed validation. No files were changed.`, fix),
          ensureArchiveDir: true,
        } as ArchivePlan;
      }
      if (!options.noValidate && !retired && validateSpecContent(merged.content).some((i) => i.level === 'ERROR')) {
        const emptied = !merged.content.includes('### Requirement:');
        const fix = emptied
          ? `This change removes the last requirement '${f.spec}' has. To retire the capability and delete its spec, add \`retire_capabilities: true\` to the change's .openspec.yaml (alongside its \`schema:\`, which that file requires), then rerun.`
          : undefined;
        return {
          ...refuse('archive_spec_validation_failed', `Rebuilt spec for '${f.spec}' failed validation. No files were changed.`, fix),
          ensureArchiveDir: true,
        } as ArchivePlan;
      }
      // An already-synced delta changes nothing: no write, and `specsUpdated` stays false.
      const changed = merged.created || Object.values(merged.counts).some((n) => n > 0);
      if (retired) {
        warnings.push(
          `${f.spec} - capability retired; deleted the main spec (all requirements removed, declared by retire_capabilities) at ${specPath(f.spec)}. Its section(s) went with it: Purpose. If it was committed, restore it with: git checkout HEAD -- ":(top)${specPath(f.spec)}"`,
        );
      }
      if (retired || changed) writes.push({ path: specPath(f.spec), content: retired ? null : merged.content });
      specUpdates.push({ spec: f.spec, created: merged.created, ...merged.counts });
      for (const k of Object.keys(totals) as Array<keyof MergeCounts>) totals[k] += merged.counts[k];
    }
    if (!options.yes)
      return refuse(
        'archive_confirmation_required',
        'Spec updates require confirmation: rerun with --yes.',
        'openspec archive <change-name> --json --yes',
      );
  }
  const specsUpdated = writes.length > 0;
  const result: ArchiveResult = {
    change: id,
    archivedAs,
    path: join(rootPath, ARCHIVE_DIR, archivedAs),
    specsUpdated,
    ...(specUpdates.length > 0 ? { totals } : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
  return { ok: true, result, writes, move: { from: dir, to: join(ARCHIVE_DIR, archivedAs) }, incompleteTasks, specUpdates };
}
