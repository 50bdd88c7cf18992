// Behaviour follows @fission-ai/openspec 1.13.2 (MIT), dist/commands/validate.js
import { describeNestedChange, findNestedChangesIn, getArchivedChangeIds, getSpecIds, nearestMatches } from './discovery';
import { getTaskProgressForChange } from './tasks';
import { ARCHIVE_DIR, CHANGES_DIR, SPECS_DIR, join, type OpenSpecTree } from './tree';
import type {
  ItemType,
  RootOutput,
  StatusEntry,
  ValidationItemResult,
  ValidationReport,
  ValidationSummary,
} from './types';
import { Validator } from './validation/validator';

export interface ValidationEnvelope {
  items: ValidationItemResult[];
  summary: ValidationSummary;
  version: '1.0';
  root: RootOutput;
}

export type FindingsScope = 'all' | 'changes' | 'specs' | 'archived';

export interface ValidationFindingsEnvelope {
  report: { kind: 'validation-findings'; version: '1.0'; scope: FindingsScope; returnedItems: number; totalItems: number };
  itemFindings: ValidationItemResult[];
  summary: ValidationSummary;
  root: RootOutput;
}

export interface StatusEnvelope {
  status: StatusEntry[];
}

export interface CommandResult<T> {
  json: T;
  exitCode: number;
}

export interface ValidateContext {
  tree: OpenSpecTree;
  root: RootOutput;
  strict?: boolean;
}

