/**
 * Behaviour follows @fission-ai/openspec 1.13.2 (MIT), dist/core/specs-apply.js
 * (buildUpdatedSpec and its helpers) and dist/utils/line-endings.js.
 *
 * Pure: the caller passes the delta text and the current main spec text (or
 * undefined when the spec does not exist yet) and gets back the rebuilt spec,
 * or an `ArchiveMergeError` carrying the exact message the official CLI
 * throws. Nothing here reads or writes files.
 */
import {
  describeScenarioBalance,
  diffScenarioNames,
  extractRequirementsSection,
  foldRequirementName,
  normalizeRequirementName,
  parseDeltaSpec,
} from '../parsers/requirement-blocks';
import type { RequirementBlock, RequirementsSectionParts } from '../parsers/requirement-blocks';
import { findMainSpecStructureIssues } from '../parsers/spec-structure';
import { buildCodeFenceMask } from '../parsers/code-fence';
import { MarkdownParser } from '../parsers/markdown-parser';

export const MIN_PURPOSE_LENGTH = 50;
export const PURPOSE_PLACEHOLDER_PREFIX = 'TBD - created by archiving change ';
export const PURPOSE_PLACEHOLDER_SUFFIX = '. Update Purpose after archive.';

/** A refusal of the merge: the message is the official one, verbatim. */
export class ArchiveMergeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveMergeError';
  }
}

export interface MergeCounts {
  added: number;
  modified: number;
  removed: number;
  renamed: number;
}

export interface SpecMergeInput {
  /** Capability id, the delta's folder path under the change's `specs/` (may contain `/`). */
  id: string;
  /** Delta spec content (`changes/<change>/specs/<id>/spec.md`). */
  deltaContent: string;
  /** Current main spec content, undefined when `openspec/specs/<id>/spec.md` does not exist. */
  targetContent: string | undefined;
  /** Absolute path of the main spec, only used inside messages (as the CLI prints it). */
  targetPath: string;
}

export interface SpecMergeResult {
  /** Rebuilt spec, always LF; apply `matchLineEnding` against the old file before writing. */
  rebuilt: string;
  counts: MergeCounts;
  warnings: string[];
  noRequirementBlocks: boolean;
  unaccountedContent: string[];
  isNewSpec: boolean;
}

/**
 * Build an updated spec by applying delta operations in the order
 * RENAMED → REMOVED → MODIFIED → ADDED. Throws ArchiveMergeError.
 */
