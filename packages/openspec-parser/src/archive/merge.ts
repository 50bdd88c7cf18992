/**
 * What one main spec becomes when a change's delta is applied (reference §8,
 * step 5): a pure function from (current text, delta) to new text, counts
 * and warnings, or the refusal message. Nothing here touches the disk.
 *
 * Layout: the text before `## Requirements` and after its section is kept,
 * the preamble under the header is kept, existing blocks keep their place
 * (renamed / modified in place, removed dropped), new blocks are appended in
 * delta order; blank-line runs are collapsed outside fences; CRLF is kept.
 */
import { blockRaw, cutBlocks, foldName, mainSpecBlocks, type RequirementBlock } from '../markdown/requirements';
import { fenceMask, walk } from '../markdown/walk';
import { entryCount, type DeltaSpec } from '../markdown/delta';
import { scenarioLoss } from '../validate/scenario-loss';
import { structureIssues } from '../validate/spec-rules';

export interface MergeCounts {
  added: number;
  modified: number;
  removed: number;
  renamed: number;
}

export type SpecMerge =
  { ok: true; content: string; counts: MergeCounts; warnings: string[]; created: boolean } | { ok: false; message: string };

export const PURPOSE_PLACEHOLDER = (changeId: string) => `TBD - created by archiving change ${changeId}. Update Purpose after archive.`;

interface Entry {
  name: string;
  lines: string[];
}

const header = (name: string) => `### Requirement: ${name}`;
const fail = (message: string): SpecMerge => ({ ok: false, message });

/** Blank-line runs collapsed outside fences, no leading/trailing blanks, one final newline. */
function tidy(lines: readonly string[]): string {
  const fenced = fenceMask(lines);
  const out: string[] = [];
  lines.forEach((l, i) => {
    const blank = l.trim() === '';
    if (blank && !fenced[i] && (out.length === 0 || out[out.length - 1]!.trim() === '')) return;
    out.push(blank && !fenced[i] ? '' : l);
  });
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return `${out.join('\n')}\n`;
}

