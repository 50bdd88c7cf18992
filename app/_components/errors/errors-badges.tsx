import type { Decision, FailureStatus, Pattern, SuggestedDecision } from "@/lib/schemas/errors";
import { priorityWord } from "@/lib/format";
import { Badge } from "../ui/ui";

/** Labels and tones for the triage vocabulary, shared by the list and the detail page. */

export const PATTERN_LABEL: Record<Pattern, string> = { new: "new", flaky: "flaky", recurring: "recurring", persistent: "persistent" };
const PATTERN_TONE = { new: "blue", flaky: "amber", recurring: "violet", persistent: "red" } as const;

export const DECISION_LABEL: Record<Decision, string> = {
  needs_spec: "needs spec",
  one_off_fix: "one-off fix",
  ignore: "ignore",
  pending: "pending",
};
const DECISION_TONE = { needs_spec: "violet", one_off_fix: "blue", ignore: "neutral", pending: "amber" } as const;

export const STATUS_LABEL: Record<FailureStatus, string> = { active: "active", inactive: "inactive", resolved: "resolved" };
const STATUS_TONE = { active: "red", inactive: "neutral", resolved: "green" } as const;

export function PatternBadge({ pattern }: { pattern: Pattern }) {
  return <Badge tone={PATTERN_TONE[pattern]}>{PATTERN_LABEL[pattern]}</Badge>;
}

/** A pending decision shows what the engine suggests, so the list reads as a to-do. */
export function DecisionBadge({ decision, suggested }: { decision: Decision; suggested: SuggestedDecision }) {
  if (decision === "pending") {
    return (
      <Badge tone="amber" title="Pending: nobody has reviewed the suggestion yet">
        suggested: {suggested}
      </Badge>
    );
  }
  return <Badge tone={DECISION_TONE[decision]}>{decision}</Badge>;
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
