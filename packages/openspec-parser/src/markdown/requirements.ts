/**
 * Requirements and scenarios, read two ways from the one walk:
 *
 * - the *section* view (show / list / the schema checks): Purpose and
 *   Requirements found anywhere by title, every direct child heading of
 *   Requirements is a requirement (reference §5.2);
 * - the *block* view (validation rules, archive): only `### Requirement:`
 *   lines under an exact `## Requirements`, each block kept as raw lines so
 *   archive can move it byte for byte.
 */
import { findSection, ownBody, sectionBody, type Doc, type Section } from './walk';

export interface ScenarioView {
  name: string;
  rawText: string;
}

export interface SectionRequirement {
  /** Heading title as written (`Requirement: Login`). */
  title: string;
  /** Title without the `Requirement:` keyword. */
  name: string;
  text: string;
  scenarios: ScenarioView[];
  line: number;
}

export interface SpecView {
  purpose: Section | undefined;
  requirementsSection: Section | undefined;
  overview: string;
  requirements: SectionRequirement[];
}

const METADATA_LINE = /^\*\*[^*]+\*\*\s*:/;
const REQUIREMENT_PREFIX = /^Requirement:\s*/i;
const SCENARIO_PREFIX = /^Scenario:\s*/i;

export const stripRequirementPrefix = (title: string): string => title.replace(REQUIREMENT_PREFIX, '').trim();
export const stripScenarioPrefix = (title: string): string => title.replace(SCENARIO_PREFIX, '').trim();

/**
 * The statement of a requirement: its own lines minus blanks, fenced code
 * and `**Key**: value` metadata; metadata alone when nothing else is there
 * (REMOVED blocks carry only Reason and Migration lines); the heading title
 * when the body is empty (the CLI's `show` prints `Requirement: X` then).
 */
export function requirementText(lines: readonly string[], fenced: readonly boolean[], title: string): string {
  const plain: string[] = [];
  const meta: string[] = [];
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line || fenced[i]) return;
    (METADATA_LINE.test(line) ? meta : plain).push(line);
  });
  if (plain.length > 0) return plain.join('\n');
  if (meta.length > 0) return meta.join('\n');
  return title;
}

function scenariosOf(doc: Doc, s: Section): ScenarioView[] {
  return s.children.flatMap((c) => {
    const rawText = sectionBody(doc, c).join('\n').trim();
    return rawText ? [{ name: stripScenarioPrefix(c.title), rawText }] : [];
  });
}

export function readSpecView(doc: Doc): SpecView {
  const purpose = findSection(doc, 'Purpose');
  const requirementsSection = findSection(doc, 'Requirements');
  const overview = purpose ? sectionBody(doc, purpose).join('\n').trim() : '';
  const requirements = (requirementsSection?.children ?? []).map((r) => {
    const own = ownBody(doc, r);
    const fenced = doc.fenced.slice(r.line + 1, r.line + 1 + own.length);
    return {
      title: r.title,
      name: stripRequirementPrefix(r.title),
      text: requirementText(own, fenced, r.title),
      scenarios: scenariosOf(doc, r),
      line: r.line,
    };
  });
  return { purpose, requirementsSection, overview, requirements };
}

// ---------------------------------------------------------------------------
// Block view
// ---------------------------------------------------------------------------

/** `### Requirement: name` (keyword case-insensitive, the space after ### optional). */
export const REQUIREMENT_HEADER = /^###(?!#)\s*Requirement:\s*(.*)$/i;
const SCENARIO_HEADER = /^####(?!#)\s+(.*)$/;

