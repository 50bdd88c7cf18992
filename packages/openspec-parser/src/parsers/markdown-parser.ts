// Behaviour follows @fission-ai/openspec 1.13.2 (MIT), dist/core/parsers/markdown-parser.js
import type { Change, Delta, DeltaOperation, Requirement, Scenario, Spec } from '../types';
import { buildCodeFenceMask, extractRequirementText, hasScenarioBody } from './requirement-text';

export interface Section {
  level: number;
  title: string;
  content: string;
  children: Section[];
}

/** The section-tree reader used for main specs (`show`, `list --specs`, `validate <spec>`). */
export class MarkdownParser {
  private readonly lines: string[];
  private readonly codeFenceLineMask: boolean[];

  constructor(content: string) {
    const normalized = MarkdownParser.normalizeContent(content);
    this.lines = normalized.split('\n');
    this.codeFenceLineMask = buildCodeFenceMask(this.lines);
  }

  /** Strip a UTF-8 BOM so a header on the first line still matches; CRLF/CR -> LF. */
  static normalizeContent(content: string): string {
    return content.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  }

  /** Throws `Spec must have a Purpose section` / `... Requirements section` like the CLI. */
  parseSpec(name: string): Spec {
    const sections = this.parseSections();
    const purpose = this.findSection(sections, 'Purpose')?.content || '';
    const requirementsSection = this.findSection(sections, 'Requirements');
    if (!purpose) throw new Error('Spec must have a Purpose section');
    if (!requirementsSection) throw new Error('Spec must have a Requirements section');
    const requirements = this.parseRequirements(requirementsSection);
    return {
      name,
      overview: purpose.trim(),
      requirements,
      metadata: { version: '1.0.0', format: 'openspec' },
    };
  }

  parseChange(name: string): Change {
    const sections = this.parseSections();
    const why = this.findSection(sections, 'Why')?.content || '';
    const whatChanges = this.findSection(sections, 'What Changes')?.content || '';
    if (!why) throw new Error('Change must have a Why section');
    if (!whatChanges) throw new Error('Change must have a What Changes section');
    return {
      name,
      why: why.trim(),
      whatChanges: whatChanges.trim(),
      deltas: this.parseDeltas(whatChanges),
      metadata: { version: '1.0.0', format: 'openspec-change' },
    };
  }

  /** Every ATX header outside fences opens a section nested under the previous lower-level header. */
  protected parseSections(): Section[] {
    const sections: Section[] = [];
    const stack: Section[] = [];
    for (let i = 0; i < this.lines.length; i++) {
      if (this.codeFenceLineMask[i]) continue;
      const headerMatch = this.lines[i].match(/^(#{1,6})\s+(.+)$/);
      if (!headerMatch) continue;
      const level = headerMatch[1].length;
      const section: Section = {
        level,
        title: headerMatch[2].trim(),
        content: this.getContentUntilNextHeader(i + 1, level),
        children: [],
      };
      while (stack.length > 0 && stack[stack.length - 1].level >= level) stack.pop();
      if (stack.length === 0) sections.push(section);
      else stack[stack.length - 1].children.push(section);
      stack.push(section);
    }
    return sections;
  }

  protected getContentUntilNextHeader(startLine: number, currentLevel: number): string {
    const contentLines: string[] = [];
    for (let i = startLine; i < this.lines.length; i++) {
      const line = this.lines[i];
      const headerMatch = this.codeFenceLineMask[i] ? null : line.match(/^(#{1,6})\s+/);
      if (headerMatch && headerMatch[1].length <= currentLevel) break;
      contentLines.push(line);
    }
    return contentLines.join('\n').trim();
  }

  /** Depth-first, exact case-insensitive title match at any level. */
  protected findSection(sections: Section[], title: string): Section | undefined {
    for (const section of sections) {
      if (section.title.toLowerCase() === title.toLowerCase()) return section;
      const child = this.findSection(section.children, title);
      if (child) return child;
    }
    return undefined;
  }

  /** Every direct child header of the Requirements section is a requirement. */
  protected parseRequirements(section: Section): Requirement[] {
    return section.children.map((child) => ({
      text: extractRequirementText(child.title, child.content.split('\n')),
      scenarios: this.parseScenarios(child),
    }));
  }

  protected parseScenarios(requirementSection: Section): Scenario[] {
    const scenarios: Scenario[] = [];
    for (const scenarioSection of requirementSection.children) {
      if (hasScenarioBody(scenarioSection.content)) scenarios.push({ rawText: scenarioSection.content });
    }
    return scenarios;
  }

  /** Legacy "simple format": `- **spec:** text` bullets under What Changes, operation guessed from words. */
  protected parseDeltas(content: string): Delta[] {
    const deltas: Delta[] = [];
    for (const line of content.split('\n')) {
      const deltaMatch = line.match(/^\s*-\s*\*\*([^*:]+)(?::\*\*|\*\*:)\s*(.+)$/);
      if (!deltaMatch) continue;
      const specName = deltaMatch[1].trim();
      const description = deltaMatch[2].trim();
      let operation: DeltaOperation = 'MODIFIED';
      const lowerDesc = description.toLowerCase();
      // RENAMED is checked first: it is more specific than patterns containing "new".
      if (/\brename(s|d|ing)?\b/.test(lowerDesc) || /\brenamed\s+(to|from)\b/.test(lowerDesc)) {
        operation = 'RENAMED';
      } else if (/\badd(s|ed|ing)?\b/.test(lowerDesc) || /\bcreate(s|d|ing)?\b/.test(lowerDesc) || /\bnew\b/.test(lowerDesc)) {
        operation = 'ADDED';
      } else if (/\bremove(s|d|ing)?\b/.test(lowerDesc) || /\bdelete(s|d|ing)?\b/.test(lowerDesc)) {
        operation = 'REMOVED';
      }
      deltas.push({ spec: specName, operation, description });
    }
    return deltas;
  }
}
