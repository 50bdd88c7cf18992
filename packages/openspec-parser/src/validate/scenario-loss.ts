/** The scenario-loss check shared by validation (ERROR) and archive (refusal). */
import { blockParts, type RequirementBlock } from '../markdown/requirements';

const q = (s: string) => `"${s}"`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** What a MODIFIED block would drop from the current main spec block, in the CLI's words. */
export function scenarioLoss(current: RequirementBlock, incoming: RequirementBlock): { missing: string[]; text: string } | null {
  const had = blockParts(current).scenarios.map((s) => s.name);
  const has = blockParts(incoming).scenarios.map((s) => s.name);
  const missing = had.filter((n) => !has.includes(n));
  if (missing.length === 0) return null;
  const added = has.filter((n) => !had.includes(n));
  const adds =
    added.length === 0
      ? 'It adds none.'
      : `It adds ${plural(added.length, 'scenario')} not in the current spec: ${added.map(q).join(', ')}.`;
  return {
    missing,
    text: `The modified block has ${plural(has.length, 'scenario')}; the current spec has ${plural(had.length, 'scenario')}. ${adds}`,
  };
}
