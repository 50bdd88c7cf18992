/**
 * Read models for the dashboard: one call per page, requirement names included (the CLI's JSON
 * has none), never throwing on broken content — a broken item carries its parse error and issues.
 */
import { discoverSpecFiles, findNestedChangesIn } from './discovery';
import { ChangeParser } from './parsers/change-parser';
import { MarkdownParser, type Section } from './parsers/markdown-parser';
import { parseDeltaSpec } from './parsers/requirement-blocks';
import { extractRequirementText, hasScenarioBody } from './parsers/requirement-text';
import { extractChangeTitle } from './show';
import { getTaskProgressForChange, getTasksForChange } from './tasks';
import { CHANGES_DIR, SPECS_DIR, join, type OpenSpecTree } from './tree';
import type { DeltaOperation, TaskItem, TaskProgress, ValidationIssue } from './types';
import { validateChangeReport, validateSpecReport } from './validate';

export interface NamedScenario {
  name: string;
  rawText: string;
}

export interface NamedRequirement {
  /** Header title without the `Requirement:` prefix. */
  name: string;
  text: string;
  scenarios: NamedScenario[];
}

export interface ChangeDeltaDetail {
  spec: string;
  operation: DeltaOperation;
  /** Requirement name (RENAMED: the new name); null for legacy What Changes bullets. */
  name: string | null;
  description: string;
  /** Null for RENAMED entries and legacy bullets. */
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
  /** Every file of the change, relative to its folder, sorted. */
  files: string[];
  deltas: ChangeDeltaDetail[];
  /** Why the proposal could not be parsed (missing Why/What Changes), if so. */
  parseError: string | null;
  /** Nested change ids when this folder only wraps other changes. */
  nested: string[] | null;
  validation: { valid: boolean; issues: ValidationIssue[] };
}

export interface SpecDetails {
  id: string;
  exists: boolean;
  title: string;
  /** The raw spec.md ('' when the spec does not exist). */
  markdown: string;
  overview: string;
  /** The Purpose section (same as overview), null when it could not be read. */
  purpose: string | null;
  requirements: NamedRequirement[];
  parseError: string | null;
  validation: { valid: boolean; issues: ValidationIssue[] };
}

const stripPrefix = (title: string, prefix: RegExp): string => title.trim().replace(prefix, '').trim();

/** The main-spec reader with header names kept. */
class NamedSpecReader extends MarkdownParser {
  readNamed(): { overview: string; requirements: NamedRequirement[] } {
    const sections = this.parseSections();
    const purpose = this.findSection(sections, 'Purpose')?.content || '';
    const requirementsSection = this.findSection(sections, 'Requirements');
    if (!purpose) throw new Error('Spec must have a Purpose section');
    if (!requirementsSection) throw new Error('Spec must have a Requirements section');
    return { overview: purpose.trim(), requirements: requirementsSection.children.map(toNamedRequirement) };
  }
}

function toNamedRequirement(section: Section): NamedRequirement {
  return {
    name: stripPrefix(section.title, /^Requirement:\s*/i),
    text: extractRequirementText(section.title, section.content.split('\n')),
    scenarios: section.children
      .filter((s) => hasScenarioBody(s.content))
      .map((s) => ({ name: stripPrefix(s.title, /^Scenario:\s*/i), rawText: s.content })),
  };
}

/** Scenario names of a delta block, in order, for blocks whose text/scenarios came from ChangeParser. */
function blockScenarioNames(raw: string): string[] {
  const reader = new NamedSpecReader(`## Purpose\nx\n## Requirements\n${raw}`);
  try {
    return reader.readNamed().requirements[0]?.scenarios.map((s) => s.name) ?? [];
  } catch {
    return [];
  }
}

function listFiles(tree: OpenSpecTree, dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of tree.readdir(dir) ?? []) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.kind === 'dir') out.push(...listFiles(tree, join(dir, entry.name), rel));
    else out.push(rel);
  }
  return prefix ? out : out.sort();
}

