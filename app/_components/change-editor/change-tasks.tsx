"use client";

import { useState } from "react";
import type { ChangeDetail } from "@/lib/schemas/openspec";
import { useQueryClient, useTRPC } from "@/lib/trpc/react";
import { useMutation } from "@/lib/trpc/use-mutation";
import { ProgressBar } from "../ui/progress-bar";
import { ErrorState } from "../ui/ui";

/**
 * Tasks of a change, tickable (issue 13 item 1): each box writes tasks.md through
 * openspec.setTaskDone (under the OpenSpec lock, by line and text, so a file edited meanwhile is a
 * conflict, not a wrong tick). The page follows the file: the change query is refetched after.
 */
export function ChangeTasks({ projectId, change }: { projectId: string; change: ChangeDetail }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [pendingLine, setPendingLine] = useState<number | null>(null);
  const tick = useMutation(
    trpc.openspec.setTaskDone.mutationOptions({
      onSettled: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.openspec.showChange.queryKey({ projectId, changeId: change.id }) });
        await queryClient.invalidateQueries({ queryKey: trpc.openspec.listChanges.queryKey() });
        setPendingLine(null);
      },
    }),
  );
  if (!change.tasks.length) return <p className="text-sm text-zinc-500 dark:text-zinc-400">No tasks.md yet: this change is a draft.</p>;
  return (
    <div className="space-y-3">
      <ProgressBar done={change.completedTasks} total={change.totalTasks} />
      {tick.error ? <ErrorState title="Could not update the task" message={tick.error.message} /> : null}
      <ul className="space-y-1.5" aria-label="Tasks">
        {change.tasks.map((t) => (
          <li key={t.line}>
            <label className="flex items-start gap-2 text-sm">
              <input
                type="checkbox"
                checked={pendingLine === t.line ? !t.done : t.done}
                disabled={pendingLine !== null}
                onChange={(e) => {
                  setPendingLine(t.line);
                  tick.mutate({ projectId, changeId: change.id, line: t.line, text: t.text, done: e.target.checked });
                }}
                className="mt-0.5 size-4 shrink-0 accent-emerald-600"
              />
              <span
                className={
                  t.done ? "text-zinc-500 line-through decoration-zinc-300 dark:text-zinc-500 dark:decoration-zinc-700" : undefined
                }
              >
                {t.text}
              </span>
            </label>
          </li>
        ))}
      </ul>
    </div>
  );
}
