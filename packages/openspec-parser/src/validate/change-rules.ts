/**
 * Change validation (delta specs + tasks; proposal.md is never checked) as
 * a list of rules. Order of issues = order of the rules, then the order of
 * the files/blocks inside a rule (observed on the tricky fixture and x1/x2
 * experiment roots run through the official CLI).
 */
import { blockParts, foldName, hasShallOrMust, mainSpecBlocks, type RequirementBlock } from '../markdown/requirements';
import { DELTA_OPS, entryCount, type DeltaSpec } from '../markdown/delta';
import { walk } from '../markdown/walk';
import { deltaSpecFiles, nestedChangeMessage, nestedChangesOf, specPath } from '../model/discovery';
import { markerPresent, markerSet, parsedDelta, readMetadata, type MetadataRead } from '../model/change';
import { firstListItemLine, parseTaskLines, taskGroups } from '../tasks';
import { join, type OpenSpecTree } from '../tree';
import type { ValidationIssue } from '../schemas';
import { mergeSpec } from '../archive/merge';
import { scenarioLoss } from './scenario-loss';

export { scenarioLoss };

export interface ChangeContext {
  tree: OpenSpecTree;
  id: string;
  dir: string;
  files: Array<{ spec: string; path: string; rel: string; delta: DeltaSpec }>;
  metadata: MetadataRead;
  /** Other `.md` files under specs/ (not `<cap>/spec.md`), relative to specs/. */
  strays: string[];
}

export type ChangeRule = (ctx: ChangeContext) => ValidationIssue[];

const issue = (level: ValidationIssue['level'], path: string, message: string, line?: number): ValidationIssue => ({
  level,
  path,
  ...(line !== undefined ? { line } : {}),
  message,
});
const q = (s: string) => `"${s}"`;

export const ZERO_DELTAS =
  'Change must have at least one delta. No deltas found. Ensure your change has a specs/ directory with capability folders (e.g. specs/http-server/spec.md) containing .md files that use delta headers (## ADDED/MODIFIED/REMOVED/RENAMED Requirements) and that each requirement includes at least one "#### Scenario:" block. If this change intentionally modifies no specs (pure refactor, tooling, docs), set "skip_specs: true" in the change\'s .openspec.yaml instead. Tip: run "openspec change show <change-id> --json --deltas-only" to inspect parsed deltas.';
const DELTA_SECTION_LIST = '"## ADDED Requirements", "## MODIFIED Requirements", "## REMOVED Requirements", or "## RENAMED Requirements"';

/** Parse notes: unpaired renames, non-requirement `###` headers, requirements outside delta sections. */
const parseNotes: ChangeRule = ({ files }) =>
  files.flatMap(({ rel, delta }) => [
    ...delta.unpaired.map((u) =>
      issue(
        'ERROR',
        rel,
        `RENAMED ${u.kind}: ${q(u.name)} has no matching ${u.kind === 'FROM' ? 'TO' : 'FROM'}: line. Write each rename as a FROM: line followed immediately by its TO: line.`,
        u.line + 1,
      ),
    ),
    ...delta.skippedHeaders.map((h) =>
      issue(
        'INFO',
        rel,
        `Header ${q(`### ${h.title}`)} in ${h.op} Requirements is not a "### Requirement:" header and is ignored by validation. Use ${q(`### Requirement: ${h.title}`)} if it should be validated as a requirement.`,
        h.line + 1,
      ),
    ),
    ...delta.orphans.map((o) =>
      issue(
        'WARNING',
        rel,
        o.under === null
          ? `Requirement ${q(o.name)} is above the first "## " section, which is not a delta section, so it is ignored. Move it under ${DELTA_SECTION_LIST}.`
          : `Requirement ${q(o.name)} is under ${q(`## ${o.under}`)}, which is not a delta section, so it is ignored. Move it under ${DELTA_SECTION_LIST}.`,
        o.line + 1,
      ),
    ),
  ]);