export function buildUpdatedSpec(input: SpecMergeInput, changeName: string): SpecMergeResult {
  const warnings: string[] = [];
  const warn = (message: string) => warnings.push(message);
  const changeContent = input.deltaContent;
  const plan = parseDeltaSpec(changeContent);
  const specName = input.id;
  const fail = (message: string): never => {
    throw new ArchiveMergeError(message);
  };

  // An unpaired FROM:/TO: line means the RENAMED section does not say what the
  // author meant; refuse rather than apply whatever pairing the reader formed.
  if (plan.unpairedRenames.length > 0) {
    const first = plan.unpairedRenames[0];
    const missing = first.side === 'FROM' ? 'TO' : 'FROM';
    fail(
      `${specName} validation failed - RENAMED entry on line ${first.line} has no matching ${missing}: ` +
        `for header "### Requirement: ${first.name}". ` +
        `Write each rename as a FROM: line followed immediately by its TO: line.`,
    );
  }

  for (const orphan of plan.orphanedRequirements) {
    const where = orphan.section ? `under "## ${orphan.section}"` : 'above the first "## " section';
    warn(
      `${specName} - requirement "${orphan.name}" (line ${orphan.line}) is ${where}, ` +
        `which is not a delta section, so it was not applied. ` +
        `Move it under ADDED/MODIFIED/REMOVED/RENAMED Requirements.`,
    );
  }

  const addedNames = new Set<string>();
  for (const add of plan.added) {
    const name = normalizeRequirementName(add.name);
    if (addedNames.has(name)) {
      fail(`${specName} validation failed - duplicate requirement in ADDED for header "### Requirement: ${add.name}"`);
    }
    addedNames.add(name);
  }
  const modifiedNames = new Set<string>();
  for (const mod of plan.modified) {
    const name = normalizeRequirementName(mod.name);
    if (modifiedNames.has(name)) {
      fail(`${specName} validation failed - duplicate requirement in MODIFIED for header "### Requirement: ${mod.name}"`);
    }
    modifiedNames.add(name);
  }
  const removedNamesSet = new Set<string>();
  for (const rem of plan.removed) {
    const name = normalizeRequirementName(rem);
    if (removedNamesSet.has(name)) {
      fail(`${specName} validation failed - duplicate requirement in REMOVED for header "### Requirement: ${rem}"`);
    }
    removedNamesSet.add(name);
  }
  const renamedFromSet = new Set<string>();
  const renamedToSet = new Set<string>();
  for (const { from, to } of plan.renamed) {
    const fromNorm = normalizeRequirementName(from);
    const toNorm = normalizeRequirementName(to);
    if (renamedFromSet.has(fromNorm)) {
      fail(`${specName} validation failed - duplicate FROM in RENAMED for header "### Requirement: ${from}"`);
    }
    if (renamedToSet.has(toNorm)) {
      fail(`${specName} validation failed - duplicate TO in RENAMED for header "### Requirement: ${to}"`);
    }
    renamedFromSet.add(fromNorm);
    renamedToSet.add(toNorm);
  }

  const conflicts: Array<{ name: string; a: string; b: string }> = [];
  for (const n of modifiedNames) {
    if (removedNamesSet.has(n)) conflicts.push({ name: n, a: 'MODIFIED', b: 'REMOVED' });
    if (addedNames.has(n)) conflicts.push({ name: n, a: 'MODIFIED', b: 'ADDED' });
  }
  for (const n of addedNames) {
    if (removedNamesSet.has(n)) conflicts.push({ name: n, a: 'ADDED', b: 'REMOVED' });
  }
  for (const { from, to } of plan.renamed) {
    const fromNorm = normalizeRequirementName(from);
    const toNorm = normalizeRequirementName(to);
    // Compared folded: a missing REMOVED target is a no-op, so a case variant
    // of the FROM side would otherwise degrade into a silently warned no-op.
    const removedFoldMatch = [...removedNamesSet].find((r) => foldRequirementName(r) === foldRequirementName(fromNorm));
    if (removedFoldMatch !== undefined) {
      fail(
        `${specName} validation failed - requirement present in multiple sections (RENAMED and REMOVED) for header "### Requirement: ${from}"` +
          (removedFoldMatch === fromNorm ? '' : ` (REMOVED spells it "${removedFoldMatch}")`),
      );
    }
    if (modifiedNames.has(fromNorm)) {
      fail(`${specName} validation failed - when a rename exists, MODIFIED must reference the NEW header "### Requirement: ${to}"`);
    }
    if (addedNames.has(toNorm)) {
      fail(`${specName} validation failed - RENAMED TO header collides with ADDED for "### Requirement: ${to}"`);
    }
  }
  if (conflicts.length > 0) {
    const c = conflicts[0];
    fail(
      `${specName} validation failed - requirement present in multiple sections (${c.a} and ${c.b}) for header "### Requirement: ${c.name}"`,
    );
  }

  const hasAnyDelta = plan.added.length + plan.modified.length + plan.removed.length + plan.renamed.length > 0;
  if (!hasAnyDelta) {
    fail(
      `Delta parsing found no operations for ${input.id}. ` + `Provide ADDED/MODIFIED/REMOVED/RENAMED sections in change spec.`,
    );
  }

  const deltaPurpose = extractPurposeSection(changeContent);
  let targetContent: string;
  let isNewSpec = false;
  if (input.targetContent !== undefined) {
    targetContent = input.targetContent;
    if (deltaPurpose) {
      const existingPurpose = extractPurposeSection(targetContent);
      if (existingPurpose && existingPurpose !== deltaPurpose) {
        warn(
          `${specName} - delta Purpose ignored; ${specName} already has one. ` + `Edit ${input.targetPath} directly to change it.`,
        );
      }
    }
  } else {
    if (plan.modified.length > 0 || plan.renamed.length > 0) {
      fail(
        `${specName}: target spec does not exist; only ADDED requirements are allowed for new specs. MODIFIED and RENAMED operations require an existing spec.`,
      );
    }
    if (plan.removed.length > 0) {
      warn(`${specName} - ${plan.removed.length} REMOVED requirement(s) ignored for new spec (nothing to remove).`);
    }
    isNewSpec = true;
    targetContent = buildSpecSkeleton(specName, changeName, deltaPurpose);
    const overview = deltaPurpose ? readableOverview(targetContent, specName) : null;
    if (deltaPurpose && !overview) {
      targetContent = buildSpecSkeleton(specName, changeName);
      warn(`${specName} - delta Purpose ignored (it would leave the new spec unreadable); wrote the placeholder Purpose instead.`);
    } else if (overview && overview.length < MIN_PURPOSE_LENGTH) {
      warn(
        `${specName} - carried Purpose is under ${MIN_PURPOSE_LENGTH} characters; ` +
          `openspec validate --strict reports it as too brief.`,
      );
    }
  }

  const structureIssues = findMainSpecStructureIssues(targetContent);
  if (structureIssues.length > 0) {
    const details = structureIssues.map((issue) => `line ${issue.line}: ${issue.message}`).join('\n');
    fail(`${specName}: target spec is structurally invalid and cannot be updated until fixed:\n${details}`);
  }

  const parts = extractRequirementsSection(targetContent);
  const nameToBlock = new Map<string, RequirementBlock>();
  for (const block of parts.bodyBlocks) nameToBlock.set(normalizeRequirementName(block.name), block);
  // Positional identity of the original blocks; renames rewrite the key in place.
  const orderedKeys = parts.bodyBlocks.map((block) => normalizeRequirementName(block.name));

  let renamedApplied = 0;
  for (const r of plan.renamed) {
    const from = normalizeRequirementName(r.from);
    const to = normalizeRequirementName(r.to);
    if (!nameToBlock.has(from)) {
      // Source gone but target present: the rename was already synced.
      if (nameToBlock.has(to)) {
        const nearMiss = [...nameToBlock.keys()].find((k) => k !== to && foldRequirementName(k) === foldRequirementName(from));
        if (nearMiss !== undefined) {
          fail(
            `${specName} RENAMED failed for header "### Requirement: ${r.from}" - source not found, but "### Requirement: ${nameToBlock.get(nearMiss)!.name}" exists; fix the header to match it exactly`,
          );
        }
        continue;
      }
      fail(`${specName} RENAMED failed for header "### Requirement: ${r.from}" - source not found`);
    }
    if (nameToBlock.has(to)) {
      fail(`${specName} RENAMED failed for header "### Requirement: ${r.to}" - target already exists`);
    }
    const targetNearMiss = [...nameToBlock.keys()].find((k) => k !== from && foldRequirementName(k) === foldRequirementName(to));
    if (targetNearMiss !== undefined) {
      fail(
        `${specName} RENAMED failed for header "### Requirement: ${r.to}" - "### Requirement: ${nameToBlock.get(targetNearMiss)!.name}" already exists and differs only in case or spacing; choose a distinct name`,
      );
    }
    const block = nameToBlock.get(from)!;
    const newHeader = `### Requirement: ${to}`;
    const rawLines = block.raw.split('\n');
    rawLines[0] = newHeader;
    nameToBlock.delete(from);
    nameToBlock.set(to, { headerLine: newHeader, name: to, raw: rawLines.join('\n') });
    const orderIndex = orderedKeys.indexOf(from);
    if (orderIndex >= 0) orderedKeys[orderIndex] = to;
    renamedApplied++;
  }

  let removedApplied = 0;
  for (const name of plan.removed) {
    const key = normalizeRequirementName(name);
    if (!nameToBlock.has(key)) {
      // Already removed (early sync) is a no-op; a case/space variant still
      // present is a typo and stays a hard abort.
      if (!isNewSpec) {
        const nearMiss = [...nameToBlock.keys()].find((k) => foldRequirementName(k) === foldRequirementName(key));
        if (nearMiss !== undefined) {
          fail(
            `${specName} REMOVED failed for header "### Requirement: ${name}" - not found, but "### Requirement: ${nameToBlock.get(nearMiss)!.name}" exists; fix the header to match it exactly`,
          );
        }
        warn(`${specName} - REMOVED requirement "${name}" is not in the current spec; treating it as already removed.`);
      }
      continue;
    }
    nameToBlock.delete(key);
    removedApplied++;
  }

  let modifiedApplied = 0;
  for (const mod of plan.modified) {
    const key = normalizeRequirementName(mod.name);
    const currentBlock = nameToBlock.get(key);
    if (!currentBlock) {
      fail(`${specName} MODIFIED failed for header "### Requirement: ${mod.name}" - not found`);
    }
    const modHeaderMatch = mod.raw.split('\n')[0].match(/^###\s*Requirement:\s*(.+)\s*$/i);
    if (!modHeaderMatch || normalizeRequirementName(modHeaderMatch[1]) !== key) {
      fail(`${specName} MODIFIED failed for header "### Requirement: ${mod.name}" - header mismatch in content`);
    }
    const scenarioDiff = diffScenarioNames(currentBlock!, mod);
    if (scenarioDiff.missing.length > 0) {
      fail(
        `${specName} MODIFIED failed for header "### Requirement: ${mod.name}" - current spec contains scenario(s) not present in the modified block: ${scenarioDiff.missing.map((name) => `"${name}"`).join(', ')}. ${describeScenarioBalance(scenarioDiff)} Refresh the change spec before archiving to avoid dropping scenarios.`,
      );
    }
    // Identical content was already synced: not counted, so a fully synced
    // change skips the write instead of churning normalisation into the file.
    if (normalizeBlockRaw(currentBlock!.raw) !== normalizeBlockRaw(mod.raw)) modifiedApplied++;
    nameToBlock.set(key, mod);
  }

  let addedApplied = 0;
  for (const add of plan.added) {
    const key = normalizeRequirementName(add.name);
    const existing = nameToBlock.get(key);
    if (existing) {
      if (normalizeBlockRaw(existing.raw) === normalizeBlockRaw(add.raw)) continue;
      fail(`${specName} ADDED failed for header "### Requirement: ${add.name}" - already exists`);
    }
    const nearMiss = [...nameToBlock.keys()].find((k) => foldRequirementName(k) === foldRequirementName(key));
    if (nearMiss !== undefined) {
      fail(
        `${specName} ADDED failed for header "### Requirement: ${add.name}" - "### Requirement: ${nameToBlock.get(nearMiss)!.name}" already exists and differs only in case or spacing; use MODIFIED with that exact header to change it, or choose a distinct name`,
      );
    }
    nameToBlock.set(key, add);
    addedApplied++;
  }

  const keptOrder: RequirementBlock[] = [];
  const seen = new Set<string>();
  for (let index = 0; index < parts.bodyBlocks.length; index++) {
    const block = parts.bodyBlocks[index];
    const key = orderedKeys[index];
    const replacement = nameToBlock.get(key);
    if (replacement) {
      keptOrder.push(replacement);
      seen.add(key);
    }
    // A note under an unrecognised heading rides inside the preceding block's
    // raw; warn when the replacement drops it.
    if (replacement !== block) {
      const foreign = firstForeignTail(block.raw);
      const replacementRaw = replacement?.raw;
      const normalizedForeign = foreign ? normalizeBlockRaw(foreign.raw) : '';
      const keepsForeignTail =
        foreign !== undefined &&
        replacementRaw !== undefined &&
        countOccurrences(normalizeBlockRaw(replacementRaw), normalizedForeign) >=
          countOccurrences(normalizeBlockRaw(block.raw), normalizedForeign);
      if (foreign && !keepsForeignTail) {
        warn(
          `${specName} - "${foreign.heading}" sits inside requirement "${block.name}" and goes with it. ` +
            'Move it under its own requirement, or above `## Requirements`, to keep it.',
        );
      }
    }
  }
  for (const [key, block] of nameToBlock.entries()) {
    if (!seen.has(key)) keptOrder.push(block);
  }

  const reqBody = [parts.preamble && parts.preamble.trim() ? parts.preamble.trimEnd() : '']
    .filter(Boolean)
    .concat(keptOrder.map((b) => b.raw))
    .join('\n\n')
    .trimEnd();
  // One blank line between non-empty slices (the slices carry at most one
  // newline of their own, so a bare '\n' join glued headings to paragraphs).
  const rebuilt =
    collapseBlankRunsOutsideFences(
      [parts.before.trimEnd(), parts.headerLine, reqBody, parts.after.trim()].filter((s) => s !== '').join('\n\n'),
    ).trimEnd() + '\n';

  return {
    rebuilt,
    counts: { added: addedApplied, modified: modifiedApplied, removed: removedApplied, renamed: renamedApplied },
    warnings,
    noRequirementBlocks: keptOrder.length === 0,
    unaccountedContent: contentTheMergeCannotName(parts),
    isNewSpec,
  };
}

function firstForeignTail(raw: string): { heading: string; raw: string } | undefined {
  const lines = raw.replace(/\r\n?/g, '\n').split('\n');
  const fenceMask = buildCodeFenceMask(lines);
  for (let index = 1; index < lines.length; index++) {
    if (fenceMask[index]) continue;
    if (/^ {0,3}#{1,3}(?:[ \t]|$)/.test(lines[index])) {
      return { heading: lines[index].trim(), raw: lines.slice(index).join('\n').trimEnd() };
    }
  }
  return undefined;
}

function contentColumn(prefix: string): number {
  let column = 0;
  for (const char of prefix) column += char === '\t' ? 4 - (column % 4) : 1;
  return column;
}

const INTERRUPTS_PARAGRAPH = /^ {0,3}(?:>|(?:[-*_][ \t]*){3,}$|(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)|[<|])/;
const LIST_ITEM = /^(\s*(?:[-*+]|\d{1,9}[.)])\s+)/;

