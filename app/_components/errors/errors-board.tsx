"use client";

import type Fuse from "fuse.js";
import { lazy, Suspense, useDeferredValue, useMemo } from "react";
import { localDay, plural } from "@/lib/format";
import type { ErrorStats, FailureGroup } from "@/lib/schemas/errors";
import { useQuery, useTRPC } from "@/lib/trpc/react";
import { DECISION_LABEL, PATTERN_LABEL } from "./errors-badges";
import { ErrorsFilterBar, useErrorsFilters } from "./errors-filter-bar";
import Link from "@/app/_components/ui/link";
import { usePathname, useSearchParams } from "next/navigation";
import { ErrorsClusters } from "../errors-clusters/errors-clusters";
import { listFailuresInput, statsInput, type ErrorsFilters } from "./errors-url-state";
import { PageHeader } from "../shell/page-header";
import { useSelectedProject } from "../shell/selected-project";
import { EmptyState, ErrorState, ListSkeleton, Skeleton } from "../ui/ui";
import { useFuse } from "../ui/use-fuse";

// The per-project groups view (?view=groups) and its virtualised table load only when shown: the
// default view is the clusters list.
const ErrorsTable = lazy(() => import("./errors-table").then((m) => ({ default: m.ErrorsTable })));

/** Fuzzy, typo-tolerant; `ignoreLocation` so a word deep in a title path still matches. */
const FUSE_OPTIONS = { threshold: 0.35, ignoreLocation: true, includeScore: false } as const;

type Searchable = { row: FailureGroup; title: string; message: string };

function applyClientFilters(
  rows: FailureGroup[],
  filters: Pick<ErrorsFilters, "from" | "to">,
  fuse: Fuse<Searchable> | null,
  q: string,
): FailureGroup[] {
  let list = rows;
  if (filters.from) list = list.filter((r) => localDay(r.lastSeen.at) >= filters.from!);
  if (filters.to) list = list.filter((r) => localDay(r.lastSeen.at) <= filters.to!);
  if (fuse && q.trim()) {
    const hits = new Set(fuse.search(q.trim()).map((r) => r.item.row));
    list = list.filter((r) => hits.has(r));
  }
  return list;
}

export function ErrorsBoard() {
  const trpc = useTRPC();
  const { slug, nameOf } = useSelectedProject();
  const [filters] = useErrorsFilters();
  const list = useQuery(trpc.errors.listFailures.queryOptions(listFailuresInput(slug, filters)));
  const groupsView = useSearchParams().get("view") === "groups";
  const stats = useQuery(trpc.errors.stats.queryOptions(statsInput(slug)));

  // Matching thousands of rows on every key press would make typing lag; React renders the old list until it catches up.
  const q = useDeferredValue(filters.q);
  const Fuse = useFuse(Boolean(filters.q.trim()));
  const fuse = useMemo(() => {
    if (!list.data || !Fuse) return null;
    const docs: Searchable[] = list.data.map((row) => ({ row, title: row.titlePath.join(" "), message: row.lastMessage.slice(0, 200) }));
    return new Fuse(docs, { ...FUSE_OPTIONS, keys: [{ name: "title", weight: 2 }, "row.file", "row.projectName", "message"] });
  }, [list.data, Fuse]);
  const { from, to } = filters;
  const visible = useMemo(() => (list.data ? applyClientFilters(list.data, { from, to }, fuse, q) : []), [list.data, from, to, fuse, q]);

  const filtering =
    filters.pattern.length + filters.decision.length + filters.status.length > 0 || Boolean(filters.from || filters.to || filters.q.trim());
  const nothingYet = stats.data?.total === 0 || (!filtering && list.data?.length === 0);

  return (
    <>
      <PageHeader
        section="Errors"
        sectionHref="/errors"
        title="Errors"
        subtitle="Playwright failures grouped across runs, classified by the triage rules, reviewed by you."
      />
      <StatsBar stats={stats.data} isError={stats.isError} />
      {nothingYet ? (
        <HowToSendReports slug={slug} />
      ) : (
        <>
          <ErrorsFilterBar />
          {list.isPending ? (
            <ListSkeleton rows={6} label="Loading failures" />
          ) : list.isError ? (
            <ErrorState title="Could not load failures" message={list.error.message} />
          ) : visible.length === 0 ? (
            <EmptyState title="No failures match these filters" />
          ) : (
            <>
              <p className="mb-2 text-xs text-zinc-500 dark:text-zinc-400" aria-live="polite">
                {visible.length === list.data.length
                  ? plural(visible.length, "failure group")
                  : `${visible.length} of ${plural(list.data.length, "failure group")}`}
              </p>
              <ViewSwitch groups={groupsView} />
              {/* One row per test across Playwright projects (issue 13); ?view=groups keeps the API's groups, one per project. */}
              {groupsView ? (
                <Suspense fallback={<ListSkeleton rows={6} label="Loading failures" />}>
                  <ErrorsTable rows={visible} showProject={!slug} nameOf={nameOf} />
                </Suspense>
              ) : (
                <ErrorsClusters rows={visible} showProject={!slug} nameOf={nameOf} />
              )}
            </>
          )}
        </>
      )}
    </>
  );
}