function blockChecks(op: 'ADDED' | 'MODIFIED', b: RequirementBlock, rel: string): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  const parts = blockParts(b);
  const body = parts.body.filter((l, j) => l.trim() !== '' && !parts.bodyFenced[j]).join('\n');
  if (body === '') {
    out.push(
      issue(
        'ERROR',
        rel,
        hasShallOrMust(b.name)
          ? `${op} ${q(b.name)} must contain SHALL or MUST in the requirement body, not only in the header. Move the SHALL/MUST statement to the line immediately after the "### Requirement: ..." header.`
          : `${op} ${q(b.name)} is missing requirement text`,
      ),
    );
  } else if (!hasShallOrMust(body))
    out.push(issue('WARNING', rel, `${op} ${q(b.name)} should contain SHALL or MUST (RFC 2119 best practice for English specs)`));
  if (!parts.scenarios.some((s) => s.hasBody)) {
    out.push(
      issue(
        'ERROR',
        rel,
        parts.scenarios.length > 0
          ? `${op} ${q(b.name)} must include at least one scenario (a scenario header with no body under it does not count; add its steps, e.g. "- **WHEN** ..." and "- **THEN** ...")`
          : `${op} ${q(b.name)} must include at least one scenario`,
      ),
    );
  }
  return out;
}

function entryChecks(ctx: ChangeContext, spec: string, rel: string, d: DeltaSpec): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  const dup = (op: string, names: string[]) => {
    const seen = new Set<string>();
    for (const n of names) {
      if (seen.has(n)) out.push(issue('ERROR', rel, `Duplicate requirement in ${op}: ${q(n)}`));
      seen.add(n);
    }
  };
  const mainContent = ctx.tree.read(specPath(spec));
  const main = mainContent === undefined ? [] : mainSpecBlocks(walk(mainContent)).blocks;
  const renamedTo = new Map(d.renamed.map((r) => [r.to, r.from]));
  const seenAdded = new Set<string>();
  for (const b of d.added) {
    if (seenAdded.has(b.name)) out.push(issue('ERROR', rel, `Duplicate requirement in ADDED: ${q(b.name)}`));
    seenAdded.add(b.name);
    out.push(...blockChecks('ADDED', b, rel));
  }
  const seenModified = new Set<string>();
  for (const b of d.modified) {
    if (seenModified.has(b.name)) out.push(issue('ERROR', rel, `Duplicate requirement in MODIFIED: ${q(b.name)}`));
    seenModified.add(b.name);
    out.push(...blockChecks('MODIFIED', b, rel));
    const current = main.find((m) => m.name === (renamedTo.get(b.name) ?? b.name));
    const loss = current && scenarioLoss(current, b);
    if (loss) {
      out.push(
        issue(
          'ERROR',
          rel,
          `MODIFIED ${q(b.name)} omits scenario(s) the current spec still has: ${loss.missing.map(q).join(', ')}. ${loss.text} Copy the omitted scenarios into the MODIFIED block (a MODIFIED requirement replaces the whole block, so archive refuses to drop them).`,
        ),
      );
    }
  }
  dup(
    'REMOVED',
    d.removed.map((r) => r.name),
  );
  const froms = new Set<string>();
  const tos = new Set<string>();
  for (const r of d.renamed) {
    if (froms.has(r.from)) out.push(issue('ERROR', rel, `Duplicate FROM in RENAMED: ${q(r.from)}`));
    if (tos.has(r.to)) out.push(issue('ERROR', rel, `Duplicate TO in RENAMED: ${q(r.to)}`));
    froms.add(r.from);
    tos.add(r.to);
  }
  const removed = new Set(d.removed.map((r) => r.name));
  const removedFolded = new Set(d.removed.map((r) => foldName(r.name)));
  const added = new Set(d.added.map((b) => b.name));
  for (const n of new Set(d.modified.map((b) => b.name))) {
    if (removed.has(n)) out.push(issue('ERROR', rel, `Requirement present in both MODIFIED and REMOVED: ${q(n)}`));
    if (added.has(n)) out.push(issue('ERROR', rel, `Requirement present in both MODIFIED and ADDED: ${q(n)}`));
  }
  for (const n of added) if (removed.has(n)) out.push(issue('ERROR', rel, `Requirement present in both ADDED and REMOVED: ${q(n)}`));
  for (const r of d.renamed)
    if (removedFolded.has(foldName(r.from))) out.push(issue('ERROR', rel, `Requirement present in both RENAMED and REMOVED: ${q(r.from)}`));
  for (const b of d.modified) {
    const r = d.renamed.find((x) => x.from === b.name);
    if (r) out.push(issue('ERROR', rel, `MODIFIED references old name from RENAMED. Use new header for ${q(r.to)}`));
  }
  for (const r of d.renamed) if (added.has(r.to)) out.push(issue('ERROR', rel, `RENAMED TO collides with ADDED for ${q(r.to)}`));
  return out;
}

