"use client";

import Link from "@/app/_components/ui/link";
import { useRouter } from "next/navigation";
import { lazy, Suspense, useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { plural, priorityWord, statusWord } from "@/lib/format";
import type { FailureGroup } from "@/lib/schemas/errors";
import { DecisionBadge, PatternBadge } from "../errors/errors-badges";
import { failureHref } from "../errors/errors-url-state";
import { RelativeTime } from "../ui/relative-time";
import { Badge, Button } from "../ui/ui";
import { clusterFailures, formatRate, type FailureCluster } from "./cluster-model";

// Only once rows are selected (x or a checkbox): a visit that never bulk-triages never loads it.
const BulkTriage = lazy(() => import("./bulk-triage").then((m) => ({ default: m.BulkTriage })));

/** Rows shown at once; "Show more" adds a page (thousands of groups stay light without a virtualiser). */
const PAGE = 200;

/**
 * The Errors tab's list (issue 13 item 3): one row per test + fingerprint with its Playwright
 * projects as chips (each with its own pattern, linking to its group), triage for the whole row,
 * bulk triage of the selected rows, and keyboard: j / k move, Enter opens, x selects.
 */
export function ErrorsClusters({
  rows,
  showProject,
  nameOf,
}: {
  rows: FailureGroup[];
  showProject: boolean;
  nameOf(slug: string): string;
}) {
  const clusters = useMemo(() => clusterFailures(rows), [rows]);
  const router = useRouter();
  const id = useId();
  const [limit, setLimit] = useState(PAGE);
  const [active, setActive] = useState(0);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const listRef = useRef<HTMLUListElement>(null);
  const shown = clusters.slice(0, limit);
  const current = Math.min(active, Math.max(0, shown.length - 1));

  // Selection survives refetches only for rows still there.
  useEffect(() => {
    setSelected((s) => {
      const keys = new Set(clusters.map((c) => c.key));
      const next = new Set([...s].filter((k) => keys.has(k)));
      return next.size === s.size ? s : next;
    });
  }, [clusters]);

  const toggle = (key: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });

  function focusRow(index: number) {
    const next = Math.max(0, Math.min(shown.length - 1, index));
    setActive(next);
    listRef.current?.querySelector<HTMLElement>(`[data-index="${next}"]`)?.focus();
  }

  function onKeyDown(e: KeyboardEvent<HTMLUListElement>) {
    // Typing in the row's controls is not navigation.
    if ((e.target as HTMLElement).closest("input, select, textarea, button:not([data-row])")) return;
    if (e.metaKey || e.ctrlKey || e.altKey) return;
    const c = shown[current];
    const keys: Record<string, () => void> = {
      j: () => focusRow(current + 1),
      ArrowDown: () => focusRow(current + 1),
      k: () => focusRow(current - 1),
      ArrowUp: () => focusRow(current - 1),
      Enter: () => c && router.push(failureHref(c.groups[0]!.id)),
      x: () => c && toggle(c.key),
    };
    const run = keys[e.key];
    if (run) {
      e.preventDefault();
      run();
    }
  }

  const chosen = clusters.filter((c) => selected.has(c.key));
  return (
    <div className="space-y-2">
      <p className="text-xs text-zinc-500 dark:text-zinc-400" aria-live="polite">
        {plural(clusters.length, "failing test")} ({plural(rows.length, "group")} across Playwright projects) · <kbd>j</kbd>/<kbd>k</kbd>{" "}
        move, <kbd>Enter</kbd> opens, <kbd>x</kbd> selects
      </p>
      {chosen.length ? (
        <Suspense fallback={null}>
          <BulkTriage clusters={chosen} onDone={() => setSelected(new Set())} />
        </Suspense>
      ) : null}
      <ul
        ref={listRef}
        role="listbox"
        aria-label="Failing tests"
        aria-multiselectable="true"
        onKeyDown={onKeyDown}
        className="divide-y divide-zinc-200 rounded-lg border border-zinc-200 dark:divide-zinc-800 dark:border-zinc-800"
      >
        {shown.map((c, i) => (
          <ClusterRow
            key={c.key}
            id={`${id}-${i}`}
            index={i}
            cluster={c}
            active={i === current}
            selected={selected.has(c.key)}
            onSelect={() => toggle(c.key)}
            onFocus={() => setActive(i)}
            project={showProject ? nameOf(c.projectSlug) : null}
          />
        ))}
      </ul>
      {clusters.length > limit ? (
        <Button onClick={() => setLimit((n) => n + PAGE)}>Show more ({clusters.length - limit} left)</Button>
      ) : null}
    </div>
  );
}

