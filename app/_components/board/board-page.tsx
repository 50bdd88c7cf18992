"use client";

import dynamic from "next/dynamic";
import Link from "@/app/_components/ui/link";
import { useSearchParams } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { plural } from "@/lib/format";
import { PageHeader } from "../shell/page-header";
import { useSelectedProject } from "../shell/selected-project";
import { EmptyState, ErrorState, ListSkeleton, Skeleton } from "../ui/ui";
import { useVisibleWorkItems } from "../work/use-visible-work";
import { WorkFilterBar } from "../work/work-filter-bar";
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
      <WorkFilterBar dates={false} />
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
