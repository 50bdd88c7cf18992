"use client";

import type { TimelineItem } from "@/lib/schemas/agents";
import { useQuery, useTRPC } from "@/lib/trpc/react";
import { formatDuration, formatRate, shortId } from "./agents-format";
import { AgentBadges } from "./agents-panel";
import { useAgentsLive } from "./agents-live";
import { PageHeader } from "../shell/page-header";
import { RelativeTime } from "../ui/relative-time";
import { Badge, ErrorState, ListSkeleton } from "../ui/ui";

const KIND_LABEL: Record<TimelineItem["kind"], string> = {
  session_start: "Session start",
  prompt: "Prompt",
  tool: "Tool",
  notification: "Notification",
  permission_request: "Permission request",
  stop: "Stop",
  session_end: "Session end",
  other: "Event",
};

/** One agent's hook timeline: prompts, tool calls with inputs and results, failures, stops; live. */
export function AgentTimeline({ sessionId }: { sessionId: string }) {
  const trpc = useTRPC();
  const activity = useQuery(trpc.agents.getActivity.queryOptions({ sessionId }));
  const metrics = useQuery(trpc.agents.getMetrics.queryOptions({ sessionId }));
  const live = useAgentsLive({ sessionId });
  const session = activity.data?.session;

  return (
    <div data-testid="agent-timeline" data-live={live ? "true" : "false"}>
      <PageHeader
        section="Sessions"
        sectionHref="/sessions"
        projectSlug={session?.projectSlug ?? undefined}
        title={`Agent ${shortId(sessionId)}`}
        subtitle={session ? <span className="font-mono text-xs">{session.cwd ?? sessionId}</span> : null}
        actions={session ? <AgentBadges agent={session} /> : null}
      />
      {metrics.data ? (
        <dl className="mb-4 grid grid-cols-2 gap-3 text-sm sm:grid-cols-5" aria-label="Agent metrics">
          {[
            ["Tools run", String(metrics.data.toolCount)],
            ["Failed", String(metrics.data.failureCount)],
            ["Success rate", formatRate(metrics.data.successRate)],
            ["Avg tool duration", formatDuration(metrics.data.avgToolDurationMs)],
            ["Prompts", String(metrics.data.promptCount)],
          ].map(([label, value]) => (
            <div key={label} className="rounded-lg border border-zinc-200 px-3 py-2 dark:border-zinc-800">
              <dt className="text-xs text-zinc-500 dark:text-zinc-400">{label}</dt>
              <dd className="font-semibold tabular-nums">{value}</dd>
            </div>
          ))}
        </dl>
      ) : null}
      {activity.isPending ? (
        <ListSkeleton rows={6} label="Loading timeline" />
      ) : activity.isError ? (
        <ErrorState title="Could not load this agent" message={activity.error.message} />
      ) : (
        <>
          {activity.data.truncated ? <p className="mb-2 text-xs text-zinc-500">Older events are left out.</p> : null}
          <ol className="space-y-2" aria-label="Timeline">
            {activity.data.items.map((item) => (
              <TimelineRow key={item.id} item={item} />
            ))}
          </ol>
        </>
      )}
    </div>
  );
}

function TimelineRow({ item }: { item: TimelineItem }) {
  const tone =
    item.toolStatus === "failed" || item.error
      ? "red"
      : item.toolStatus === "running"
        ? "amber"
        : item.kind === "permission_request" || item.kind === "notification"
          ? "violet"
          : "neutral";
  return (
    <li
      data-testid="timeline-item"
      data-kind={item.kind}
      className="rounded-lg border border-zinc-200 px-3 py-2 text-sm dark:border-zinc-800"
    >
      <div className="flex flex-wrap items-center gap-2">
        <Badge tone={tone}>{KIND_LABEL[item.kind]}</Badge>
        {item.toolName ? <span className="font-mono text-xs font-medium">{item.toolName}</span> : null}
        {item.kind === "other" ? <span className="font-mono text-xs">{item.event}</span> : null}
        {item.toolStatus ? <span className="text-xs text-zinc-500">{item.toolStatus === "ok" ? "ok" : item.toolStatus}</span> : null}
        {item.durationMs !== null ? <span className="text-xs tabular-nums text-zinc-500">{formatDuration(item.durationMs)}</span> : null}
        <span className="ml-auto text-xs text-zinc-500">
          <RelativeTime value={item.at.toISOString()} />
        </span>
      </div>
      {item.text ? <p className="mt-1 whitespace-pre-wrap break-words">{item.text}</p> : null}
      {item.error ? (
        <pre className="mt-1 max-h-48 overflow-auto whitespace-pre-wrap rounded bg-red-50 p-2 font-mono text-xs text-red-800 dark:bg-red-950/40 dark:text-red-200">
          {item.error}
        </pre>
      ) : null}
      {item.input !== undefined ? <Payload label="Input" value={item.input} /> : null}
      {item.result !== undefined ? <Payload label="Result" value={item.result} /> : null}
    </li>
  );
}

function Payload({ label, value }: { label: string; value: unknown }) {
  const text = typeof value === "string" ? value : JSON.stringify(value, null, 2);
  return (
    <details className="mt-1">
      <summary className="cursor-pointer text-xs text-zinc-500">{label}</summary>
      <pre className="mt-1 max-h-64 overflow-auto whitespace-pre-wrap break-words rounded bg-zinc-50 p-2 font-mono text-xs dark:bg-zinc-900">
        {text.length > 20_000 ? `${text.slice(0, 20_000)}…` : text}
      </pre>
    </details>
  );
}
