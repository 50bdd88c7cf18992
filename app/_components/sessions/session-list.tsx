"use client";

import Link from "@/app/_components/ui/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { statusWord } from "@/lib/format";
import type { Session, SessionStatus } from "@/lib/schemas/sessions";
import { SESSION_STATUSES } from "@/lib/schemas/values";
import { useQuery, useTRPC } from "@/lib/trpc/react";
import { RelativeTime } from "../ui/relative-time";
import {
  formatElapsed,
  formatUsd,
  isActive,
  readStatusFilter,
  sessionDurationMs,
  sessionHref,
  sessionsListInput,
  STATUS_TONE,
  TYPE_LABEL,
  workItemHref,
  workItemLabel,
} from "./session-format";
import { useNow } from "../ui/use-now";
import { useSelectedProject } from "../shell/selected-project";
import { Badge, EmptyState, ErrorState, ListSkeleton } from "../ui/ui";

export function SessionList() {
  const trpc = useTRPC();
  const { slug, nameOf } = useSelectedProject();
  const searchParams = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const status = readStatusFilter(searchParams);
  // No polling: the tab's event stream (live-dispatch) invalidates this list when a session is created,
  // changes status or totals, or its account changes.
  const list = useQuery(trpc.sessions.list.queryOptions(sessionsListInput(slug, status)));
  const anyActive = list.data?.some((s) => isActive(s.status)) ?? false;
  // Only the running durations move between events: a local clock ticks them, no refetch.
  const now = useNow(anyActive);

  function toggle(s: SessionStatus) {
    const next = status.includes(s) ? status.filter((x) => x !== s) : [...status, s];
    const params = new URLSearchParams(searchParams.toString());
    const value = SESSION_STATUSES.filter((o) => next.includes(o)).join(",");
    if (value) params.set("status", value);
    else params.delete("status");
    const q = params.toString();
    router.replace(`${pathname}${q ? `?${q}` : ""}`, { scroll: false });
  }

  const th = "px-3 py-2 text-left text-xs font-medium text-zinc-500 dark:text-zinc-400";
  const td = "px-3 py-2 align-middle";
  return (
    <div className="space-y-3" data-testid="session-list">
      <fieldset className="flex flex-wrap items-center gap-1.5">
        <legend className="sr-only">Status</legend>
        <span className="mr-1 text-xs font-medium text-zinc-500 dark:text-zinc-400" aria-hidden>
          Status
        </span>
        {SESSION_STATUSES.map((s) => (
          <button
            key={s}
            type="button"
            aria-pressed={status.includes(s)}
            onClick={() => toggle(s)}
            className={`h-7 rounded-full border px-2.5 text-xs ${status.includes(s) ? "border-zinc-900 bg-zinc-900 text-white dark:border-zinc-100 dark:bg-zinc-100 dark:text-zinc-900" : "border-zinc-300 text-zinc-700 hover:bg-zinc-50 dark:border-zinc-700 dark:text-zinc-300 dark:hover:bg-zinc-800"}`}
          >
            {statusWord(s)}
          </button>
        ))}
      </fieldset>
      {list.isPending ? (
        <ListSkeleton rows={3} label="Loading sessions" />
      ) : list.isError ? (
        <ErrorState title="Could not load sessions" message={list.error.message} />
      ) : list.data.length === 0 ? (
        <EmptyState title={status.length ? "No sessions with this status" : "No sessions launched yet"}>
          Launch one from a failure, a spec change, or with “Launch session” above.
        </EmptyState>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-zinc-200 dark:border-zinc-800">
          <table className="w-full text-sm" aria-label="Launched sessions">
            <thead className="border-b border-zinc-200 dark:border-zinc-800">
              <tr>
                <th className={th}>Session</th>
                <th className={th}>Status</th>
                <th className={th}>Type</th>
                <th className={th}>Work item</th>
                <th className={th}>Project</th>
                <th className={th}>Account</th>
                <th className={th}>Started</th>
                <th className={`${th} text-right`}>Duration</th>
                <th className={`${th} text-right`}>Turns</th>
                <th className={`${th} text-right`}>Cost</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
              {list.data.map((s) => (
                <SessionRow key={s.id} s={s} now={now} projectName={nameOf(s.projectSlug)} td={td} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function SessionRow({ s, now, projectName, td }: { s: Session; now: number; projectName: string; td: string }) {
  const duration = sessionDurationMs(s, now);
  const itemHref = workItemHref(s.workItem, s.projectSlug);
  const started = s.startedAt ?? s.createdAt;
  return (
    <tr data-testid="session-row" data-session-id={s.id} data-status={s.status} className="hover:bg-zinc-50 dark:hover:bg-zinc-900">
      <td className={td}>
        <Link href={sessionHref(s.id)} className="font-mono text-blue-700 hover:underline dark:text-blue-400">
          Session {s.id}
        </Link>
      </td>
      <td className={td}>
        <Badge tone={STATUS_TONE[s.status]}>{statusWord(s.status)}</Badge>
      </td>
      <td className={`${td} text-xs`}>{TYPE_LABEL[s.sessionType]}</td>
      <td className={`${td} max-w-56 truncate text-xs`}>
        {itemHref ? (
          <Link href={itemHref} className="hover:underline">
            {workItemLabel(s.workItem)}
          </Link>
        ) : (
          <span className="text-zinc-500">{workItemLabel(s.workItem)}</span>
        )}
      </td>
      <td className={td}>{projectName}</td>
      <td className={`${td} font-mono text-xs`}>{s.accountId ?? <span className="text-zinc-400">—</span>}</td>
      <td className={`${td} text-xs`}>
        <RelativeTime value={new Date(started).toISOString()} />
      </td>
      <td className={`${td} text-right tabular-nums`}>{duration === null ? "—" : formatElapsed(duration)}</td>
      <td className={`${td} text-right tabular-nums`}>{s.numTurns}</td>
      <td className={`${td} text-right tabular-nums`}>{formatUsd(s.costUsd)}</td>
    </tr>
  );
}
