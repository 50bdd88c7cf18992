/**
 * The sessions a `workdeck worker` runs (issue 14): it claims one for its ready accounts, streams
 * the run's messages back, reports the run's end, and long-polls for what people asked of its
 * sessions. The server applies each step as a local run would (run.ts), so a worker's session
 * reads, parks and resumes like any other. The worker is named in every call and may only touch
 * the sessions it holds (`sessions.worker`); no credential goes either way.
 */
import { sql } from "drizzle-orm";
import { sqlValues } from "../db/dialect-sql";
import { parseMessage } from "@/packages/claude-session/src/index";
import type { SessionRun } from "@/lib/schemas/sessions";
import {
  WorkerAppendInputSchema,
  WorkerClaimInputSchema,
  WorkerFinishInputSchema,
  WorkerPollInputSchema,
  type WorkerAppendInput,
  type WorkerClaim,
  type WorkerClaimInput,
  type WorkerCommand,
  type WorkerFinishInput,
  type WorkerPollInput,
  type WorkerPollResult,
} from "@/lib/schemas/workers";
import type { z } from "zod";
import { AppError } from "../app-error";
import type { EventBus } from "../events/bus";
import { newAgentToken, revokeAgentTokens, storeAgentToken } from "../auth/credentials";
import type { SessionRunner } from "../sessions/service";
import { dueSessions } from "../sessions/queue";
import { applyOutcome, CONTINUE_TEXT, eventType, releaseJob, stopAskedAt, type RunContext } from "../sessions/run";
import { newProcessMark } from "../sessions/processes";
import { newRun, type SessionChange, type SessionRow } from "../sessions/rows";
import { sessionGate } from "../dependencies/service";
import { markSilentWorkersLost, type WorkerDeps } from "./service";

export type WorkerSessionDeps = WorkerDeps & { bus: EventBus; sessions: SessionRunner };

