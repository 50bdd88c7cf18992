/** `validate` envelopes: single items, `--all/--changes/--specs`, `--archived`, `--report findings` (reference §3.5). */
import { archivedChangeIds, byLocale, changeIds, specIds, specPath } from './model/discovery';
import { changeProgress } from './model/change';
import type { ItemType, ValidationIssue, ValidationItemResult, ValidationReport } from './schemas';
import { ARCHIVE_DIR, CHANGES_DIR, join, type OpenSpecTree } from './tree';
import { validateChangeIssues } from './validate/change-rules';
import { isValid, validateSpecContent } from './validate/spec-rules';

export interface Totals {
  items: number;
  passed: number;
  failed: number;
}

export interface ValidationEnvelope {
  items: ValidationItemResult[];
  summary: { totals: Totals; byType: Partial<Record<ItemType, Totals>> };
  version: '1.0';
}

export type FindingsScope = 'all' | 'changes' | 'specs' | 'archived';

export interface ValidationFindingsEnvelope {
  report: { kind: 'validation-findings'; version: '1.0'; scope: FindingsScope; returnedItems: number; totalItems: number };
  itemFindings: ValidationItemResult[];
  summary: ValidationEnvelope['summary'];
}

export function changeIssues(tree: OpenSpecTree, id: string, base = CHANGES_DIR): ValidationIssue[] {
  return tree.cached(`vchange:${base}:${id}`, () => validateChangeIssues(tree, id, base));
}

/** Issues of a main spec; a missing file is reported the way the CLI's file read fails. */
export function specIssues(tree: OpenSpecTree, id: string, rootPath = ''): ValidationIssue[] {
  return tree.cached(`vspec:${id}`, () => {
    const content = tree.read(specPath(id));
    if (content === undefined)
      return [{ level: 'ERROR', path: 'file', message: `ENOENT: no such file or directory, open '${join(rootPath, specPath(id))}'` }];
    return validateSpecContent(content);
  });
}

export function validateChangeReport(tree: OpenSpecTree, id: string, options: { strict?: boolean } = {}): ValidationReport {
  const issues = changeIssues(tree, id);
  return { valid: isValid(issues, Boolean(options.strict)), issues };
}

export function validateSpecReport(
  tree: OpenSpecTree,
  id: string,
  options: { strict?: boolean; rootPath?: string } = {},
): ValidationReport {
  const issues = specIssues(tree, id, options.rootPath);
  return { valid: isValid(issues, Boolean(options.strict)), issues };
}

export function itemResult(
  tree: OpenSpecTree,
  id: string,
  type: ItemType,
  options: { strict?: boolean; rootPath?: string } = {},
): ValidationItemResult {
  const started = performance.now();
  const report = type === 'change' ? validateChangeReport(tree, id, options) : validateSpecReport(tree, id, options);
  return { id, type, valid: report.valid, issues: report.issues, durationMs: Math.round(performance.now() - started) };
}

const tally = (items: readonly ValidationItemResult[]): Totals => {
  const passed = items.filter((i) => i.valid).length;
  return { items: items.length, passed, failed: items.length - passed };
};

/** Sorted items plus totals; `types` are the scopes asked (they appear in byType even when empty). */
export function envelope(items: ValidationItemResult[], types: readonly ItemType[]): ValidationEnvelope {
  // Same id as a change and a spec: the spec comes first (tricky fixture, `shared`).
  const sorted = [...items].sort((a, b) => byLocale(a.id, b.id) || (a.type === b.type ? 0 : a.type === 'spec' ? -1 : 1));
  const byType: Partial<Record<ItemType, Totals>> = {};
  for (const t of types) byType[t] = tally(sorted.filter((i) => i.type === t));
  return { items: sorted, summary: { totals: tally(sorted), byType }, version: '1.0' };
}

export function validateBulk(
  tree: OpenSpecTree,
  scope: { changes: boolean; specs: boolean; strict?: boolean; rootPath?: string },
): ValidationEnvelope {
  const items: ValidationItemResult[] = [];
  const types: ItemType[] = [];
  if (scope.changes) {
    types.push('change');
    for (const id of changeIds(tree)) items.push(itemResult(tree, id, 'change', scope));
  }
  if (scope.specs) {
    types.push('spec');
    for (const id of specIds(tree)) items.push(itemResult(tree, id, 'spec', scope));
  }
  return envelope(items, types);
}

/** `--archived`: every archived change must have all its tasks done. */
export function validateArchived(tree: OpenSpecTree): ValidationEnvelope {
  const items = archivedChangeIds(tree).map((id): ValidationItemResult => {
    const { total, completed } = changeProgress(tree, join(ARCHIVE_DIR, id));
    const open = total - completed;
    const issues: ValidationIssue[] =
      open > 0
        ? [
            {
              level: 'ERROR',
              path: 'tasks.md',
              message: `${open} incomplete task${open === 1 ? '' : 's'} (${completed}/${total} completed)`,
            },
          ]
        : [];
    return { id, type: 'change', valid: issues.length === 0, issues, durationMs: 0 };
  });
  return envelope(items, ['change']);
}

export function findings(full: ValidationEnvelope, scope: FindingsScope): ValidationFindingsEnvelope {
  const itemFindings = full.items.filter((i) => i.issues.length > 0);
  return {
    report: { kind: 'validation-findings', version: '1.0', scope, returnedItems: itemFindings.length, totalItems: full.items.length },
    itemFindings,
    summary: full.summary,
  };
}
