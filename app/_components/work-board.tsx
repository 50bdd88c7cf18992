"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import Fuse from "fuse.js";
import { useDeferredValue, useEffect, useId, useMemo, useRef } from "react";
import { localDay, plural } from "@/lib/format";
import { WorkStatusSchema, WorkTypeSchema, type WorkItem, type WorkStats, type WorkStatus, type WorkType } from "@/lib/schemas/work";
import { useTRPC } from "@/lib/trpc/react";
import { useMirror, useUrlFilters } from "./filter-bar";
import { PageHeader } from "./page-header";
import { useSelectedProject } from "./selected-project";
import { EmptyState, ErrorState, ListSkeleton, Skeleton } from "./ui";
import { WorkActivity } from "./work-activity";
import { WorkList } from "./work-list";
import { listAllInput, readWorkFilters, WORK_STATUS_LABEL, WORK_TYPE_LABEL, writeWorkFilters, type WorkFilters } from "./work-url-state";

/** Fuzzy, typo-tolerant; `ignoreLocation` so a word deep in a title still matches. */
const FUSE_OPTIONS = { threshold: 0.35, ignoreLocation: true, keys: [{ name: "title", weight: 2 }, "detail", "projectSlug", "key"] };

export function useWorkFilters() {
  return useUrlFilters<WorkFilters>(readWorkFilters, writeWorkFilters);
}

/**
 * The one live feed of All Work: spec, error, session and agent events invalidate the work
 * queries. Bursts (an ingest publishes several events) coalesce into one refetch.
 */
function useWorkLive(slug: string | null, since: number | undefined) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const lastEventId = useRef<string | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  // Resumes from the server-rendered counts' cursor, so a report posted while the stream connects is not missed.
  const input = useMemo(
    () => ({ ...(slug ? { projectId: slug } : {}), lastEventId: lastEventId.current ? Number(lastEventId.current) : (since ?? null) }),
    [slug, since === undefined], // eslint-disable-line react-hooks/exhaustive-deps
  );
  useEffect(() => () => void (timer.current && clearTimeout(timer.current)), []);
  useSubscription(
    trpc.work.subscribe.subscriptionOptions(input, {
      onData(envelope) {
        lastEventId.current = envelope.id;
        if (timer.current) return;
        timer.current = setTimeout(() => {
          timer.current = null;
          void queryClient.invalidateQueries(trpc.work.pathFilter());
        }, 150);
      },
    }),
  );
}

export function WorkBoard() {
  const trpc = useTRPC();
  const { slug, nameOf } = useSelectedProject();
  const [filters] = useWorkFilters();
  const list = useQuery(trpc.work.listAll.queryOptions(listAllInput(slug, filters)));
  const stats = useQuery(trpc.work.stats.queryOptions(slug ? { projectId: slug } : {}));
  useWorkLive(slug, stats.data?.lastEventId);
  const q = useDeferredValue(filters.q);
  const fuse = useMemo(() => (list.data ? new Fuse(list.data, FUSE_OPTIONS) : null), [list.data]);
  const visible = useMemo(() => {
    let rows: WorkItem[] = list.data ?? [];
    if (filters.from) rows = rows.filter((r) => localDay(r.updatedAt) >= filters.from!);
    if (filters.to) rows = rows.filter((r) => localDay(r.updatedAt) <= filters.to!);
    if (fuse && q.trim()) {
      const hits = new Set(fuse.search(q.trim()).map((r) => r.item));
      rows = rows.filter((r) => hits.has(r));
    }
    return rows;
  }, [list.data, filters.from, filters.to, fuse, q]);

  return (
    <>
      <PageHeader section="All Work" sectionHref="/work" title="All Work" subtitle="Spec changes, test failures and sessions across projects, most urgent first. Press Ctrl+K to jump anywhere." />
      <WorkStatsBar stats={stats.data} isError={stats.isError} />
      <WorkFilterBar />
      <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_20rem]">
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
                {visible.length === list.data.length ? plural(visible.length, "item") : `${visible.length} of ${plural(list.data.length, "item")}`}
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
        <p className="text-lg font-semibold tabular-nums" data-testid="work-total">{stats.total}</p>
      </div>
      {WorkStatusSchema.options.map((s) => (
        <div key={s} className="rounded-lg border border-zinc-200 px-3 py-2 dark:border-zinc-800" data-testid={`work-count-${s}`}>
          <p className="text-xs text-zinc-500 dark:text-zinc-400">{WORK_STATUS_LABEL[s]}</p>
          <p className={`text-lg font-semibold tabular-nums ${STATUS_TONE[s]}`}>{stats.byStatus[s] ?? 0}</p>
        </div>
      ))}
      <div className="ml-auto self-end text-xs text-zinc-500 dark:text-zinc-400">
        {WorkTypeSchema.options.map((t) => `${stats.byType[t] ?? 0} ${WORK_TYPE_LABEL[t].toLowerCase()}${(stats.byType[t] ?? 0) === 1 ? "" : "s"}`).join(" · ")}
      </div>
    </section>
  );
}

