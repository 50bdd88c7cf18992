import { sql } from "drizzle-orm";
import type { Outcome } from "@/packages/claude-session/src/index";
import type { SessionOptions, SessionRun, SessionStatus } from "@/lib/schemas/sessions";
import { backoffDelay } from "@/lib/backoff";
import type { AccountPool, PoolAccount } from "../accounts/service";
import { newAgentToken, revokeAgentTokens, storeAgentToken } from "../auth/credentials";
import { sqlStoreOf } from "../accounts/rows";
import type { ServerLease } from "./server-lease";
import { killRunProcesses, newProcessMark } from "./processes";
import { transcriptSaved } from "./state";
import type { SessionPermissions } from "./permissions";
import type { RunCommands } from "./steering";
import { copyTranscript, transcriptDirs } from "./account-use";
import { sleep, type RunnerTuning, type SessionsDeps } from "./deps";
import type { SessionStore } from "./store";
import { newRun, type SessionChange, type SessionRow } from "./rows";
import type { Claimed, SessionQueue } from "./queue";
import { driveRun, eventType, startProcess, type ActiveRun, type RunSink } from "./run-process";

export { claudeBinary, eventType, type ActiveRun } from "./run-process";

/**
 * One run: one Claude Code process for a session, through the SDK's `query()` with streaming
 * input (so `send` can push follow-ups). Every message is stored and announced; at the end the
 * claude-session classifier decides what it means: continue on another account after a usage
 * limit, skip an account whose login failed, retry a transient API failure with backoff, or finish.
 */

export const CONTINUE_TEXT = "Continue the task where you left off.";

/** What a run needs from the runner that owns it. */
export type RunContext = {
  deps: SessionsDeps;
  tuning: RunnerTuning;
  store: SessionStore;
  pool: AccountPool;
  permissions: SessionPermissions;
  /** Messages and permission answers stored for this process's runs, from any instance (steering.ts). */
  commands: RunCommands;
  lease: ServerLease;
  /** The runs of this process, by session id: a run adds itself and removes itself when it ends. */
  active: Map<number, ActiveRun>;
  /** Asks the queue to start what it can; resolves once that pass is done. */
  schedule: () => Promise<void>;
  /** For the session's timeout. */
  stop: (id: number, reason: "timeout") => Promise<unknown>;
  /** The session queue (queue.ts): a run's end releases its job. */
  queue: SessionQueue;
};

/** What a claim writes on the session (running here, on `account`) and what its run starts with. */
export type RunPlan = { change: SessionChange; run: SessionRun; mark: string; resumeId: string | null; saved: boolean; text: string };

/**
 * The run a claimed session gets on `account` (queue.ts claimNext writes `change`): resumed when
 * its transcript is at hand, with the pending text or the prompt; this process's lease and the
 * mark its processes will carry. Synchronous (it only reads files): it runs inside the claim.
 */
export function planRun(ctx: Pick<RunContext, "deps" | "pool">, s: SessionRow, account: PoolAccount, lease: string): RunPlan {
  const { deps, pool } = ctx;
  const runs = (s.runs as SessionRun[]) ?? [];
  const saved =
    s.claudeSessionId && runs.length ? transcriptSaved(transcriptDirs(pool, deps.baseEnv, account, s.accountId), s.claudeSessionId) : false;
  const resumeId = saved ? s.claudeSessionId : null;
  const text = resumeId ? (s.pendingText ?? CONTINUE_TEXT) : s.pendingText ? `${s.prompt}\n\n${s.pendingText}` : s.prompt;
  const run = newRun(runs, account.id, !!resumeId);
  const mark = newProcessMark();
  const change: SessionChange = {
    ownerLease: lease,
    worker: null,
    processMark: mark,
    accountId: account.id,
    startedAt: s.startedAt ?? new Date(),
    notBefore: null,
    pendingText: null,
    runs: [...runs, run],
  };
  return { change, run, mark, resumeId, saved, text };
}

