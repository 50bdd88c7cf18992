"use client";

import { useQuery, useTRPC } from "@/lib/trpc/react";
import { RelativeTime } from "../ui/relative-time";
import { Badge, ErrorState, Section, Skeleton } from "../ui/ui";
import { PageIntro } from "../ui/page-intro";

const RUN_TONE: Record<string, "green" | "red" | "amber" | "neutral"> = {
  launched: "green",
  notified: "green",
  failed: "red",
  rate_limited: "amber",
  skipped: "neutral",
  launching: "amber",
};

/** Settings › Automations (issue 15): the `automations` rules as configured, the integrations, and what the rules did. Read-only: the config file is the source. */
export function AutomationsView() {
  const trpc = useTRPC();
  const view = useQuery(trpc.deploys.automations.queryOptions());
  if (view.isError) return <ErrorState title="Could not load automations" message={view.error.message} />;
  const v = view.data;
  return (
    <div className="space-y-8">
      <PageIntro title="Automations">
        <code>automations</code> in projects.config.ts: on a failed deploy, a failed CI run or a persistent failure, notify or launch a
        remediation session. One session per item at a time; each project has an hourly limit.
      </PageIntro>
      <Section title="Rules" id="rules" count={v?.rules.length}>
        {!v ? (
          <Skeleton className="h-16 w-full" />
        ) : v.rules.length === 0 ? (
          <p className="text-sm text-zinc-500">
            No rules. Add <code>{`automations: [{ on: "deploy_failed", action: "launch_session" }]`}</code> to the config.
          </p>
        ) : (
          <table className="w-full text-left text-sm" aria-label="Automation rules">
            <thead className="text-xs text-zinc-500">
              <tr>
                <th className="py-1">On</th>
                <th>Project</th>
                <th>Action</th>
                <th>Sessions per hour</th>
                <th>Prompt</th>
              </tr>
            </thead>
            <tbody>
              {v.rules.map((r) => (
                <tr key={r.index} className="border-t border-zinc-100 dark:border-zinc-800">
                  <td className="py-1.5">
                    <code>{r.on}</code>
                  </td>
                  <td>{r.project ?? "every project"}</td>
                  <td>{r.action === "launch_session" ? "launch a session" : "notify"}</td>
                  <td>{r.action === "launch_session" ? r.perHour : "—"}</td>
                  <td className="max-w-md truncate text-zinc-500">{r.prompt ?? "built from the evidence"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
      <Section title="Integrations" id="integrations">
        {!v ? (
          <Skeleton className="h-8 w-full" />
        ) : (
          <ul className="flex flex-wrap gap-2 text-sm">
            {(
              [
                ["GitHub webhooks", v.integrations.github],
                ["GitLab webhooks", v.integrations.gitlab],
                ["Railway webhooks", v.integrations.railwayWebhook],
                ["Railway polling", v.integrations.railwayPolling],
              ] as const
            ).map(([label, on]) => (
              <li key={label}>
                <Badge tone={on ? "green" : "neutral"}>
                  {label}: {on ? "on" : "off"}
                </Badge>
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="Recent runs" id="runs" count={v?.runs.length}>
        {v?.runs.length ? (
          <ul className="space-y-1 text-sm">
            {v.runs.map((r) => (
              <li key={r.id} className="flex items-center gap-2">
                <Badge tone={RUN_TONE[r.status] ?? "neutral"}>{r.status.replace(/_/g, " ")}</Badge>
                <span>
                  {r.trigger.replace(/_/g, " ")} · {r.itemKey}
                </span>
                {r.sessionId ? (
                  <a className="underline" href={`/sessions/${r.sessionId}`}>
                    Session #{r.sessionId}
                  </a>
                ) : null}
                {r.reason ? <span className="truncate text-xs text-zinc-500">{r.reason}</span> : null}
                <span className="ml-auto text-xs text-zinc-500">
                  <RelativeTime value={new Date(r.createdAt).toISOString()} />
                </span>
              </li>
            ))}
          </ul>
        ) : (
          <p className="text-sm text-zinc-500">No automation has run yet.</p>
        )}
      </Section>
    </div>
  );
}
