"use client";

import type { Deploy, IntegrationItem } from "@/lib/schemas/integrations";
import { useQuery, useTRPC } from "@/lib/trpc/react";
import { RelativeTime } from "../ui/relative-time";
import { useSelectedProject } from "../shell/selected-project";
import { Badge, EmptyState, ErrorState, Section, Skeleton } from "../ui/ui";
import { PageIntro } from "../ui/page-intro";

/** How many deploys the timeline shows. */
const TIMELINE_LIMIT = 20;

const STATUS_TONE: Record<string, "green" | "red" | "amber" | "neutral"> = {
  SUCCESS: "green",
  FAILED: "red",
  CRASHED: "red",
  BUILDING: "amber",
  DEPLOYING: "amber",
  QUEUED: "amber",
  INITIALIZING: "amber",
  WAITING: "amber",
};

function duration(ms: number | null): string {
  if (ms === null) return "—";
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** The deploy timeline (last N deploys: status, commit, duration) and the ci/review/deploy items with their evidence (issue 15). */
export function DeploysView() {
  const trpc = useTRPC();
  const { slug, nameOf } = useSelectedProject();
  const scope = slug ? { projectId: slug } : {};
  const timeline = useQuery(trpc.deploys.timeline.queryOptions({ ...scope, limit: TIMELINE_LIMIT }));
  const items = useQuery(trpc.deploys.items.queryOptions({ ...scope, includeResolved: true }));
  if (timeline.isError) return <ErrorState title="Could not load deploys" message={timeline.error.message} />;
  return (
    <div className="space-y-8">
      <PageIntro title={`Deploys${slug ? ` · ${nameOf(slug)}` : ""}`}>
        What GitHub, GitLab and Railway reported by webhook (or the Railway poller): deploys, failed CI runs and reviews of changes. A later
        success resolves an item.
      </PageIntro>

      <Section title="Deploy timeline" id="timeline" count={timeline.data?.length}>
        {!timeline.data ? (
          <Skeleton className="h-24 w-full" />
        ) : timeline.data.length === 0 ? (
          <EmptyState title="No deploys yet">
            Point a Railway webhook at <code>/api/webhooks/railway/&lt;secret&gt;</code>, or set <code>integrations.railway.tokenEnv</code>{" "}
            to poll.
          </EmptyState>
        ) : (
          // On a phone the five columns scroll inside this frame, not the page (issue 13).
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm" aria-label="Deploy timeline">
              <thead className="text-xs text-zinc-500">
                <tr>
                  <th className="py-1">Status</th>
                  <th>Service</th>
                  <th>Commit</th>
                  <th>Duration</th>
                  <th>Started</th>
                </tr>
              </thead>
              <tbody>
                {timeline.data.map((d) => (
                  <DeployRow key={d.id} deploy={d} showProject={!slug} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>

      <Section title="CI, reviews and deploys" id="items" count={items.data?.filter((i) => i.status === "open").length}>
        {!items.data ? (
          <Skeleton className="h-24 w-full" />
        ) : items.data.length === 0 ? (
          <EmptyState title="Nothing has failed">
            Failed CI runs, failed deploys and pull/merge requests that touch a change or a failure appear here and in All Work.
          </EmptyState>
        ) : (
          <ul className="space-y-3">
            {items.data.map((i) => (
              <ItemCard key={i.id} item={i} />
            ))}
          </ul>
        )}
      </Section>
    </div>
  );
}

function DeployRow({ deploy: d, showProject }: { deploy: Deploy; showProject: boolean }) {
  return (
    <tr className="border-t border-zinc-100 dark:border-zinc-800">
      <td className="py-1.5">
        <Badge tone={STATUS_TONE[d.status] ?? "neutral"}>{d.status}</Badge>
      </td>
      <td>
        {d.serviceName ?? "—"}
        {d.environmentName ? <span className="text-zinc-500"> · {d.environmentName}</span> : null}
        {showProject ? <span className="text-zinc-500"> · {d.projectSlug}</span> : null}
      </td>
      <td className="max-w-xs truncate">
        {d.commitSha ? <code>{d.commitSha.slice(0, 7)}</code> : "—"} {d.commitMessage?.split("\n")[0]}
      </td>
      <td>{duration(d.durationMs)}</td>
      <td className="text-zinc-500">
        <RelativeTime value={new Date(d.startedAt).toISOString()} />
      </td>
    </tr>
  );
}

function ItemCard({ item: i }: { item: IntegrationItem }) {
  return (
    <li id={`item-${i.id}`} className="rounded-lg border border-zinc-200 p-3 dark:border-zinc-800">
      <div className="flex flex-wrap items-center gap-2 text-sm">
        <Badge tone={i.status === "open" ? (i.kind === "review" ? "blue" : "red") : "green"}>
          {i.status === "open" ? i.kind : `${i.kind} · resolved`}
        </Badge>
        <span className="min-w-0 break-words font-medium">{i.title}</span>
        <span className="text-xs text-zinc-500">
          {i.provider} · {i.detail}
          {i.occurrences > 1 ? ` · ${i.occurrences} times` : ""}
        </span>
        {i.sessionId ? (
          <a className="text-xs underline" href={`/sessions/${i.sessionId}`}>
            Session #{i.sessionId}
          </a>
        ) : null}
        {i.url ? (
          <a className="text-xs underline" href={i.url} target="_blank" rel="noreferrer">
            Open on {i.provider}
          </a>
        ) : null}
        <span className="ml-auto text-xs text-zinc-500">
          <RelativeTime value={new Date(i.lastSeenAt).toISOString()} />
        </span>
      </div>
      {i.evidence ? (
        <pre className="mt-2 max-h-60 overflow-auto whitespace-pre-wrap rounded bg-zinc-50 p-2 text-xs dark:bg-zinc-900">{i.evidence}</pre>
      ) : null}
    </li>
  );
}
