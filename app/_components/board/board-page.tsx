"use client";

import dynamic from "next/dynamic";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { plural } from "@/lib/format";
import { WorkStatusSchema, WorkTypeSchema } from "@/lib/schemas/work";
import { ChipGroup, ClearFiltersButton, FilterPanel, SearchField, useFilterFields } from "../ui/filter-controls";
import { PageHeader } from "../shell/page-header";
import { useSelectedProject } from "../shell/selected-project";
import { EmptyState, ErrorState, ListSkeleton, Skeleton } from "../ui/ui";
import { useWorkFilters } from "../work/use-work-filters";
import { useVisibleWorkItems } from "../work/use-visible-work";
import { WORK_STATUS_LABEL, WORK_TYPE_LABEL } from "../work/work-url-state";
import { BoardColumns, type DragLayer } from "./board-columns";

// React Flow and dagre only load for the graph view.
const BoardGraph = dynamic(() => import("./board-graph"), { ssr: false, loading: () => <Skeleton className="h-[70vh] w-full" /> });

/** `/board` (issue 17): All Work's items by status in columns, or (`?view=graph`) their dependency graph. */
export function BoardPage() {
  const params = useSearchParams();
  const view = params.get("view") === "graph" ? "graph" : "columns";
  const { slug, nameOf } = useSelectedProject();
  const { list, visible } = useVisibleWorkItems(slug);

  // Dragging loads after the first paint; until then (and without a pointer) the keyboard path works.
  const [dnd, setDnd] = useState<DragLayer | null>(null);
  // The columns remount with the drag layer: a card that had the focus gets it back.
  const refocus = useRef<string | null>(null);
  useEffect(() => {
    if (view !== "columns") return;
    let live = true;
    void import("./board-dnd").then((m) => {
      if (!live) return;
      const active = document.activeElement;
      refocus.current = active instanceof HTMLElement && active.dataset.testid === "board-card" ? (active.dataset.key ?? null) : null;
      setDnd(() => m.dragLayer);
    });
    return () => {
      live = false;
    };
  }, [view]);
  useEffect(() => {
    if (!dnd || !refocus.current) return;
    document.querySelector<HTMLElement>(`[data-testid="board-card"][data-key="${CSS.escape(refocus.current)}"]`)?.focus();
    refocus.current = null;
  }, [dnd]);

  const viewHref = (v: "columns" | "graph") => {
    const next = new URLSearchParams(params);
    if (v === "graph") next.set("view", "graph");
    else next.delete("view");
    const s = next.toString();
    return s ? `/board?${s}` : "/board";
  };

  return (
    <>
      <PageHeader
        section="Board"
        sectionHref="/board"
        title="Board"
        subtitle="Work by status. Drag a card, or focus one and press Enter: each move does what it means (launch, triage, archive, stop)."
        actions={
          <nav aria-label="Board view" className="flex gap-1 text-sm">
            {(["columns", "graph"] as const).map((v) => (
              <Link
                key={v}
                href={viewHref(v)}
                aria-current={view === v ? "page" : undefined}
                className={`rounded-md px-2.5 py-1 ${view === v ? "bg-zinc-900 text-white dark:bg-zinc-100 dark:text-zinc-900" : "text-zinc-600 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800"}`}
              >
                {v === "columns" ? "Columns" : "Graph"}
              </Link>
            ))}
          </nav>
        }
      />
      <BoardFilterBar />
      {list.isPending ? (
        <ListSkeleton rows={6} label="Loading the board" />
      ) : list.isError ? (
        <ErrorState title="Could not load work items" message={list.error.message} />
      ) : visible.length === 0 ? (
        <EmptyState title={list.data.length ? "No work matches these filters" : "Nothing to do yet"} />
      ) : (
        <>
          <p className="mb-2 text-xs text-zinc-500 dark:text-zinc-400" aria-live="polite">
            {visible.length === list.data.length
              ? plural(visible.length, "item")
              : `${visible.length} of ${plural(list.data.length, "item")}`}
          </p>
          {view === "graph" ? (
            <BoardGraph items={visible} />
          ) : (
            <BoardColumns key={dnd ? "drag" : "keys"} items={visible} nameOf={nameOf} showProject={!slug} dnd={dnd} />
          )}
        </>
      )}
    </>
  );
}

/** The same URL filters as All Work (a filtered board and list share one link). */
function BoardFilterBar() {
  const [filters, update] = useWorkFilters();
  const { local, set, clear, active } = useFilterFields(filters, update, { q: "", type: [], status: [] });
  return (
    <FilterPanel>
      <SearchField value={local.q} placeholder="Title, project, status…" onChange={(q) => set("q", q, "replace")} />
      <ChipGroup
        look="toggle"
        legend="Type"
        options={WorkTypeSchema.options}
        labels={WORK_TYPE_LABEL}
        value={local.type}
        onChange={(next) => set("type", next)}
      />
      <ChipGroup
        look="toggle"
        legend="Status"
        options={WorkStatusSchema.options}
        labels={WORK_STATUS_LABEL}
        value={local.status}
        onChange={(next) => set("status", next)}
      />
      <ClearFiltersButton active={active} onClear={clear} />
    </FilterPanel>
  );
}