function dropIndent(line: string, columns: number): string {
  let column = 0;
  let index = 0;
  while (index < line.length && column < columns) {
    const char = line[index];
    if (char === ' ') column += 1;
    else if (char === '\t') column += 4 - (column % 4);
    else break;
    index++;
  }
  return line.slice(index);
}

function isHeadingLine(line: string): boolean {
  return /^ {0,3}#{1,6}(?:[ \t]|$)/.test(line) || /^\s*<h[1-6]\b/i.test(line);
}

/**
 * Non-blank lines a capability retirement would delete without being able to
 * name them (anything beyond title, Purpose, the Requirements header and each
 * requirement's statement and scenario bullets). Retirement is refused while
 * any exist.
 */
function contentTheMergeCannotName(parts: RequirementsSectionParts): string[] {
  const leftovers: string[] = [];
  const beforeLines = parts.before.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split('\n');
  const beforeMask = buildCodeFenceMask(beforeLines);
  let inPurpose = false;
  let titleSeen = false;
  let previousLine = '';
  for (let index = 0; index < beforeLines.length; index++) {
    const line = beforeLines[index];
    if (!line.trim()) {
      previousLine = '';
      continue;
    }
    if (!beforeMask[index]) {
      const section = line.match(/^ {0,3}##\s+(.+?)\s*$/);
      if (section) {
        inPurpose = /^purpose$/i.test(section[1].trim());
        if (!inPurpose) leftovers.push(line.trim());
        previousLine = line;
        continue;
      }
      const setext = inPurpose && previousLine.trim() && /^ {0,3}(=+|-+)\s*$/.test(line);
      const htmlHeading = /^ {0,3}<h[1-6]\b/i.test(line);
      if (setext || htmlHeading) {
        leftovers.push((setext ? previousLine : line).trim());
        inPurpose = false;
        previousLine = line;
        continue;
      }
      if (/^ {0,3}#\s+.+$/.test(line)) {
        if (!titleSeen && !inPurpose) {
          titleSeen = true;
        } else {
          leftovers.push(line.trim());
          inPurpose = false;
        }
        previousLine = line;
        continue;
      }
    }
    previousLine = line;
    if (inPurpose) continue;
    leftovers.push(line.trim());
  }
  for (const slice of [parts.preamble, parts.after]) {
    for (const line of slice.split('\n')) {
      if (line.trim()) leftovers.push(line.trim());
    }
  }
  for (const block of parts.bodyBlocks) {
    const foreignTail = firstForeignTail(block.raw);
    if (foreignTail) leftovers.push(foreignTail.heading);
    const lines = block.raw.replace(/\r\n?/g, '\n').split('\n');
    const mask = buildCodeFenceMask(lines);
    let seenScenario = false;
    let inScenarioBullets = false;
    let bulletsSeen = false;
    let listContentIndent: number | null = null;
    let paragraphOpen = false;
    for (let index = 0; index < lines.length; index++) {
      const line = lines[index];
      if (!line.trim()) {
        if (bulletsSeen) inScenarioBullets = false;
        listContentIndent = null;
        paragraphOpen = false;
        continue;
      }
      if (index === 0) continue;
      const indent = contentColumn(/^[ \t]*/.exec(line)![0]);
      const insideItem = listContentIndent !== null && indent >= listContentIndent;
      const withinItem = insideItem ? dropIndent(line, listContentIndent!) : line;
      const lazilyContinuesBullet = paragraphOpen && inScenarioBullets && !INTERRUPTS_PARAGRAPH.test(withinItem);
      const continuesListItem = (insideItem || lazilyContinuesBullet) && !isHeadingLine(withinItem);
      if (mask[index]) {
        if (!insideItem) listContentIndent = null;
        paragraphOpen = false;
        continue;
      }
      if (index > 1 && /^ {0,3}(?:=+|-+)\s*$/.test(withinItem) && lines[index - 1].trim()) {
        leftovers.push(lines[index - 1].trim());
        listContentIndent = null;
        paragraphOpen = false;
        continue;
      }
      if (continuesListItem) {
        paragraphOpen = !INTERRUPTS_PARAGRAPH.test(withinItem);
        continue;
      }
      const bullet = line.match(LIST_ITEM);
      listContentIndent = bullet ? contentColumn(bullet[1]) : null;
      paragraphOpen = bullet !== null;
      if (/^ {0,3}####\s+Scenario:/i.test(line)) {
        seenScenario = true;
        inScenarioBullets = true;
        bulletsSeen = false;
        continue;
      }
      if (bullet) {
        if (inScenarioBullets) {
          bulletsSeen = true;
          continue;
        }
        if (!seenScenario) continue;
        leftovers.push(line.trim());
        continue;
      }
      if (!seenScenario && !/^\s*[|<]/.test(line)) continue;
      leftovers.push(line.trim());
    }
  }
  return [...new Set(leftovers)];
}

/** Collapse blank-line runs to one, except inside fenced code (samples keep their spacing). */
function collapseBlankRunsOutsideFences(content: string): string {
  const lines = content.split('\n');
  const mask = buildCodeFenceMask(lines);
  const kept: string[] = [];
  let blankRun = 0;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index];
    if (mask[index]) {
      blankRun = 0;
      kept.push(line);
      continue;
    }
    if (line === '') {
      blankRun++;
      if (blankRun > 1) continue;
      kept.push(line);
      continue;
    }
    blankRun = 0;
    kept.push(line);
  }
  return kept.join('\n');
}