const entries: ChangeRule = (ctx) => ctx.files.flatMap((f) => (entryCount(f.delta) > 0 ? entryChecks(ctx, f.spec, f.rel, f.delta) : []));

const strays: ChangeRule = ({ strays: files }) =>
  files.map((rel) => {
    if (rel === 'spec.md') {
      return issue(
        'ERROR',
        rel,
        'Delta spec found at specs/spec.md. Delta specs must live under a capability path (e.g. specs/<capability-path>/spec.md) — a file at the specs/ root is ignored when the change is applied or archived.',
      );
    }
    const slash = rel.lastIndexOf('/');
    const target = slash < 0 ? rel.replace(/\.md$/, '') : rel.slice(0, slash);
    return issue(
      'ERROR',
      rel,
      `Delta spec found at specs/${rel}. Delta specs must be a spec.md inside a capability folder — this file is ignored when the change is applied or archived. Move its requirements into specs/${target}/spec.md.`,
    );
  });

const emptySections: ChangeRule = ({ files }) =>
  files.flatMap(({ rel, delta }) => {
    if (delta.sections.length === 0 || entryCount(delta) > 0) return [];
    const ops = DELTA_OPS.filter((op) => delta.sections.some((s) => s.op === op)).map((op) => `## ${op} Requirements`);
    const list = ops.length === 1 ? ops[0]! : `${ops.slice(0, -1).join(', ')} and ${ops.at(-1)}`;
    return [
      issue(
        'ERROR',
        rel,
        `Delta sections ${list} were found, but no requirement entries parsed. Ensure each section includes at least one "### Requirement:" block (REMOVED may use bullet list syntax).`,
      ),
    ];
  });

const noSections: ChangeRule = ({ files }) =>
  files.flatMap(({ rel, delta }) =>
    delta.sections.length === 0
      ? [
          issue(
            'ERROR',
            rel,
            'No delta sections found. Add headers such as "## ADDED Requirements" or move non-delta notes outside specs/.',
          ),
        ]
      : [],
  );

const deltaTotals: ChangeRule = ({ tree, dir, files, metadata }) => {
  const out: ValidationIssue[] = [];
  if (markerPresent(metadata, 'skip_specs') && metadata.kind === 'invalid') {
    out.push(
      issue(
        'ERROR',
        '.openspec.yaml',
        `skip_specs is set but .openspec.yaml is not valid change metadata, so the marker is not honored. Fix the metadata (${metadata.problem})`,
      ),
    );
  }
  const skip = metadata.kind === 'valid' && markerSet(metadata, 'skip_specs');
  if (skip && tree.filesUnder(join(dir, 'specs')).length > 0) {
    out.push(
      issue(
        'ERROR',
        'file',
        'skip_specs is set in .openspec.yaml but spec files exist under specs/. Remove skip_specs or delete the delta spec files',
      ),
    );
  } else if (files.reduce((n, f) => n + entryCount(f.delta), 0) === 0) {
    out.push(
      skip
        ? issue('INFO', 'file', 'skip_specs is set in .openspec.yaml: change declares no spec-level behavior changes, zero deltas accepted')
        : issue('ERROR', 'file', ZERO_DELTAS),
    );
  }
  return out;
};

