"use client";

import { useId, useState } from "react";
import { plural, statusWord } from "@/lib/format";
import type { Decision } from "@/lib/schemas/errors";
import { useQueryClient, useTRPC, useTRPCClient } from "@/lib/trpc/react";
import { Button, ErrorState } from "../ui/ui";
import type { FailureCluster } from "./cluster-model";

const DECISIONS: Decision[] = ["needs_spec", "one_off_fix", "ignore"];

/** One decision for every group of the selected rows (a row's triage is its groups' triage). */
export function BulkTriage({ clusters, onDone }: { clusters: FailureCluster[]; onDone(): void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [decision, setDecision] = useState<Decision>("needs_spec");
  const [rationale, setRationale] = useState("");
  const groups = clusters.flatMap((c) => c.groups);
  const client = useTRPCClient();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  async function apply() {
    setPending(true);
    setError(null);
    const failures: string[] = [];
    for (const g of groups) {
      try {
        await client.errors.triageFailure.mutate({ failureId: g.id, decision, rationale: rationale.trim() || undefined });
      } catch (e) {
        failures.push(`#${g.id}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    await queryClient.invalidateQueries({ queryKey: trpc.errors.listFailures.queryKey() });
    await queryClient.invalidateQueries({ queryKey: trpc.errors.stats.queryKey() });
    setPending(false);
    if (failures.length) setError(failures.slice(0, 3).join("; "));
    else onDone();
  }
  return (
    <section
      aria-label="Triage selected"
      className="flex flex-wrap items-end gap-2 rounded-lg border border-blue-300 bg-blue-50 p-3 text-sm dark:border-blue-800 dark:bg-blue-950"
    >
      <p className="w-full font-medium">
        {plural(clusters.length, "test")} selected ({plural(groups.length, "group")})
      </p>
      <div className="space-y-1">
        <label htmlFor={`${id}-d`} className="block text-xs font-medium">
          Decision
        </label>
        <select
          id={`${id}-d`}
          value={decision}
          onChange={(e) => setDecision(e.target.value as Decision)}
          className="rounded-md border border-zinc-300 bg-white px-2 py-1 dark:border-zinc-700 dark:bg-zinc-950"
        >
          {DECISIONS.map((d) => (
            <option key={d} value={d}>
              {statusWord(d)}
            </option>
          ))}
        </select>
      </div>
      <div className="min-w-0 flex-1 space-y-1">
        <label htmlFor={`${id}-r`} className="block text-xs font-medium">
          Why (needed when it goes against the suggestion)
        </label>
        <input
          id={`${id}-r`}
          value={rationale}
          onChange={(e) => setRationale(e.target.value)}
          className="block w-full rounded-md border border-zinc-300 bg-white px-2 py-1 dark:border-zinc-700 dark:bg-zinc-950"
        />
      </div>
      <Button variant="primary" disabled={pending} onClick={apply}>
        {pending ? "Applying…" : "Apply to selected"}
      </Button>
      <Button variant="ghost" onClick={onDone}>
        Clear selection
      </Button>
      {error ? <ErrorState title="Some groups were not triaged" message={error} /> : null}
    </section>
  );
}
