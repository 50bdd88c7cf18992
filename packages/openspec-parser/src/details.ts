/**
 * The dashboard's read models: what `show` prints plus what the official
 * JSON leaves out (requirement and scenario names, tasks with their lines,
 * the raw markdown). Broken content is reported in `parseError`, never thrown.
 */
import { readSpecView } from './markdown/requirements';
import { walk } from './markdown/walk';
import { changeTasks, changeProgress, proposalProblem, proposalTitle, shownDeltas } from './model/change';
import { changeDir, changeIds, nestedChangeMessage, nestedChangesOf, specPath } from './model/discovery';
import type { DeltaOperation, TaskItem, TaskProgress, ValidationReport } from './schemas';
import { join, type OpenSpecTree } from './tree';
import { validateChangeReport, validateSpecReport } from './validate';
import { specParseProblem } from './validate/spec-rules';

export interface NamedScenario {
  name: string | null;
  rawText: string;
}

export interface NamedRequirement {
  name: string | null;
  text: string;
  scenarios: NamedScenario[];
}

export interface ChangeDeltaDetail {
  spec: string;
  operation: DeltaOperation;
  description: string;
  name: string | null;
  requirement: NamedRequirement | null;
  rename: { from: string; to: string } | null;
}

export interface ChangeDetails {
  id: string;
  exists: boolean;
  title: string;
  proposal: string | null;
  design: string | null;
  tasksMarkdown: string | null;
  tasks: TaskItem[];
  progress: TaskProgress;
  deltas: ChangeDeltaDetail[];
  /** Files of the change folder, relative to it, sorted. */
  files: string[];
  validation: ValidationReport;
  parseError?: string;
}

export interface SpecDetails {
  id: string;
  exists: boolean;
  /** The spec's H1, else its id. */
  title: string;
  purpose: string | null;
  requirements: NamedRequirement[];
  markdown: string;
  validation: ValidationReport;
  parseError?: string;
}

/** Proposal titles of every active change (the id when there is no proposal), as `change list` shows them. */
export function readChangeTitlesFromTree(tree: OpenSpecTree): Map<string, string> {
  return tree.cached(
    'titles',
    () => new Map(changeIds(tree).map((id) => [id, proposalTitle(tree.read(join(changeDir(id), 'proposal.md')) ?? '', id)])),
  );
}

export function getChangeDetailsFromTree(tree: OpenSpecTree, id: string): ChangeDetails {
  const dir = changeDir(id);
  const read = (name: string): string | null => tree.read(join(dir, name)) ?? null;
  const proposal = read('proposal.md');
  const nested = nestedChangesOf(tree, id);
  const parseError = nested ? nestedChangeMessage(id, nested) : proposal === null ? undefined : (proposalProblem(proposal) ?? undefined);
  const deltas: ChangeDeltaDetail[] = shownDeltas(tree, id, proposal ?? undefined).map((d) => ({
    spec: d.spec,
    operation: d.operation,
    description: d.description,
    name: d.name ?? null,
    requirement: d.requirement
      ? {
          name: d.name ?? null,
          text: d.requirement.text,
          scenarios: d.requirement.scenarios.map((s, i) => ({ name: d.scenarioNames?.[i] ?? null, rawText: s.rawText })),
        }
      : null,
    rename: d.rename ?? null,
  }));
  return {
    id,
    exists: tree.isDir(dir),
    title: proposalTitle(proposal ?? '', id),
    proposal,
    design: read('design.md'),
    tasksMarkdown: read('tasks.md'),
    tasks: changeTasks(tree, dir).map(({ text, done, line }) => ({ text, done, line })),
    progress: changeProgress(tree, dir),
    deltas,
    files: tree
      .filesUnder(dir)
      .map((f) => f.slice(dir.length + 1))
      .sort(),
    validation: validateChangeReport(tree, id),
    ...(parseError ? { parseError } : {}),
  };
}

export function getSpecDetailsFromTree(tree: OpenSpecTree, id: string, options: { rootPath?: string } = {}): SpecDetails {
  const markdown = tree.read(specPath(id));
  const doc = walk(markdown ?? '');
  const view = readSpecView(doc);
  const h1 = doc.sections.find((s) => s.level === 1);
  const parseError = markdown === undefined ? `Spec "${id}" not found` : (specParseProblem(view) ?? undefined);
  return {
    id,
    exists: markdown !== undefined,
    title: h1?.title ?? id,
    purpose: view.purpose ? view.overview : null,
    requirements: view.requirements.map((r) => ({
      name: r.name,
      text: r.text,
      scenarios: r.scenarios.map((s) => ({ name: s.name, rawText: s.rawText })),
    })),
    markdown: markdown ?? '',
    validation: validateSpecReport(tree, id, options),
    ...(parseError ? { parseError } : {}),
  };
}
