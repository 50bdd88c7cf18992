"use client";

import { useId, useState } from "react";
import type { Decision, FailureDetail } from "@/lib/schemas/errors";
import { useQueryClient, useTRPC } from "@/lib/trpc/react";
import { useMutation } from "@/lib/trpc/use-mutation";
import { DECISION_LABEL, DecisionBadge } from "./errors-badges";
import { Button, ErrorState } from "../ui/ui";
import { priorityWord } from "@/lib/format";

const CHOICES: { value: Exclude<Decision, "pending">; hint: string }[] = [
  { value: "needs_spec", hint: "The behaviour is unspecified or unbuilt: write an OpenSpec proposal." },
  { value: "one_off_fix", hint: "A bug or a broken test: fix it once." },
  { value: "ignore", hint: "Not worth acting on (known, environmental, obsolete)." },
];

const INPUT =
  "block w-full rounded-md border border-zinc-300 bg-white px-2.5 py-1.5 text-sm aria-[invalid=true]:border-red-500 dark:border-zinc-700 dark:bg-zinc-950";

/**
 * Accept the engine's suggestion in one click, or pick another decision.
 * Going against the suggestion needs a reason (the server enforces it too):
 * the reason is what makes the agreement rate worth reading.
 */
export function FailureTriage({ failure }: { failure: FailureDetail }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [choice, setChoice] = useState<Exclude<Decision, "pending">>(
    failure.decision === "pending" ? failure.suggestedDecision : failure.decision,
  );
  const [reason, setReason] = useState("");
  const [priority, setPriority] = useState(failure.priority);
  const [reasonError, setReasonError] = useState<string | null>(null);
  const triage = useMutation(
    trpc.errors.triageFailure.mutationOptions({
      onSuccess() {
        setReason("");
        return queryClient.invalidateQueries(trpc.errors.pathFilter());
      },
    }),
  );

  const against = choice !== failure.suggestedDecision;
  const reviewed = failure.reviewedByHuman && failure.decision !== "pending";

  function save(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (against && !reason.trim()) {
      setReasonError(`Say why you decide ${DECISION_LABEL[choice]} against the suggested ${DECISION_LABEL[failure.suggestedDecision]}.`);
      document.getElementById(`${id}-reason`)?.focus();
      return;
    }
    setReasonError(null);
    triage.mutate({ failureId: failure.id, decision: choice, rationale: reason.trim() || undefined, priority });
  }

  return (
    <section aria-labelledby={`${id}-heading`} className="space-y-3 rounded-lg border border-zinc-200 p-4 dark:border-zinc-800">
      <h2 id={`${id}-heading`} className="text-sm font-semibold">
        Triage
      </h2>
      <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-3 gap-y-1.5 break-words text-sm" aria-label="Decision">
        <dt className="text-zinc-500 dark:text-zinc-400">Suggested</dt>
        <dd data-testid="suggested-decision">
          <span className="font-medium">{DECISION_LABEL[failure.suggestedDecision]}</span>
          <span className="ml-1.5 text-xs text-zinc-500">priority {priorityWord(failure.suggestedPriority).toLowerCase()}</span>
        </dd>
        <dt className="text-zinc-500 dark:text-zinc-400">Decision</dt>
        <dd data-testid="human-decision">
          {reviewed ? (
            <>
              <span className="font-medium">{DECISION_LABEL[failure.decision]}</span>
              <span className="ml-1.5 text-xs text-zinc-500">by a person · priority {priorityWord(failure.priority).toLowerCase()}</span>
            </>
          ) : (
            <DecisionBadge decision={failure.decision} suggested={failure.suggestedDecision} />
          )}
        </dd>
        {failure.overriddenSuggestion ? (
          <>
            <dt className="text-zinc-500 dark:text-zinc-400">Overrode</dt>
            <dd data-testid="overridden-suggestion">
              suggestion <span className="font-medium">{DECISION_LABEL[failure.overriddenSuggestion]}</span>
            </dd>
          </>
        ) : null}
        {failure.humanRationale ? (
          <>
            <dt className="text-zinc-500 dark:text-zinc-400">Reason</dt>
            <dd className="break-words" data-testid="human-rationale">
              {failure.humanRationale}
            </dd>
          </>
        ) : null}
      </dl>

      {failure.decision === "pending" ? (
        <Button
          variant="primary"
          disabled={triage.isPending}
          onClick={() => triage.mutate({ failureId: failure.id, decision: failure.suggestedDecision, priority: failure.suggestedPriority })}
        >
          Accept suggestion
        </Button>
      ) : null}

      <form
        onSubmit={save}
        noValidate
        className="space-y-3 border-t border-zinc-100 pt-3 dark:border-zinc-800"
        aria-label="Choose a decision"
      >
        <fieldset>
          <legend className="mb-1.5 text-xs font-medium text-zinc-500 dark:text-zinc-400">
            {failure.decision === "pending" ? "Or decide otherwise" : "Change the decision"}
          </legend>
          <div className="space-y-1">
            {CHOICES.map((c) => (
              <label key={c.value} className="flex cursor-pointer items-start gap-2 text-sm">
                <input
                  type="radio"
                  name={`${id}-decision`}
                  value={c.value}
                  checked={choice === c.value}
                  onChange={() => setChoice(c.value)}
                  className="mt-1 accent-zinc-900 dark:accent-zinc-100"
                />
                <span>
                  <span className="font-medium">{DECISION_LABEL[c.value]}</span>
                  {c.value === failure.suggestedDecision ? <span className="ml-1.5 text-xs text-zinc-500">(suggested)</span> : null}
                  <span className="block text-xs text-zinc-500 dark:text-zinc-400">{c.hint}</span>
                </span>
              </label>
            ))}
          </div>
        </fieldset>
        <div className="space-y-1">
          <label htmlFor={`${id}-reason`} className="block text-sm font-medium">
            Reason{against ? "" : " (optional)"}
          </label>
          <textarea
            id={`${id}-reason`}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            rows={3}
            required={against}
            aria-invalid={reasonError ? true : undefined}
            aria-describedby={reasonError ? `${id}-reason-error` : undefined}
            className={INPUT}
          />
          {reasonError ? (
            <p id={`${id}-reason-error`} className="text-xs text-red-600 dark:text-red-400">
              {reasonError}
            </p>
          ) : null}
        </div>
        <div className="flex items-end gap-3">
          <div className="space-y-1">
            <label htmlFor={`${id}-priority`} className="block text-sm font-medium">
              Priority
            </label>
            <select
              id={`${id}-priority`}
              value={priority}
              onChange={(e) => setPriority(Number(e.target.value))}
              className={`${INPUT} w-28`}
            >
              {[5, 4, 3, 2, 1].map((p) => (
                <option key={p} value={p}>
                  {priorityWord(p)}
                </option>
              ))}
            </select>
          </div>
          <Button type="submit" disabled={triage.isPending}>
            {triage.isPending ? "Saving…" : "Save decision"}
          </Button>
        </div>
        {triage.isError ? <ErrorState title="Could not save the decision" message={triage.error.message} /> : null}
      </form>
    </section>
  );
}
