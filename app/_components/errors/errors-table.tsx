"use client";

import Link from "@/app/_components/ui/link";
import { useRouter } from "next/navigation";
import { useId, useRef, useState, type KeyboardEvent } from "react";
import type { FailureGroup } from "@/lib/schemas/errors";
import { DecisionBadge, PatternBadge, PriorityBadge, StatusBadge } from "./errors-badges";
import { failureHref } from "./errors-url-state";
import { RelativeTime } from "../ui/relative-time";
import { Badge } from "../ui/ui";
import { Sparkline } from "../ui/sparkline";
import { useFixedRows } from "../ui/use-fixed-rows";

/** Fixed heights: the virtualiser never measures, so 10,000 rows cost what 30 do. */
const ROW_HEIGHT = 52;
const HEADER_HEIGHT = 36;
const OVERSCAN = 8;

type Column = { key: string; label: string; width: string };

function columnsFor(showProject: boolean): Column[] {
  return [
    { key: "test", label: "Test", width: "minmax(18rem, 1fr)" },
    { key: "pwProject", label: "Playwright project", width: "8.5rem" },
    { key: "pattern", label: "Pattern", width: "6rem" },
    { key: "decision", label: "Decision", width: "10.5rem" },
    { key: "priority", label: "Priority", width: "4.5rem" },
    { key: "occurrences", label: "Occurrences", width: "8.5rem" },
    { key: "lastSeen", label: "Last seen", width: "7rem" },
    ...(showProject ? [{ key: "project", label: "Project", width: "8rem" }] : []),
    { key: "status", label: "Status", width: "5.5rem" },
  ];
}

/**
 * Failure groups as an ARIA grid with one tab stop: the grid keeps focus and
 * points at the current row with aria-activedescendant, because the row a
 * key moves to may not be rendered (virtualised) until the scroll lands.
 * ↑/↓, PageUp/PageDown, Home/End move; Enter opens the failure.
 */
