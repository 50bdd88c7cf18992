"use client";

import { NOTIFICATION_KIND_LABEL, type NotificationTarget } from "@/lib/schemas/notifications";
import type { DatabaseStats } from "@/server/db/retention";
import { useQuery, useQueryClient, useTRPC } from "@/lib/trpc/react";
import { useMutation } from "@/lib/trpc/use-mutation";
import { RelativeTime } from "../ui/relative-time";
import { Badge, Button, ErrorState, Section, Skeleton } from "../ui/ui";
import { HooksRow } from "../settings-hooks/hooks-row";
import { PageIntro } from "../ui/page-intro";

/** Read-only: what the server runs with. Changing it means editing projects.config.ts (or the env). */
export function SettingsView() {
  const trpc = useTRPC();
  const settings = useQuery(trpc.settings.get.queryOptions());
  const accounts = useQuery(trpc.accounts.list.queryOptions());
  if (settings.isError) return <ErrorState title="Could not load settings" message={settings.error.message} />;
  const s = settings.data;
  return (
    <div className="space-y-8">
      <PageIntro title="Settings">
        The effective configuration{s?.configFile ? ` (from ${s.configFile})` : " (no config file: defaults)"}. Secrets are never shown:
        only the names of the environment variables that hold them.
      </PageIntro>

      <p className="text-sm">
        <a className="underline" href="/settings/automations">
          Automations
        </a>
        : what failed deploys, CI runs and persistent failures start (issue 15).
      </p>

      <Section title="Notification targets" id="targets" count={s?.targets.length}>
        {!s ? (
          <Skeleton className="h-16 w-full" />
        ) : s.targets.length === 0 ? (
          <p className="text-sm text-zinc-500">
            No Slack target configured. Set <code>notifications.slack.webhookUrlEnv</code> (or <code>botTokenEnv</code> and{" "}
            <code>channel</code>) in the config.
          </p>
        ) : (
          <ul className="divide-y divide-zinc-100 rounded-lg border border-zinc-200 dark:divide-zinc-800 dark:border-zinc-800">
            {s.targets.map((t) => (
              <TargetRow key={t.id} target={t} />
            ))}
          </ul>
        )}
      </Section>

      <Section title="Recent deliveries" id="deliveries" count={s?.deliveries.length}>
        {s?.deliveries.length ? (
          <ul className="space-y-1 text-sm">
            {s.deliveries.map((d) => (
              <li key={d.id} className="flex items-center gap-2">
                <Badge tone={d.status === "sent" ? "green" : d.status === "failed" ? "red" : "amber"}>{d.status}</Badge>
                <span className="truncate">{d.text}</span>
                <span className="text-xs text-zinc-500">
                  → {d.target} · {d.attempts} {d.attempts === 1 ? "attempt" : "attempts"}
                  {d.lastError ? ` · ${d.lastError}` : ""}
                </span>
                <span className="ml-auto text-xs text-zinc-500">
                  <RelativeTime value={new Date(d.createdAt).toISOString()} />
                </span>
              </li>
            ))}
          </ul>
        ) : (
          <p className="text-sm text-zinc-500">Nothing sent yet.</p>
        )}
      </Section>

      <Section title="Accounts" id="accounts" count={accounts.data?.length}>
        {!accounts.data ? (
          <Skeleton className="h-16 w-full" />
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm">
              <thead className="text-xs text-zinc-500">
                <tr>
                  <th className="py-1">Account</th>
                  <th>State</th>
                  <th>Sessions</th>
                  <th>Cost</th>
                  <th>Token env</th>
                  <th>Note</th>
                </tr>
              </thead>
              <tbody>
                {accounts.data.map((a) => (
                  <tr key={a.id} className="border-t border-zinc-100 dark:border-zinc-800" data-testid="account-row">
                    <td className="py-1.5 font-medium">
                      {a.id}
                      {a.implicit ? " (this machine's login)" : ""}
                    </td>
                    <td>
                      <Badge tone={a.state === "available" ? "green" : a.state === "limited" ? "amber" : "red"}>
                        {a.state.replace("_", " ")}
                      </Badge>
                      {a.limitedUntil ? (
                        <span className="ml-1 text-xs text-zinc-500">
                          until <RelativeTime value={new Date(a.limitedUntil).toISOString()} />
                        </span>
                      ) : null}
                    </td>
                    <td className="tabular-nums">
                      {a.sessionsCount} ({a.runningSessions} running)
                    </td>
                    <td className="tabular-nums">${a.costUsd.toFixed(2)}</td>
                    <td>
                      <code className="text-xs">{a.oauthTokenEnv ?? "—"}</code>
                    </td>
                    <td className="text-xs text-zinc-500">{a.loginHint ?? a.lastError ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>

      <Section title="Claude Code hooks per project" id="hooks" count={s?.hooks.length}>
        {!s ? (
          <Skeleton className="h-16 w-full" />
        ) : (
          <ul className="space-y-1 text-sm">
            {s.hooks.map((h) => (
              <HooksRow key={h.projectSlug} h={h} />
            ))}
          </ul>
        )}
      </Section>

      <Section title="Database" id="database">
        {!s ? <Skeleton className="h-16 w-full" /> : <DatabaseSummary db={s.database} />}
      </Section>

      <Section title="Secrets (environment variables)" id="secrets" count={s?.secrets.length}>
        {s?.secrets.length ? (
          <ul className="space-y-1 text-sm">
            {s.secrets.map((x) => (
              <li key={x.env} className="flex items-center gap-2">
                <code>{x.env}</code>
                <Badge tone={x.set ? "green" : "red"}>{x.set ? "set" : "not set"}</Badge>
              </li>
            ))}
          </ul>
        ) : (
          <p className="text-sm text-zinc-500">The configuration names no secrets.</p>
        )}
      </Section>

      <Section title="Effective configuration" id="config">
        {!s ? (
          <Skeleton className="h-40 w-full" />
        ) : (
          <pre aria-label="Effective configuration" className="overflow-auto rounded-lg bg-zinc-50 p-3 text-xs dark:bg-zinc-900">
            {JSON.stringify(s.effective, null, 2)}
          </pre>
        )}
      </Section>
    </div>
  );
}

function DatabaseSummary({ db }: { db: DatabaseStats }) {
  const oldest = [db.oldestHookAt, db.oldestEventAt].filter((t): t is number => t !== null).sort((a, b) => a - b)[0];
  return (
    <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm" aria-label="Database">
      <dt className="text-zinc-500">Size on disk</dt>
      <dd className="tabular-nums" data-testid="database-size">
        {db.totalBytes === null
          ? "in memory"
          : `${formatBytes(db.totalBytes)} (file ${formatBytes(db.fileBytes ?? 0)} + write-ahead log ${formatBytes(db.walBytes ?? 0)})`}
        {db.freeBytes > 0 ? (
          <span className="text-zinc-500"> · {formatBytes(db.freeBytes)} free inside, reused before the file grows</span>
        ) : null}
      </dd>
      <dt className="text-zinc-500">History kept</dt>
      <dd>
        {db.retentionDays} days of hook events and live-update events (<code>retention.days</code>); older ones are pruned hourly
        {oldest !== undefined ? (
          <span className="text-zinc-500">
            {" "}
            · oldest kept <RelativeTime value={new Date(oldest).toISOString()} />
          </span>
        ) : null}
      </dd>
    </dl>
  );
}

const BYTE_UNITS = ["byte", "kilobyte", "megabyte", "gigabyte", "terabyte"] as const;

/** "812 kB", "1.4 GB": decimal units, as file managers show sizes. */
function formatBytes(bytes: number): string {
  let i = 0;
  while (bytes >= 1000 && i < BYTE_UNITS.length - 1) {
    bytes /= 1000;
    i++;
  }
  return new Intl.NumberFormat("en", {
    style: "unit",
    unit: BYTE_UNITS[i],
    unitDisplay: "short",
    maximumFractionDigits: i === 0 ? 0 : 1,
  }).format(bytes);
}

function TargetRow({ target }: { target: NotificationTarget }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const send = useMutation(
    trpc.settings.sendTestNotification.mutationOptions({
      onSettled: () => void queryClient.invalidateQueries(trpc.settings.get.queryFilter()),
    }),
  );
  const result = send.data?.[0];
  return (
    <li className="flex flex-wrap items-center gap-3 px-3 py-2 text-sm" data-testid="target-row">
      <Badge tone="blue">{target.kind === "webhook" ? "Incoming webhook" : "Bot"}</Badge>
      <code>{target.env}</code>
      {target.channel ? <span>{target.channel}</span> : null}
      <Badge tone={target.configured ? "green" : "red"}>{target.configured ? "env set" : "env not set"}</Badge>
      <span className="text-xs text-zinc-500">
        {target.projects.map((p) => (p === "*" ? "all projects" : p)).join(", ")} ·{" "}
        {target.events.map((e) => NOTIFICATION_KIND_LABEL[e]).join(", ")}
      </span>
      <span className="ml-auto flex items-center gap-2">
        {send.isError ? (
          <span role="alert" className="text-xs text-red-600">
            {send.error.message}
          </span>
        ) : null}
        {result ? (
          <span role="status" className={`text-xs ${result.status === "sent" ? "text-emerald-700" : "text-red-600"}`}>
            {result.status === "sent" ? "Test sent" : `Failed: ${result.lastError ?? "unknown error"}`}
          </span>
        ) : null}
        <Button onClick={() => send.mutate({ targetId: target.id })} disabled={send.isPending}>
          {send.isPending ? "Sending…" : "Send test"}
        </Button>
      </span>
    </li>
  );
}