/** Change ids for validate: non-dot directories under changes/ except `archive`, sorted. */
export function listChangeIds(tree: OpenSpecTree): string[] {
  return (tree.readdir(CHANGES_DIR) ?? [])
    .filter((e) => e.kind === 'dir' && e.name !== 'archive' && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

/** The folder-safe-name grammar the CLI applies to ids before joining them onto a directory. */
export function folderStyleNameProblem(value: string, label: string): string | null {
  if (value.length === 0) return `${label} must not be empty`;
  if (value === '.' || value === '..') return `${label} must not be '${value}'`;
  if (/[\\/]/u.test(value)) return `${label} must not contain path separators`;
  return null;
}

const errorStatus = (code: string, message: string, fix?: string): StatusEnvelope => ({
  status: [{ severity: 'error', code, message, ...(fix ? { fix } : {}) }],
});

function timed<T>(fn: () => T): { value: T; durationMs: number } {
  const start = Date.now();
  const value = fn();
  return { value, durationMs: Date.now() - start };
}

/** Validate one change (namespace folders get the nested-change error as their only issue). */
export function validateChangeReport(tree: OpenSpecTree, id: string, options: { strict?: boolean; rootPath?: string } = {}): ValidationReport {
  const validator = new Validator(tree, { strict: options.strict, rootPath: options.rootPath });
  const nested = findNestedChangesIn(tree, id);
  if (nested) {
    return { valid: false, issues: [{ level: 'ERROR', path: 'file', message: describeNestedChange(nested) }], summary: { errors: 1, warnings: 0, info: 0 } };
  }
  return validator.validateChangeDeltaSpecs(join(CHANGES_DIR, id));
}

export function validateSpecReport(tree: OpenSpecTree, id: string, options: { strict?: boolean; rootPath?: string } = {}): ValidationReport {
  return new Validator(tree, { strict: options.strict, rootPath: options.rootPath }).validateSpec(join(SPECS_DIR, id, 'spec.md'));
}

/** `validate <item> [--type change|spec] [--strict] --json`. */
export function validateItem(
  ctx: ValidateContext,
  itemName: string,
  typeOverride?: ItemType,
): CommandResult<ValidationEnvelope | StatusEnvelope> {
  const { tree, root } = ctx;
  const changes = listChangeIds(tree);
  const specs = getSpecIds(tree);
  const isChange = changes.includes(itemName);
  const isSpec = specs.includes(itemName);
  const type = typeOverride ?? (isChange ? 'change' : isSpec ? 'spec' : undefined);
  if (!type) {
    const suggestions = nearestMatches(itemName, [...changes, ...specs]);
    const message = suggestions.length
      ? `Unknown item '${itemName}'. Did you mean: ${suggestions.join(', ')}?`
      : `Unknown item '${itemName}'.`;
    return { json: errorStatus('unknown_item', message), exitCode: 1 };
  }
  if (!typeOverride && isChange && isSpec) {
    return {
      json: errorStatus('ambiguous_item', `Ambiguous item '${itemName}' matches both a change and a spec.`, 'Pass --type change|spec.'),
      exitCode: 1,
    };
  }
  // `--type` skips the membership check, so the id is still guarded (per segment for nested spec ids).
  const nameProblem =
    type === 'change'
      ? folderStyleNameProblem(itemName, 'Change name')
      : (itemName.split('/').map((segment) => folderStyleNameProblem(segment, 'Spec id')).find(Boolean) ?? null);
  if (nameProblem) return { json: errorStatus('invalid_item', nameProblem), exitCode: 1 };
  const options = { strict: ctx.strict, rootPath: root.path };
  const { value: report, durationMs } = timed(() =>
    type === 'change' ? validateChangeReport(tree, itemName, options) : validateSpecReport(tree, itemName, options),
  );
  const totals = { items: 1, passed: report.valid ? 1 : 0, failed: report.valid ? 0 : 1 };
  return {
    json: {
      items: [{ id: itemName, type, valid: report.valid, issues: report.issues, durationMs }],
      summary: { totals, byType: { [type]: totals } },
      version: '1.0',
      root,
    },
    exitCode: report.valid ? 0 : 1,
  };
}

function summarizeType(results: ValidationItemResult[], type: ItemType): { items: number; passed: number; failed: number } {
  const filtered = results.filter((r) => r.type === type);
  const passed = filtered.filter((r) => r.valid).length;
  return { items: filtered.length, passed, failed: filtered.length - passed };
}

/** `validate --all | --changes | --specs --json`: items sorted by localeCompare of id. */
export function validateBulk(ctx: ValidateContext, scope: { changes: boolean; specs: boolean }): CommandResult<ValidationEnvelope> {
  const { tree, root } = ctx;
  const options = { strict: ctx.strict, rootPath: root.path };
  const results: ValidationItemResult[] = [];
  if (scope.changes) {
    for (const id of listChangeIds(tree)) {
      const { value: report, durationMs } = timed(() => validateChangeReport(tree, id, options));
      results.push({ id, type: 'change', valid: report.valid, issues: report.issues, durationMs });
    }
  }
  if (scope.specs) {
    for (const id of getSpecIds(tree)) {
      const { value: report, durationMs } = timed(() => validateSpecReport(tree, id, options));
      results.push({ id, type: 'spec', valid: report.valid, issues: report.issues, durationMs });
    }
  }
  // The CLI sorts in completion order of a concurrent pool, so an id that is both a change and a
  // spec lands in whichever order finished first: the spec (synchronous read) in practice.
  results.sort((a, b) => a.id.localeCompare(b.id) || (a.type === b.type ? 0 : a.type === 'spec' ? -1 : 1));
  const passed = results.filter((r) => r.valid).length;
  const failed = results.length - passed;
  const summary: ValidationSummary = {
    totals: { items: results.length, passed, failed },
    byType: {
      ...(scope.changes ? { change: summarizeType(results, 'change') } : {}),
      ...(scope.specs ? { spec: summarizeType(results, 'spec') } : {}),
    },
  };
  return { json: { items: results, summary, version: '1.0', root }, exitCode: failed > 0 ? 1 : 0 };
}

/** `validate --archived --json`: every archived change must have all its tasks done. */
export function validateArchived(ctx: ValidateContext): CommandResult<ValidationEnvelope> {
  const { tree, root } = ctx;
  const results: ValidationItemResult[] = getArchivedChangeIds(tree).map((id) => {
    const { value: issues, durationMs } = timed(() => {
      const progress = getTaskProgressForChange(tree, join(ARCHIVE_DIR, id));
      const incomplete = Math.max(progress.total - progress.completed, 0);
      return incomplete > 0
        ? [
            {
              level: 'ERROR' as const,
              path: 'tasks.md',
              message: `${incomplete} incomplete task${incomplete === 1 ? '' : 's'} (${progress.completed}/${progress.total} completed)`,
            },
          ]
        : [];
    });
    return { id, type: 'change' as const, valid: issues.length === 0, issues, durationMs };
  });
  const passed = results.filter((r) => r.valid).length;
  const failed = results.length - passed;
  const summary: ValidationSummary = {
    totals: { items: results.length, passed, failed },
    byType: { change: summarizeType(results, 'change') },
  };
  return { json: { items: results, summary, version: '1.0', root }, exitCode: failed > 0 ? 1 : 0 };
}

/** `--report findings`: only the items with issues, plus the counts of the full report. */
export function projectValidationFindings(full: ValidationEnvelope, scope: FindingsScope): ValidationFindingsEnvelope {
  const itemFindings = full.items.filter((item) => item.issues.length > 0);
  return {
    report: { kind: 'validation-findings', version: '1.0', scope, returnedItems: itemFindings.length, totalItems: full.summary.totals.items },
    itemFindings,
    summary: full.summary,
    root: full.root,
  };
}

export interface ValidateRequest {
  item?: string;
  type?: string;
  all?: boolean;
  changes?: boolean;
  specs?: boolean;
  archived?: boolean;
  strict?: boolean;
  report?: string;
}

/** The whole `validate ... --json` command: request checks, then single / bulk / archived. */
export function runValidate(
  tree: OpenSpecTree,
  root: RootOutput,
  req: ValidateRequest,
): CommandResult<ValidationEnvelope | ValidationFindingsEnvelope | StatusEnvelope> {
  const bulk = Boolean(req.all || req.changes || req.specs);
  let findingsScope: FindingsScope | undefined;
  if (req.report !== undefined) {
    const message =
      req.report !== 'full' && req.report !== 'findings'
        ? `Unknown validation report '${req.report}'.`
        : req.item !== undefined
          ? 'A validation report cannot be combined with an item name.'
          : req.archived && bulk
            ? 'A validation report cannot combine archived and active scopes.'
            : !req.archived && !bulk
              ? 'A validation report requires an explicit bulk scope.'
              : undefined;
    if (message) {
      const fix =
        'Use --report full|findings with --all, --changes, --specs, or --archived, without an item name. Do not combine archived and active scopes.';
      return { json: errorStatus('invalid_validation_report_request', message, fix), exitCode: 1 };
    }
    if (req.report === 'findings') {
      findingsScope = req.archived ? 'archived' : req.all || (req.changes && req.specs) ? 'all' : req.changes ? 'changes' : 'specs';
    }
  }
  const ctx: ValidateContext = { tree, root, strict: req.strict };
  const withFindings = (result: CommandResult<ValidationEnvelope>): CommandResult<ValidationEnvelope | ValidationFindingsEnvelope> =>
    findingsScope ? { json: projectValidationFindings(result.json, findingsScope), exitCode: result.exitCode } : result;
  if (req.archived) return withFindings(validateArchived(ctx));
  if (bulk) return withFindings(validateBulk(ctx, { changes: Boolean(req.all || req.changes), specs: Boolean(req.all || req.specs) }));
  if (!req.item) {
    // Non-interactive without an item: the CLI prints a hint to stderr and exits 1, no JSON.
    return { json: errorStatus('validate_error', 'Nothing to validate. Try one of: openspec validate --all, --changes, --specs, or <item-name>.'), exitCode: 1 };
  }
  const type = req.type?.toLowerCase();
  return validateItem(ctx, req.item, type === 'change' || type === 'spec' ? type : undefined);
}
