// Behaviour follows @fission-ai/openspec 1.13.2 (MIT), dist/commands/change.js (show),
// dist/commands/spec.js (show) and dist/core/converters/json-converter.js.
import { posix } from 'node:path';
import { describeNestedChange, discoverSpecFiles, findNestedChangesIn } from './discovery';
import { ChangeParser } from './parsers/change-parser';
import { MarkdownParser } from './parsers/markdown-parser';
import { foldRequirementName, parseDeltaSpec } from './parsers/requirement-blocks';
import { buildRenameMap, diffRequirementBlock, extractRequirementBlock } from './requirement-diff';
import { CHANGES_DIR, SPECS_DIR, join, type OpenSpecTree } from './tree';
import type { Delta, Requirement } from './types';
import { extractNameFromPath } from './validation/validator';

/** A thrown failure that the CLI reports as `show_error` with this exact message. */
export class ShowError extends Error {}

export interface ShowChangeOptions {
  /** `--diff`: attach `diff` or `warning` to every MODIFIED delta. */
  diff?: boolean;
  /** Absolute project root, used where the CLI's messages carry absolute paths. */
  rootPath?: string;
}

export type ShownDelta = Delta & { diff?: string; warning?: string };

export interface ShownChange {
  id: string;
  title: string;
  deltaCount: number;
  deltas: ShownDelta[];
}

export interface ShowSpecOptions {
  /** `--requirements`: drop scenarios. */
  requirements?: boolean;
  /** `--no-scenarios` (false drops scenarios). */
  scenarios?: boolean;
  /** `-r N`, 1-based, as typed. */
  requirement?: string;
  rootPath?: string;
}

export interface ShownSpec {
  id: string;
  title: string;
  overview: string;
  requirementCount: number;
  requirements: Requirement[];
  metadata: { version: string; format: 'openspec' };
}

const abs = (rootPath: string | undefined, treePath: string): string => (rootPath ? posix.join(rootPath, treePath) : treePath);