const tasks: ChangeRule = ({ tree, dir, metadata }) => {
  const content = tree.read(join(dir, 'tasks.md'));
  if (content === undefined) return [];
  const lines = parseTaskLines(content);
  if (lines.length === 0) {
    const first = firstListItemLine(content);
    return first === null
      ? []
      : [
          issue(
            'WARNING',
            'tasks.md',
            'This change counts as 0 tasks: no line in its tracked task files is a checkbox, so "openspec list" and "openspec status" report no work and "openspec archive" has nothing to flag as incomplete. Write each task as "- [ ] 1.1 Description".',
            first,
          ),
        ];
  }
  if (metadata.kind === 'valid' && metadata.schema !== 'spec-driven') return [];
  const out: ValidationIssue[] = [];
  const groups = taskGroups(content);
  const firstLine = new Map<string, number>();
  for (const t of lines) {
    if (!t.id) continue;
    const group = [...groups].reverse().find((g) => g.line < t.line);
    if (group && group.group !== t.id.group) {
      out.push(
        issue(
          'WARNING',
          'tasks.md',
          `Task ${q(t.id.full)} is under group ${group.group}, but its leading number points to group ${t.id.group}. Move it to group ${t.id.group} or renumber it.`,
          t.line,
        ),
      );
    }
    const first = firstLine.get(t.id.full);
    if (first !== undefined)
      out.push(issue('WARNING', 'tasks.md', `Task ID ${q(t.id.full)} is duplicated; it was first declared on line ${first}.`, t.line));
    else firstLine.set(t.id.full, t.line);
  }
  return out;
};

export const CHANGE_RULES: ChangeRule[] = [parseNotes, entries, strays, emptySections, noSections, deltaTotals, tasks];

export function changeContext(tree: OpenSpecTree, id: string, base: string): ChangeContext {
  const dir = join(base, id);
  const files = deltaSpecFiles(tree, id, base).map((f) => ({ ...f, rel: `${f.spec}/spec.md`, delta: parsedDelta(tree, f.path) }));
  const known = new Set(files.map((f) => f.path));
  const specsDir = join(dir, 'specs');
  const strayFiles = tree
    .filesUnder(specsDir)
    .filter((p) => p.endsWith('.md') && !known.has(p))
    .map((p) => p.slice(specsDir.length + 1))
    .filter((rel) => rel === 'spec.md' || parsedDelta(tree, join(specsDir, rel)).sections.length > 0);
  return { tree, id, dir, files, metadata: readMetadata(tree, dir), strays: strayFiles };
}

export function validateChangeIssues(tree: OpenSpecTree, id: string, base: string): ValidationIssue[] {
  const nested = nestedChangesOf(tree, id, base);
  if (nested) return [issue('ERROR', 'file', nestedChangeMessage(id, nested))];
  const ctx = changeContext(tree, id, base);
  const found = CHANGE_RULES.flatMap((rule) => rule(ctx));
  return [...found, ...archiveDryRun(ctx, found)];
}

/**
 * What archive would refuse, as INFO, for delta files no ERROR already
 * points at (openspec-self simplify-skill-installation, agent-validator
 * better-git-tracking). Active changes only: an archived one is done.
 */
function archiveDryRun(ctx: ChangeContext, found: readonly ValidationIssue[]): ValidationIssue[] {
  if (ctx.dir.startsWith('openspec/changes/archive/')) return [];
  const flagged = new Set(found.filter((i) => i.level === 'ERROR').map((i) => i.path));
  return ctx.files.flatMap(({ spec, rel, delta }) => {
    if (flagged.has(rel) || entryCount(delta) === 0) return [];
    const merged = mergeSpec(ctx.tree.read(specPath(spec)), delta, spec, ctx.id);
    return merged.ok ? [] : [issue('INFO', rel, `Archive would refuse this delta: ${merged.message}`)];
  });
}
