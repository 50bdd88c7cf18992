/**
 * Main-spec validation as a list of rules (ESLint's rule/report model): each
 * rule looks at the parsed spec and returns issues. The order of the list is
 * the order the CLI prints (tricky fixture `dup`, `fenced`; x1 `s-long`).
 */
import {
  blockParts,
  hasShallOrMust,
  mainSpecBlocks,
  readSpecView,
  REQUIREMENT_HEADER,
  type MainBlocks,
  type SpecView,
} from '../markdown/requirements';
import { deltaOpOf } from '../markdown/delta';
import { walk, type Doc } from '../markdown/walk';
import type { ValidationIssue } from '../schemas';

export interface SpecContext {
  doc: Doc;
  view: SpecView;
  blocks: MainBlocks;
}

export type SpecRule = (ctx: SpecContext) => ValidationIssue[];

export const MISSING_SECTIONS_HELP =
  'Missing required sections. Expected headers: "## Purpose" and "## Requirements". Example:\n## Purpose\n[brief purpose]\n\n## Requirements\n' +
  '### Requirement: Clear requirement statement\nUsers SHALL ...\n\n#### Scenario: Descriptive name\n- **WHEN** ...\n- **THEN** ...';

export const PURPOSE_PLACEHOLDER_PREFIX = 'TBD - created by archiving change ';
export const MIN_PURPOSE_LENGTH = 50;
export const MAX_REQUIREMENT_TEXT = 500;

/** Why `show`/`validate` cannot read a spec at all, or null. */
export function specParseProblem(view: SpecView): string | null {
  if (!view.purpose || view.overview === '') return 'Spec must have a Purpose section';
  if (!view.requirementsSection) return 'Spec must have a Requirements section';
  return null;
}

const error = (path: string, message: string, line?: number): ValidationIssue => ({
  level: 'ERROR',
  path,
  ...(line !== undefined ? { line } : {}),
  message,
});
const warning = (path: string, message: string, line?: number): ValidationIssue => ({
  level: 'WARNING',
  path,
  ...(line !== undefined ? { line } : {}),
  message,
});

/** The schema checks (zod-style dotted paths). */
const schemaShape: SpecRule = ({ view }) => {
  if (view.requirements.length === 0) return [error('requirements', 'Spec must have at least one requirement')];
  return view.requirements.flatMap((r, i) =>
    r.scenarios.length === 0 ? [error(`requirements.${i}.scenarios`, 'Requirement must have at least one scenario')] : [],
  );
};

/** Line-level structure: requirements outside `## Requirements`, duplicate names, delta headers. */
const structure: SpecRule = ({ doc, blocks }) => {
  const out: ValidationIssue[] = [];
  const start = blocks.section?.line ?? -1;
  const end = blocks.section ? (doc.sections.find((s) => s.level === 2 && s.line > start)?.line ?? doc.lines.length) : -1;
  const seen = new Map<string, number>();
  for (const b of blocks.blocks) {
    const first = seen.get(b.name);
    if (first === undefined) seen.set(b.name, b.line);
  }
  const firstSeen = new Map<string, number>();
  doc.lines.forEach((line, i) => {
    if (doc.fenced[i]) return;
    const req = REQUIREMENT_HEADER.exec(line);
    if (req) {
      const header = line.trim();
      if (i < start || i >= end) {
        out.push(
          error(
            'file',
            `Requirement header "${header}" appears outside the main ## Requirements section. Main specs only parse requirements inside that section, so this requirement is currently invisible to validate, list, and archive.`,
            i + 1,
          ),
        );
        return;
      }
      const name = blocks.blocks.find((b) => b.line === i)?.name ?? '';
      const first = firstSeen.get(name);
      if (first === undefined) firstSeen.set(name, i);
      else
        out.push(
          error(
            'file',
            `Requirement header "${header}" duplicates the requirement declared on line ${first + 1}. Requirement names must be unique so spec updates cannot discard one block while updating another.`,
            i + 1,
          ),
        );
      return;
    }
    const h = /^##\s+(.+)$/.exec(line);
    if (h && deltaOpOf(h[1]!)) {
      out.push(
        error(
          'file',
          `Main spec contains delta header "${line.trim()}". Delta headers are only valid inside openspec/changes/<name>/specs/<capability-path>/spec.md and truncate the parsed ## Requirements section.`,
          i + 1,
        ),
      );
    }
  });
  return out;
};