/** Names compare after trimming and dropping a closing `###` run. */
export function normalizeName(name: string): string {
  return name
    .trim()
    .replace(/\s+#+$/, '')
    .trim();
}

/** Case and whitespace folded: how "near misses" are detected. */
export const foldName = (name: string): string => normalizeName(name).toLowerCase().replace(/\s+/g, ' ');

export interface RequirementBlock {
  name: string;
  /** 0-based line of the header in the document. */
  line: number;
  /** Header line through the last non-blank line of the block. */
  lines: string[];
  fenced: boolean[];
}

export const blockRaw = (b: Pick<RequirementBlock, 'lines'>): string => b.lines.join('\n');

/** Cut `[from, to)` into requirement blocks; lines before the first header are returned as `lead`. */
export function cutBlocks(
  doc: Doc,
  from: number,
  to: number,
  isHeader = (i: number) => !doc.fenced[i] && REQUIREMENT_HEADER.test(doc.lines[i]!),
) {
  const blocks: RequirementBlock[] = [];
  let lead = to;
  let current: { name: string; line: number } | null = null;
  const close = (end: number): void => {
    if (!current) return;
    let last = end;
    while (last > current.line + 1 && doc.lines[last - 1]!.trim() === '') last--;
    blocks.push({ ...current, lines: doc.lines.slice(current.line, last), fenced: doc.fenced.slice(current.line, last) });
  };
  for (let i = from; i < to; i++) {
    if (!isHeader(i)) continue;
    if (!current) lead = i;
    close(i);
    current = { name: normalizeName(REQUIREMENT_HEADER.exec(doc.lines[i]!)![1]!), line: i };
  }
  close(to);
  return { lead: doc.lines.slice(from, lead), blocks };
}

export interface BlockParts {
  /** Statement lines (before the first scenario header). */
  body: string[];
  bodyFenced: boolean[];
  scenarios: Array<{ name: string; line: number; hasBody: boolean }>;
}

/** Split a block into its statement and its `####` scenarios. */
export function blockParts(block: RequirementBlock): BlockParts {
  const scenarios: BlockParts['scenarios'] = [];
  let bodyEnd = block.lines.length;
  let open: { name: string; line: number; hasBody: boolean } | null = null;
  for (let i = 1; i < block.lines.length; i++) {
    const line = block.lines[i]!;
    const m = block.fenced[i] ? null : SCENARIO_HEADER.exec(line);
    if (m) {
      if (bodyEnd === block.lines.length) bodyEnd = i;
      open = { name: stripScenarioPrefix(m[1]!.trim()), line: block.line + i, hasBody: false };
      scenarios.push(open);
    } else if (open && line.trim() !== '') open.hasBody = true;
  }
  return { body: block.lines.slice(1, bodyEnd), bodyFenced: block.fenced.slice(1, bodyEnd), scenarios };
}

/** Whole-word, upper-case SHALL or MUST (RFC 2119), as the CLI checks it. */
export const hasShallOrMust = (text: string): boolean => /\b(SHALL|MUST)\b/.test(text);

export interface MainBlocks {
  /** The exact `## Requirements` section, when present. */
  section: Section | undefined;
  blocks: RequirementBlock[];
}

/** The block view of a main spec: `### Requirement:` blocks under `## Requirements`. */
export function mainSpecBlocks(doc: Doc): MainBlocks {
  const section = doc.sections.find((s) => s.level === 2 && s.title.toLowerCase() === 'requirements');
  if (!section) return { section, blocks: [] };
  const end = doc.sections.find((s) => s.level === 2 && s.line > section.line)?.line ?? doc.lines.length;
  return { section, blocks: cutBlocks(doc, section.line + 1, end).blocks };
}

/** Text and scenarios of a block as `show` prints them (section view of its heading). */
export function showRequirement(
  doc: Doc,
  block: RequirementBlock,
): { text: string; scenarios: Array<{ rawText: string }>; scenarioNames: string[] } {
  const s = doc.sections.find((x) => x.line === block.line);
  if (!s) {
    const parts = blockParts(block);
    return {
      text: requirementText(parts.body, parts.bodyFenced, block.lines[0]!.replace(/^###\s*/, '').trim()),
      scenarios: [],
      scenarioNames: [],
    };
  }
  const own = ownBody(doc, s);
  const scenarios = scenariosOf(doc, s);
  return {
    text: requirementText(own, doc.fenced.slice(s.line + 1, s.line + 1 + own.length), s.title),
    scenarios: scenarios.map((x) => ({ rawText: x.rawText })),
    scenarioNames: scenarios.map((x) => x.name),
  };
}
