"use client";

import { useState } from "react";
import Link from "@/app/_components/ui/link";
import { ACTIVITY_KINDS } from "@/lib/schemas/values";
import { useQuery, useTRPC } from "@/lib/trpc/react";
import { RelativeTime } from "../ui/relative-time";
import { useSelectedProject } from "../shell/selected-project";
import { Button, Skeleton } from "../ui/ui";
import { useWorkFilters } from "./use-work-filters";
import { ACTIVITY_LABEL, activityInput } from "./work-url-state";

/** The timeline beside the list, read from the events table, filterable by event type (in the URL). */
export function WorkActivity() {
  const trpc = useTRPC();
  const { slug } = useSelectedProject();
  const [filters, update] = useWorkFilters();
  const kinds = filters.activity;
  // One growing query rather than pages: live invalidation refetches a single list.
  const [limit, setLimit] = useState(50);
  const query = useQuery(trpc.work.activity.queryOptions({ ...activityInput(slug, kinds), limit }));
  const items = query.data ?? [];
  return (
    <aside aria-label="Activity" className="space-y-3">
      <h2 className="text-xs font-semibold uppercase tracking-wide text-zinc-500 dark:text-zinc-400">Activity</h2>
      <div role="group" aria-label="Activity types" className="flex flex-wrap gap-1">
        {ACTIVITY_KINDS.map((k) => {
          const on = kinds.includes(k);
          return (
            <button
              key={k}
              type="button"
              aria-pressed={on}
              onClick={() => update({ activity: on ? kinds.filter((x) => x !== k) : [...kinds, k] })}
              className={`rounded-full border px-2 py-0.5 text-[11px] ${on ? "border-zinc-500 bg-zinc-900 text-white dark:bg-zinc-100 dark:text-zinc-900" : "border-zinc-300 text-zinc-600 dark:border-zinc-700 dark:text-zinc-400"}`}
            >
              {ACTIVITY_LABEL[k]}
            </button>
          );
        })}
      </div>
      {query.isPending ? (
        <Skeleton className="h-40 w-full" />
      ) : items.length === 0 ? (
        <p className="text-sm text-zinc-500 dark:text-zinc-400">No activity yet.</p>
      ) : (
        <ol className="space-y-2 border-l border-zinc-200 pl-3 dark:border-zinc-800" data-testid="activity">
          {items.map((a) => (
            <li key={a.id} className="text-sm" data-kind={a.kind}>
              <p>
                {a.href ? (
                  <Link href={a.href} className="hover:underline">
                    {a.text}
                  </Link>
                ) : (
                  a.text
                )}
              </p>
              <p className="text-xs text-zinc-500 dark:text-zinc-400">
                {ACTIVITY_LABEL[a.kind]} · {a.projectSlug ?? "all"} · <RelativeTime value={new Date(a.at).toISOString()} />
              </p>
            </li>
          ))}
        </ol>
      )}
      {items.length === limit && limit < 200 ? (
        <Button onClick={() => setLimit((n) => Math.min(200, n + 50))} disabled={query.isFetching}>
          Older activity
        </Button>
      ) : null}
    </aside>
  );
}