export function isPlaceholderPurpose(overview: string): boolean {
  return overview.startsWith(PURPOSE_PLACEHOLDER_PREFIX) || /^(TBD|TODO)\b/.test(overview);
}

const purpose: SpecRule = ({ doc, view }) => {
  if (isPlaceholderPurpose(view.overview)) {
    const p = view.purpose!;
    let line = p.line + 1;
    while (line < p.end && doc.lines[line]!.trim() === '') line++;
    return [
      warning(
        'overview',
        'Purpose section is still a placeholder rather than a Purpose anyone wrote (the sentence `openspec archive` writes for a new capability, or a `TBD`/`TODO` marker left in its place). ' +
          'Replace it with what this capability is for, editing the main spec directly: a `## Purpose` in a delta is read only when the capability is created, so it cannot replace this one.',
        line + 1,
      ),
    ];
  }
  if (view.overview.length < MIN_PURPOSE_LENGTH)
    return [warning('overview', `Purpose section is too brief (less than ${MIN_PURPOSE_LENGTH} characters)`)];
  return [];
};

const requirementShape: SpecRule = ({ view }) =>
  view.requirements.flatMap((r, i) => {
    const out: ValidationIssue[] = [];
    if (r.text.length > MAX_REQUIREMENT_TEXT)
      out.push({
        level: 'INFO',
        path: `requirements[${i}]`,
        message: 'Requirement text is very long (>500 characters). Consider breaking it down.',
      });
    if (r.scenarios.length === 0) {
      out.push(
        warning(
          `requirements[${i}].scenarios`,
          'Requirement must have at least one scenario. Scenarios must use level-4 headers. Convert bullet lists into:\n#### Scenario: Short name\n- **WHEN** ...\n- **THEN** ...\n- **AND** ...',
        ),
      );
    }
    return out;
  });

/** RFC 2119 keyword in each `### Requirement:` block's own statement. */
const keywords: SpecRule = ({ blocks }) =>
  blocks.blocks.flatMap((b, i) => {
    const parts = blockParts(b);
    const body = parts.body.filter((l, j) => l.trim() !== '' && !parts.bodyFenced[j]).join('\n');
    const path = `requirements[${i}]`;
    if (body === '') {
      return hasShallOrMust(b.name)
        ? [
            error(
              path,
              `Requirement "${b.name}" must contain SHALL or MUST in the requirement body, not only in the header. Move the SHALL/MUST statement to the line immediately after the "### Requirement: ..." header.`,
            ),
          ]
        : [error(path, `Requirement "${b.name}" must contain SHALL or MUST`)];
    }
    return hasShallOrMust(body)
      ? []
      : [warning(path, `Requirement "${b.name}" should contain SHALL or MUST (RFC 2119 best practice for English specs)`)];
  });

export const SPEC_RULES: SpecRule[] = [schemaShape, structure, purpose, requirementShape, keywords];

/** Issues of a main spec's content (what `validate <spec>` reports). */
export function validateSpecContent(content: string): ValidationIssue[] {
  const doc = walk(content);
  const view = readSpecView(doc);
  const problem = specParseProblem(view);
  if (problem) return [error('file', `${problem}. ${MISSING_SECTIONS_HELP}`)];
  const ctx: SpecContext = { doc, view, blocks: mainSpecBlocks(doc) };
  return SPEC_RULES.flatMap((rule) => rule(ctx));
}

/** The line-level structure problems alone (archive refuses to update a spec that has any). */
export function structureIssues(content: string): ValidationIssue[] {
  const doc = walk(content);
  return structure({ doc, view: readSpecView(doc), blocks: mainSpecBlocks(doc) });
}

export const isValid = (issues: readonly ValidationIssue[], strict: boolean): boolean =>
  !issues.some((i) => i.level === 'ERROR' || (strict && i.level === 'WARNING'));