export function ErrorsTable({ rows, showProject, nameOf }: { rows: FailureGroup[]; showProject: boolean; nameOf(slug: string): string }) {
  const router = useRouter();
  const id = useId();
  const scrollRef = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(-1);
  const columns = columnsFor(showProject);
  const template = columns.map((c) => c.width).join(" ");

  // The sticky header sits inside the scroll element, above the rows.
  const visible = useFixedRows({ count: rows.length, rowHeight: ROW_HEIGHT, scrollRef, overscan: OVERSCAN, paddingStart: HEADER_HEIGHT });

  // A refetch can shrink the list under the cursor.
  const current = active >= rows.length ? rows.length - 1 : active;
  const rowId = (index: number) => `${id}-row-${index}`;

  function moveTo(index: number) {
    const next = Math.max(0, Math.min(rows.length - 1, index));
    setActive(next);
    visible.scrollToIndex(next);
  }

  function onKeyDown(e: KeyboardEvent<HTMLDivElement>) {
    if (!rows.length) return;
    const page = Math.max(1, Math.floor(((scrollRef.current?.clientHeight ?? 400) - HEADER_HEIGHT) / ROW_HEIGHT) - 1);
    const keys: Record<string, () => void> = {
      ArrowDown: () => moveTo(current + 1),
      ArrowUp: () => moveTo(current - 1),
      PageDown: () => moveTo(current + page),
      PageUp: () => moveTo(current - page),
      Home: () => moveTo(0),
      End: () => moveTo(rows.length - 1),
      Enter: () => {
        const row = rows[current];
        if (row) router.push(failureHref(row.id));
      },
    };
    const action = keys[e.key];
    if (!action) return;
    e.preventDefault();
    action();
  }

  return (
    <div
      ref={scrollRef}
      role="grid"
      aria-label="Failure groups"
      aria-rowcount={rows.length + 1}
      aria-colcount={columns.length}
      aria-activedescendant={current >= 0 ? rowId(current) : undefined}
      tabIndex={0}
      onKeyDown={onKeyDown}
      onFocus={() => {
        if (current < 0 && rows.length) setActive(0);
      }}
      className="relative overflow-auto rounded-lg border border-zinc-200 outline-none focus-visible:ring-2 focus-visible:ring-zinc-400 dark:border-zinc-800"
      style={{ height: `min(70vh, ${HEADER_HEIGHT + rows.length * ROW_HEIGHT + 2}px)` }}
    >
      <div className="relative min-w-[72rem]" style={{ height: visible.totalSize }}>
        <div role="rowgroup" className="sticky top-0 z-10">
          <div
            role="row"
            aria-rowindex={1}
            className="grid items-center gap-3 border-b border-zinc-200 bg-zinc-50 px-4 text-xs font-medium text-zinc-500 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-400"
            style={{ gridTemplateColumns: template, height: HEADER_HEIGHT }}
          >
            {columns.map((c, i) => (
              <div key={c.key} role="columnheader" aria-colindex={i + 1} className="truncate">
                {c.label}
              </div>
            ))}
          </div>
        </div>
        <div role="rowgroup">
          {visible.rows.map((item) => {
            const row = rows[item.index]!;
            const selected = item.index === current;
            return (
              <div
                key={row.id}
                id={rowId(item.index)}
                role="row"
                aria-rowindex={item.index + 2}
                aria-selected={selected}
                data-testid="failure-row"
                data-failure-id={row.id}
                onClick={(e) => {
                  setActive(item.index);
                  // Let the link handle its own clicks (and modifier-clicks for new tabs).
                  if (!(e.target as HTMLElement).closest("a")) router.push(failureHref(row.id));
                }}
                className={`absolute left-0 top-0 grid w-full cursor-pointer items-center gap-3 border-b border-zinc-100 px-4 text-sm dark:border-zinc-800/70 ${
                  selected ? "bg-zinc-100 dark:bg-zinc-800/70" : "bg-white hover:bg-zinc-50 dark:bg-zinc-950 dark:hover:bg-zinc-900/60"
                }`}
                style={{ gridTemplateColumns: template, height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}
              >
                <FailureCells row={row} showProject={showProject} nameOf={nameOf} />
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

function FailureCells({ row, showProject, nameOf }: { row: FailureGroup; showProject: boolean; nameOf(slug: string): string }) {
  const runs = row.recentRuns.length ? row.recentRuns : null;
  const runError = row.runErrorKind;
  const title = row.titlePath.join(" › ");
  let col = 0;
  const cell = (children: React.ReactNode, className = "") => (
    <div role="gridcell" aria-colindex={++col} className={`min-w-0 ${className}`}>
      {children}
    </div>
  );
  return (
    <>
      {cell(
        <>
          {/* One tab stop for the whole grid: links are reached with the arrow keys and Enter. */}
          <Link href={failureHref(row.id)} tabIndex={-1} className="block truncate font-medium hover:underline" title={title}>
            {title}
          </Link>
          <span className="block truncate font-mono text-xs text-zinc-500 dark:text-zinc-400" title={row.file}>
            {row.file}
          </span>
        </>,
      )}
      {cell(
        runError ? (
          // Not a test: the whole run failed at this stage, so there is no Playwright project.
          <Badge tone="red" title="A run-level error, not a single test">
            {runError.replace("-", " ")}
          </Badge>
        ) : (
          <span className="block truncate text-xs text-zinc-600 dark:text-zinc-300">{row.projectName}</span>
        ),
      )}
      {cell(<PatternBadge pattern={row.pattern} />)}
      {cell(<DecisionBadge decision={row.decision} suggested={row.suggestedDecision} />)}
      {cell(<PriorityBadge priority={row.priority} />)}
      {cell(
        <span className="flex items-center gap-2">
          <span className="w-7 text-right tabular-nums">{row.occurrences}</span>
          {runs ? <Sparkline runs={runs} width={72} /> : null}
        </span>,
      )}
      {cell(
        <span className="text-xs text-zinc-500 dark:text-zinc-400">
          <RelativeTime value={row.lastSeen.at.toISOString()} />
        </span>,
      )}
      {showProject ? cell(<Badge>{nameOf(row.projectSlug)}</Badge>) : null}
      {cell(<StatusBadge status={row.status} />)}
    </>
  );
}
