// Behaviour follows @fission-ai/openspec 1.13.2 (MIT), dist/core/parsers/requirement-blocks.js
import { buildCodeFenceMask, SCENARIO_HEADER } from './requirement-text';

export interface RequirementBlock {
  headerLine: string;
  name: string;
  raw: string;
}

export interface RequirementsSectionParts {
  before: string;
  headerLine: string;
  preamble: string;
  bodyBlocks: RequirementBlock[];
  after: string;
}

/** A non-canonical `###` header inside ADDED/MODIFIED, reported as INFO by validate. */
export interface SkippedHeader {
  header: string;
  section: string;
  line: number;
}

/** A RENAMED `FROM:`/`TO:` line that never formed a pair. */
export interface UnpairedRename {
  side: 'FROM' | 'TO';
  name: string;
  line: number;
}

/** A canonical `### Requirement:` block outside every delta section (silently ignored by archive). */
export interface OrphanedRequirement {
  name: string;
  section: string | null;
  line: number;
}

export interface RenamePair {
  from: string;
  to: string;
}

export interface DeltaPlan {
  added: RequirementBlock[];
  modified: RequirementBlock[];
  removed: string[];
  removedBlocks: RequirementBlock[];
  renamed: RenamePair[];
  unpairedRenames: UnpairedRename[];
  orphanedRequirements: OrphanedRequirement[];
  skippedHeaders: SkippedHeader[];
  sectionPresence: { added: boolean; modified: boolean; removed: boolean; renamed: boolean };
}

export interface ScenarioNameDiff {
  missing: string[];
  added: string[];
  currentCount: number;
  incomingCount: number;
}