/** Starts the run of a session this process claimed (queue.ts) on its account. */
export async function launchRun(ctx: RunContext, claimed: Claimed<RunPlan>): Promise<void> {
  const { deps, store, pool } = ctx;
  const { row: s, account, plan } = claimed;
  const { run, mark, resumeId, saved, text } = plan;
  const runs = (s.runs as SessionRun[]) ?? [];
  const previousAccount = s.accountId;
  if (resumeId && previousAccount && previousAccount !== account.id) {
    const from = pool.find(previousAccount);
    const moved = from ? copyTranscript(pool, deps.baseEnv, from, account, resumeId) : false;
    await store.note(s.id, "workdeck/account_switched", { from: previousAccount, to: account.id, transcriptCopied: moved });
  }
  pool
    .addUsage(account.id, { costUsd: 0, inputTokens: 0, outputTokens: 0 }, previousAccount !== account.id)
    .catch((err: unknown) => deps.log.warn({ err, accountId: account.id }, "could not count a session on its account"));
  await store.note(s.id, "workdeck/run_started", {
    run: run.n,
    accountId: account.id,
    resume: resumeId,
    ...(s.claudeSessionId && runs.length && !saved ? { transcriptMissing: s.claudeSessionId } : {}),
  });
  const textSeq = await store.note(s.id, "workdeck/user_message", { text });
  await store.publishUpdated(s.id);

  const options = s.options as SessionOptions;
  const agentToken = deps.hooks?.token ? newAgentToken() : undefined;
  const active = startProcess({
    deps,
    pool,
    account,
    sessionId: s.id,
    projectSlug: s.projectSlug,
    cwd: s.cwd,
    options,
    resumeId,
    text,
    mark,
    agentToken,
    canUseTool: ctx.permissions.handler(s.id, ctx.tuning.permissionTimeoutMs ?? (options.timeoutMinutes ?? 10) * 60_000),
    // The agent token is stored before the child starts.
    before: agentToken ? storeAgentToken(sqlStoreOf(deps), s.id, agentToken) : undefined,
    onPid: (pid) =>
      void store.update(s.id, { pid }).catch((err: unknown) => deps.log.warn({ err, sessionId: s.id }, "could not record a run's pid")),
  });
  if (options.timeoutMinutes) {
    active.timer = setTimeout(() => void ctx.stop(s.id, "timeout").catch(() => {}), options.timeoutMinutes * 60_000);
    active.timer.unref();
  }
  ctx.active.set(s.id, active);
  active.done = consume(ctx, s, active, run, !!resumeId).catch((err) => deps.log.error({ err, sessionId: s.id }, "session run failed"));
  // Messages stored after its first one, also those stored before it was active here, reach it now.
  void ctx.commands.attach(active, textSeq);
  // A stop asked after the claim and before the run was active here found no run to end: its note did.
  if ((await stopAskedAt(store, s.id)) !== null)
    void stopRun(ctx, active, "stopped", { noted: true }).catch((err: unknown) => deps.log.warn({ err, sessionId: s.id }, "stop failed"));
}

/**
 * The seq of the stop asked of the session's current request, if any: a stop note after its last
 * run's end and after its last resume (a stop asked as that run ended was meant for the session too).
 */
export async function stopAskedAt(store: Pick<SessionStore, "sql">, id: number): Promise<number | null> {
  const row = await store.sql.get<{ seq: number | string | null }>(
    sql`SELECT MAX(seq) AS seq FROM session_events WHERE session_id = ${id} AND type = 'workdeck/stop_requested' AND seq > COALESCE(
          (SELECT MAX(seq) FROM session_events WHERE session_id = ${id} AND type IN ('workdeck/run_ended', 'workdeck/resume_requested')), 0)`,
  );
  return row?.seq == null ? null : Number(row.seq);
}

/**
 * Ends a run ourselves: interrupt, then (after the grace) abort and kill its processes; resolves
 * once it recorded its end. `noted`: the stop's note is stored already (another instance's stop).
 */
export async function stopRun(
  ctx: { tuning: Pick<RunnerTuning, "stopGraceMs">; store: Pick<SessionStore, "note"> },
  run: ActiveRun,
  reason: "stopped" | "timeout",
  opts: { noted?: boolean } = {},
): Promise<void> {
  if (run.stopping) return run.done;
  run.stopping = reason;
  if (!opts.noted) await ctx.store.note(run.sessionId, "workdeck/stop_requested", { reason });
  try {
    await Promise.race([run.query.then((q) => q.interrupt()), sleep(ctx.tuning.stopGraceMs)]);
  } catch {
    // The process may already be gone.
  }
  run.input.close();
  const killer = setTimeout(() => {
    run.abort.abort();
    killRunProcesses({ mark: run.mark, pid: run.child?.pid ?? null });
  }, ctx.tuning.stopGraceMs);
  killer.unref();
  await run.done;
  clearTimeout(killer);
}

/** Server shutdown: the run ends at once and its session becomes interrupted. */
export function shutdownRun(run: ActiveRun): void {
  run.stopping = "shutdown";
  run.input.close();
  run.abort.abort();
  killRunProcesses({ mark: run.mark, pid: run.child?.pid ?? null });
}

