"use client";

import { useState } from "react";
import type { ClaudeAccount } from "@/lib/schemas/sessions";
import type { WorkerSummary } from "@/lib/schemas/workers";
import { useQuery, useQueryClient, useTRPC, useTRPCClient } from "@/lib/trpc/react";
import { formatElapsed, formatTokens, formatUsd, toTime } from "./session-format";
import { useNow } from "../ui/use-now";
import { Badge, Button, ErrorState, ListSkeleton, Section } from "../ui/ui";

const STATE_TONE = { available: "green", limited: "amber", needs_login: "red", disabled: "neutral" } as const;
const ACCOUNTS_REFRESH_MS = 10_000;

export function useAccounts() {
  const trpc = useTRPC();
  return useQuery({ ...trpc.accounts.list.queryOptions(), refetchInterval: ACCOUNTS_REFRESH_MS });
}

const WORKER_TONE = { healthy: "green", late: "amber", lost: "red" } as const;

/** The `workdeck worker` processes heard from (issue 14): which accounts each holds, and its health. */
function useWorkers() {
  const trpc = useTRPC();
  return useQuery({ ...trpc.workers.list.queryOptions(), refetchInterval: ACCOUNTS_REFRESH_MS });
}

/** Needs-login accounts, one alert each: which account and what to run. */
export function AccountsBanner() {
  const accounts = useAccounts();
  const broken = (accounts.data ?? []).filter((a) => a.state === "needs_login");
  if (!broken.length) return null;
  return (
    <div className="mb-6 space-y-2">
      {broken.map((a) => (
        <div
          key={a.id}
          role="alert"
          data-testid="account-login-banner"
          className="rounded-lg border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-900 dark:border-red-900 dark:bg-red-950/50 dark:text-red-200"
        >
          <p className="font-medium">
            Claude account <span className="font-mono">{a.id}</span> needs login — sessions skip it until it is fixed.
          </p>
          {a.loginHint ? (
            <p className="mt-1">
              Run <code className="rounded bg-red-100 px-1.5 py-0.5 font-mono text-xs dark:bg-red-900/60">{a.loginHint}</code>
            </p>
          ) : null}
          {a.lastError ? <p className="mt-1 text-xs opacity-80">{a.lastError}</p> : null}
        </div>
      ))}
    </div>
  );
}

type RateLimitView = { status: string | null; window: string | null; utilization: number | null; resetsAt: number | null };

function rateLimitOf(info: unknown): RateLimitView | null {
  if (typeof info !== "object" || info === null) return null;
  const o = info as Record<string, unknown>;
  const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  const s = (v: unknown) => (typeof v === "string" ? v : null);
  return { status: s(o.status), window: s(o.rateLimitType), utilization: n(o.utilization), resetsAt: n(o.resetsAt) };
}

/** The account pool: state, parked-until countdown, last rate-limit information, sessions and cost. */
export function AccountsPanel() {
  const accounts = useAccounts();
  const workers = useWorkers();
  const parked = accounts.data?.some((a) => a.state === "limited") ?? false;
  const now = useNow(parked);
  return (
    <Section id="accounts" title="Accounts" count={accounts.data?.length}>
      {accounts.isPending ? (
        <ListSkeleton rows={1} label="Loading accounts" />
      ) : accounts.isError ? (
        <ErrorState title="Could not load accounts" message={accounts.error.message} />
      ) : (
        <ul className="grid gap-3 md:grid-cols-2 xl:grid-cols-3" aria-label="Claude accounts">
          {accounts.data.map((a) => (
            <AccountCard
              key={a.id}
              account={a}
              now={now}
              workers={(workers.data ?? []).filter((w) => w.accounts.some((x) => x.id === a.id))}
            />
          ))}
        </ul>
      )}
    </Section>
  );
}

/**
 * Recheck one account's login, then refresh the pool. A call and two states rather than
 * useMutation: the Sessions tab reads otherwise, and this keeps the mutation hook off it (issue 12).
 */
function useRecheck(id: string) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const [isPending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = () => {
    setPending(true);
    setError(null);
    client.accounts.recheck
      .mutate({ id })
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)))
      .finally(() => {
        setPending(false);
        void queryClient.invalidateQueries(trpc.accounts.pathFilter());
      });
  };
  return { run, isPending, error };
}