/** Proposal titles of every active change (id -> title), as `change list --json` reads them. */
export function readChangeTitlesFromTree(tree: OpenSpecTree): Map<string, string> {
  const titles = new Map<string, string>();
  for (const entry of tree.readdir(CHANGES_DIR) ?? []) {
    if (entry.kind !== 'dir' || entry.name === 'archive') continue;
    const proposal = tree.readFile(join(CHANGES_DIR, entry.name, 'proposal.md'));
    titles.set(entry.name, proposal === null ? entry.name : extractChangeTitle(proposal, entry.name));
  }
  return titles;
}

export function getChangeDetailsFromTree(tree: OpenSpecTree, id: string, options: { rootPath?: string } = {}): ChangeDetails {
  const changeDir = join(CHANGES_DIR, id);
  const proposal = tree.readFile(join(changeDir, 'proposal.md'));
  const nested = findNestedChangesIn(tree, id)?.nested ?? null;
  const deltas: ChangeDeltaDetail[] = [];
  let parseError: string | null = null;
  const parser = new ChangeParser(proposal ?? '');
  let hasDeltaSections = false;
  for (const { id: spec, specFile } of discoverSpecFiles(tree, join(changeDir, 'specs'))) {
    const plan = parseDeltaSpec(tree.readFile(specFile) ?? '');
    if (Object.values(plan.sectionPresence).some(Boolean)) hasDeltaSections = true;
    // parseSpecDeltas emits ADDED, MODIFIED, REMOVED, RENAMED in plan order, so names zip by index.
    const names = [...plan.added.map((b) => b.name), ...plan.modified.map((b) => b.name), ...plan.removed, ...plan.renamed.map((r) => r.to)];
    const raws = [...plan.added.map((b) => b.raw), ...plan.modified.map((b) => b.raw)];
    parser.parseSpecDeltas(spec, plan).forEach((delta, index) => {
      const name = names[index] ?? null;
      const scenarioNames = index < raws.length ? blockScenarioNames(raws[index]) : [];
      deltas.push({
        spec,
        operation: delta.operation,
        name,
        description: delta.description,
        requirement: delta.requirement
          ? {
              name: name ?? '',
              text: delta.requirement.text,
              scenarios: delta.requirement.scenarios.map((s, i) => ({ name: scenarioNames[i] ?? '', rawText: s.rawText })),
            }
          : null,
        rename: delta.rename ?? null,
      });
    });
  }
  let title = id;
  if (proposal !== null) {
    title = extractChangeTitle(proposal, id);
    try {
      const change = new ChangeParser(proposal).parseChangeWithDeltas(id);
      if (!hasDeltaSections) {
        for (const d of change.deltas) deltas.push({ spec: d.spec, operation: d.operation, name: null, description: d.description, requirement: null, rename: null });
      }
    } catch (error) {
      parseError = error instanceof Error ? error.message : String(error);
    }
  }
  const report = validateChangeReport(tree, id, { rootPath: options.rootPath });
  const tasksPath = join(changeDir, 'tasks.md');
  return {
    id,
    exists: tree.isDir(changeDir),
    title,
    proposal,
    design: tree.readFile(join(changeDir, 'design.md')),
    tasksMarkdown: tree.readFile(tasksPath),
    tasks: getTasksForChange(tree, changeDir),
    progress: getTaskProgressForChange(tree, changeDir),
    files: listFiles(tree, changeDir),
    deltas,
    parseError,
    nested,
    validation: { valid: report.valid, issues: report.issues },
  };
}

export function getSpecDetailsFromTree(tree: OpenSpecTree, id: string, options: { rootPath?: string } = {}): SpecDetails {
  const specFile = join(SPECS_DIR, id, 'spec.md');
  const markdown = tree.readFile(specFile);
  let overview = '';
  let requirements: NamedRequirement[] = [];
  let parseError: string | null = null;
  if (markdown !== null) {
    try {
      ({ overview, requirements } = new NamedSpecReader(markdown).readNamed());
    } catch (error) {
      parseError = error instanceof Error ? error.message : String(error);
    }
  }
  const h1 = markdown?.replace(/^\uFEFF/, '').match(/^#\s+(.+)$/m)?.[1].trim();
  const report = validateSpecReport(tree, id, { rootPath: options.rootPath });
  return {
    id,
    exists: markdown !== null,
    title: h1 || id,
    markdown: markdown ?? '',
    overview,
    purpose: parseError || markdown === null ? null : overview,
    requirements,
    parseError,
    validation: { valid: report.valid, issues: report.issues },
  };
}