/** Drops an ATX closing run (`### Requirement: Foo ###`); only after a space/tab, so `C#` keeps its `#`. */
export function normalizeRequirementName(name: string): string {
  return name.replace(/[ \t]+#+[ \t]*$/, '').trim();
}

/** Case/whitespace fold, used only for near-miss (typo) detection — matching itself is exact. */
export function foldRequirementName(name: string): string {
  return normalizeRequirementName(name).toLowerCase().replace(/\s+/g, ' ');
}

/** Accepts `###Requirement:` without a space and any keyword case. */
const REQUIREMENT_HEADER_REGEX = /^###\s*Requirement:\s*(.+)\s*$/i;

function normalizeLineEndings(content: string): string {
  return content.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
}

/** The `## Requirements` section (exactly level 2) split into preamble and requirement blocks. */
export function extractRequirementsSection(content: string): RequirementsSectionParts {
  const normalized = normalizeLineEndings(content);
  const lines = normalized.split('\n');
  const fenceMask = buildCodeFenceMask(lines);
  const reqHeaderIndex = lines.findIndex((l, i) => !fenceMask[i] && /^##\s+Requirements\s*$/i.test(l));
  if (reqHeaderIndex === -1) {
    // Quirk kept: `before` uses the raw (un-normalised) content here.
    const before = content.trimEnd();
    return {
      before: before ? before + '\n\n' : '',
      headerLine: '## Requirements',
      preamble: '',
      bodyBlocks: [],
      after: '\n',
    };
  }
  let endIndex = lines.length;
  for (let i = reqHeaderIndex + 1; i < lines.length; i++) {
    if (!fenceMask[i] && /^##\s+/.test(lines[i])) {
      endIndex = i;
      break;
    }
  }
  const before = lines.slice(0, reqHeaderIndex).join('\n');
  const headerLine = lines[reqHeaderIndex];
  const sectionBodyLines = lines.slice(reqHeaderIndex + 1, endIndex);
  const sectionBodyMask = fenceMask.slice(reqHeaderIndex + 1, endIndex);
  const isRequirementHeader = (cursor: number): boolean =>
    !sectionBodyMask[cursor] && REQUIREMENT_HEADER_REGEX.test(sectionBodyLines[cursor]);
  const isTopLevelHeader = (cursor: number): boolean =>
    !sectionBodyMask[cursor] && /^##\s+/.test(sectionBodyLines[cursor]);

  const blocks: RequirementBlock[] = [];
  let cursor = 0;
  const preambleLines: string[] = [];
  while (cursor < sectionBodyLines.length && !isRequirementHeader(cursor)) {
    preambleLines.push(sectionBodyLines[cursor]);
    cursor++;
  }
  while (cursor < sectionBodyLines.length) {
    const headerLineCandidate = sectionBodyLines[cursor];
    if (!isRequirementHeader(cursor)) {
      cursor++;
      continue;
    }
    const headerMatch = headerLineCandidate.match(REQUIREMENT_HEADER_REGEX);
    const name = normalizeRequirementName(headerMatch ? headerMatch[1] : '');
    cursor++;
    const bodyLines = [headerLineCandidate];
    while (cursor < sectionBodyLines.length && !isRequirementHeader(cursor) && !isTopLevelHeader(cursor)) {
      bodyLines.push(sectionBodyLines[cursor]);
      cursor++;
    }
    blocks.push({ headerLine: headerLineCandidate, name, raw: bodyLines.join('\n').trimEnd() });
  }
  const after = lines.slice(endIndex).join('\n');
  const preamble = preambleLines.join('\n').trimEnd();
  return {
    before: before.trimEnd() ? before + '\n' : before,
    headerLine,
    preamble,
    bodyBlocks: blocks,
    after: after.startsWith('\n') ? after : '\n' + after,
  };
}

interface SectionBody {
  lines: string[];
  fenceMask: boolean[];
  /** 1-based line number of the first body line. */
  bodyStartLine: number;
}

interface TopLevelSection {
  title: string;
  body: SectionBody;
}

/** Parse a delta spec (`changes/<id>/specs/<cap>/spec.md`) into raw blocks per operation. */
export function parseDeltaSpec(content: string): DeltaPlan {
  const normalized = normalizeLineEndings(content);
  const lines = normalized.split('\n');
  const fenceMask = buildCodeFenceMask(lines);
  const sections = splitTopLevelSections(lines, fenceMask);
  const addedLookup = getSectionsCaseInsensitive(sections, 'ADDED Requirements');
  const modifiedLookup = getSectionsCaseInsensitive(sections, 'MODIFIED Requirements');
  const removedLookup = getSectionsCaseInsensitive(sections, 'REMOVED Requirements');
  const renamedLookup = getSectionsCaseInsensitive(sections, 'RENAMED Requirements');
  const skippedHeaders: SkippedHeader[] = [];
  const added = addedLookup.bodies.flatMap((body) =>
    parseRequirementBlocksFromSection(body, { section: addedLookup.title, bodyStartLine: body.bodyStartLine, sink: skippedHeaders }),
  );
  const modified = modifiedLookup.bodies.flatMap((body) =>
    parseRequirementBlocksFromSection(body, { section: modifiedLookup.title, bodyStartLine: body.bodyStartLine, sink: skippedHeaders }),
  );
  const removedNames = removedLookup.bodies.flatMap((body) => parseRemovedNames(body));
  const removedBlocks = removedLookup.bodies.flatMap((body) => parseRequirementBlocksFromSection(body));
  // Pairs are read per section copy: a FROM never pairs with a TO in another copy.
  const unpairedRenames: UnpairedRename[] = [];
  const renamedPairs = renamedLookup.bodies.flatMap((body) => parseRenamedPairs(body, unpairedRenames));
  unpairedRenames.sort((a, b) => a.line - b.line);
  skippedHeaders.sort((a, b) => a.line - b.line);
  return {
    added,
    modified,
    removed: removedNames,
    removedBlocks,
    renamed: renamedPairs,
    unpairedRenames,
    orphanedRequirements: findOrphanedRequirements(lines, fenceMask),
    skippedHeaders,
    sectionPresence: {
      added: addedLookup.found,
      modified: modifiedLookup.found,
      removed: removedLookup.found,
      renamed: renamedLookup.found,
    },
  };
}

const DELTA_SECTION_TITLES = new Set(
  ['ADDED Requirements', 'MODIFIED Requirements', 'REMOVED Requirements', 'RENAMED Requirements'].map((t) => t.toLowerCase()),
);

function findOrphanedRequirements(lines: string[], fenceMask: boolean[]): OrphanedRequirement[] {
  const orphans: OrphanedRequirement[] = [];
  let section: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    if (fenceMask[i]) continue;
    const sectionMatch = lines[i].match(/^(##)\s+(.+)$/);
    if (sectionMatch) {
      section = sectionMatch[2].trim();
      continue;
    }
    if (section !== null && DELTA_SECTION_TITLES.has(section.toLowerCase())) continue;
    const header = lines[i].match(REQUIREMENT_HEADER_REGEX);
    if (header) orphans.push({ name: normalizeRequirementName(header[1]), section, line: i + 1 });
  }
  return orphans;
}

/** Every `## ` section as a list, so a repeated delta header keeps all its copies. */
function splitTopLevelSections(lines: string[], fenceMask: boolean[]): TopLevelSection[] {
  const indices: Array<{ title: string; index: number }> = [];
  for (let i = 0; i < lines.length; i++) {
    if (fenceMask[i]) continue;
    const m = lines[i].match(/^(##)\s+(.+)$/);
    if (m) indices.push({ title: m[2].trim(), index: i });
  }
  return indices.map((current, i) => {
    const next = indices[i + 1];
    const end = next ? next.index : lines.length;
    return {
      title: current.title,
      body: {
        lines: lines.slice(current.index + 1, end),
        fenceMask: fenceMask.slice(current.index + 1, end),
        bodyStartLine: current.index + 2,
      },
    };
  });
}

function getSectionsCaseInsensitive(
  sections: TopLevelSection[],
  desired: string,
): { title: string; bodies: SectionBody[]; found: boolean } {
  const target = desired.toLowerCase();
  const matches = sections.filter((s) => s.title.toLowerCase() === target);
  if (matches.length === 0) return { title: desired, bodies: [], found: false };
  // Diagnostics quote the first spelling the author used.
  return { title: matches[0].title, bodies: matches.map((s) => s.body), found: true };
}

interface SkipSink {
  section: string;
  bodyStartLine: number;
  sink: SkippedHeader[];
}

function parseRequirementBlocksFromSection(sectionBody: SectionBody, skipped?: SkipSink): RequirementBlock[] {
  const { lines, fenceMask } = sectionBody;
  if (lines.length === 0) return [];
  const isRequirementHeader = (i: number): boolean => !fenceMask[i] && REQUIREMENT_HEADER_REGEX.test(lines[i]);
  const isTopLevelHeader = (i: number): boolean => !fenceMask[i] && /^##\s+/.test(lines[i]);
  const recordIfSkippedHeader = (index: number): void => {
    if (!skipped || fenceMask[index]) return;
    const h3 = lines[index].match(/^###\s+(.+?)\s*$/);
    if (h3 && !REQUIREMENT_HEADER_REGEX.test(lines[index])) {
      skipped.sink.push({ header: h3[1].trim(), section: skipped.section, line: skipped.bodyStartLine + index });
    }
  };
  const blocks: RequirementBlock[] = [];
  let i = 0;
  while (i < lines.length) {
    while (i < lines.length && !isRequirementHeader(i)) {
      recordIfSkippedHeader(i);
      i++;
    }
    if (i >= lines.length) break;
    const headerLine = lines[i];
    const m = headerLine.match(REQUIREMENT_HEADER_REGEX);
    if (!m) {
      i++;
      continue;
    }
    const name = normalizeRequirementName(m[1]);
    const buf = [headerLine];
    i++;
    while (i < lines.length && !isRequirementHeader(i) && !isTopLevelHeader(i)) {
      recordIfSkippedHeader(i);
      buf.push(lines[i]);
      i++;
    }
    blocks.push({ headerLine, name, raw: buf.join('\n').trimEnd() });
  }
  return blocks;
}

/** REMOVED names: `### Requirement:` headers or bullets (`-`, `*`, `+`) carrying one. */
function parseRemovedNames(sectionBody: SectionBody): string[] {
  const { lines, fenceMask } = sectionBody;
  const names: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (fenceMask[i]) continue;
    const line = lines[i];
    const m = line.match(REQUIREMENT_HEADER_REGEX);
    if (m) {
      names.push(normalizeRequirementName(m[1]));
      continue;
    }
    const bullet = line.match(/^\s*[-*+]\s*`?###\s*Requirement:\s*(.+?)`?\s*$/);
    if (bullet) names.push(normalizeRequirementName(bullet[1]));
  }
  return names;
}

/** FROM:/TO: pairs; any line that never pairs is recorded rather than guessed at. */
function parseRenamedPairs(sectionBody: SectionBody, unpaired?: UnpairedRename[]): RenamePair[] {
  const { lines, fenceMask, bodyStartLine } = sectionBody;
  if (lines.length === 0) return [];
  const pairs: RenamePair[] = [];
  let pending: { name: string; line: number } | undefined;
  const drop = (side: 'FROM' | 'TO', name: string, line: number): void => {
    unpaired?.push({ side, name, line });
  };
  for (let i = 0; i < lines.length; i++) {
    if (fenceMask[i]) continue;
    const line = lines[i];
    const fromMatch = line.match(/^\s*[-*+]?\s*FROM:\s*`?###\s*Requirement:\s*(.+?)`?\s*$/);
    const toMatch = line.match(/^\s*[-*+]?\s*TO:\s*`?###\s*Requirement:\s*(.+?)`?\s*$/);
    if (fromMatch) {
      if (pending) drop('FROM', pending.name, pending.line);
      pending = { name: normalizeRequirementName(fromMatch[1]), line: bodyStartLine + i };
    } else if (toMatch) {
      const to = normalizeRequirementName(toMatch[1]);
      if (!pending) {
        drop('TO', to, bodyStartLine + i);
        continue;
      }
      pairs.push({ from: pending.name, to });
      pending = undefined;
    }
  }
  if (pending) drop('FROM', pending.name, pending.line);
  return pairs;
}

/** Multiplicity-aware comparison of scenario names of a current block and an incoming MODIFIED block. */
export function diffScenarioNames(current: Pick<RequirementBlock, 'raw'>, incoming: Pick<RequirementBlock, 'raw'>): ScenarioNameDiff {
  const currentNames = parseScenarioBlocks(current.raw).map((s) => s.name);
  const incomingNames = parseScenarioBlocks(incoming.raw).map((s) => s.name);
  const unmatched = (names: string[], against: string[]): string[] => {
    const remaining = new Map<string, number>();
    for (const name of against) remaining.set(name, (remaining.get(name) ?? 0) + 1);
    const out: string[] = [];
    for (const name of names) {
      const left = remaining.get(name) ?? 0;
      if (left > 0) remaining.set(name, left - 1);
      else out.push(name);
    }
    return out;
  };
  return {
    missing: unmatched(currentNames, incomingNames),
    added: unmatched(incomingNames, currentNames),
    currentCount: currentNames.length,
    incomingCount: incomingNames.length,
  };
}

export function findMissingCurrentScenarios(current: Pick<RequirementBlock, 'raw'>, incoming: Pick<RequirementBlock, 'raw'>): string[] {
  return diffScenarioNames(current, incoming).missing;
}

const MAX_LISTED_ADDED_SCENARIOS = 3;

export function describeScenarioBalance(diff: ScenarioNameDiff): string {
  const count = (value: number): string => `${value} ${value === 1 ? 'scenario' : 'scenarios'}`;
  const scale = `The modified block has ${count(diff.incomingCount)}; the current spec has ${count(diff.currentCount)}.`;
  if (diff.added.length === 0) return `${scale} It adds none.`;
  const listed = diff.added
    .slice(0, MAX_LISTED_ADDED_SCENARIOS)
    .map((name) => `"${name}"`)
    .join(', ');
  const rest = diff.added.length - MAX_LISTED_ADDED_SCENARIOS;
  const names = rest > 0 ? `${listed} and ${rest} more` : listed;
  return `${scale} It adds ${count(diff.added.length)} not in the current spec: ${names}.`;
}

function scenarioHeaderAt(lines: string[], mask: boolean[], index: number): boolean {
  return !mask[index] && SCENARIO_HEADER.test(lines[index]);
}

/** Scenario label: header text without `####`, an ATX closing run, or a `Scenario:` prefix. */
function scenarioNameAt(line: string): string {
  return line
    .replace(SCENARIO_HEADER, '')
    .replace(/[ \t]+#+[ \t]*$/, '')
    .replace(/^Scenario:\s*/i, '')
    .trim();
}

function parseScenarioBlocks(requirementRaw: string): Array<{ name: string; raw: string }> {
  const lines = requirementRaw.replace(/\r\n?/g, '\n').split('\n');
  const mask = buildCodeFenceMask(lines);
  const scenarios: Array<{ name: string; raw: string }> = [];
  let index = 0;
  while (index < lines.length) {
    if (!scenarioHeaderAt(lines, mask, index)) {
      index++;
      continue;
    }
    const start = index;
    const name = scenarioNameAt(lines[index]);
    index++;
    while (index < lines.length && !scenarioHeaderAt(lines, mask, index)) index++;
    scenarios.push({ name, raw: lines.slice(start, index).join('\n').trimEnd() });
  }
  return scenarios;
}
