"use client";

import { useMemo } from "react";
import { localDay } from "@/lib/format";
import type { Session } from "@/lib/schemas/sessions";
import { useQuery, useTRPC } from "@/lib/trpc/react";
import { CostChart } from "./cost-chart";
import { formatUsd } from "./session-format";
import { useSelectedProject } from "../shell/selected-project";
import { ErrorState, Section, Skeleton } from "../ui/ui";

const DAYS = 14;

type Totals = { key: string; cost: number; sessions: number };

/** Sums by key, largest first. */
function group(entries: { key: string; cost: number; session: number }[]): Totals[] {
  const map = new Map<string, { cost: number; sessions: Set<number> }>();
  for (const e of entries) {
    const t = map.get(e.key) ?? { cost: 0, sessions: new Set<number>() };
    t.cost += e.cost;
    t.sessions.add(e.session);
    map.set(e.key, t);
  }
  return [...map].map(([key, t]) => ({ key, cost: t.cost, sessions: t.sessions.size })).sort((a, b) => b.cost - a.cost);
}

export function costBreakdown(sessions: Session[], now: number = Date.now()) {
  const byProject = group(sessions.map((s) => ({ key: s.projectSlug, cost: s.costUsd, session: s.id })));
  // Runs carry their own account (a session may continue on another after a usage limit).
  const byAccount = group(
    sessions.flatMap((s) =>
      s.runs.length
        ? s.runs.map((r) => ({ key: r.accountId, cost: r.costUsd, session: s.id }))
        : s.accountId
          ? [{ key: s.accountId, cost: s.costUsd, session: s.id }]
          : [],
    ),
  );
  const perDay = new Map<string, number>();
  for (const s of sessions) {
    const day = localDay(s.startedAt ?? s.createdAt);
    perDay.set(day, (perDay.get(day) ?? 0) + s.costUsd);
  }
  const days = Array.from({ length: DAYS }, (_, i) => {
    const d = new Date(now);
    d.setDate(d.getDate() - (DAYS - 1 - i));
    const key = localDay(d);
    return { day: key, cost: perDay.get(key) ?? 0 };
  });
  return { byProject, byAccount, days, total: sessions.reduce((sum, s) => sum + s.costUsd, 0) };
}

/** Cost per project, per account and per day, over the most recent 1,000 sessions in view. */
export function SessionCosts() {
  const trpc = useTRPC();
  const { slug, nameOf } = useSelectedProject();
  // Costs change only with a session's update or result, which the live dispatcher turns into an invalidation.
  const list = useQuery(trpc.sessions.list.queryOptions({ ...(slug ? { projectId: slug } : {}), limit: 1000 }));
  const data = useMemo(() => (list.data ? costBreakdown(list.data) : null), [list.data]);

  return (
    <Section id="costs" title="Cost">
      {list.isPending ? (
        <Skeleton className="h-32 w-full" />
      ) : list.isError ? (
        <ErrorState title="Could not load costs" message={list.error.message} />
      ) : (
        <div
          className="grid gap-4 rounded-lg border border-zinc-200 p-4 md:grid-cols-[auto_1fr_1fr] dark:border-zinc-800"
          data-testid="session-costs"
        >
          <div>
            <p className="text-xs text-zinc-500 dark:text-zinc-400">Total{slug ? ` · ${nameOf(slug)}` : ""}</p>
            <p className="mb-2 text-lg font-semibold tabular-nums" data-testid="cost-total">
              {formatUsd(data!.total)}
            </p>
            <CostChart
              bars={data!.days.map((d) => ({ label: d.day.slice(8), value: d.cost, title: d.day }))}
              format={formatUsd}
              summary={daySummary(data!.days)}
            />
          </div>
          <CostTable caption="Per project" rows={data!.byProject} name={nameOf} />
          <CostTable caption="Per account" rows={data!.byAccount} name={(k) => k} mono />
        </div>
      )}
    </Section>
  );
}

function daySummary(days: { day: string; cost: number }[]): string {
  const total = days.reduce((s, d) => s + d.cost, 0);
  const top = days.reduce((a, b) => (b.cost > a.cost ? b : a), days[0]!);
  return total > 0
    ? `Cost per day, last ${days.length} days: ${formatUsd(total)} in all; highest ${formatUsd(top.cost)} on ${top.day}.`
    : `No cost in the last ${days.length} days.`;
}

function CostTable({ caption, rows, name, mono = false }: { caption: string; rows: Totals[]; name(key: string): string; mono?: boolean }) {
  return (
    <table className="h-fit w-full text-sm">
      <caption className="pb-1 text-left text-xs font-medium text-zinc-500 dark:text-zinc-400">{caption}</caption>
      <thead className="sr-only">
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Sessions</th>
          <th scope="col">Cost</th>
        </tr>
      </thead>
      <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
        {rows.length ? (
          rows.slice(0, 8).map((r) => (
            <tr key={r.key}>
              <td className={`py-1 ${mono ? "font-mono text-xs" : ""}`}>{name(r.key)}</td>
              <td className="py-1 text-right text-xs tabular-nums text-zinc-500">{r.sessions} sess.</td>
              <td className="py-1 text-right tabular-nums">{formatUsd(r.cost)}</td>
            </tr>
          ))
        ) : (
          <tr>
            <td colSpan={3} className="py-1 text-zinc-500">
              Nothing yet.
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}