export function mergeSpec(current: string | undefined, delta: DeltaSpec, cap: string, changeId: string): SpecMerge {
  if (entryCount(delta) === 0) return fail(`Delta parsing found no operations for ${cap}`);
  const counts: MergeCounts = { added: 0, modified: 0, removed: 0, renamed: 0 };
  const warnings: string[] = delta.orphans.map((o) =>
    o.under === null
      ? `${cap} - requirement "${o.name}" (line ${o.line + 1}) is above the first "## " section, which is not a delta section, so it was not applied. Move it under ADDED/MODIFIED/REMOVED/RENAMED Requirements.`
      : `${cap} - requirement "${o.name}" (line ${o.line + 1}) is under "## ${o.under}", which is not a delta section, so it was not applied. Move it under ADDED/MODIFIED/REMOVED/RENAMED Requirements.`,
  );
  const created = current === undefined;
  if (created && (delta.modified.length > 0 || delta.renamed.length > 0)) {
    return fail(
      `${cap}: target spec does not exist; only ADDED requirements are allowed for new specs. MODIFIED and RENAMED operations require an existing spec.`,
    );
  }
  if (created && delta.purpose && delta.purpose.length < 50)
    warnings.push(`${cap} - carried Purpose is under 50 characters; openspec validate --strict reports it as too brief.`);
  if (created && delta.removed.length > 0)
    warnings.push(`${cap} - ${delta.removed.length} REMOVED requirement(s) ignored for new spec (nothing to remove).`);
  const broken = current === undefined ? [] : structureIssues(current);
  if (broken.length > 0) {
    return fail(
      `${cap}: target spec is structurally invalid and cannot be updated until fixed:\n${broken.map((i) => `line ${i.line}: ${i.message}`).join('\n')}`,
    );
  }
  const crlf = current !== undefined && current.includes('\r\n');
  const base = current ?? `# ${cap} Specification\n\n## Purpose\n${delta.purpose || PURPOSE_PLACEHOLDER(changeId)}\n\n## Requirements\n`;
  const doc = walk(base);
  const main = mainSpecBlocks(doc);
  if (!main.section) return fail(`${cap}: target spec has no "## Requirements" section`);
  const end = doc.sections.find((s) => s.level === 2 && s.line > main.section!.line)?.line ?? doc.lines.length;
  const { lead } = cutBlocks(doc, main.section.line + 1, end);
  const entries: Array<Entry | null> = main.blocks.map((b) => ({ name: b.name, lines: b.lines }));
  const find = (name: string) => entries.findIndex((e) => e?.name === name);
  const near = (name: string) => entries.find((e) => e && e.name !== name && foldName(e.name) === foldName(name));

  if (!created) {
    for (const r of delta.renamed) {
      const i = find(r.from);
      if (i < 0) {
        if (find(r.to) >= 0) continue;
        const n = near(r.from);
        return fail(
          n
            ? `${cap} RENAMED failed for header "${header(r.from)}" - only a case-insensitive match exists ("${n.name}")`
            : `${cap} RENAMED failed for header "${header(r.from)}" - source not found`,
        );
      }
      if (find(r.to) >= 0) return fail(`${cap} RENAMED failed for header "${header(r.to)}" - target already exists`);
      entries[i] = { name: r.to, lines: [header(r.to), ...entries[i]!.lines.slice(1)] };
      counts.renamed++;
    }
    for (const r of delta.removed) {
      const i = find(r.name);
      if (i < 0) {
        const n = near(r.name);
        if (n) return fail(`${cap} REMOVED failed for header "${header(r.name)}" - only a case-insensitive match exists ("${n.name}")`);
        warnings.push(`${cap} - REMOVED requirement "${r.name}" is not in the current spec; treating it as already removed.`);
        continue;
      }
      entries[i] = null;
      counts.removed++;
    }
    for (const b of delta.modified) {
      const i = find(b.name);
      if (i < 0) return fail(`${cap} MODIFIED failed for header "${header(b.name)}" - not found`);
      const cur = entries[i]!;
      const curBlock: RequirementBlock = { name: cur.name, line: 0, lines: cur.lines, fenced: fenceMask(cur.lines) };
      const loss = scenarioLoss(curBlock, b);
      if (loss) {
        return fail(
          `${cap} MODIFIED failed for header "${header(b.name)}" - current spec contains scenario(s) not present in the modified block: ${loss.missing.map((m) => `"${m}"`).join(', ')}. ${loss.text} Refresh the change spec before archiving to avoid dropping scenarios.`,
        );
      }
      if (blockRaw(cur) === blockRaw(b)) continue;
      entries[i] = { name: b.name, lines: b.lines };
      counts.modified++;
    }
  }
  for (const b of delta.added) {
    const i = find(b.name);
    if (i >= 0) {
      if (blockRaw(entries[i]!) === blockRaw(b)) continue;
      return fail(`${cap} ADDED failed for header "${header(b.name)}" - already exists`);
    }
    const n = near(b.name);
    if (n) {
      return fail(
        `${cap} ADDED failed for header "${header(b.name)}" - "${header(n.name)}" already exists and differs only in case or spacing; use MODIFIED with that exact header to change it, or choose a distinct name`,
      );
    }
    entries.push({ name: b.name, lines: b.lines });
    counts.added++;
  }

  const body = entries.filter((e): e is Entry => e !== null).flatMap((e) => ['', ...e.lines]);
  // Sections are separated by one blank line even where the original had none.
  const lines = [
    ...doc.lines.slice(0, main.section.line),
    '',
    doc.lines[main.section.line]!,
    '',
    ...lead,
    ...body,
    '',
    ...doc.lines.slice(end),
  ];
  const text = tidy(lines);
  return { ok: true, content: crlf ? text.replace(/\n/g, '\r\n') : text, counts, warnings, created };
}