function AccountCard({ account: a, now, workers }: { account: ClaudeAccount; now: number; workers: WorkerSummary[] }) {
  const recheck = useRecheck(a.id);
  const until = toTime(a.limitedUntil);
  const rl = rateLimitOf(a.lastRateLimit);
  const check = (a as ClaudeAccount & { lastCheck?: { at: Date; loggedIn: boolean; message: string | null } | null }).lastCheck ?? null;
  return (
    <li
      className="space-y-2 rounded-lg border border-zinc-200 p-3 text-sm dark:border-zinc-800"
      data-testid="account-card"
      data-account-id={a.id}
    >
      <div className="flex items-center gap-2">
        <span className="font-mono font-medium">{a.id}</span>
        <Badge tone={STATE_TONE[a.state]}>{a.state.replace("_", " ")}</Badge>
        {a.implicit ? <Badge>environment login</Badge> : null}
        <Button
          variant="ghost"
          className="ml-auto h-7 px-2 text-xs"
          onClick={recheck.run}
          disabled={recheck.isPending}
          aria-label={`Recheck account ${a.id}`}
        >
          {recheck.isPending ? "Checking…" : "Recheck"}
        </Button>
      </div>
      {a.state === "limited" && until ? (
        <p className="text-amber-800 dark:text-amber-300" data-testid="account-parked">
          Parked until {new Date(until).toLocaleString()} ({until > now ? `in ${formatElapsed(until - now)}` : "any moment"})
        </p>
      ) : null}
      <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-0.5 text-xs">
        <dt className="text-zinc-500">Sessions</dt>
        <dd className="tabular-nums">
          {a.sessionsCount} · {a.runningSessions} running
        </dd>
        <dt className="text-zinc-500">Cost</dt>
        <dd className="tabular-nums">
          {formatUsd(a.costUsd)} · {formatTokens(a.inputTokens)} in / {formatTokens(a.outputTokens)} out
        </dd>
        <dt className="text-zinc-500">Last rate limit</dt>
        <dd>
          {rl?.status
            ? `${rl.status}${rl.window ? ` · ${rl.window.replace(/_/g, " ")}` : ""}${rl.utilization !== null ? ` · ${Math.round(rl.utilization * 100)}% used` : ""}${rl.resetsAt ? ` · resets ${new Date(rl.resetsAt * 1000).toLocaleString()}` : ""}`
            : "none reported"}
        </dd>
        {check ? (
          <>
            <dt className="text-zinc-500">Last check</dt>
            <dd>
              {check.loggedIn ? "logged in" : `not logged in${check.message ? `: ${check.message}` : ""}`} ·{" "}
              {new Date(check.at).toLocaleTimeString()}
            </dd>
          </>
        ) : null}
        {workers.length ? (
          <>
            <dt className="text-zinc-500">{workers.length === 1 ? "Worker" : "Workers"}</dt>
            <dd>
              <ul aria-label={`Workers holding account ${a.id}`}>
                {workers.map((w) => {
                  const held = w.accounts.find((x) => x.id === a.id);
                  return (
                    <li key={w.name} className="flex flex-wrap items-center gap-1.5" data-testid="account-worker" data-worker={w.name}>
                      <span className="font-mono">{w.name}</span>
                      <Badge tone={WORKER_TONE[w.health]} title={`Last heartbeat ${new Date(w.lastSeenAt).toLocaleString()}`}>
                        {w.health}
                      </Badge>
                      {held && !held.ready ? <span className="text-zinc-500">not ready{held.reason ? `: ${held.reason}` : ""}</span> : null}
                    </li>
                  );
                })}
              </ul>
            </dd>
          </>
        ) : null}
        {a.configDir ? (
          <>
            <dt className="text-zinc-500">Config dir</dt>
            <dd className="truncate font-mono" title={a.configDir}>
              {a.configDir}
            </dd>
          </>
        ) : null}
      </dl>
      {a.lastError && a.state !== "needs_login" ? <p className="text-xs text-zinc-500">Last error: {a.lastError}</p> : null}
      {recheck.error ? <p className="text-xs text-red-700 dark:text-red-300">{recheck.error}</p> : null}
    </li>
  );
}
