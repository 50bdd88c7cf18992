// Behaviour follows @fission-ai/openspec 1.13.2 (MIT), dist/core/parsers/requirement-text.js
import { buildCodeFenceMask } from './code-fence';

export { buildCodeFenceMask } from './code-fence';

/** `**ID**: ...` style metadata lines: skipped in a body unless nothing else remains. */
const METADATA_LINE = /^\*\*[^*]+\*\*:/;
const HEADER_LINE = /^#{1,6}\s/;

/** ANY level-4 header counts as a scenario header (not only `#### Scenario:`), on every path. */
export const SCENARIO_HEADER = /^####\s+/;
const SCENARIO_BODY_END = /^#{1,4}\s/;

/** A header with an empty body is not a scenario (spec path and delta path agree). */
export function hasScenarioBody(body: string): boolean {
  return body.trim().length > 0;
}

/** Whole-word, case-sensitive SHALL/MUST. */
export function containsShallOrMust(text: string): boolean {
  return /\b(SHALL|MUST)\b/.test(text);
}

/**
 * Requirement body = non-blank, non-fenced lines up to the first header, trimmed and joined by `\n`.
 * `**Key**: value` lines are dropped unless they are all there is.
 */
export function extractRequirementBody(bodyLines: readonly string[]): string {
  const mask = buildCodeFenceMask(bodyLines);
  const captured: string[] = [];
  const metadata: string[] = [];
  for (let i = 0; i < bodyLines.length; i++) {
    if (mask[i]) continue;
    const line = bodyLines[i];
    if (HEADER_LINE.test(line)) break;
    const trimmed = line.trim();
    if (trimmed.length === 0) continue;
    if (METADATA_LINE.test(trimmed)) {
      metadata.push(trimmed);
      continue;
    }
    captured.push(trimmed);
  }
  if (captured.length > 0) return captured.join('\n');
  return metadata.join('\n');
}

/** Display text: the body, or the header title (e.g. `Requirement: X`) when the body is empty. */
export function extractRequirementText(headerTitle: string, bodyLines: readonly string[]): string {
  return extractRequirementBody(bodyLines) || headerTitle.trim();
}

export function countScenarios(bodyLines: readonly string[]): number {
  return readScenarioBodies(bodyLines).filter(hasScenarioBody).length;
}

export function countEmptyScenarios(bodyLines: readonly string[]): number {
  return readScenarioBodies(bodyLines).filter((body) => !hasScenarioBody(body)).length;
}

function readScenarioBodies(bodyLines: readonly string[]): string[] {
  const mask = buildCodeFenceMask(bodyLines);
  const bodies: string[] = [];
  for (let i = 0; i < bodyLines.length; i++) {
    if (mask[i] || !SCENARIO_HEADER.test(bodyLines[i])) continue;
    let end = i + 1;
    while (end < bodyLines.length && (mask[end] || !SCENARIO_BODY_END.test(bodyLines[end]))) end++;
    bodies.push(bodyLines.slice(i + 1, end).join('\n'));
  }
  return bodies;
}
