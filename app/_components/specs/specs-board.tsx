"use client";

import Link from "@/app/_components/ui/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useMemo } from "react";
import { localDay, plural } from "@/lib/format";
import type { ChangeGroup, ChangeSummary, SpecSummary } from "@/lib/schemas/openspec";
import { useQuery, useTRPC } from "@/lib/trpc/react";
import { changeHref, listInput, PROJECT_PARAM, specHref, type SpecsFilters } from "@/lib/url-state";
import { FilterBar, useSpecsFilters } from "./filter-bar";
import { PageHeader } from "../shell/page-header";
import { ProgressBar } from "../ui/progress-bar";
import { RelativeTime } from "../ui/relative-time";
import { useSelectedProject } from "../shell/selected-project";
import { useFuse, type FuseClass } from "../ui/use-fuse";
import { Badge, Button, EmptyState, ErrorState, ListSkeleton, Notice, Section } from "../ui/ui";
import { InlineIssues, ValidationBadge } from "./validation";

const GROUPS: { group: ChangeGroup; title: string; empty: string }[] = [
  { group: "draft", title: "Draft", empty: "No drafts: every change has tasks." },
  { group: "active", title: "Active", empty: "Nothing in progress." },
  { group: "completed", title: "Completed", empty: "No change has all its tasks done yet." },
];

/** Fuzzy, typo-tolerant matching; `ignoreLocation` so a word deep in a title still matches. */
const FUSE_OPTIONS = { threshold: 0.4, ignoreLocation: true, includeScore: false } as const;

function matchChanges(changes: ChangeSummary[], filters: SpecsFilters, Fuse: FuseClass | null): ChangeSummary[] {
  let list = changes;
  if (filters.status.length) list = list.filter((c) => filters.status.includes(c.group));
  if (filters.from) list = list.filter((c) => localDay(c.lastModified) >= filters.from!);
  if (filters.to) list = list.filter((c) => localDay(c.lastModified) <= filters.to!);
  if (Fuse && filters.q.trim()) {
    const hits = new Set(new Fuse(list, { ...FUSE_OPTIONS, keys: ["id", "title"] }).search(filters.q.trim()).map((r) => r.item));
    list = list.filter((c) => hits.has(c));
  }
  return list;
}

function matchSpecs(specs: SpecSummary[], filters: SpecsFilters, Fuse: FuseClass | null): SpecSummary[] {
  if (!Fuse || !filters.q.trim()) return specs;
  const hits = new Set(new Fuse(specs, { ...FUSE_OPTIONS, keys: ["id"] }).search(filters.q.trim()).map((r) => r.item));
  return specs.filter((s) => hits.has(s));
}

export function SpecsBoard() {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const { slug, nameOf } = useSelectedProject();
  const [filters] = useSpecsFilters();
  const input = listInput(slug);
  const changes = useQuery(trpc.openspec.listChanges.queryOptions(input));
  const specs = useQuery(trpc.openspec.listSpecs.queryOptions(input));

  const Fuse = useFuse(Boolean(filters.q.trim()));
  const visibleChanges = useMemo(() => (changes.data ? matchChanges(changes.data, filters, Fuse) : []), [changes.data, filters, Fuse]);
  const visibleSpecs = useMemo(() => (specs.data ? matchSpecs(specs.data, filters, Fuse) : []), [specs.data, filters, Fuse]);
  const showProject = !slug;

  const archived = searchParams.get("archived");
  const archivedAs = searchParams.get("as");
  const dismissNotice = () => {
    const params = new URLSearchParams(searchParams.toString());
    params.delete("archived");
    params.delete("as");
    const q = params.toString();
    window.history.replaceState(null, "", `${pathname}${q ? `?${q}` : ""}`);
  };

  const filtering = filters.status.length > 0 || Boolean(filters.from || filters.to || filters.q.trim());
  const groups = GROUPS.filter((g) => !filters.status.length || filters.status.includes(g.group));

  return (
    <>
      <PageHeader
        section="Specs"
        sectionHref="/specs"
        title="Specs"
        subtitle="OpenSpec change proposals and specs, read from disk."
        actions={
          <Button variant="primary" onClick={() => router.push(`/specs/new${slug ? `?${PROJECT_PARAM}=${encodeURIComponent(slug)}` : ""}`)}>
            New proposal
          </Button>
        }
      />
      {archived ? (
        <Notice onDismiss={dismissNotice}>
          Archived <span className="font-mono">{archived}</span>
          {archivedAs ? (
            <>
              {" "}
              as <span className="font-mono">{archivedAs}</span>
            </>
          ) : null}
          . Its deltas were merged into the specs.
        </Notice>
      ) : null}
      <FilterBar />
      <div className="grid grid-cols-[minmax(0,1fr)] gap-8 xl:grid-cols-[minmax(0,1fr)_22rem]">
        <div className="space-y-8">
          {changes.isPending ? (
            <ListSkeleton rows={5} label="Loading changes" />
          ) : changes.isError ? (
            <ErrorState title="Could not load changes" message={changes.error.message} />
          ) : changes.data.length === 0 ? (
            <EmptyState title="No changes yet">Create one with “New proposal”, or add a folder under openspec/changes/.</EmptyState>
          ) : filtering && visibleChanges.length === 0 ? (
            <EmptyState title="No changes match these filters" />
          ) : (
            groups.map(({ group, title, empty }) => {
              const rows = visibleChanges.filter((c) => c.group === group);
              return (
                <Section key={group} id={`group-${group}`} title={title} count={rows.length}>
                  {rows.length ? (
                    <ul className="divide-y divide-zinc-100 rounded-lg border border-zinc-200 dark:divide-zinc-800 dark:border-zinc-800">
                      {rows.map((c) => (
                        <ChangeRow key={`${c.projectSlug}/${c.id}`} change={c} projectName={showProject ? nameOf(c.projectSlug) : null} />
                      ))}
                    </ul>
                  ) : (
                    <p className="px-1 text-sm text-zinc-500 dark:text-zinc-400">{filtering ? "None match." : empty}</p>
                  )}
                </Section>
              );
            })
          )}
        </div>
        <div>
          <Section id="specs" title="Specs" count={specs.data ? visibleSpecs.length : undefined}>
            {specs.isPending ? (
              <ListSkeleton rows={4} label="Loading specs" />
            ) : specs.isError ? (
              <ErrorState title="Could not load specs" message={specs.error.message} />
            ) : visibleSpecs.length === 0 ? (
              <EmptyState title={specs.data.length ? "No specs match" : "No specs yet"}>
                {specs.data.length ? null : "Specs appear when a change is archived into openspec/specs/."}
              </EmptyState>
            ) : (
              <ul className="divide-y divide-zinc-100 rounded-lg border border-zinc-200 dark:divide-zinc-800 dark:border-zinc-800">
                {visibleSpecs.map((s) => (
                  <SpecRow key={`${s.projectSlug}/${s.id}`} spec={s} projectName={showProject ? nameOf(s.projectSlug) : null} />
                ))}
              </ul>
            )}
          </Section>
        </div>
      </div>
    </>
  );
}

