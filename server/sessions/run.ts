import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { Options, Query, SpawnOptions } from "@anthropic-ai/claude-agent-sdk";
import {
  classifyRun,
  parseMessage,
  RunAccounting,
  type ClaudeMessage,
  type Outcome,
  type ResultMessage,
} from "@/packages/claude-session/src/index";
import type { SessionOptions, SessionRun, SessionStatus } from "@/lib/schemas/sessions";
import { backoffDelay } from "@/lib/backoff";
import { AppError } from "../app-error";
import type { AccountPool, PoolAccount } from "../accounts/service";
import { newAgentToken, revokeAgentTokens, storeAgentToken } from "../auth/credentials";
import { sqlStoreOf } from "../accounts/rows";
import { HOOK_EVENTS, hookCommand, isOurHook } from "../agents/hooks-settings";
import type { ServerLease } from "./server-lease";
import { killGroup, killRunProcesses, newProcessMark, PROCESS_MARK_VAR } from "./processes";
import { InputQueue, transcriptSaved } from "./state";
import type { SessionPermissions } from "./permissions";
import { childEnv, copyTranscript, transcriptDirs } from "./account-use";
import { sessionMcpServers, withWorkdeckTools } from "../mcp/attach";
import { sleep, type RunnerTuning, type SessionsDeps } from "./deps";
import type { SessionStore } from "./store";
import type { SessionChange, SessionRow } from "./rows";
import type { Claimed } from "./queue";

/**
 * One run: one Claude Code process for a session, through the SDK's `query()` with streaming
 * input (so `send` can push follow-ups). Every message is stored and announced; at the end the
 * claude-session classifier decides what it means: continue on another account after a usage
 * limit, skip an account whose login failed, retry a transient API failure with backoff, or finish.
 */

export const CONTINUE_TEXT = "Continue the task where you left off.";

export type ActiveRun = {
  sessionId: number;
  accountId: string;
  /** The SDK query once the SDK is imported (lazily, on the first run). */
  query: Promise<Query>;
  input: InputQueue;
  abort: AbortController;
  child: ChildProcess | null;
  /** In the environment of every process of the run (session-processes.ts). */
  mark: string;
  exit: { code: number | null; signal: string | null } | null;
  stderr: string;
  /** Why we are ending it ourselves: "stopped" | "timeout" | "shutdown". */
  stopping: "stopped" | "timeout" | "shutdown" | null;
  timer: NodeJS.Timeout | null;
  done: Promise<void>;
};