function ClusterRow({
  id,
  index,
  cluster: c,
  active,
  selected,
  onSelect,
  onFocus,
  project,
}: {
  id: string;
  index: number;
  cluster: FailureCluster;
  active: boolean;
  selected: boolean;
  onSelect(): void;
  onFocus(): void;
  project: string | null;
}) {
  const title = c.titlePath.length ? c.titlePath.join(" › ") : c.file;
  const first = c.groups[0]!;
  return (
    <li
      id={id}
      role="option"
      aria-selected={selected}
      aria-label={title}
      data-index={index}
      data-row
      tabIndex={active ? 0 : -1}
      onFocus={onFocus}
      className="flex flex-col gap-2 px-3 py-2.5 outline-none focus-visible:bg-blue-50 focus-visible:ring-2 focus-visible:ring-blue-500 sm:flex-row sm:items-start dark:focus-visible:bg-blue-950"
    >
      <div className="flex min-w-0 flex-1 items-start gap-2">
        <input
          type="checkbox"
          checked={selected}
          onChange={onSelect}
          aria-label={`Select ${title}`}
          tabIndex={-1}
          className="mt-1 size-4 shrink-0"
        />
        <div className="min-w-0 flex-1">
          <Link href={failureHref(first.id)} tabIndex={-1} className="block break-words font-medium hover:underline">
            {title}
          </Link>
          <p className="truncate font-mono text-xs text-zinc-500 dark:text-zinc-400" title={c.lastMessage}>
            {c.file}
            {project ? ` · ${project}` : ""} · {c.lastMessage.split("\n")[0]}
          </p>
          <ul className="mt-1.5 flex flex-wrap gap-1.5" aria-label="Playwright projects">
            {c.groups.map((g) => (
              <li key={g.id}>
                <Link
                  href={failureHref(g.id)}
                  tabIndex={-1}
                  className="inline-flex items-center gap-1 rounded-full border border-zinc-300 px-2 py-0.5 text-xs hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800"
                  title={`${g.projectName || "default"}: ${statusWord(g.pattern)}, ${statusWord(g.decision)}, ${g.occurrences} occurrences`}
                >
                  <span className="font-mono">{g.projectName || "default"}</span>
                  <PatternBadge pattern={g.pattern} />
                </Link>
              </li>
            ))}
          </ul>
        </div>
      </div>
      <div className="flex flex-wrap items-center gap-2 pl-6 text-xs sm:w-[22rem] sm:shrink-0 sm:justify-end sm:pl-0">
        {c.decision === "mixed" ? (
          <Badge tone="amber">mixed decisions</Badge>
        ) : (
          <DecisionBadge decision={c.decision} suggested={first.suggestedDecision} />
        )}
        <Badge tone={c.priority >= 5 ? "red" : c.priority >= 4 ? "amber" : "neutral"} title={`Priority ${c.priority} of 5`}>
          {priorityWord(c.priority)}
        </Badge>
        <span
          title={`Flaky in ${c.flakiness.flaky} of the ${c.flakiness.ran} runs in which it ran, over the last ${c.flakiness.window} reports`}
          className="tabular-nums"
        >
          flaky {formatRate(c.flakiness)}
        </span>
        <span className="tabular-nums">{plural(c.occurrences, "occurrence")}</span>
        <RelativeTime value={c.lastSeenAt.toISOString()} />
      </div>
    </li>
  );
}
