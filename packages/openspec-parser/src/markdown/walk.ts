/**
 * The one markdown walk every reader shares: text normalised, fenced code
 * masked, ATX headings found and nested into sections. Everything else
 * (requirements, scenarios, delta sections, the validation rules, the
 * archive's rebuild) is a view over this result.
 */

/** One ATX heading and the section it opens (lines are 0-based indexes into `Doc.lines`). */
export interface Section {
  level: number;
  title: string;
  /** Line of the heading itself. */
  line: number;
  /** First line after the section (next heading of the same or a higher level, or EOF). */
  end: number;
  parent: Section | undefined;
  children: Section[];
}

export interface Doc {
  lines: string[];
  /** `fenced[i]`: line i is inside a fenced code block, fence lines included. */
  fenced: boolean[];
  /** Every heading outside fences, in document order. */
  sections: Section[];
  /** Headings with no parent. */
  roots: Section[];
}

/** UTF-8 BOM dropped and line endings unified, as every OpenSpec reader does (reference §5.1). */
export function normalizeText(text: string): string {
  return (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).replace(/\r\n?/g, '\n');
}

const FENCE = /^\s*(`{3,}|~{3,})/;
const FENCE_CLOSE = /^\s*(`{3,}|~{3,})\s*$/;

/** Which lines sit inside ``` / ~~~ fences (the fence lines themselves included). */
export function fenceMask(lines: readonly string[]): boolean[] {
  const mask = new Array<boolean>(lines.length).fill(false);
  let open: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (open === null) {
      const m = FENCE.exec(line);
      if (m) {
        open = m[1]!;
        mask[i] = true;
      }
      continue;
    }
    mask[i] = true;
    const close = FENCE_CLOSE.exec(line);
    if (close && close[1]![0] === open[0] && close[1]!.length >= open.length) open = null;
  }
  return mask;
}

const HEADING = /^(#{1,6})\s+(.+)$/;

export function headingOf(line: string): { level: number; title: string } | null {
  const m = HEADING.exec(line);
  return m ? { level: m[1]!.length, title: m[2]!.trim() } : null;
}

export function walk(text: string): Doc {
  const lines = normalizeText(text).split('\n');
  const fenced = fenceMask(lines);
  const sections: Section[] = [];
  const roots: Section[] = [];
  const open: Section[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (fenced[i]) continue;
    const h = headingOf(lines[i]!);
    if (!h) continue;
    while (open.length > 0 && open[open.length - 1]!.level >= h.level) open.pop()!.end = i;
    const parent = open[open.length - 1];
    const section: Section = { level: h.level, title: h.title, line: i, end: lines.length, parent, children: [] };
    (parent ? parent.children : roots).push(section);
    sections.push(section);
    open.push(section);
  }
  return { lines, fenced, sections, roots };
}

/** Lines between a section's heading and its end. */
export function sectionBody(doc: Doc, s: Section): string[] {
  return doc.lines.slice(s.line + 1, s.end);
}

/** Lines between a section's heading and its first child heading. */
export function ownBody(doc: Doc, s: Section): string[] {
  return doc.lines.slice(s.line + 1, s.children[0]?.line ?? s.end);
}

export function findSection(doc: Doc, title: string): Section | undefined {
  const want = title.toLowerCase();
  return doc.sections.find((s) => s.title.toLowerCase() === want);
}
