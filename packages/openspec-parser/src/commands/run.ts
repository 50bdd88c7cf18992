/** The command handlers behind `cli-json`: options in, `{json, exitCode}` out. */
import { listChanges, listSpecs } from '../list';
import { changeProgress, proposalProblem, proposalTitle, shownDeltas } from '../model/change';
import { changeDir, changeIds, specIds, suggestions } from '../model/discovery';
import type { ItemType, StatusEntry } from '../schemas';
import { ShowError, showChange, showSpec } from '../show';
import { join, type OpenSpecTree } from '../tree';
import { findings, itemResult, envelope, validateArchived, validateBulk, type FindingsScope } from '../validate';

export interface CliJsonResult {
  json: unknown;
  exitCode: number;
}

export interface StatusDoc {
  status: StatusEntry[];
}

interface Ctx {
  tree: OpenSpecTree;
  root: { path: string; source: string };
}

type Options = Record<string, unknown>;

const fail = (code: string, message: string, fix?: string): CliJsonResult => ({
  json: { status: [{ severity: 'error', code, message, ...(fix ? { fix } : {}) }] },
  exitCode: 1,
});

/** Which kind an item is, or the CLI's refusal (unknown / ambiguous). */
function resolveItem(tree: OpenSpecTree, item: string, type: unknown): { type: ItemType } | { error: CliJsonResult } {
  if (type === 'change' || type === 'spec') return { type };
  const changes = changeIds(tree);
  const specs = specIds(tree);
  const isChange = changes.includes(item);
  const isSpec = specs.includes(item);
  if (isChange && isSpec)
    return { error: fail('ambiguous_item', `Ambiguous item '${item}' matches both a change and a spec.`, 'Pass --type change|spec.') };
  if (isChange) return { type: 'change' };
  if (isSpec) return { type: 'spec' };
  const near = suggestions(item, [...changes, ...specs]);
  return { error: fail('unknown_item', `Unknown item '${item}'.${near.length > 0 ? ` Did you mean: ${near.join(', ')}?` : ''}`) };
}

function list(o: Options, { tree, root }: Ctx): CliJsonResult {
  if (o.specs) return { json: { specs: listSpecs(tree), root }, exitCode: 0 };
  return { json: { ...listChanges(tree, { sort: o.sort === 'name' ? 'name' : 'recent' }), root }, exitCode: 0 };
}

function show(item: string | undefined, o: Options, { tree, root }: Ctx): CliJsonResult {
  if (!item) return fail('missing_item', 'Nothing to show. Try one of: openspec show <item>, openspec change show, openspec spec show.');
  const kind = resolveItem(tree, item, o.type);
  if ('error' in kind) return kind.error;
  try {
    if (kind.type === 'change')
      return { json: { ...showChange(tree, item, { diff: Boolean(o.diff), rootPath: root.path }), root }, exitCode: 0 };
    const requirement = o.requirement === undefined ? undefined : Number(o.requirement);
    const shown = showSpec(tree, item, {
      requirementsOnly: Boolean(o.requirements),
      noScenarios: o.scenarios === false,
      requirement,
      rootPath: root.path,
    });
    return { json: { ...shown, root }, exitCode: 0 };
  } catch (error) {
    if (error instanceof ShowError) return fail('show_error', error.message);
    throw error;
  }
}

const REPORT_FIX =
  'Use --report full|findings with --all, --changes, --specs, or --archived, without an item name. Do not combine archived and active scopes.';

/** Why `--type change` refuses a name before looking at the disk (it would leave changes/). */
function changeNameProblem(name: string): string | null {
  if (name === '.' || name === '..') return `Change name must not be '${name}'`;
  if (/[\\/]/.test(name)) return 'Change name must not contain path separators';
  return null;
}

function validate(item: string | undefined, o: Options, { tree, root }: Ctx): CliJsonResult {
  const strict = Boolean(o.strict);
  if (o.report !== undefined) {
    if (item) return fail('invalid_validation_report_request', 'A validation report cannot be combined with an item name.', REPORT_FIX);
    if (o.archived && (o.all || o.changes || o.specs))
      return fail('invalid_validation_report_request', 'A validation report cannot combine archived and active scopes.', REPORT_FIX);
    if (!o.archived && !o.all && !o.changes && !o.specs)
      return fail('invalid_validation_report_request', 'A validation report requires an explicit bulk scope.', REPORT_FIX);
  }
  const done = (env: ReturnType<typeof envelope>, scope: FindingsScope | null): CliJsonResult => ({
    json: { ...(scope && o.report === 'findings' ? findings(env, scope) : env), root },
    exitCode: env.items.every((i) => i.valid) ? 0 : 1,
  });
  if (o.archived) return done(validateArchived(tree), 'archived');
  if (o.all || o.changes || o.specs) {
    const both = Boolean(o.all) || (Boolean(o.changes) && Boolean(o.specs));
    const scope: FindingsScope = both ? 'all' : o.changes ? 'changes' : 'specs';
    return done(
      validateBulk(tree, { changes: both || Boolean(o.changes), specs: both || Boolean(o.specs), strict, rootPath: root.path }),
      scope,
    );
  }
  if (!item) return fail('missing_item', 'Nothing to validate. Try one of: openspec validate --all, --changes, --specs or <item-name>.');
  const problem = o.type === 'change' ? changeNameProblem(item) : null;
  if (problem) return fail('invalid_item', problem);
  const kind = resolveItem(tree, item, o.type);
  if ('error' in kind) return kind.error;
  return done(envelope([itemResult(tree, item, kind.type, { strict, rootPath: root.path })], [kind.type]), null);
}

/** Deprecated `change list --json`: titles and delta counts in one call. */
function legacyChangeList(tree: OpenSpecTree): CliJsonResult {
  const rows = changeIds(tree).map((id) => {
    const dir = changeDir(id);
    const proposal = tree.read(join(dir, 'proposal.md'));
    const taskStatus = changeProgress(tree, dir);
    if (proposal === undefined) return { id, title: id, deltaCount: 0, taskStatus };
    if (proposalProblem(proposal)) return { id, title: 'Unknown', deltaCount: 0, taskStatus };
    return { id, title: proposalTitle(proposal, id), deltaCount: shownDeltas(tree, id, proposal).length, taskStatus };
  });
  return { json: rows, exitCode: 0 };
}

export function runCommand(name: string, positionals: Array<string | undefined>, o: Options, ctx: Ctx): CliJsonResult {
  switch (name) {
    case 'list':
      return list(o, ctx);
    case 'show':
      return show(positionals[0], o, ctx);
    case 'validate':
      return validate(positionals[0], o, ctx);
    case 'change list':
      return legacyChangeList(ctx.tree);
    case 'spec list':
      return { json: listSpecs(ctx.tree).map((s) => ({ id: s.id, title: s.id, requirementCount: s.requirementCount })), exitCode: 0 };
    default:
      return fail('invalid_arguments', `Unsupported command: ${name}`);
  }
}