/** What a run needs from the runner that owns it. */
export type RunContext = {
  deps: SessionsDeps;
  tuning: RunnerTuning;
  store: SessionStore;
  pool: AccountPool;
  permissions: SessionPermissions;
  lease: ServerLease;
  /** The runs of this process, by session id: a run adds itself and removes itself when it ends. */
  active: Map<number, ActiveRun>;
  /** Asks the queue to start what it can; resolves once that pass is done. */
  schedule: () => Promise<void>;
  /** For the session's timeout. */
  stop: (id: number, reason: "timeout") => Promise<unknown>;
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
  const run: SessionRun = {
    n: runs.length + 1,
    accountId: account.id,
    resumed: !!resumeId,
    startedAt: Date.now(),
    endedAt: null,
    costUsd: 0,
    inputTokens: 0,
    outputTokens: 0,
    numTurns: 0,
    outcome: null,
  };
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
  await store.note(s.id, "workdeck/user_message", { text });
  await store.publishUpdated(s.id);

  const abort = new AbortController();
  const input = new InputQueue();
  input.push(text);
  const options = s.options as SessionOptions;
  const active: ActiveRun = {
    sessionId: s.id,
    accountId: account.id,
    query: null as unknown as Promise<Query>,
    input,
    abort,
    child: null,
    mark,
    exit: null,
    stderr: "",
    stopping: null,
    timer: null,
    done: Promise.resolve(),
  };
  const agentToken = deps.hooks?.token ? newAgentToken() : undefined;
  const env = childEnv(pool, deps, account, s.id, agentToken);
  // Workdeck's own MCP server, scoped to the project, with this run's agent token (mcp/attach.ts).
  const mcpServers = sessionMcpServers(options.mcpServers, deps.hooks, s.projectSlug, env.WORKDECK_AGENT_TOKEN);
  const sdkOptions: Options = {
    cwd: s.cwd,
    env,
    settings: launchSettings(pool, deps, account, s.cwd),
    pathToClaudeCodeExecutable: claudeBinary(deps.claudePath),
    abortController: abort,
    resume: resumeId ?? undefined,
    model: options.model,
    fallbackModel: options.fallbackModel,
    permissionMode: options.permissionMode,
    // Asked of the user on the session page; bypassPermissions never asks.
    canUseTool:
      options.permissionMode === "bypassPermissions"
        ? undefined
        : ctx.permissions.handler(s.id, ctx.tuning.permissionTimeoutMs ?? (options.timeoutMinutes ?? 10) * 60_000),
    allowDangerouslySkipPermissions: options.permissionMode === "bypassPermissions" ? true : undefined,
    allowedTools: withWorkdeckTools(options.allowedTools, mcpServers),
    maxTurns: options.maxTurns,
    maxBudgetUsd: options.maxBudgetUsd,
    mcpServers: mcpServers as Options["mcpServers"],
    // The launch's sub-agent runs the main thread (overrides.agent).
    agents: options.agent && options.agentDefinition ? { [options.agent]: options.agentDefinition } : undefined,
    agent: options.agent && options.agentDefinition ? options.agent : undefined,
    strictMcpConfig: options.mcpServers ? true : undefined,
    // MCP server configs (their env and headers) over stdin rather than the command line other
    // users can read; an older binary named by WORKDECK_CLAUDE_PATH only reads them from argv.
    mcpServersDelivery: deps.claudePath ? "argv" : "initialize",
    // Own spawn: a process group per run (so a kill takes the tools' children too) and the pid
    // in the row (so a restarted server can kill an orphan).
    spawnClaudeCodeProcess: (o: SpawnOptions) => {
      const child = spawn(o.command, o.args, {
        cwd: o.cwd,
        env: { ...(o.env as NodeJS.ProcessEnv), [PROCESS_MARK_VAR]: mark },
        stdio: ["pipe", "pipe", "pipe"],
        detached: true,
      });
      active.child = child;
      child.stderr?.on("data", (d: Buffer) => (active.stderr = (active.stderr + d.toString("utf8")).slice(-8_000)));
      child.on("exit", (code, signal) => (active.exit = { code, signal }));
      child.on("error", () => {});
      o.signal?.addEventListener("abort", () => child.pid && killGroup(child.pid, "SIGTERM"));
      if (child.pid)
        store
          .update(s.id, { pid: child.pid })
          .catch((err: unknown) => deps.log.warn({ err, sessionId: s.id }, "could not record a run's pid"));
      return child;
    },
  };
  // Imported on the first run: CLI commands and servers that never start one do not load the SDK (issue 12).
  // The agent token is stored before the child starts.
  const tokenStored = agentToken ? storeAgentToken(sqlStoreOf(deps), s.id, agentToken) : undefined;
  active.query = Promise.all([import("@anthropic-ai/claude-agent-sdk"), tokenStored]).then(([{ query }]) =>
    query({ prompt: input, options: sdkOptions }),
  );
  if (options.timeoutMinutes) {
    active.timer = setTimeout(() => void ctx.stop(s.id, "timeout").catch(() => {}), options.timeoutMinutes * 60_000);
    active.timer.unref();
  }
  ctx.active.set(s.id, active);
  active.done = consume(ctx, s, active, run, !!resumeId).catch((err) => deps.log.error({ err, sessionId: s.id }, "session run failed"));
}

