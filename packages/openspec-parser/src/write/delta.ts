/**
 * Delta specs, pure half: a change's `specs/<capability>/spec.md` rendered from structured
 * operations (reference §delta specs: `## ADDED|MODIFIED|REMOVED|RENAMED Requirements`), and a tree
 * with draft files laid over a real root, so a draft is checked by the very validator that reads
 * the root (the main specs it modifies included) before anything is written.
 */
import { addFiles, OpenSpecTree, join, type TreeSnapshot } from '../tree';

export interface ScenarioDraft {
  name: string;
  /** Lines of the scenario; each becomes one `- ` bullet (`**WHEN** …`, `**THEN** …`). */
  steps: string[];
}

export interface RequirementDraft {
  name: string;
  /** The normative text (SHALL / MUST). */
  text: string;
  scenarios: ScenarioDraft[];
}

export type DeltaOperationDraft =
  | { op: 'ADDED' | 'MODIFIED'; requirement: RequirementDraft }
  | { op: 'REMOVED'; name: string; reason?: string; migration?: string }
  | { op: 'RENAMED'; from: string; to: string };

const ORDER = ['ADDED', 'MODIFIED', 'REMOVED', 'RENAMED'] as const;

function renderRequirement(r: RequirementDraft): string {
  const scenarios = r.scenarios.map((s) =>
    [`#### Scenario: ${s.name.trim()}`, s.steps.map((step) => `- ${step.trim()}`).join('\n')].join('\n\n'),
  );
  return [`### Requirement: ${r.name.trim()}`, r.text.trim(), ...scenarios].join('\n\n');
}

/** One capability's delta file; sections in ADDED, MODIFIED, REMOVED, RENAMED order, empty ones left out. */
export function renderDeltaSpec(ops: DeltaOperationDraft[]): string {
  const sections: string[] = [];
  for (const op of ORDER) {
    const mine = ops.filter((o) => o.op === op);
    if (!mine.length) continue;
    const blocks = mine.map((o) => {
      if (o.op === 'RENAMED') return `- FROM: \`### Requirement: ${o.from.trim()}\`\n- TO: \`### Requirement: ${o.to.trim()}\``;
      if (o.op === 'REMOVED') {
        const why = [o.reason?.trim() && `**Reason**: ${o.reason.trim()}`, o.migration?.trim() && `**Migration**: ${o.migration.trim()}`]
          .filter(Boolean)
          .join('\n');
        return why ? `### Requirement: ${o.name.trim()}\n\n${why}` : `### Requirement: ${o.name.trim()}`;
      }
      return renderRequirement(o.requirement);
    });
    sections.push([`## ${op} Requirements`, ...blocks].join('\n\n'));
  }
  return sections.join('\n\n') + '\n';
}

/**
 * `tree` with `files` (tree paths → content) added or replaced. Snapshots never change, so the
 * overlay copies only the listings it touches; memoised values are not carried over.
 */
export function overlayTree(tree: OpenSpecTree, files: Record<string, string>, mtimeMs = Date.now()): OpenSpecTree {
  const base = tree.snapshot;
  const snapshot: TreeSnapshot = { ...base, dirs: { ...base.dirs }, files: { ...base.files }, links: { ...base.links } };
  const addEntry = (dir: string, name: string, kind: 'dir' | 'file'): void => {
    const listing = snapshot.dirs[dir]!;
    if (listing.entries.some((e) => e.name === name)) return;
    // Copy on write: the base snapshot's listing stays as it was.
    snapshot.dirs[dir] = { ...listing, entries: [...listing.entries, { name, kind }] };
  };
  addFiles(snapshot, files, mtimeMs, addEntry);
  return new OpenSpecTree(snapshot);
}

/** The delta file of a capability inside a change folder (a tree path). */
export const deltaSpecPath = (changeDir: string, capability: string): string => join(changeDir, 'specs', capability, 'spec.md');