function StatsBar({ stats, isError }: { stats: ErrorStats | undefined; isError: boolean }) {
  if (isError) return null;
  if (!stats) return <Skeleton className="mb-4 h-14 w-full" />;
  const rate = stats.agreementRate === null ? "—" : `${Math.round(stats.agreementRate * 100)}%`;
  return (
    <section aria-label="Failure counts" className="mb-4 grid gap-3 sm:grid-cols-3">
      <StatGroup
        title="By pattern"
        items={(["new", "flaky", "recurring", "persistent"] as const).map((p) => [PATTERN_LABEL[p], stats.byPattern[p] ?? 0])}
      />
      <StatGroup
        title="By decision"
        items={(["pending", "needs_spec", "one_off_fix", "ignore"] as const).map((d) => [DECISION_LABEL[d], stats.byDecision[d] ?? 0])}
      />
      <div className="rounded-lg border border-zinc-200 px-3 py-2 text-sm dark:border-zinc-800">
        <h2 className="text-xs font-medium text-zinc-500 dark:text-zinc-400">Agreement with the rules</h2>
        <p className="mt-1 flex items-baseline gap-1.5">
          <span className="font-semibold tabular-nums" data-testid="agreement-rate">
            {rate}
          </span>
          <span className="text-xs text-zinc-500 dark:text-zinc-400">
            {stats.reviewed ? `${stats.agreed} of ${plural(stats.reviewed, "reviewed group")}` : "nothing reviewed yet"} ·{" "}
            {plural(stats.total, "group")}
          </span>
        </p>
      </div>
    </section>
  );
}

function StatGroup({ title, items }: { title: string; items: [label: string, count: number][] }) {
  return (
    <div className="rounded-lg border border-zinc-200 px-3 py-2 text-sm dark:border-zinc-800">
      <h2 className="text-xs font-medium text-zinc-500 dark:text-zinc-400">{title}</h2>
      <dl className="mt-1 flex flex-wrap gap-x-4 gap-y-1">
        {items.map(([label, count]) => (
          <div key={label} className="flex flex-row-reverse items-baseline gap-1">
            <dt className="text-xs text-zinc-500 dark:text-zinc-400">{label}</dt>
            <dd className="font-semibold tabular-nums">{count}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

/** The empty state is the setup guide: the three ways a report gets here. */
function HowToSendReports({ slug }: { slug: string | null }) {
  const project = slug ?? "<slug>";
  const code = "rounded bg-zinc-100 px-1.5 py-0.5 font-mono text-xs text-zinc-800 dark:bg-zinc-800 dark:text-zinc-200";
  return (
    <EmptyState title="No test failures yet">
      <p className="mb-3">
        Send a Playwright JSON report (<span className="font-mono">--reporter=json</span>) in any of these ways; failures appear here live.
      </p>
      <ul className="mx-auto max-w-xl space-y-2 text-left">
        <li>
          From CI or a terminal: <code className={code}>workdeck ingest report.json --project {project}</code>
        </li>
        <li>
          Over HTTP: <code className={code}>POST /api/reports?project={project}</code> with the report as the body
        </li>
        <li>
          From Playwright itself: <code className={code}>{`reporter: [['workdeck/reporter', { url, project: '${project}' }]]`}</code>
        </li>
      </ul>
    </EmptyState>
  );
}

/** Tests (clustered, the default) or the API's groups, one per Playwright project; in the URL. */
function ViewSwitch({ groups }: { groups: boolean }) {
  const pathname = usePathname();
  const params = useSearchParams();
  const href = (view: string | null) => {
    const next = new URLSearchParams(params.toString());
    if (view) next.set("view", view);
    else next.delete("view");
    const q = next.toString();
    return q ? `${pathname}?${q}` : pathname;
  };
  const tab = "rounded-md px-2.5 py-1 text-xs aria-[current=page]:bg-zinc-200 dark:aria-[current=page]:bg-zinc-800";
  return (
    <nav aria-label="Errors view" className="mb-2 flex gap-1">
      <Link href={href(null)} aria-current={groups ? undefined : "page"} className={tab}>
        By test
      </Link>
      <Link href={href("groups")} aria-current={groups ? "page" : undefined} className={tab}>
        By Playwright project
      </Link>
    </nav>
  );
}