/** Ends a run ourselves: interrupt, then (after the grace) abort and kill its processes; resolves once it recorded its end. */
export async function stopRun(ctx: RunContext, run: ActiveRun, reason: "stopped" | "timeout"): Promise<void> {
  if (run.stopping) return run.done;
  run.stopping = reason;
  await ctx.store.note(run.sessionId, "workdeck/stop_requested", { reason });
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

async function consume(ctx: RunContext, s: SessionRow, active: ActiveRun, run: SessionRun, resumed: boolean): Promise<void> {
  const { deps, store, pool } = ctx;
  const prior = { costUsd: s.costUsd, inputTokens: s.inputTokens, outputTokens: s.outputTokens, numTurns: s.numTurns };
  const accounting = new RunAccounting(prior, resumed);
  const seen: ClaudeMessage[] = [];
  let last: ResultMessage | null = null;
  let thrown: string | null = null;
  try {
    for await (const raw of await active.query) {
      const m = parseMessage(raw);
      await store.note(s.id, eventType(raw), raw);
      if (m.kind !== "stream_event") seen.push(m);
      if (m.kind === "init" && m.msg.session_id) await store.update(s.id, { claudeSessionId: m.msg.session_id });
      if (m.kind === "rate_limit") await pool.recordRateLimit(active.accountId, m.msg.rate_limit_info);
      if (m.kind === "result") {
        last = m.msg;
        accounting.observe(m.msg);
        const totals = accounting.session;
        await store.update(s.id, {
          costUsd: totals.costUsd,
          inputTokens: totals.inputTokens,
          outputTokens: totals.outputTokens,
          numTurns: totals.numTurns,
        });
        active.input.resultArrived();
      }
    }
  } catch (err) {
    thrown = (err as Error).message;
  }
  ctx.permissions.clear(s.id);
  // The SDK may return before the child's exit event: give it a moment.
  for (let i = 0; i < 40 && active.child && !active.exit && active.child.exitCode === null && active.child.signalCode === null; i++)
    await sleep(25);
  const exit = active.exit ?? (active.child ? { code: active.child.exitCode, signal: active.child.signalCode } : null);
  if (active.timer) clearTimeout(active.timer);
  if (active.child?.pid && active.child.exitCode === null && active.child.signalCode === null) killGroup(active.child.pid, "SIGKILL");
  ctx.active.delete(s.id);
  await revokeAgentTokens(sqlStoreOf(deps), s.id);

  const outcome = classifyRun({ result: last, messages: seen, exitCode: exit?.code ?? null, signal: exit?.signal ?? null, thrown });
  // What its tools started outside Claude's group (setsid, nohup) ends with a stopped, timed-out,
  // shut-down or crashed run (issue 10 item 5); a completed run's background jobs are left be.
  if (active.stopping || outcome.kind === "crashed") killRunProcesses({ mark: active.mark, pid: null });
  const runTotals = accounting.run;
  const runs = ((await store.row(s.id)).runs as SessionRun[]).map((r) =>
    r.n === run.n ? { ...r, ...runTotals, endedAt: Date.now(), outcome: active.stopping ?? outcome.kind } : r,
  );
  await pool.addUsage(active.accountId, runTotals, false);
  await store.update(s.id, { runs, pid: null });
  await store.note(s.id, "workdeck/run_ended", {
    run: run.n,
    outcome,
    exit,
    stopping: active.stopping,
    stderr: active.stderr.trim().slice(-2_000) || null,
    thrown,
  });
  await applyOutcome(ctx, s.id, active, outcome);
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

/**
 * The launch settings (`--settings`): our command hooks, so a launched session reports to the
 * agents view like any other, linked by WORKDECK_SESSION_ID. Skipped when the user or project
 * settings the child loads already carry them (`workdeck hooks install`): they would fire twice.
 */
function launchSettings(pool: AccountPool, deps: SessionsDeps, account: PoolAccount, cwd: string): Options["settings"] {
  const h = deps.hooks;
  if (!h) return undefined;
  const files = [
    path.join(pool.configDirOf(account, deps.baseEnv), "settings.json"),
    path.join(cwd, ".claude", "settings.json"),
    path.join(cwd, ".claude", "settings.local.json"),
  ];
  if (files.some(hasOurHooks)) return undefined;
  const command = hookCommand(h.appRoot);
  const hooks: Record<string, { matcher?: string; hooks: { type: "command"; command: string; timeout: number }[] }[]> = {};
  for (const { event, matcher } of HOOK_EVENTS)
    hooks[event] = [{ ...(matcher ? { matcher } : {}), hooks: [{ type: "command", command, timeout: 5 }] }];
  return { hooks } as Options["settings"];
}

/** The `claude` binary: WORKDECK_CLAUDE_PATH, else the one the SDK ships. */
export function claudeBinary(configured: string | undefined): string | undefined {
  if (configured) {
    try {
      fs.accessSync(configured, fs.constants.X_OK);
      if (!fs.statSync(configured).isFile()) throw new Error("not a file");
    } catch {
      throw new AppError(
        "UNPROCESSABLE",
        `The Claude Code binary ${configured} (WORKDECK_CLAUDE_PATH) does not exist or is not executable`,
        "claude_missing",
      );
    }
    return configured;
  }
  return bundledBinary();
}

function bundledBinary(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const pkg = require.resolve(`@anthropic-ai/claude-agent-sdk-${process.platform}-${process.arch}/package.json`);
    const bin = path.join(path.dirname(pkg), process.platform === "win32" ? "claude.exe" : "claude");
    return fs.existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

export function eventType(raw: unknown): string {
  const m = raw as { type?: unknown; subtype?: unknown };
  const type = typeof m?.type === "string" ? m.type : "unknown";
  return type === "system" && typeof m.subtype === "string" ? `system/${m.subtype}` : type;
}

/** Whether a settings file already runs `workdeck hooks send` (unreadable or absent: no). */
function hasOurHooks(file: string): boolean {
  try {
    const settings = JSON.parse(fs.readFileSync(file, "utf8")) as {
      hooks?: Record<string, { hooks?: { type?: unknown; command?: unknown }[] }[]>;
    };
    return Object.values(settings.hooks ?? {}).some((groups) => groups.some((g) => (g.hooks ?? []).some((hook) => isOurHook(hook))));
  } catch {
    return false;
  }
}
