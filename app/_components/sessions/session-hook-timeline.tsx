"use client";

import Link from "@/app/_components/ui/link";
import type { TimelineItem } from "@/lib/schemas/agents";
import { TRPCClientError, useQuery, useTRPC } from "@/lib/trpc/react";
import { formatDuration } from "../agents/agents-format";
import { useAgentsLive } from "../agents/agents-live";
import { RelativeTime } from "../ui/relative-time";
import { Badge, ListSkeleton, Section } from "../ui/ui";

/**
 * The hook timeline of a launched session (`agents.getActivity` keyed by its Claude
 * session id), beside the output. Launched sessions only report through hooks once the
 * runner installs them; until then this says so instead of showing an error.
 */
export function SessionHookTimeline({ claudeSessionId, running }: { claudeSessionId: string | null; running: boolean }) {
  if (!claudeSessionId) {
    return (
      <Section id="hooks" title="Hook timeline">
        <p className="text-sm text-zinc-500 dark:text-zinc-400">Appears once Claude Code has started and reports its hooks.</p>
      </Section>
    );
  }
  return <Timeline sessionId={claudeSessionId} running={running} />;
}

function Timeline({ sessionId, running }: { sessionId: string; running: boolean }) {
  const trpc = useTRPC();
  const activity = useQuery({
    ...trpc.agents.getActivity.queryOptions({ sessionId }),
    retry: false,
    refetchInterval: running ? 5_000 : false,
  });
  useAgentsLive({ sessionId });
  const notFound = activity.error instanceof TRPCClientError && activity.error.data?.code === "NOT_FOUND";
  const items = activity.data?.items ?? [];
  return (
    <Section id="hooks" title="Hook timeline" count={activity.data ? items.length : undefined}>
      {activity.isPending ? (
        <ListSkeleton rows={3} label="Loading the hook timeline" />
      ) : activity.isError ? (
        <p className="text-sm text-zinc-500 dark:text-zinc-400">
          {notFound
            ? "No hook events from this session (hooks are not installed for it)."
            : `Hook timeline unavailable: ${activity.error.message}`}
        </p>
      ) : (
        <>
          <ol className="space-y-1.5" aria-label="Hook events" data-testid="session-hook-timeline">
            {items.slice(-200).map((item) => (
              <HookRow key={item.id} item={item} />
            ))}
          </ol>
          <Link href={`/sessions/agents/${encodeURIComponent(sessionId)}`} className="text-xs underline">
            Full timeline
          </Link>
        </>
      )}
    </Section>
  );
}

function HookRow({ item }: { item: TimelineItem }) {
  const tone = item.toolStatus === "failed" || item.error ? "red" : item.toolStatus === "running" ? "amber" : "neutral";
  return (
    <li className="rounded-md border border-zinc-200 px-2 py-1.5 text-xs dark:border-zinc-800">
      <div className="flex items-center gap-2">
        <Badge tone={tone}>{item.toolName ?? item.event}</Badge>
        {item.toolStatus ? <span className="text-zinc-500">{item.toolStatus}</span> : null}
        {item.durationMs !== null ? <span className="tabular-nums text-zinc-500">{formatDuration(item.durationMs)}</span> : null}
        <span className="ml-auto text-zinc-500">
          <RelativeTime value={new Date(item.at).toISOString()} />
        </span>
      </div>
      {item.text ? <p className="mt-1 line-clamp-3 break-words text-zinc-600 dark:text-zinc-300">{item.text}</p> : null}
      {item.error ? <p className="mt-1 line-clamp-3 break-words text-red-700 dark:text-red-300">{item.error}</p> : null}
    </li>
  );
}
