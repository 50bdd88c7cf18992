/** One change read from the tree: proposal title, deltas as `show` prints them, tasks, metadata. */
import { parse as parseYaml } from 'yaml';
import { parseDelta, type DeltaOp, type DeltaSpec } from '../markdown/delta';
import { showRequirement } from '../markdown/requirements';
import { findSection, normalizeText, walk } from '../markdown/walk';
import { ChangeMetadataSchema, type Requirement, type TaskProgress } from '../schemas';
import { countTasks, parseTaskLines, type TaskLine } from '../tasks';
import { CHANGES_DIR, join, type OpenSpecTree } from '../tree';
import { deltaSpecFiles } from './discovery';

export interface ShownDelta {
  spec: string;
  operation: DeltaOp;
  description: string;
  requirement?: Requirement;
  requirements?: Requirement[];
  rename?: { from: string; to: string };
  /** Requirement name (not printed by the CLI; the dashboard shows it). */
  name?: string;
  scenarioNames?: string[];
}

export const parsedDelta = (tree: OpenSpecTree, path: string): DeltaSpec =>
  tree.cached(`delta:${path}`, () => parseDelta(tree.read(path) ?? ''));

/** The proposal's H1 (`Change: ` dropped); the id for `# Proposal` or no H1. Read without BOM stripping, like the CLI. */
export function proposalTitle(content: string, id: string): string {
  const m = /^#\s+(.+)$/m.exec(content);
  const title = m
    ? m[1]!
        .trim()
        .replace(/^Change:\s*/, '')
        .trim()
    : '';
  return !title || title === 'Proposal' ? id : title;
}

/** `show` refuses a proposal without these sections (the message is the CLI's). */
export function proposalProblem(content: string): string | null {
  const doc = walk(content);
  if (!findSection(doc, 'Why')) return 'Change must have a Why section';
  if (!findSection(doc, 'What Changes')) return 'Change must have a What Changes section';
  return null;
}

const DESCRIBE: Record<Exclude<DeltaOp, 'RENAMED'>, string> = {
  ADDED: 'Add requirement: ',
  MODIFIED: 'Modify requirement: ',
  REMOVED: 'Remove requirement: ',
};

/** Deltas as `show <change> --json` lists them: per spec file, ADDED, MODIFIED, REMOVED, RENAMED. */
export function shownDeltas(tree: OpenSpecTree, id: string, proposal: string | undefined, base = CHANGES_DIR): ShownDelta[] {
  const out: ShownDelta[] = [];
  let anySection = false;
  for (const { spec, path } of deltaSpecFiles(tree, id, base)) {
    const d = parsedDelta(tree, path);
    if (d.sections.length > 0) anySection = true;
    const push = (operation: Exclude<DeltaOp, 'RENAMED'>, name: string, req: Requirement & { scenarioNames?: string[] }) => {
      const requirement = { text: req.text, scenarios: req.scenarios };
      out.push({
        spec,
        operation,
        description: DESCRIBE[operation] + req.text,
        requirement,
        requirements: [requirement],
        name,
        scenarioNames: req.scenarioNames ?? [],
      });
    };
    for (const b of d.added) push('ADDED', b.name, showRequirement(d.doc, b));
    for (const b of d.modified) push('MODIFIED', b.name, showRequirement(d.doc, b));
    for (const r of d.removed)
      push('REMOVED', r.name, r.block ? showRequirement(d.doc, r.block) : { text: `Requirement: ${r.name}`, scenarios: [] });
    for (const r of d.renamed)
      out.push({
        spec,
        operation: 'RENAMED',
        description: `Rename requirement from "${r.from}" to "${r.to}"`,
        rename: { from: r.from, to: r.to },
        name: r.to,
      });
  }
  if (out.length === 0 && !anySection && proposal !== undefined) return guessedDeltas(proposal);
  return out;
}

/** Old proposals described deltas as `- **spec:** text` bullets under What Changes (tricky fixture `legacy`). */
function guessedDeltas(proposal: string): ShownDelta[] {
  const doc = walk(proposal);
  const what = findSection(doc, 'What Changes');
  if (!what) return [];
  const out: ShownDelta[] = [];
  for (const line of doc.lines.slice(what.line + 1, what.end)) {
    const m = /^\s*[-*]\s+\*\*([^*:]+?)(?::\*\*|\*\*:)\s*(.+)$/.exec(line);
    if (!m) continue;
    const text = m[2]!.trim();
    const lower = text.toLowerCase();
    const operation: DeltaOp = lower.includes('rename')
      ? 'RENAMED'
      : /add|create|new/.test(lower)
        ? 'ADDED'
        : /remove|delete/.test(lower)
          ? 'REMOVED'
          : 'MODIFIED';
    out.push({ spec: m[1]!.trim(), operation, description: text });
  }
  return out;
}

export function changeTasks(tree: OpenSpecTree, dir: string): TaskLine[] {
  const content = tree.read(join(dir, 'tasks.md'));
  return content === undefined ? [] : parseTaskLines(content);
}

export function changeProgress(tree: OpenSpecTree, dir: string): TaskProgress {
  return tree.cached(`progress:${dir}`, () => {
    const content = tree.read(join(dir, 'tasks.md'));
    return content === undefined ? { total: 0, completed: 0 } : countTasks(content);
  });
}

export type MetadataRead =
  | { kind: 'absent' }
  | { kind: 'valid'; data: Record<string, unknown>; schema: string }
  | { kind: 'invalid'; data: Record<string, unknown>; problem: string };

/** `.openspec.yaml`, checked with the metadata schema (problems worded like zod's, as the CLI prints them). */
export function readMetadata(tree: OpenSpecTree, dir: string): MetadataRead {
  const content = tree.read(join(dir, '.openspec.yaml'));
  if (content === undefined) return { kind: 'absent' };
  let data: unknown;
  try {
    data = parseYaml(normalizeText(content));
  } catch (error) {
    return { kind: 'invalid', data: {}, problem: error instanceof Error ? error.message : String(error) };
  }
  const obj = data && typeof data === 'object' ? (data as Record<string, unknown>) : {};
  const parsed = ChangeMetadataSchema.safeParse(obj);
  if (parsed.success) return { kind: 'valid', data: obj, schema: parsed.data.schema };
  const problem = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  return { kind: 'invalid', data: obj, problem };
}

/** A boolean marker (`skip_specs`, `retire_capabilities`) as written, whether or not the metadata is valid. */
export const markerSet = (m: MetadataRead, key: string): boolean => m.kind !== 'absent' && m.data[key] === true;
export const markerPresent = (m: MetadataRead, key: string): boolean => m.kind !== 'absent' && key in m.data;
