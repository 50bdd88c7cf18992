/**
 * The official CLI's JSON answers, computed in-process: `runOpenSpecJson(argv, rootDir)` returns what
 * `openspec <argv> --json` prints (parsed) and its exit code, for a project root at `rootDir`.
 *
 * Behaviour follows @fission-ai/openspec 1.13.2 (MIT), dist/cli/index.js (argument handling and
 * `failWithError`), dist/commands/show.js, dist/commands/validate.js, dist/core/list.js.
 * The root is always reported as `{path: <absolute rootDir>, source: "nearest"}` (stores and
 * ancestor walking are out of scope). Output is JSON regardless of `--json`.
 */
import path from 'node:path';
import { readOpenSpecTree, rootOutput } from './fs';
import { listChanges, listSpecs } from './list';
import { ChangeParser } from './parsers/change-parser';
import { MarkdownParser } from './parsers/markdown-parser';
import { getActiveChangeIds, discoverSpecFiles, getSpecIds, nearestMatches } from './discovery';
import { extractChangeTitle, readDeltaSpecFiles, ShowError, showChange, showSpec } from './show';
import { getTaskProgressForChange } from './tasks';
import { CHANGES_DIR, SPECS_DIR, join, type OpenSpecTree } from './tree';
import type { RootOutput } from './types';
import { runValidate } from './validate';
import { runArchiveCommand } from './archive/cli';

export interface CliJsonResult {
  json: unknown;
  exitCode: number;
}

/** Parsed argv: positionals plus options (`--flag` -> true, `--opt v` / `--opt=v` -> string). */
export interface ParsedArgs {
  positionals: string[];
  options: Record<string, string | boolean>;
}

export interface CommandContext {
  /** Absolute project root (the folder holding `openspec/`). */
  rootDir: string;
  root: RootOutput;
  tree: OpenSpecTree;
}

export type OpenSpecCommandHandler = (args: ParsedArgs, ctx: CommandContext) => CliJsonResult | Promise<CliJsonResult>;

/** Options that take a value, per the official commander definitions. */
const VALUE_OPTIONS = new Set(['type', 'sort', 'report', 'requirement', 'concurrency', 'store', 'store-path']);
const SHORT_OPTIONS: Record<string, string> = { r: 'requirement', y: 'yes' };

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const options: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      if (eq !== -1) options[name] = arg.slice(eq + 1);
      else if (VALUE_OPTIONS.has(name)) options[name] = argv[++i] ?? '';
      else if (name.startsWith('no-')) options[name.slice(3)] = false;
      else options[name] = true;
    } else if (arg.startsWith('-') && arg.length > 1) {
      const name = SHORT_OPTIONS[arg[1]] ?? arg.slice(1);
      if (VALUE_OPTIONS.has(name)) options[name] = arg.length > 2 ? arg.slice(2) : (argv[++i] ?? '');
      else options[name] = true;
    } else {
      positionals.push(arg);
    }
  }
  return { positionals, options };
}

const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const statusOnly = (code: string, message: string, fix?: string): CliJsonResult => ({
  json: { status: [{ severity: 'error', code, message, ...(fix ? { fix } : {}) }] },
  exitCode: 1,
});

function runList({ options }: ParsedArgs, { tree, root }: CommandContext): CliJsonResult {
  if (options.specs === true) return { json: { specs: listSpecs(tree), root }, exitCode: 0 };
  const sort = options.sort === 'name' ? 'name' : 'recent';
  return { json: { ...listChanges(tree, { sort }), root }, exitCode: 0 };
}

function runShow({ positionals, options }: ParsedArgs, { tree, root, rootDir }: CommandContext): CliJsonResult {
  const itemName = positionals[0];
  if (!itemName) return statusOnly('show_error', 'Nothing to show. Try one of: openspec show <item>, openspec change show, openspec spec show.');
  const typeRaw = str(options.type)?.toLowerCase();
  const typeOverride = typeRaw === 'change' || typeRaw === 'spec' ? typeRaw : undefined;
  let isChange = false;
  let isSpec = false;
  let changes: string[] = [];
  let specs: string[] = [];
  if (typeOverride === 'change') {
    changes = getActiveChangeIds(tree);
    isChange = changes.includes(itemName);
  } else if (typeOverride === 'spec') {
    specs = getSpecIds(tree);
    isSpec = specs.includes(itemName);
  } else {
    changes = getActiveChangeIds(tree);
    specs = getSpecIds(tree);
    isChange = changes.includes(itemName);
    isSpec = specs.includes(itemName);
  }
  const resolvedType = typeOverride ?? (isChange ? 'change' : isSpec ? 'spec' : undefined);
  if (!resolvedType) {
    const suggestions = nearestMatches(itemName, [...changes, ...specs]);
    const message = suggestions.length ? `Unknown item '${itemName}'. Did you mean: ${suggestions.join(', ')}?` : `Unknown item '${itemName}'.`;
    return statusOnly('unknown_item', message);
  }
  if (!typeOverride && isChange && isSpec) {
    return statusOnly('ambiguous_item', `Ambiguous item '${itemName}' matches both a change and a spec.`, 'Pass --type change|spec.');
  }
  try {
    if (resolvedType === 'change') {
      const shown = showChange(tree, itemName, { diff: options.diff === true, rootPath: rootDir });
      return { json: { ...shown, root }, exitCode: 0 };
    }
    const shown = showSpec(tree, itemName, {
      requirements: options.requirements === true,
      scenarios: options.scenarios !== false,
      requirement: str(options.requirement),
      rootPath: rootDir,
    });
    return { json: { ...shown, root }, exitCode: 0 };
  } catch (error) {
    if (error instanceof ShowError) return statusOnly('show_error', error.message);
    throw error;
  }
}