/** First `# ` H1 of the raw proposal, minus `Change: `; a bare `# Proposal` (the template) falls back to the id. */
export function extractChangeTitle(content: string, changeName: string): string {
  const match = content.match(/^#\s+(?:Change:\s+)?(.+)$/im);
  const title = match?.[1].trim();
  return title && title.toLowerCase() !== 'proposal' ? title : changeName;
}

/** The delta spec files of a change as the change parser wants them. */
export function readDeltaSpecFiles(tree: OpenSpecTree, changeDir: string): Array<{ id: string; content: string }> {
  return discoverSpecFiles(tree, join(changeDir, 'specs')).flatMap(({ id, specFile }) => {
    const content = tree.readFile(specFile);
    return content === null ? [] : [{ id, content }];
  });
}

/** `show <change> --json` (also `--deltas-only`, which returns the same object). Throws ShowError. */
export function showChange(tree: OpenSpecTree, changeName: string, options: ShowChangeOptions = {}): ShownChange {
  const changeDir = join(CHANGES_DIR, changeName);
  const proposalPath = join(changeDir, 'proposal.md');
  // A change is a directory directly under changes/; anything else (`../x`, `a/b`) is "not found".
  if (posix.dirname(posix.normalize(changeDir)) !== CHANGES_DIR || changeName === '' || changeName === '.') {
    throw new ShowError(`Change "${changeName}" not found at ${abs(options.rootPath, posix.normalize(proposalPath))}`);
  }
  const content = tree.readFile(proposalPath);
  if (content === null) {
    if (tree.isDir(changeDir)) {
      const nested = findNestedChangesIn(tree, changeName);
      if (nested) throw new ShowError(describeNestedChange(nested));
      throw new ShowError(
        `Change "${changeName}" has no proposal.md yet. ` + `Run "openspec status --change ${changeName}" to see which artifact comes next.`,
      );
    }
    throw new ShowError(`Change "${changeName}" not found at ${abs(options.rootPath, proposalPath)}`);
  }
  // The id comes from the proposal's path, like the CLI's JsonConverter (a quirk for ids named
  // `specs`/`changes`, matched as-is).
  const parsedName = extractNameFromPath(abs(options.rootPath, proposalPath));
  let change;
  try {
    change = new ChangeParser(content, readDeltaSpecFiles(tree, changeDir)).parseChangeWithDeltas(parsedName);
  } catch (error) {
    throw new ShowError(error instanceof Error ? error.message : String(error));
  }
  const deltas: ShownDelta[] = change.deltas;
  if (options.diff) enrichDeltasWithDiffs(tree, deltas, changeDir);
  return { id: change.name, title: extractChangeTitle(content, changeName), deltaCount: deltas.length, deltas };
}

interface ModifiedDiffEntry {
  capability: string;
  diff?: string;
  warning?: string;
}

/** MODIFIED blocks of each delta spec paired with the main-spec block they replace. */
function collectModifiedDiffs(tree: OpenSpecTree, changeDir: string): ModifiedDiffEntry[] {
  const results: ModifiedDiffEntry[] = [];
  for (const { id: capability, specFile } of discoverSpecFiles(tree, join(changeDir, 'specs'))) {
    const deltaContent = tree.readFile(specFile) ?? '';
    const mainContent = tree.readFile(join(SPECS_DIR, capability, 'spec.md'));
    const plan = parseDeltaSpec(deltaContent);
    const renameMap = buildRenameMap(plan.renamed);
    for (const block of plan.modified) {
      const entry: ModifiedDiffEntry = { capability };
      // Renamed and modified in one delta: the main spec still has it under the old name.
      const lookupName = renameMap.get(foldRequirementName(block.name)) ?? block.name;
      const match = mainContent ? extractRequirementBlock(mainContent, lookupName) : null;
      if (match) {
        entry.diff = diffRequirementBlock(match.raw, block.raw, `${capability}/${block.name}`);
        if (!match.exact) {
          entry.warning =
            `Header differs from the main spec's "${match.name}" only in case or spacing; ` +
            'archive matches names exactly, so reconcile them before archiving';
        }
      } else if (mainContent) {
        entry.warning = `No matching main requirement found for "${lookupName}" in ${capability}`;
      } else {
        entry.warning =
          `No main spec at openspec/specs/${capability}/spec.md, ` + `so MODIFIED requirement "${block.name}" has nothing to diff against`;
      }
      results.push(entry);
    }
  }
  return results;
}

/** Matched to the parsed deltas by capability and source order, as the CLI does. */
function enrichDeltasWithDiffs(tree: OpenSpecTree, deltas: ShownDelta[], changeDir: string): void {
  const modifiedDeltasBySpec = new Map<string, ShownDelta[]>();
  for (const delta of deltas) {
    if (!delta.spec || delta.operation !== 'MODIFIED') continue;
    const list = modifiedDeltasBySpec.get(delta.spec) ?? [];
    list.push(delta);
    modifiedDeltasBySpec.set(delta.spec, list);
  }
  if (modifiedDeltasBySpec.size === 0) return;
  const entriesBySpec = new Map<string, ModifiedDiffEntry[]>();
  for (const entry of collectModifiedDiffs(tree, changeDir)) {
    const list = entriesBySpec.get(entry.capability) ?? [];
    list.push(entry);
    entriesBySpec.set(entry.capability, list);
  }
  for (const [capability, modifiedDeltas] of modifiedDeltasBySpec) {
    const entries = entriesBySpec.get(capability) ?? [];
    for (let i = 0; i < modifiedDeltas.length && i < entries.length; i++) {
      if (entries[i].diff !== undefined) modifiedDeltas[i].diff = entries[i].diff;
      if (entries[i].warning !== undefined) modifiedDeltas[i].warning = entries[i].warning;
    }
  }
}

/** `show <spec> --json`. Throws ShowError with the CLI's messages. */
export function showSpec(tree: OpenSpecTree, specId: string, options: ShowSpecOptions = {}): ShownSpec {
  const specPath = posix.normalize(join(SPECS_DIR, specId, 'spec.md'));
  const rel = posix.relative(SPECS_DIR, specPath);
  if (rel === '..' || rel.startsWith('../') || posix.isAbsolute(rel)) {
    throw new ShowError(`Path is outside the allowed directory: ${abs(options.rootPath, specPath)}`);
  }
  if (!tree.exists(specPath)) throw new ShowError(`Spec '${specId}' not found at ${abs(options.rootPath, specPath)}`);
  if (options.requirements && options.requirement) {
    throw new ShowError('Options --requirements and --requirement cannot be used together');
  }
  const content = tree.readFile(specPath);
  if (content === null) throw new ShowError('EISDIR: illegal operation on a directory, read');
  let spec;
  try {
    spec = new MarkdownParser(content).parseSpec(specId);
  } catch (error) {
    throw new ShowError(error instanceof Error ? error.message : String(error));
  }
  let requirementIndex: number | undefined;
  if (options.requirement) {
    const index = Number.parseInt(options.requirement, 10);
    if (!Number.isInteger(index) || index < 1 || index > spec.requirements.length) {
      throw new ShowError(`Requirement ${options.requirement} not found`);
    }
    requirementIndex = index - 1;
  }
  const includeScenarios = options.scenarios !== false && !options.requirements;
  const requirements = (requirementIndex !== undefined ? [spec.requirements[requirementIndex]] : spec.requirements).map((req) => ({
    text: req.text,
    scenarios: includeScenarios ? req.scenarios : [],
  }));
  return {
    id: specId,
    title: spec.name,
    overview: spec.overview,
    requirementCount: requirements.length,
    requirements,
    metadata: { version: '1.0.0', format: 'openspec' },
  };
}