function Toggle<T extends string>({ legend, options, labels, value, onChange }: { legend: string; options: readonly T[]; labels: Record<T, string>; value: T[]; onChange(next: T[]): void }) {
  return (
    <fieldset className="flex flex-col gap-1">
      <legend className="mb-1 text-xs font-medium text-zinc-500 dark:text-zinc-400">{legend}</legend>
      <div className="flex flex-wrap items-center gap-1">
        {options.map((o) => {
          const checked = value.includes(o);
          return (
            <label key={o} className={`flex h-7 cursor-pointer select-none items-center gap-1.5 rounded-md border px-2 text-sm ${checked ? "border-zinc-400 bg-white dark:border-zinc-500 dark:bg-zinc-900" : "border-zinc-300 bg-white text-zinc-600 dark:border-zinc-700 dark:bg-zinc-950 dark:text-zinc-400"}`}>
              <input type="checkbox" className="size-3.5" checked={checked} onChange={() => onChange(checked ? value.filter((v) => v !== o) : options.filter((x) => x === o || value.includes(x)))} />
              {labels[o]}
            </label>
          );
        })}
      </div>
    </fieldset>
  );
}

function WorkFilterBar() {
  const [filters, update] = useWorkFilters();
  const id = useId();
  const [text, setText] = useMirror(filters.q, filters.q);
  const [status, setStatus] = useMirror(filters.status, filters.status.join(","));
  const [type, setType] = useMirror<WorkType[]>(filters.type, filters.type.join(","));
  const [from, setFrom] = useMirror(filters.from, filters.from ?? "");
  const [to, setTo] = useMirror(filters.to, filters.to ?? "");
  const active = status.length > 0 || type.length > 0 || from || to || text;
  const input = "h-8 rounded-md border border-zinc-300 bg-white px-2 text-sm dark:border-zinc-700 dark:bg-zinc-950";
  return (
    <div role="search" aria-label="Filters" className="mb-4 flex flex-wrap items-end gap-x-5 gap-y-3 rounded-lg border border-zinc-200 bg-zinc-50/60 px-3 py-2.5 dark:border-zinc-800 dark:bg-zinc-900/40">
      <div className="flex min-w-56 flex-1 flex-col gap-1">
        <label htmlFor={`${id}-q`} className="text-xs font-medium text-zinc-500 dark:text-zinc-400">
          Search
        </label>
        <input
          id={`${id}-q`}
          type="search"
          value={text}
          placeholder="Title, project, status…"
          onChange={(e) => {
            setText(e.target.value);
            update({ q: e.target.value }, "replace");
          }}
          className={`${input} px-2.5`}
        />
      </div>
      <Toggle legend="Type" options={WorkTypeSchema.options} labels={WORK_TYPE_LABEL} value={type} onChange={(next) => (setType(next), update({ type: next }))} />
      <Toggle legend="Status" options={WorkStatusSchema.options} labels={WORK_STATUS_LABEL} value={status} onChange={(next) => (setStatus(next), update({ status: next }))} />
      <div className="flex flex-col gap-1">
        <label htmlFor={`${id}-from`} className="text-xs font-medium text-zinc-500 dark:text-zinc-400">
          Updated from
        </label>
        <input id={`${id}-from`} type="date" value={from ?? ""} max={to ?? undefined} onChange={(e) => (setFrom(e.target.value || null), update({ from: e.target.value || null }))} className={input} />
      </div>
      <div className="flex flex-col gap-1">
        <label htmlFor={`${id}-to`} className="text-xs font-medium text-zinc-500 dark:text-zinc-400">
          Updated to
        </label>
        <input id={`${id}-to`} type="date" value={to ?? ""} min={from ?? undefined} onChange={(e) => (setTo(e.target.value || null), update({ to: e.target.value || null }))} className={input} />
      </div>
      {active ? (
        <button
          type="button"
          onClick={() => {
            setText("");
            setStatus([]);
            setType([]);
            setFrom(null);
            setTo(null);
            update({ status: [], type: [], from: null, to: null, q: "" });
          }}
          className="h-8 rounded-md px-2 text-sm text-zinc-600 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800"
        >
          Clear filters
        </button>
      ) : null}
    </div>
  );
}
