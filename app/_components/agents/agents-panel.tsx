"use client";

import Link from "@/app/_components/ui/link";
import { useCallback, useState } from "react";
import { plural, statusWord } from "@/lib/format";
import type { AgentSession } from "@/lib/schemas/agents";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import { useQuery, useTRPC } from "@/lib/trpc/react";
import { agentInput, formatDuration, formatRate, shortId } from "./agents-format";
import { useAgentsLive } from "./agents-live";
import { RelativeTime } from "../ui/relative-time";
import { useSelectedProject } from "../shell/selected-project";
import { Badge, EmptyState, ErrorState, ListSkeleton, Notice, Section } from "../ui/ui";

/** Idle badges count minutes: refetch the list on a slow clock even when nothing happens. */
const IDLE_REFRESH_MS = 30_000;

type Completion = { sessionId: string; reason: string; toolCount: number; failureCount: number; eventId: number };

/** Every Claude Code session reporting through hooks, across projects (or the selected one), live. */
export function AgentsPanel() {
  const trpc = useTRPC();
  const { slug, nameOf } = useSelectedProject();
  const list = useQuery({ ...trpc.agents.listActive.queryOptions(agentInput(slug)), refetchInterval: IDLE_REFRESH_MS });
  const [completions, setCompletions] = useState<Completion[]>([]);
  const onEvent = useCallback((e: WorkdeckEvent) => {
    if (e.type !== "agents.ended") return;
    setCompletions((prev) =>
      [{ sessionId: e.sessionId, reason: e.reason, toolCount: e.toolCount, failureCount: e.failureCount, eventId: e.id }, ...prev].slice(
        0,
        3,
      ),
    );
  }, []);
  const live = useAgentsLive({ projectId: slug ?? undefined }, onEvent);

  return (
    <div data-testid="agents-panel" data-live={live ? "true" : "false"}>
      <Section title="Agents" count={list.data?.length} id="agents">
        {completions.map((c) => (
          <Notice key={c.eventId} onDismiss={() => setCompletions((prev) => prev.filter((p) => p.eventId !== c.eventId))}>
            Agent <span className="font-mono">{shortId(c.sessionId)}</span> finished (
            {c.reason === "stopped" ? "stopped, no follow-up" : `session end: ${c.reason}`}) after {plural(c.toolCount, "tool call")}
            {c.failureCount ? `, ${c.failureCount} failed` : ""}.
          </Notice>
        ))}
        {list.isPending ? (
          <ListSkeleton rows={2} label="Loading agents" />
        ) : list.isError ? (
          <ErrorState title="Could not load agents" message={list.error.message} />
        ) : list.data.length === 0 ? (
          <EmptyState title="No active agents">
            Claude Code sessions appear here while they run. Register the hooks with{" "}
            <code className="rounded bg-zinc-100 px-1.5 py-0.5 font-mono text-xs dark:bg-zinc-800">
              workdeck hooks install --project {slug ?? "<slug>"}
            </code>
            .
          </EmptyState>
        ) : (
          <AgentsTable rows={list.data} nameOf={nameOf} />
        )}
      </Section>
    </div>
  );
}

function AgentsTable({ rows, nameOf }: { rows: AgentSession[]; nameOf: (slug: string) => string }) {
  const th = "px-3 py-2 text-left text-xs font-medium text-zinc-500 dark:text-zinc-400";
  const td = "px-3 py-2 align-middle";
  return (
    <div className="overflow-x-auto rounded-lg border border-zinc-200 dark:border-zinc-800">
      <table className="w-full text-sm" aria-label="Active agents">
        <thead className="border-b border-zinc-200 dark:border-zinc-800">
          <tr>
            <th className={th}>Project</th>
            <th className={th}>Session</th>
            <th className={th}>Current tool</th>
            <th className={th}>Last activity</th>
            <th className={`${th} text-right`}>Tools run</th>
            <th className={`${th} text-right`}>Success</th>
            <th className={`${th} text-right`}>Avg duration</th>
            <th className={th}>State</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
          {rows.map((a) => (
            <tr key={a.sessionId} data-testid="agent-row" data-session-id={a.sessionId} className="hover:bg-zinc-50 dark:hover:bg-zinc-900">
              <td className={td}>
                {a.projectSlug ? (
                  nameOf(a.projectSlug)
                ) : (
                  <span className="text-zinc-500" title={a.cwd ?? undefined}>
                    no project
                  </span>
                )}
              </td>
              <td className={td}>
                <Link
                  href={`/sessions/agents/${encodeURIComponent(a.sessionId)}`}
                  className="font-mono text-blue-700 hover:underline dark:text-blue-400"
                  aria-label={`Agent ${shortId(a.sessionId)}`}
                >
                  {shortId(a.sessionId)}
                </Link>
              </td>
              <td className={`${td} font-mono text-xs`} data-testid="agent-current-tool">
                {a.currentTool ?? <span className="text-zinc-400">—</span>}
              </td>
              <td className={td}>
                <span className="text-zinc-700 dark:text-zinc-300">{a.lastEvent}</span> ·{" "}
                <RelativeTime value={a.lastEventAt.toISOString()} />
              </td>
              <td className={`${td} text-right tabular-nums`} data-testid="agent-tool-count">
                {a.toolCount}
              </td>
              <td className={`${td} text-right tabular-nums`}>{formatRate(a.successRate)}</td>
              <td className={`${td} text-right tabular-nums`}>{formatDuration(a.avgToolDurationMs)}</td>
              <td className={td}>
                <AgentBadges agent={a} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function AgentBadges({ agent }: { agent: AgentSession }) {
  return (
    <span className="flex flex-wrap gap-1">
      {agent.status === "needs_you" ? (
        <Badge tone="red" title={agent.needsYouReason ?? undefined}>
          {statusWord("needs_you")}
        </Badge>
      ) : null}
      {agent.status === "stopped" ? <Badge tone="blue">turn finished</Badge> : null}
      {agent.status === "ended" ? <Badge>{statusWord("ended")}</Badge> : null}
      {agent.idleMinutes !== null ? <Badge tone="amber">idle for {agent.idleMinutes} min</Badge> : null}
      {agent.status === "active" && agent.idleMinutes === null ? <Badge tone="green">{statusWord("active")}</Badge> : null}
    </span>
  );
}
