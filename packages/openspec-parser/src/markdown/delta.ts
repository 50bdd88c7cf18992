/**
 * A delta spec (`changes/<id>/specs/<cap>/spec.md`) read from the shared
 * walk: its `## ADDED|MODIFIED|REMOVED|RENAMED Requirements` sections
 * (case-insensitive, repeatable) and what each one asks for (reference §5.3).
 */
import { blockRaw, cutBlocks, normalizeName, REQUIREMENT_HEADER, type RequirementBlock } from './requirements';
import { sectionBody, walk, type Doc, type Section } from './walk';

export const DELTA_OPS = ['ADDED', 'MODIFIED', 'REMOVED', 'RENAMED'] as const;
export type DeltaOp = (typeof DELTA_OPS)[number];

const DELTA_TITLE = /^(ADDED|MODIFIED|REMOVED|RENAMED) Requirements$/i;

export function deltaOpOf(title: string): DeltaOp | null {
  const m = DELTA_TITLE.exec(title.trim());
  return m ? (m[1]!.toUpperCase() as DeltaOp) : null;
}

export interface Rename {
  from: string;
  to: string;
  line: number;
}

export interface DeltaSpec {
  doc: Doc;
  /** Delta section headings found (in order), each with its operation. */
  sections: Array<{ op: DeltaOp; section: Section }>;
  added: RequirementBlock[];
  modified: RequirementBlock[];
  removed: Array<{ name: string; line: number; block?: RequirementBlock }>;
  renamed: Rename[];
  /** FROM without TO, TO without FROM, or a FROM displaced by the next FROM. */
  unpaired: Array<{ kind: 'FROM' | 'TO'; name: string; line: number }>;
  /** `### Something` inside ADDED/MODIFIED that is not a requirement. */
  skippedHeaders: Array<{ op: DeltaOp; title: string; line: number }>;
  /** `### Requirement:` outside any delta section. */
  orphans: Array<{ name: string; line: number; under: string | null }>;
  /** `## Purpose` body, used when archive creates a new main spec. */
  purpose: string | undefined;
}

const REMOVED_BULLET = /^\s*[-*+]\s*`?###\s*Requirement:\s*(.+?)`?\s*$/i;
const RENAME_LINE = /^\s*(?:[-*+]\s*)?(FROM|TO):\s*`?###\s*Requirement:\s*(.+?)`?\s*$/;
const H3 = /^###(?!#)\s+(.*)$/;

export function parseDelta(text: string): DeltaSpec {
  const doc = walk(text);
  const out: DeltaSpec = {
    doc,
    sections: [],
    added: [],
    modified: [],
    removed: [],
    renamed: [],
    unpaired: [],
    skippedHeaders: [],
    orphans: [],
    purpose: undefined,
  };
  const covered = new Array<boolean>(doc.lines.length).fill(false);
  for (const section of doc.sections) {
    if (section.level === 2 && section.title.toLowerCase() === 'purpose' && out.purpose === undefined)
      out.purpose = sectionBody(doc, section).join('\n').trim();
    const op = section.level === 2 ? deltaOpOf(section.title) : null;
    if (!op) continue;
    // A delta section runs to the next `## ` heading: an H1 does not end it (x1 fixture c-h1break).
    const end = doc.sections.find((s) => s.level === 2 && s.line > section.line)?.line ?? doc.lines.length;
    const span = { ...section, end };
    out.sections.push({ op, section: span });
    for (let i = section.line; i < end; i++) covered[i] = true;
    if (op === 'ADDED' || op === 'MODIFIED') readBlocks(doc, span, op, out);
    else if (op === 'REMOVED') readRemoved(doc, span, out);
    else readRenamed(doc, span, out);
  }
  for (let i = 0; i < doc.lines.length; i++) {
    if (covered[i] || doc.fenced[i]) continue;
    const m = REQUIREMENT_HEADER.exec(doc.lines[i]!);
    if (!m) continue;
    let under: string | null = null;
    for (const s of doc.sections) if (s.level === 2 && s.line < i) under = s.title;
    out.orphans.push({ name: normalizeName(m[1]!), line: i, under });
  }
  return out;
}

function readBlocks(doc: Doc, section: Section, op: 'ADDED' | 'MODIFIED', out: DeltaSpec): void {
  const { blocks } = cutBlocks(doc, section.line + 1, section.end);
  (op === 'ADDED' ? out.added : out.modified).push(...blocks);
  for (let i = section.line + 1; i < section.end; i++) {
    if (doc.fenced[i] || REQUIREMENT_HEADER.test(doc.lines[i]!)) continue;
    const h = H3.exec(doc.lines[i]!);
    if (h) out.skippedHeaders.push({ op, title: h[1]!.trim(), line: i });
  }
}

function readRemoved(doc: Doc, section: Section, out: DeltaSpec): void {
  const { blocks } = cutBlocks(doc, section.line + 1, section.end);
  const byLine = new Map(blocks.map((b) => [b.line, b]));
  for (let i = section.line + 1; i < section.end; i++) {
    if (doc.fenced[i]) continue;
    const block = byLine.get(i);
    if (block) out.removed.push({ name: block.name, line: i, block });
    else {
      const m = REMOVED_BULLET.exec(doc.lines[i]!);
      if (m) out.removed.push({ name: normalizeName(m[1]!), line: i });
    }
  }
}

function readRenamed(doc: Doc, section: Section, out: DeltaSpec): void {
  let pending: { name: string; line: number } | null = null;
  for (let i = section.line + 1; i < section.end; i++) {
    if (doc.fenced[i]) continue;
    const m = RENAME_LINE.exec(doc.lines[i]!);
    if (!m) continue;
    const name = normalizeName(m[2]!);
    if (m[1] === 'FROM') {
      if (pending) out.unpaired.push({ kind: 'FROM', ...pending });
      pending = { name, line: i };
    } else if (pending) {
      out.renamed.push({ from: pending.name, to: name, line: pending.line });
      pending = null;
    } else out.unpaired.push({ kind: 'TO', name, line: i });
  }
  if (pending) out.unpaired.push({ kind: 'FROM', ...pending });
}

export const entryCount = (d: DeltaSpec): number => d.added.length + d.modified.length + d.removed.length + d.renamed.length;

export { blockRaw };
