import type { Decision, FailureStatus, Pattern, SuggestedDecision } from "@/lib/schemas/errors";
import { priorityWord, statusWord } from "@/lib/format";
import { Badge } from "../ui/ui";

/**
 * Labels and tones for the triage vocabulary, shared by the list and the detail page. The words
 * come from the one status vocabulary (lib/format STATUS_WORDS), so the Errors tab says what All
 * Work and the board say.
 */

const words = <K extends string>(values: readonly K[]) => Object.fromEntries(values.map((v) => [v, statusWord(v)])) as Record<K, string>;

export const PATTERN_LABEL: Record<Pattern, string> = words(["new", "flaky", "recurring", "persistent"]);
const PATTERN_TONE = { new: "blue", flaky: "amber", recurring: "violet", persistent: "red" } as const;

export const DECISION_LABEL: Record<Decision, string> = words(["needs_spec", "one_off_fix", "ignore", "pending"]);
const DECISION_TONE = { needs_spec: "violet", one_off_fix: "blue", ignore: "neutral", pending: "amber" } as const;

export const STATUS_LABEL: Record<FailureStatus, string> = words(["active", "inactive", "resolved"]);
const STATUS_TONE = { active: "red", inactive: "neutral", resolved: "green" } as const;

export function PatternBadge({ pattern }: { pattern: Pattern }) {
  return <Badge tone={PATTERN_TONE[pattern]}>{PATTERN_LABEL[pattern]}</Badge>;
}

/** A pending decision shows what the engine suggests, so the list reads as a to-do. */
export function DecisionBadge({ decision, suggested }: { decision: Decision; suggested: SuggestedDecision }) {
  if (decision === "pending") {
    return (
      <Badge tone="amber" title="Pending: nobody has reviewed the suggestion yet">
        Suggested: {DECISION_LABEL[suggested]}
      </Badge>
    );
  }
  return <Badge tone={DECISION_TONE[decision]}>{DECISION_LABEL[decision]}</Badge>;
}

export function StatusBadge({ status }: { status: FailureStatus }) {
  return <Badge tone={STATUS_TONE[status]}>{STATUS_LABEL[status]}</Badge>;
}

/** 5 is the most urgent. */
export function PriorityBadge({ priority }: { priority: number }) {
  const tone = priority >= 5 ? "red" : priority >= 4 ? "amber" : "neutral";
  return (
    <Badge tone={tone} title={`Priority ${priority} of 5 (5 is the most urgent)`}>
      {priorityWord(priority)}
    </Badge>
  );
}