function runValidateCommand({ positionals, options }: ParsedArgs, { tree, root }: CommandContext): CliJsonResult {
  return runValidate(tree, root, {
    item: positionals[0],
    type: str(options.type),
    all: options.all === true,
    changes: options.changes === true,
    specs: options.specs === true,
    archived: options.archived === true,
    strict: options.strict === true,
    report: str(options.report),
  });
}

/** Deprecated `change list --json` (cwd-based in the CLI): a bare array, no root. */
function runChangeList(_args: ParsedArgs, { tree }: CommandContext): CliJsonResult {
  const rows = getActiveChangeIds(tree).map((id) => {
    const changeDir = join(CHANGES_DIR, id);
    const progress = getTaskProgressForChange(tree, changeDir);
    const taskStatus = { total: progress.total, completed: progress.completed };
    const content = tree.readFile(join(changeDir, 'proposal.md'));
    if (content === null) return { id, title: id, deltaCount: 0, taskStatus };
    try {
      const change = new ChangeParser(content, readDeltaSpecFiles(tree, changeDir)).parseChangeWithDeltas(id);
      return { id, title: extractChangeTitle(content, id), deltaCount: change.deltas.length, taskStatus };
    } catch {
      return { id, title: 'Unknown', deltaCount: 0, taskStatus };
    }
  });
  return { json: rows.sort((a, b) => a.id.localeCompare(b.id)), exitCode: 0 };
}

/** Deprecated `spec list --json`: `{id, title (= id), requirementCount}`. */
function runSpecList(_args: ParsedArgs, { tree }: CommandContext): CliJsonResult {
  if (!tree.exists(SPECS_DIR)) return { json: [], exitCode: 0 };
  const rows = discoverSpecFiles(tree, SPECS_DIR).map(({ id, specFile }) => {
    try {
      const spec = new MarkdownParser(tree.readFile(specFile) ?? '').parseSpec(id);
      return { id, title: spec.name, requirementCount: spec.requirements.length };
    } catch {
      return { id, title: id, requirementCount: 0 };
    }
  });
  return { json: rows.sort((a, b) => a.id.localeCompare(b.id)), exitCode: 0 };
}

/**
 * Command map. Extension point: add a handler under its command name (e.g. `archive`); nested
 * noun commands are keyed `"<noun> <verb>"`.
 */
export const openSpecCommands: Record<string, OpenSpecCommandHandler> = {
  list: runList,
  show: runShow,
  validate: runValidateCommand,
  'change list': runChangeList,
  'spec list': runSpecList,
  archive: runArchiveCommand,
};

/** Run one command over an already-read tree (pure apart from the handlers that write). */
export async function runOpenSpecJsonOnTree(argv: readonly string[], rootDir: string, tree: OpenSpecTree): Promise<CliJsonResult> {
  const [command, ...rest] = argv;
  const nested = rest[0] && !rest[0].startsWith('-') ? `${command} ${rest[0]}` : undefined;
  const nestedHandler = nested ? openSpecCommands[nested] : undefined;
  const handler = nestedHandler ?? openSpecCommands[command ?? ''];
  if (!handler) return statusOnly('command_error', `unknown command '${command ?? ''}'`);
  const args = parseArgs(nestedHandler ? rest.slice(1) : rest);
  const ctx: CommandContext = { rootDir, root: rootOutput(rootDir), tree };
  const result = await handler(args, ctx);
  // Round-trip so `undefined` members vanish exactly as they do in the CLI's JSON.stringify.
  return { json: JSON.parse(JSON.stringify(result.json)) as unknown, exitCode: result.exitCode };
}

/** `openspec <argv...> --json` for the project at `rootDir`: the parsed JSON and the exit code. */
export async function runOpenSpecJson(argv: readonly string[], rootDir: string): Promise<CliJsonResult> {
  const absRoot = path.resolve(rootDir);
  return runOpenSpecJsonOnTree(argv, absRoot, await readOpenSpecTree(absRoot));
}