function normalizeBlockRaw(raw: string): string {
  return raw.replace(/\r\n?/g, '\n').trim();
}

function countOccurrences(haystack: string, needle: string): number {
  if (!needle) return 0;
  let count = 0;
  let start = 0;
  while ((start = haystack.indexOf(needle, start)) !== -1) {
    count++;
    start += needle.length;
  }
  return count;
}

function maskHtmlComments(content: string): string {
  const blank = (text: string) => text.replace(/[^\n]/g, ' ');
  let out = '';
  let index = 0;
  for (;;) {
    const open = content.indexOf('<!--', index);
    if (open === -1) return out + content.slice(index);
    out += content.slice(index, open);
    let close = -1;
    for (let i = open + 4; i < content.length; i++) {
      if (content.startsWith('-->', i)) {
        close = i + 3;
        break;
      }
      if (content.startsWith('--!>', i)) {
        close = i + 4;
        break;
      }
    }
    // An unterminated comment hides everything after it.
    if (close === -1) return out + blank(content.slice(open));
    out += blank(content.slice(open, close));
    index = close;
  }
}

/** Body of `## Purpose`, ignoring fenced/commented-out headers; undefined when absent or empty. */
export function extractPurposeSection(content: string): string | undefined {
  const normalized = content.replace(/\r\n?/g, '\n');
  const lines = normalized.split('\n');
  const masked = maskHtmlComments(normalized).split('\n');
  const fenceMask = buildCodeFenceMask(masked);
  const isStructural = (i: number) => !fenceMask[i];
  const start = masked.findIndex((line, i) => isStructural(i) && /^##\s+Purpose\s*$/i.test(line));
  if (start === -1) return undefined;
  let end = masked.length;
  for (let i = start + 1; i < masked.length; i++) {
    if (isStructural(i) && /^##\s+/.test(masked[i])) {
      end = i;
      break;
    }
  }
  const hasProse = masked
    .slice(start + 1, end)
    .filter((_, offset) => isStructural(start + 1 + offset))
    .join('\n')
    .trim();
  if (!hasProse) return undefined;
  const body = lines.slice(start + 1, end).join('\n').trim();
  return body || undefined;
}

function readableOverview(skeleton: string, specName: string): string | null {
  // Markdown hidden in a comment would land in the spec and hide headers.
  if (skeleton.includes('<!--')) return null;
  if (findMainSpecStructureIssues(skeleton).length > 0) return null;
  try {
    return new MarkdownParser(skeleton).parseSpec(specName).overview.trim() || null;
  } catch {
    return null;
  }
}

export function buildSpecSkeleton(specFolderName: string, changeName: string, purpose?: string): string {
  const purposeBody = purpose?.trim() || `${PURPOSE_PLACEHOLDER_PREFIX}${changeName}${PURPOSE_PLACEHOLDER_SUFFIX}`;
  return `# ${specFolderName} Specification\n\n## Purpose\n${purposeBody}\n\n## Requirements\n`;
}

/** Dominant line ending of `content` (CRLF wins ties), undefined without any line break. */
export function detectLineEnding(content: string): '\r\n' | '\n' | undefined {
  const crlf = content.match(/\r\n/g)?.length ?? 0;
  const lf = content.match(/(?<!\r)\n/g)?.length ?? 0;
  if (crlf === 0 && lf === 0) return undefined;
  return crlf >= lf ? '\r\n' : '\n';
}

/** Rewrite LF `content` with the convention `original` used (a CRLF spec stays CRLF). */
export function matchLineEnding(content: string, original: string): string {
  const ending = detectLineEnding(original);
  if (ending === undefined) return content;
  const normalized = content.replace(/\r\n/g, '\n');
  return ending === '\n' ? normalized : normalized.replace(/\n/g, '\r\n');
}
