/** `show <change>` and `show <spec>` as JSON (reference §3.3, §3.4). */
import { structuredPatch } from 'diff';
import { foldName, mainSpecBlocks, blockRaw, normalizeName } from './markdown/requirements';
import { readSpecView } from './markdown/requirements';
import { walk } from './markdown/walk';
import { parsedDelta, proposalProblem, proposalTitle, shownDeltas, type ShownDelta as ModelDelta } from './model/change';
import { changeDir, deltaSpecFiles, nestedChangeMessage, nestedChangesOf, specPath } from './model/discovery';
import type { Requirement } from './schemas';
import { join, type OpenSpecTree } from './tree';
import { specParseProblem } from './validate/spec-rules';

/** A refusal `show` reports as `{status:[{code:"show_error", message}]}`. */
export class ShowError extends Error {}

export type ShownDelta = Omit<ModelDelta, 'name' | 'scenarioNames'> & { diff?: string; warning?: string };

export interface ShownChange {
  id: string;
  title: string;
  deltaCount: number;
  deltas: ShownDelta[];
}

export interface ShownSpec {
  id: string;
  title: string;
  overview: string;
  requirementCount: number;
  requirements: Requirement[];
  metadata: { version: string; format: string };
}

export interface ShowChangeOptions {
  diff?: boolean;
  /** Absolute project path, only for the "not found at" message. */
  rootPath?: string;
}

export interface ShowSpecOptions {
  requirementsOnly?: boolean;
  noScenarios?: boolean;
  /** 1-based requirement index. */
  requirement?: number;
  rootPath?: string;
}

export function showChange(tree: OpenSpecTree, id: string, options: ShowChangeOptions = {}): ShownChange {
  const dir = changeDir(id);
  const nested = nestedChangesOf(tree, id);
  if (nested) throw new ShowError(nestedChangeMessage(id, nested));
  const proposal = tree.read(join(dir, 'proposal.md'));
  if (proposal === undefined) {
    if (!tree.isDir(dir)) throw new ShowError(`Change "${id}" not found at ${join(options.rootPath ?? '', dir, 'proposal.md')}`);
    throw new ShowError(`Change "${id}" has no proposal.md yet. Run "openspec status --change ${id}" to see which artifact comes next.`);
  }
  const problem = proposalProblem(proposal);
  if (problem) throw new ShowError(problem);
  const deltas: ShownDelta[] = shownDeltas(tree, id, proposal).map(({ name: _n, scenarioNames: _s, ...d }) => d);
  if (options.diff) addDiffs(tree, id, deltas);
  return { id, title: proposalTitle(proposal, id), deltaCount: deltas.length, deltas };
}

/** `--diff`: each MODIFIED delta gets the main block vs the delta block, or why there is none. */
function addDiffs(tree: OpenSpecTree, id: string, deltas: ShownDelta[]): void {
  const incoming = new Map<string, { names: Map<string, string>; blocks: Array<{ name: string; raw: string }> }>();
  for (const f of deltaSpecFiles(tree, id)) {
    const d = parsedDelta(tree, f.path);
    // A MODIFIED block may use a name the same change renames to: diff it against the old block.
    const names = new Map(d.renamed.map((r) => [normalizeName(r.to), normalizeName(r.from)]));
    incoming.set(f.spec, { names, blocks: d.modified.map((b) => ({ name: b.name, raw: blockRaw(b) })) });
  }
  const used = new Map<string, number>();
  for (const d of deltas) {
    if (d.operation !== 'MODIFIED') continue;
    const k = used.get(d.spec) ?? 0;
    used.set(d.spec, k + 1);
    const file = incoming.get(d.spec);
    const block = file?.blocks[k];
    if (!file || !block) continue;
    const main = tree.read(specPath(d.spec));
    if (main === undefined) {
      d.warning = `No main spec at ${specPath(d.spec)}, so MODIFIED requirement "${block.name}" has nothing to diff against`;
      continue;
    }
    const blocks = mainSpecBlocks(walk(main)).blocks;
    const want = file.names.get(block.name) ?? block.name;
    const exact = blocks.find((b) => b.name === want);
    const near = exact ? undefined : blocks.find((b) => foldName(b.name) === foldName(want));
    if (!exact && !near) {
      d.warning = `No matching main requirement found for "${want}" in ${d.spec}`;
      continue;
    }
    if (near)
      d.warning = `Header differs from the main spec's "${near.name}" only in case or spacing; archive matches names exactly, so reconcile them before archiving`;
    d.diff = unifiedHunks(blockRaw((exact ?? near)!), block.raw);
  }
}

/** Hunks only (no file header), four lines of context, as the CLI prints them. */
function unifiedHunks(before: string, after: string): string {
  const patch = structuredPatch('main', 'delta', `${before}\n`, `${after}\n`, '', '', { context: 4 });
  return patch.hunks.map((h) => [`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, ...h.lines].join('\n')).join('\n');
}

export function showSpec(tree: OpenSpecTree, id: string, options: ShowSpecOptions = {}): ShownSpec {
  const content = tree.read(specPath(id));
  if (content === undefined) throw new ShowError(`Spec '${id}' not found at ${join(options.rootPath ?? '', specPath(id))}`);
  const view = readSpecView(walk(content));
  const problem = specParseProblem(view);
  if (problem) throw new ShowError(problem);
  if (options.requirementsOnly && options.requirement !== undefined)
    throw new ShowError('Options --requirements and --requirement cannot be used together');
  let requirements: Requirement[] = view.requirements.map((r) => ({
    text: r.text,
    scenarios: r.scenarios.map((s) => ({ rawText: s.rawText })),
  }));
  if (options.requirementsOnly || options.noScenarios) requirements = requirements.map((r) => ({ text: r.text, scenarios: [] }));
  if (options.requirement !== undefined) {
    const one = requirements[options.requirement - 1];
    if (!Number.isInteger(options.requirement) || !one) throw new ShowError(`Requirement ${options.requirement} not found`);
    requirements = [one];
  }
  return {
    id,
    title: id,
    overview: view.overview,
    requirementCount: requirements.length,
    requirements,
    metadata: { version: '1.0.0', format: 'openspec' },
  };
}
