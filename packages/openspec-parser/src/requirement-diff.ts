// Behaviour follows @fission-ai/openspec 1.13.2 (MIT), dist/utils/requirement-diff.js
// Uses the same `diff` (jsdiff) package as the CLI: an exact unified-diff match needs its algorithm.
import { formatPatch, OMIT_HEADERS, structuredPatch } from 'diff';
import { extractRequirementsSection, foldRequirementName, normalizeRequirementName, type RenamePair } from './parsers/requirement-blocks';

/** A requirement block by name: exact match first, else the case/space fold (flagged inexact). */
export function extractRequirementBlock(specContent: string, requirementName: string): { raw: string; name: string; exact: boolean } | null {
  const parts = extractRequirementsSection(specContent);
  const targetName = normalizeRequirementName(requirementName);
  const foldedTarget = foldRequirementName(targetName);
  let folded: { raw: string; name: string; exact: boolean } | null = null;
  for (const block of parts.bodyBlocks) {
    const name = normalizeRequirementName(block.name);
    if (name === targetName) return { raw: block.raw, name, exact: true };
    if (!folded && foldRequirementName(name) === foldedTarget) folded = { raw: block.raw, name, exact: false };
  }
  return folded;
}

/** Unified diff (hunks only, no file headers) of a main-spec block against its delta block. */
export function diffRequirementBlock(baseBlock: string | null, deltaBlock: string, label: string): string {
  const ensureNewline = (s: string): string => (s.endsWith('\n') ? s : s + '\n');
  const patch = structuredPatch(label, label, ensureNewline(baseBlock ?? ''), ensureNewline(deltaBlock));
  return formatPatch(patch, OMIT_HEADERS).trimEnd();
}

/** Folded RENAMED TO name -> original main-spec name, following chains (A -> B -> C maps C to A). */
export function buildRenameMap(renames: readonly RenamePair[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const r of renames) {
    const from = foldRequirementName(r.from);
    const original = map.get(from) ?? normalizeRequirementName(r.from);
    map.delete(from);
    map.set(foldRequirementName(r.to), original);
  }
  return map;
}