function ChangeRow({ change, projectName }: { change: ChangeSummary; projectName: string | null }) {
  const isDraft = change.group === "draft";
  return (
    <li className="px-4 py-3 hover:bg-zinc-50 dark:hover:bg-zinc-900/60" data-testid="change-row" data-change-id={change.id}>
      <div className="flex flex-wrap items-center gap-x-4 gap-y-1.5">
        <div className="min-w-0 flex-1">
          <div className="flex items-center gap-2">
            <Link href={changeHref(change.projectSlug, change.id)} className="truncate text-sm font-medium hover:underline">
              {change.title}
            </Link>
            {isDraft && !change.validation.valid ? (
              // A fresh proposal has no deltas yet; that is what a draft is, not a failure.
              <Badge tone="neutral" title="Drafts have no delta specs yet">
                draft
              </Badge>
            ) : (
              <ValidationBadge validation={change.validation} />
            )}
          </div>
          <div className="mt-0.5 flex items-center gap-2 text-xs text-zinc-500 dark:text-zinc-400">
            <span className="truncate font-mono">{change.id}</span>
            {change.nested?.length ? (
              <span>
                · groups {plural(change.nested.length, "nested change")}: {change.nested.join(", ")}
              </span>
            ) : null}
          </div>
        </div>
        {projectName ? <Badge>{projectName}</Badge> : null}
        <ProgressBar done={change.completedTasks} total={change.totalTasks} />
        <span className="w-24 text-right text-xs text-zinc-500 dark:text-zinc-400">
          <RelativeTime value={change.lastModified} />
        </span>
      </div>
      <InlineIssues issues={change.validation.issues} />
    </li>
  );
}

function SpecRow({ spec, projectName }: { spec: SpecSummary; projectName: string | null }) {
  return (
    <li className="px-4 py-2.5 hover:bg-zinc-50 dark:hover:bg-zinc-900/60" data-testid="spec-row" data-spec-id={spec.id}>
      {/* Two lines: the side column is narrow, and nested ids (area/capability) must stay readable. */}
      <div className="flex items-center gap-2">
        <Link href={specHref(spec.projectSlug, spec.id)} className="min-w-0 break-all font-mono text-sm hover:underline">
          {spec.id}
        </Link>
        <span className="ml-auto shrink-0">
          <ValidationBadge validation={spec.validation} />
        </span>
      </div>
      <div className="mt-1 flex items-center gap-2 text-xs text-zinc-500 dark:text-zinc-400">
        {projectName ? <Badge>{projectName}</Badge> : null}
        {plural(spec.requirementCount, "requirement")}
      </div>
      <InlineIssues issues={spec.validation.issues} />
    </li>
  );
}
