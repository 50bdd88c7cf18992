// Behaviour follows @fission-ai/openspec 1.13.2 (MIT), dist/core/parsers/change-parser.js
//
// Difference from the original: no file-system access. The caller passes the change's delta spec
// files (as `discoverSpecFiles` would find them: `{id, content}` sorted by id in code-point order),
// so `parseChangeWithDeltas` is synchronous.
import type { Change, Delta, Requirement } from '../types';
import { MarkdownParser, type Section } from './markdown-parser';
import { parseDeltaSpec, type DeltaPlan, type RequirementBlock } from './requirement-blocks';
import { buildCodeFenceMask } from './requirement-text';

export interface DeltaSpecFile {
  /** Capability id relative to the change's `specs/` (may contain `/`). */
  id: string;
  content: string;
}

/** A header-only block for a REMOVED entry written in the bullet form. */
function removedNameBlock(name: string): RequirementBlock {
  const headerLine = `### Requirement: ${name}`;
  return { headerLine, name, raw: headerLine };
}

export class ChangeParser extends MarkdownParser {
  private readonly deltaSpecFiles: readonly DeltaSpecFile[];

  constructor(content: string, deltaSpecFiles: readonly DeltaSpecFile[] = []) {
    super(content);
    this.deltaSpecFiles = deltaSpecFiles;
  }

  parseChangeWithDeltas(name: string): Change {
    const sections = this.parseSections();
    const why = this.findSection(sections, 'Why')?.content || '';
    const whatChanges = this.findSection(sections, 'What Changes')?.content || '';
    if (!why) throw new Error('Change must have a Why section');
    if (!whatChanges) throw new Error('Change must have a What Changes section');
    // Spec files with any delta section are the only source of structured deltas; the What Changes
    // prose is read only when no spec file carries one (legacy changes).
    const { deltas: specDeltas, hasDeltaSections } = this.parseDeltaSpecs(this.deltaSpecFiles);
    const deltas = hasDeltaSections ? specDeltas : this.parseDeltas(whatChanges);
    return {
      name,
      why: why.trim(),
      whatChanges: whatChanges.trim(),
      deltas,
      metadata: { version: '1.0.0', format: 'openspec-change' },
    };
  }

  parseDeltaSpecs(specFiles: readonly DeltaSpecFile[]): { deltas: Delta[]; hasDeltaSections: boolean } {
    const deltas: Delta[] = [];
    let hasDeltaSections = false;
    for (const { id, content } of specFiles) {
      const plan = parseDeltaSpec(content);
      if (Object.values(plan.sectionPresence).some(Boolean)) hasDeltaSections = true;
      deltas.push(...this.parseSpecDeltas(id, plan));
    }
    return { deltas, hasDeltaSections };
  }

  /** Only `Requirement: <name>` children count inside delta sections (divider headers are skipped, #498). */
  protected override parseRequirements(section: Section): Requirement[] {
    return super.parseRequirements({
      ...section,
      children: section.children.filter((child) => /^Requirement:\s*\S/i.test(child.title.trim())),
    });
  }

  /** One spec file's deltas in the order ADDED, MODIFIED, REMOVED, RENAMED. */
  parseSpecDeltas(specName: string, plan: DeltaPlan): Delta[] {
    const deltas: Delta[] = [];
    for (const req of this.toRequirements(plan.added)) {
      deltas.push({ spec: specName, operation: 'ADDED', description: `Add requirement: ${req.text}`, requirement: req, requirements: [req] });
    }
    for (const req of this.toRequirements(plan.modified)) {
      deltas.push({ spec: specName, operation: 'MODIFIED', description: `Modify requirement: ${req.text}`, requirement: req, requirements: [req] });
    }
    // REMOVED in document order; a bullet-form entry reads as a header-only removal.
    const removedBlocks = [...plan.removedBlocks];
    const removed = plan.removed.map((name) => {
      const index = removedBlocks.findIndex((block) => block.name === name);
      return index === -1 ? removedNameBlock(name) : removedBlocks.splice(index, 1)[0];
    });
    for (const req of this.toRequirements(removed)) {
      deltas.push({ spec: specName, operation: 'REMOVED', description: `Remove requirement: ${req.text}`, requirement: req, requirements: [req] });
    }
    for (const rename of plan.renamed) {
      deltas.push({
        spec: specName,
        operation: 'RENAMED',
        description: `Rename requirement from "${rename.from}" to "${rename.to}"`,
        rename: { from: rename.from, to: rename.to },
      });
    }
    return deltas;
  }

  /** Each raw block re-read by the section parser, so text/scenarios match the main-spec reader. */
  private toRequirements(blocks: readonly RequirementBlock[]): Requirement[] {
    return blocks.flatMap((block) => {
      const [headerLine, ...body] = block.raw.split('\n');
      // The delta reader accepts `###Requirement:` (no space); the section parser would not.
      const title = headerLine.replace(/^###\s*/, '').trim();
      const [section] = this.parseSectionsFromContent([`### ${title}`, ...body].join('\n'));
      return this.parseRequirements({ level: 2, title: '', content: '', children: section ? [section] : [] });
    });
  }

  private parseSectionsFromContent(content: string): Section[] {
    const lines = ChangeParser.normalizeContent(content).split('\n');
    const mask = buildCodeFenceMask(lines);
    const sections: Section[] = [];
    const stack: Section[] = [];
    for (let i = 0; i < lines.length; i++) {
      if (mask[i]) continue;
      const headerMatch = lines[i].match(/^(#{1,6})\s+(.+)$/);
      if (!headerMatch) continue;
      const level = headerMatch[1].length;
      const section: Section = {
        level,
        title: headerMatch[2].trim(),
        content: this.contentUntilNextHeader(lines, mask, i + 1, level).join('\n').trim(),
        children: [],
      };
      while (stack.length > 0 && stack[stack.length - 1].level >= level) stack.pop();
      if (stack.length === 0) sections.push(section);
      else stack[stack.length - 1].children.push(section);
      stack.push(section);
    }
    return sections;
  }

  private contentUntilNextHeader(lines: string[], mask: boolean[], startLine: number, currentLevel: number): string[] {
    const out: string[] = [];
    for (let i = startLine; i < lines.length; i++) {
      const headerMatch = mask[i] ? null : lines[i].match(/^(#{1,6})\s+/);
      if (headerMatch && headerMatch[1].length <= currentLevel) break;
      out.push(lines[i]);
    }
    return out;
  }
}