/** The server's own run: every message stored and announced here, the end applied here. */
async function consume(ctx: RunContext, s: SessionRow, active: ActiveRun, run: SessionRun, resumed: boolean): Promise<void> {
  const { deps, store, pool } = ctx;
  const prior = { costUsd: s.costUsd, inputTokens: s.inputTokens, outputTokens: s.outputTokens, numTurns: s.numTurns };
  const sink: RunSink = {
    async message(raw, m, totals) {
      await store.note(s.id, eventType(raw), raw);
      if (m.kind === "init" && m.msg.session_id) await store.update(s.id, { claudeSessionId: m.msg.session_id });
      if (m.kind === "rate_limit") await pool.recordRateLimit(active.accountId, m.msg.rate_limit_info);
      if (totals) await store.update(s.id, totals);
      // The result ends the input (state.ts): a message stored before it (steering.ts refuses one
      // after it) that the bus has not brought yet goes in first, so Claude Code still answers it.
      if (m.kind === "result") await ctx.commands.drain(active);
    },
  };
  const end = await driveRun(active, sink, prior, resumed, () => ctx.permissions.clear(s.id));
  ctx.active.delete(s.id);
  await revokeAgentTokens(sqlStoreOf(deps), s.id);

  const runs = ((await store.row(s.id)).runs as SessionRun[]).map((r) =>
    r.n === run.n ? { ...r, ...end.run, endedAt: Date.now(), outcome: end.stopping ?? end.outcome.kind } : r,
  );
  await pool.addUsage(active.accountId, end.run, false);
  await store.update(s.id, { runs, pid: null });
  await store.note(s.id, "workdeck/run_ended", {
    run: run.n,
    outcome: end.outcome,
    exit: end.exit,
    stopping: end.stopping,
    stderr: end.stderr,
    thrown: end.thrown,
  });
  // Before the outcome: while the session is running no claim sends it again, so this is its run's job.
  await releaseJob(ctx, s.id);
  await applyOutcome(ctx, s.id, active, end.outcome);
  await store.publishUpdated(s.id);
  void ctx.schedule();
}

/** What the run's end means for the session and its account (a worker's run's too: workers/sessions.ts). */
export async function applyOutcome(
  ctx: Pick<RunContext, "store" | "pool" | "tuning" | "deps">,
  id: number,
  active: Pick<ActiveRun, "accountId" | "stopping">,
  outcome: Outcome,
): Promise<void> {
  const { store, pool, tuning } = ctx;
  const now = new Date();
  const text = "text" in outcome ? outcome.text : null;
  if (active.stopping) {
    const status: SessionStatus = active.stopping === "shutdown" ? "interrupted" : "stopped";
    await store.update(id, { status, exitReason: active.stopping, exitMessage: text, endedAt: now });
    return;
  }
  const s = await store.row(id);
  switch (outcome.kind) {
    case "success":
      await store.update(id, { status: "completed", exitReason: "success", exitMessage: text, endedAt: now, attempts: 0 });
      return;
    case "usage_limit": {
      const until = await pool.park(active.accountId, outcome.resetsAt, outcome.rateLimitInfo, outcome.text);
      await store.note(id, "workdeck/account_parked", {
        accountId: active.accountId,
        until: until.toISOString(),
        limitType: outcome.limitType,
      });
      await requeue(ctx, id, s, "usage_limit", text);
      return;
    }
    case "auth_failed":
      await pool.needsLogin(active.accountId, outcome.text, ctx.deps.baseEnv);
      await store.note(id, "workdeck/account_needs_login", { accountId: active.accountId, message: outcome.text });
      await requeue(ctx, id, s, "auth_failed", text);
      return;
    case "transient": {
      if (s.attempts >= tuning.maxRetries) {
        await store.update(id, { status: "failed", exitReason: "transient", exitMessage: text, endedAt: now });
        return;
      }
      const delay = backoffDelay(s.attempts, { baseMs: tuning.retryBaseMs, maxMs: tuning.retryMaxMs, jitter: true });
      await store.update(id, {
        status: "queued",
        attempts: s.attempts + 1,
        notBefore: new Date(Date.now() + delay),
        exitReason: "transient",
        exitMessage: text,
      });
      await store.note(id, "workdeck/retry_scheduled", { attempt: s.attempts + 1, delayMs: delay, reason: outcome.reason });
      return;
    }
    case "crashed":
      await store.update(id, { status: "crashed", exitReason: "crashed", exitMessage: text, endedAt: now });
      return;
    default:
      await store.update(id, { status: "failed", exitReason: outcome.kind, exitMessage: text, endedAt: now });
  }
}

/**
 * The run's job is done whatever the outcome (a requeued session gets a new one when it is due,
 * maybe on another account); a failure is logged, and the next claim cancels the job instead.
 */
export async function releaseJob(ctx: Pick<RunContext, "queue" | "deps">, id: number): Promise<void> {
  await ctx.queue.release(id).catch((err: unknown) => ctx.deps.log.warn({ err, sessionId: id }, "could not release a session's job"));
}

/** Back to the queue to continue on another account (or this one after its reset); a pinned session waits for its own. */
async function requeue(
  ctx: Pick<RunContext, "store" | "pool" | "deps">,
  id: number,
  s: SessionRow,
  reason: string,
  text: string | null,
): Promise<void> {
  await ctx.store.update(id, { status: "queued", exitReason: reason, exitMessage: text, notBefore: null });
  const options = s.options as SessionOptions;
  const next = await ctx.pool.pick({ pinned: options.accountId ?? null, env: ctx.deps.baseEnv });
  if (!next.account) await ctx.store.note(id, "workdeck/waiting_for_account", { until: next.until?.toISOString() ?? null });
}
