"use client";

import { plural } from "@/lib/format";
import { WORK_STATUSES, WORK_TYPES } from "@/lib/schemas/values";
import type { WorkStats, WorkStatus } from "@/lib/schemas/work";
import { useQuery, useTRPC } from "@/lib/trpc/react";
import { PageHeader } from "../shell/page-header";
import { useSelectedProject } from "../shell/selected-project";
import { EmptyState, ErrorState, ListSkeleton, Skeleton } from "../ui/ui";
import { WorkActivity } from "./work-activity";
import { WorkFilterBar } from "./work-filter-bar";
import { WorkList } from "./work-list";
import { useVisibleWorkItems } from "./use-visible-work";
import { WORK_STATUS_LABEL, WORK_TYPE_LABEL } from "./work-url-state";

export function WorkBoard() {
  const trpc = useTRPC();
  const { slug, nameOf } = useSelectedProject();
  const { list, visible } = useVisibleWorkItems(slug);
  const stats = useQuery(trpc.work.stats.queryOptions(slug ? { projectId: slug } : {}));

  return (
    <>
      <PageHeader
        section="All Work"
        sectionHref="/work"
        title="All Work"
        subtitle="Spec changes, test failures and sessions across projects, most urgent first. Press Ctrl+K to jump anywhere."
      />
      <WorkStatsBar stats={stats.data} isError={stats.isError} />
      <WorkFilterBar />
      <div className="grid grid-cols-[minmax(0,1fr)] gap-6 lg:grid-cols-[minmax(0,1fr)_20rem]">
        <div>
          {list.isPending ? (
            <ListSkeleton rows={6} label="Loading work" />
          ) : list.isError ? (
            <ErrorState title="Could not load work items" message={list.error.message} />
          ) : visible.length === 0 ? (
            <EmptyState title={list.data.length ? "No work matches these filters" : "Nothing to do yet"}>
              {list.data.length ? null : "Spec changes, failures from ingested test reports and sessions appear here."}
            </EmptyState>
          ) : (
            <>
              <p className="mb-2 text-xs text-zinc-500 dark:text-zinc-400" aria-live="polite">
                {visible.length === list.data.length
                  ? plural(visible.length, "item")
                  : `${visible.length} of ${plural(list.data.length, "item")}`}
              </p>
              <WorkList rows={visible} showProject={!slug} nameOf={nameOf} />
            </>
          )}
        </div>
        <WorkActivity />
      </div>
    </>
  );
}

const STATUS_TONE: Record<WorkStatus, string> = {
  needs_you: "text-violet-700 dark:text-violet-300",
  in_progress: "text-blue-700 dark:text-blue-300",
  failed: "text-red-700 dark:text-red-300",
  open: "text-amber-700 dark:text-amber-300",
  done: "text-emerald-700 dark:text-emerald-300",
  ignored: "text-zinc-500",
};

function WorkStatsBar({ stats, isError }: { stats: WorkStats | undefined; isError: boolean }) {
  if (isError) return null;
  if (!stats) return <Skeleton className="mb-4 h-14 w-full" />;
  return (
    <section aria-label="Work counts" className="mb-4 flex flex-wrap gap-3">
      <div className="rounded-lg border border-zinc-200 px-3 py-2 dark:border-zinc-800">
        <p className="text-xs text-zinc-500 dark:text-zinc-400">Total</p>
        <p className="text-lg font-semibold tabular-nums" data-testid="work-total">
          {stats.total}
        </p>
      </div>
      {WORK_STATUSES.map((s) => (
        <div key={s} className="rounded-lg border border-zinc-200 px-3 py-2 dark:border-zinc-800" data-testid={`work-count-${s}`}>
          <p className="text-xs text-zinc-500 dark:text-zinc-400">{WORK_STATUS_LABEL[s]}</p>
          <p className={`text-lg font-semibold tabular-nums ${STATUS_TONE[s]}`}>{stats.byStatus[s] ?? 0}</p>
        </div>
      ))}
      <div className="ml-auto self-end text-xs text-zinc-500 dark:text-zinc-400">
        {WORK_TYPES.map(
          (t) => `${stats.byType[t] ?? 0} ${WORK_TYPE_LABEL[t].toLowerCase()}${(stats.byType[t] ?? 0) === 1 ? "" : "s"}`,
        ).join(" · ")}
      </div>
    </section>
  );
}