function parse<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success)
    throw new AppError("BAD_REQUEST", `Bad ${what}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return parsed.data as z.infer<S>;
}

async function knownWorker(deps: WorkerSessionDeps, name: string): Promise<void> {
  const row = await deps.sqlStore.get<{ lost_at: number | null }>(sql`SELECT lost_at FROM workers WHERE name = ${name}`);
  if (!row) throw new AppError("CONFLICT", `Worker "${name}" has sent no heartbeat: send one first`, "unknown_worker");
  if (row.lost_at !== null)
    throw new AppError("CONFLICT", `Worker "${name}" was lost (silent too long): its next heartbeat brings it back`, "worker_lost");
}

/** What a worker's claim writes on the session: running there, on `account`, under no server's lease. */
function workerPlan(name: string, s: SessionRow, accountId: string): { change: SessionChange; run: SessionRun } {
  const runs = (s.runs as SessionRun[]) ?? [];
  const run = newRun(runs, accountId, !!(s.claudeSessionId && runs.length));
  const change: SessionChange = {
    ownerLease: null,
    worker: name,
    processMark: newProcessMark(),
    pid: null,
    accountId,
    startedAt: s.startedAt ?? new Date(),
    notBefore: null,
    pendingText: null,
    runs: [...runs, run],
  };
  return { change, run };
}

/**
 * The next queued session for one of the worker's ready accounts, now running there; null when
 * there is none. Answered at once, never held open like `poll`: a claim made for a request whose
 * worker died meanwhile would strand the session on it until the lost-worker sweep.
 */
export async function claimForWorker(deps: WorkerSessionDeps, raw: WorkerClaimInput): Promise<WorkerClaim | null> {
  const input = parse(WorkerClaimInputSchema, raw, "claim");
  await knownWorker(deps, input.name);
  const ctx = deps.sessions.runContext;
  const known = new Set(ctx.pool.accounts.filter((a) => !a.implicit).map((a) => a.id));
  const unknown = input.accounts.filter((id) => !known.has(id));
  if (unknown.length)
    throw new AppError("BAD_REQUEST", `Unknown account${unknown.length === 1 ? "" : "s"} ${unknown.map((id) => `"${id}"`).join(", ")}`);

  const queue = await dueSessions(ctx.store.sql);
  const startable: SessionRow[] = [];
  for (const s of queue.due) if ((await sessionGate(ctx.deps, s)).action === "start") startable.push(s);
  const { claimed } = await ctx.queue.claim({ worker: input.accounts }, startable, (row, account) =>
    workerPlan(input.name, row, account.id),
  );
  if (!claimed) return null;
  const { row: s, account, plan } = claimed;
  const id = s.id;
  const runs = (s.runs as SessionRun[]) ?? [];
  const resumeId = s.claudeSessionId && runs.length ? s.claudeSessionId : null;
  const text = s.pendingText ?? CONTINUE_TEXT;
  const freshText = s.pendingText ? `${s.prompt}\n\n${s.pendingText}` : s.prompt;
  if (s.accountId && s.accountId !== account.id)
    await ctx.store.note(id, "workdeck/account_switched", { from: s.accountId, to: account.id, worker: input.name });
  ctx.pool
    .addUsage(account.id, { costUsd: 0, inputTokens: 0, outputTokens: 0 }, s.accountId !== account.id)
    .catch((err: unknown) => ctx.deps.log.warn({ err, accountId: account.id }, "could not count a session on its account"));
  await ctx.store.note(id, "workdeck/run_started", { run: plan.run.n, accountId: account.id, resume: resumeId, worker: input.name });
  const after = await ctx.store.note(id, "workdeck/user_message", { text: resumeId ? text : freshText });
  // A stop that found the session running before this answer was made is noted before `after`,
  // where the worker's poll never reads: noted again past it.
  if (((await stopAskedAt(ctx.store, id)) ?? after) < after) await ctx.store.note(id, "workdeck/stop_requested", { reason: "stopped" });
  // Stored before the worker hears of it: its Claude's first hook may come at once.
  const agentToken = ctx.deps.hooks?.token ? newAgentToken() : null;
  if (agentToken) await storeAgentToken(deps.sqlStore, id, agentToken);
  await ctx.store.publishUpdated(id);
  return {
    sessionId: id,
    projectSlug: s.projectSlug,
    cwd: s.cwd,
    accountId: account.id,
    run: plan.run.n,
    resumeId,
    text,
    freshText,
    options: s.options as WorkerClaim["options"],
    prior: { costUsd: s.costUsd, inputTokens: s.inputTokens, outputTokens: s.outputTokens, numTurns: s.numTurns },
    agentToken,
    after,
  };
}

/** The session, if this worker runs it now: another worker's is FORBIDDEN, an ended one a CONFLICT (the worker stops its run). */
async function heldSession(ctx: RunContext, name: string, id: number): Promise<SessionRow> {
  const s = await ctx.store.row(id);
  if (s.worker !== name) throw new AppError("FORBIDDEN", `Session ${id} is not run by worker "${name}"`, "not_held");
  if (s.status !== "running")
    throw new AppError("CONFLICT", `Session ${id} is ${s.status}, no longer running on worker "${name}"`, "not_running");
  return s;
}

/** Stores a batch of the run's messages in order and announces each, as a local run does (run.ts consume). */
export async function appendFromWorker(deps: WorkerSessionDeps, raw: WorkerAppendInput): Promise<{ stored: number; lastSeq: number }> {
  const input = parse(WorkerAppendInputSchema, raw, "append");
  const ctx = deps.sessions.runContext;
  const s = await heldSession(ctx, input.name, input.sessionId);
  let lastSeq = 0;
  for (const message of input.messages) {
    const type = eventType(message);
    if (type.startsWith("workdeck/")) {
      // The worker runner's own notes (permission requests and answers, its stop...), typed by the
      // note; the commands it was sent are the server's notes already.
      if (COMMAND_NOTES.includes(type)) continue;
      const { type: _type, ...payload } = message as Record<string, unknown>;
      lastSeq = await ctx.store.note(s.id, type, payload);
      continue;
    }
    lastSeq = await ctx.store.note(s.id, type, message);
    const m = parseMessage(message);
    if (m.kind === "init" && m.msg.session_id) await ctx.store.update(s.id, { claudeSessionId: m.msg.session_id });
    if (m.kind === "rate_limit" && s.accountId) await ctx.pool.recordRateLimit(s.accountId, m.msg.rate_limit_info);
  }
  if (input.totals) await ctx.store.update(s.id, input.totals);
  return { stored: input.messages.length, lastSeq };
}

/** The end of a worker's run, applied as a local run's end (run.ts applyOutcome): status, spend, parking, requeue. */
export async function finishFromWorker(deps: WorkerSessionDeps, raw: WorkerFinishInput): Promise<{ status: string }> {
  const input = parse(WorkerFinishInputSchema, raw, "finish");
  const ctx = deps.sessions.runContext;
  const s = await heldSession(ctx, input.name, input.sessionId);
  const accountId = s.accountId ?? "";
  await revokeAgentTokens(deps.sqlStore, s.id);
  const runs = (s.runs as SessionRun[]) ?? [];
  const last = runs[runs.length - 1];
  const ended = runs.map((r) =>
    r === last ? { ...r, ...input.run, endedAt: Date.now(), outcome: input.stopping ?? input.outcome.kind } : r,
  );
  await ctx.pool.addUsage(accountId, input.run, false);
  await ctx.store.update(s.id, { runs: ended, pid: null, ...input.totals });
  await ctx.store.note(s.id, "workdeck/run_ended", {
    run: last?.n ?? null,
    outcome: input.outcome,
    exit: input.exit,
    stopping: input.stopping,
    stderr: input.stderr,
    thrown: input.thrown,
    worker: input.name,
  });
  // Before the outcome, as a local run's end (run.ts): while running, its job is this run's.
  await releaseJob(ctx, s.id);
  await applyOutcome(ctx, s.id, { accountId, stopping: input.stopping }, input.outcome);
  await ctx.store.publishUpdated(s.id);
  // A requeued session may go to another holder of an account, this server's own runner included.
  void ctx.schedule();
  return { status: (await ctx.store.row(s.id)).status };
}

type CommandRaw = { session_id: number | string; seq: number | string; type: string; payload: string };

/** The notes that are commands for the run: sessions.send, sessions.stop and permission answers of a worker's session. */
const COMMAND_NOTES = ["workdeck/user_message", "workdeck/stop_requested", "workdeck/permission_answer"];

function toCommand(r: CommandRaw): WorkerCommand {
  const sessionId = Number(r.session_id);
  const seq = Number(r.seq);
  const p = JSON.parse(r.payload) as Record<string, unknown>;
  if (r.type === "workdeck/user_message") return { kind: "send", sessionId, seq, text: String(p.text ?? "") };
  if (r.type === "workdeck/stop_requested") return { kind: "stop", sessionId, seq, reason: p.reason === "timeout" ? "timeout" : "stopped" };
  return {
    kind: "permission",
    sessionId,
    seq,
    requestId: String(p.requestId),
    allow: p.allow === true,
    ...(p.always === true ? { always: true } : {}),
    ...(typeof p.message === "string" ? { message: p.message } : {}),
  };
}

async function pendingCommands(
  deps: WorkerSessionDeps,
  name: string,
  sessions: { sessionId: number; after: number }[],
): Promise<WorkerPollResult> {
  if (!sessions.length) return { commands: [], gone: [] };
  const ids = sessions.map((s) => s.sessionId);
  const held = await deps.sqlStore.all<{ id: number | string }>(
    sql`SELECT id FROM sessions WHERE worker = ${name} AND status = 'running' AND id IN (${sqlValues(ids)})`,
  );
  const running = new Set(held.map((r) => Number(r.id)));
  const gone = ids.filter((id) => !running.has(id));
  const mine = sessions.filter((s) => running.has(s.sessionId));
  if (!mine.length) return { commands: [], gone };
  const rows = await deps.sqlStore.all<CommandRaw>(
    sql`SELECT session_id, seq, type, payload FROM session_events
        WHERE (${sql.join(
          mine.map((s) => sql`(session_id = ${s.sessionId} AND seq > ${s.after})`),
          sql` OR `,
        )}) AND type IN (${sqlValues(COMMAND_NOTES)})
        ORDER BY session_id, seq`,
  );
  return { commands: rows.map(toCommand), gone };
}

/**
 * The long poll: what was asked of the worker's sessions after the seq it has seen, or, once
 * there is nothing for `waitMs`, nothing. It wakes on the bus (which every instance relays) and
 * rereads every two seconds besides, so a command stored by any instance reaches the worker.
 */
export async function pollForWorker(deps: WorkerSessionDeps, raw: WorkerPollInput, signal?: AbortSignal): Promise<WorkerPollResult> {
  const input = parse(WorkerPollInputSchema, raw, "poll");
  const deadline = Date.now() + input.waitMs;
  const ids = new Set(input.sessions.map((s) => s.sessionId));
  let wake: (() => void) | null = null;
  const off = deps.bus.on((e) => {
    if ((e.type === "sessions.event" || e.type === "sessions.updated") && ids.has(e.sessionId)) wake?.();
  });
  try {
    for (;;) {
      const found = await pendingCommands(deps, input.name, input.sessions);
      const left = deadline - Date.now();
      if (found.commands.length || found.gone.length || left <= 0 || signal?.aborted) return found;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 2_000));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  } finally {
    off();
  }
}

/**
 * The leader's sweep: workers silent past the limit are lost (once across instances) and the
 * sessions they ran become interrupted, naming the worker, resumable on another holder of the account.
 */
export async function interruptLostWorkers(deps: WorkerSessionDeps, now = Date.now()): Promise<{ worker: string; sessions: number[] }[]> {
  const lost = await markSilentWorkersLost(deps, now);
  const ctx = deps.sessions.runContext;
  const out: { worker: string; sessions: number[] }[] = [];
  for (const w of lost) {
    const rows = await deps.sqlStore.all<{ id: number | string }>(
      sql`SELECT id FROM sessions WHERE worker = ${w.name} AND status = 'running' ORDER BY id`,
    );
    const interrupted: number[] = [];
    for (const r of rows) {
      const id = Number(r.id);
      const message = `Worker "${w.name}" stopped sending heartbeats while this session ran`;
      const { changes } = await deps.sqlStore.run(
        sql`UPDATE sessions SET status = 'interrupted', exit_reason = 'worker_lost', exit_message = ${message}, ended_at = ${now}, pid = NULL
            WHERE id = ${id} AND status = 'running' AND worker = ${w.name}`,
      );
      if (!changes) continue;
      interrupted.push(id);
      await releaseJob(ctx, id);
      await revokeAgentTokens(deps.sqlStore, id);
      await ctx.store.note(id, "workdeck/interrupted", { reason: "worker_lost", worker: w.name });
      await ctx.store.publishUpdated(id);
    }
    out.push({ worker: w.name, sessions: interrupted });
  }
  return out;
}
