import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { query, type Options, type Query, type SpawnOptions } from "@anthropic-ai/claude-agent-sdk";
import { and, asc, desc, eq, gt, inArray } from "drizzle-orm";
import { classifyRun, lastRateLimitInfo, parseMessage, RunAccounting, type ClaudeMessage, type Outcome, type ResultMessage } from "@/packages/claude-session/src/index";
import {
  EventsInputSchema,
  ListSessionsInputSchema,
  SendInputSchema,
  SessionIdInputSchema,
  StartSessionInputSchema,
  AccountIdInputSchema,
  PromptPreviewInputSchema,
  type AccountRecheckResult,
  type PromptPreview,
  type PromptPreviewInput,
  type Session,
  type SessionEvent,
  type SessionOptions,
  type SessionRun,
  type SessionStatus,
  type StartSessionInput,
  type WorkItem,
} from "@/lib/schemas/sessions";
import type { LoadedConfig } from "../config";
import type { Db } from "../db/client";
import { sessionEvents, sessions } from "../db/schema";
import { AppError } from "../app-error";
import type { EventBus } from "../events/bus";
import type { Logger } from "../logger";
import { AccountPool, type PoolAccount } from "../accounts/service";
import { mintAgentToken, revokeAgentTokens } from "../auth/credentials";
import { HOOK_EVENTS, hookCommand, isOurHook } from "../agents/hooks-settings";
import { getFailure } from "../errors/service";
import type { OpenSpecService } from "../specs/service";
import type { ProjectRegistry } from "../projects/service";
import { LEASE_HEARTBEAT_MS, ServerLease } from "./server-lease";
import { killGroup, killRunProcesses, newProcessMark, PROCESS_MARK_VAR } from "./processes";
import { recoverOrphanedRuns } from "./recovery";
import { errorRemediationPrompt, specImplementationPrompt } from "./prompts";
import { createWorktree } from "./worktree";
import { InputQueue, transcriptSaved } from "./state";
import { SessionPermissions } from "./permissions";
import { AnswerPermissionInputSchema, type AnswerPermissionInput, type PendingPermission } from "@/lib/schemas/session-permissions";
import { prepareResume, reviewSession } from "./land";
import type { SessionDiff } from "@/lib/schemas/session-land";

/**
 * The session runner: one per process (runtime-boot puts it on the runtime, which lives on
 * globalThis). It queues sessions (at most `claude.maxConcurrent` running, the rest by
 * priority), runs each through the SDK's `query()` with streaming input (so `send` can push
 * follow-ups), stores every message in session_events and announces it on the bus, and
 * decides what a run's end means with the claude-session classifier: continue on another
 * account after a usage limit, skip an account whose login failed, retry a transient API
 * failure with backoff, or finish.
 */

export type SessionsDeps = {
  db: Db;
  bus: EventBus;
  projects: ProjectRegistry;
  openspec: Pick<OpenSpecService, "showChange">;
  config: LoadedConfig;
  log: Logger;
  /** WORKDECK_CLAUDE_PATH. */
  claudePath: string | undefined;
  /** What children inherit (PATH, HOME, ANTHROPIC_BASE_URL...). */
  baseEnv: Record<string, string | undefined>;
  /** Where worktrees go (`<data dir>/worktrees`). */
  worktreesDir: string;
  /**
   * Our hooks for the sessions we launch (issue 5 ingestion, linked by WORKDECK_SESSION_ID):
   * `appRoot` holds bin/workdeck.mjs (the hook command), `url` is this server (WORKDECK_URL of
   * `hooks send`), `token` its WORKDECK_TOKEN: when set, each run gets its own scoped agent token
   * instead (never this one). Absent = launched sessions get no extra hooks.
   */
  hooks?: { appRoot: string; url: string; token?: string; spoolDir?: string };
};

export type RunnerTuning = {
  /** Transient failures retried this many times per run (default 3). */
  maxRetries: number;
  /** Backoff base and cap (ms), doubled per attempt, with full jitter. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Grace between an interrupt and a kill (ms). */
  stopGraceMs: number;
  /** How often needs_login accounts are rechecked with `claude auth status` (ms; 0 = never). */
  accountCheckMs: number;
  /** How long a permission request waits for an answer (ms; default: the session's timeoutMinutes, else 10 min). */
  permissionTimeoutMs?: number;
};

const DEFAULT_TUNING: RunnerTuning = { maxRetries: 3, retryBaseMs: 2_000, retryMaxMs: 60_000, stopGraceMs: 5_000, accountCheckMs: 5 * 60_000 };

const CONTINUE_TEXT = "Continue the task where you left off.";

type ActiveRun = {
  sessionId: number;
  accountId: string;
  query: Query;
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

export class SessionRunner {
  readonly accounts: AccountPool;
  private readonly active = new Map<number, ActiveRun>();
  private readonly tuning: RunnerTuning;
  private timer: NodeJS.Timeout | null = null;
  private checkTimer: NodeJS.Timeout | null = null;
  private orphanTimer: NodeJS.Timeout | null = null;
  /** This process's claim on the sessions it runs: another server's recovery leaves them alone. */
  private readonly lease: ServerLease;
  private closed = false;
  private readonly seqs = new Map<number, number>();
  /** Tool permission requests of running sessions, answered from the UI (session-permissions.ts). */
  private readonly permissions = new SessionPermissions((id, type, payload) => this.note(id, type, payload));

  constructor(
    private readonly deps: SessionsDeps,
    tuning: Partial<RunnerTuning> = {},
  ) {
    this.tuning = { ...DEFAULT_TUNING, ...tuning };
    this.accounts = new AccountPool(deps);
    this.lease = new ServerLease(deps.db);
  }

  // ----- lifecycle -----

  /**
   * On server start: sessions left `running` by a server that is gone (not by a live one on the
   * same database: leases, session-recovery.ts) are marked interrupted and every process of their
   * run is killed. Then queued sessions are scheduled.
   */
  recover(): { interrupted: number[]; killed: number[] } {
    this.lease.acquire();
    const recovered = this.recoverOrphans();
    this.schedule();
    if (this.tuning.accountCheckMs > 0 && !this.checkTimer) {
      this.checkTimer = setInterval(() => void this.recheckNeedsLogin().catch((err) => this.deps.log.warn({ err }, "account recheck failed")), this.tuning.accountCheckMs);
      this.checkTimer.unref();
    }
    // Another server on this database may crash while this one runs: its sessions are orphans then.
    this.orphanTimer ??= setInterval(() => {
      try {
        if (this.recoverOrphans().interrupted.length) this.schedule();
      } catch (err) {
        this.deps.log.warn({ err }, "orphaned session sweep failed");
      }
    }, LEASE_HEARTBEAT_MS);
    this.orphanTimer.unref();
    return recovered;
  }

  private recoverOrphans(): { interrupted: number[]; killed: number[] } {
    const recovered = recoverOrphanedRuns(this.deps.db, this.lease.acquire());
    for (const r of recovered) {
      this.note(r.id, "workdeck/interrupted", { reason: "server_restart", killedPid: r.killedPid, killedProcesses: r.killedProcesses });
      this.publishUpdated(r.id);
    }
    return { interrupted: recovered.map((r) => r.id), killed: recovered.flatMap((r) => (r.killedPid ? [r.killedPid] : [])) };
  }

  /** Ends every run (their sessions become interrupted) and stops scheduling. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.checkTimer) clearInterval(this.checkTimer);
    if (this.orphanTimer) clearInterval(this.orphanTimer);
    const runs = [...this.active.values()];
    for (const run of runs) {
      run.stopping = "shutdown";
      run.input.close();
      run.abort.abort();
      killRunProcesses({ mark: run.mark, pid: run.child?.pid ?? null });
    }
    if (runs.length) {
      // Bounded wait for the runs to record their end; the timer is cleared so a CLI process exits at once.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled(runs.map((r) => r.done)), new Promise<void>((resolve) => (timer = setTimeout(resolve, 5_000)))]);
      clearTimeout(timer);
    }
    // Whatever did not record its end in time is an orphan for the next server to recover.
    this.lease.release();
  }

  // ----- procedures -----

  async start(raw: StartSessionInput): Promise<{ id: number }> {
    const input = StartSessionInputSchema.parse(raw);
    const project = this.deps.projects.get(input.projectId);
    if (!fs.existsSync(project.path)) throw new AppError("UNPROCESSABLE", `The folder of project "${project.slug}" no longer exists: ${project.path}`, "project_path_missing");
    const options = this.effectiveOptions(project.slug, input.overrides ?? {});
    this.binary();
    if (options.accountId && !this.accounts.find(options.accountId)) {
      throw new AppError("BAD_REQUEST", `Unknown Claude account "${options.accountId}". Configured: ${this.accounts.accounts.map((a) => a.id).join(", ")}`);
    }
    const usable = this.accounts.accounts.filter((a) => (!options.accountId || a.id === options.accountId) && !this.accounts.problem(a, this.deps.baseEnv));
    if (!usable.length) {
      const problems = this.accounts.accounts.map((a) => this.accounts.problem(a, this.deps.baseEnv)).filter(Boolean);
      throw new AppError("UNPROCESSABLE", problems.join("; ") || "No usable Claude account", "no_account");
    }

    const built = await this.workItemPrompt(project.slug, input.workItem);
    const sessionType = built.sessionType;
    // An explicit prompt (the launch form's edited one) is used verbatim.
    const prompt = input.prompt ?? built.prompt;
    const priority = input.overrides?.priority ?? built.priority;
    if (!prompt.trim()) throw new AppError("BAD_REQUEST", "A manual session needs a prompt");

    const now = new Date();
    const row = this.deps.db
      .insert(sessions)
      .values({
        sessionType,
        workItemKind: input.workItem?.kind ?? null,
        workItemRef: input.workItem ? (input.workItem.kind === "error" ? String(input.workItem.failureId) : input.workItem.changeId) : null,
        status: "queued",
        projectSlug: project.slug,
        cwd: project.path,
        prompt,
        options,
        priority,
        createdAt: now,
      })
      .returning({ id: sessions.id })
      .get();
    try {
      if (options.worktrees !== false) {
        const wt = createWorktree({ projectPath: project.path, root: path.join(this.deps.worktreesDir, project.slug), sessionId: row.id });
        if (wt) this.update(row.id, { cwd: wt.cwd, worktreePath: wt.worktreePath, branch: wt.branch, baseCommit: wt.baseCommit, baseBranch: wt.baseBranch });
      }
    } catch (err) {
      this.deps.db.delete(sessions).where(eq(sessions.id, row.id)).run();
      throw new AppError("UNPROCESSABLE", `Could not create a git worktree for the session: ${(err as Error).message}`, "worktree_failed");
    }
    this.note(row.id, "workdeck/created", { sessionType, workItem: input.workItem ?? null, options });
    this.publishUpdated(row.id);
    this.schedule();
    return { id: row.id };
  }

  /**
   * What `start` would run with, for the launch form to show and edit: the prompt built from
   * the work item (empty for a manual session) and the effective options (defaults < project).
   */
  async promptPreview(raw: PromptPreviewInput): Promise<PromptPreview> {
    const input = PromptPreviewInputSchema.parse(raw);
    const project = this.deps.projects.get(input.projectId);
    const built = await this.workItemPrompt(project.slug, input.workItem);
    return { prompt: built.prompt, sessionType: built.sessionType, options: this.effectiveOptions(project.slug, {}) };
  }

  /** `claude auth status` for one account, then its state (accounts.recheck). */
  async recheckAccount(raw: { id: string }): Promise<AccountRecheckResult> {
    const { id } = AccountIdInputSchema.parse(raw);
    if (!this.accounts.find(id)) throw new AppError("NOT_FOUND", `No Claude account "${id}". Configured: ${this.accounts.accounts.map((a) => a.id).join(", ")}`);
    const check = await this.accounts.recheck(id, { binary: this.binary(), env: this.deps.baseEnv });
    this.schedule();
    const account = this.accounts.list((a) => this.runningCount(a)).find((a) => a.id === id)!;
    return { account, check };
  }

  /** The periodic check: every needs_login account, released only once its credentials changed. */
  async recheckNeedsLogin(): Promise<string[]> {
    const released: string[] = [];
    for (const id of this.accounts.needingLogin()) {
      const check = await this.accounts.recheck(id, { binary: this.binary(), env: this.deps.baseEnv, periodic: true });
      if (check.loggedIn && this.accounts.state(id).state === "available") released.push(id);
    }
    if (released.length) {
      this.deps.log.info({ accounts: released }, "Claude accounts logged in again");
      this.schedule();
    }
    return released;
  }

  /** A follow-up message into the running session. */
  send(raw: { id: number; text: string }): { ok: true } {
    const input = SendInputSchema.parse(raw);
    const s = this.row(input.id);
    const run = this.active.get(input.id);
    if (!run || run.input.closed || run.stopping) {
      throw new AppError("CONFLICT", `Session ${input.id} is ${s.status === "running" ? "finishing" : s.status}: only a running session takes messages; resume it with a new message instead`, "not_running");
    }
    run.input.push(input.text);
    this.note(input.id, "workdeck/user_message", { text: input.text });
    return { ok: true };
  }

  /** Stops a session: a queued one at once, a running one by interrupting (then killing) its run. */
  async stop(raw: { id: number }, reason: "stopped" | "timeout" = "stopped"): Promise<Session> {
    const { id } = SessionIdInputSchema.parse(raw);
    const s = this.row(id);
    const run = this.active.get(id);
    if (!run) {
      if (s.status !== "queued") throw new AppError("CONFLICT", `Session ${id} is ${s.status}, not running`, "not_running");
      this.update(id, { status: "stopped", exitReason: reason, endedAt: new Date() });
      this.publishUpdated(id);
      return this.get({ id });
    }
    if (!run.stopping) {
      run.stopping = reason;
      this.note(id, "workdeck/stop_requested", { reason });
      try {
        await Promise.race([run.query.interrupt(), sleep(this.tuning.stopGraceMs)]);
      } catch {
        // The process may already be gone.
      }
      run.input.close();
      const killer = setTimeout(() => {
        run.abort.abort();
        killRunProcesses({ mark: run.mark, pid: run.child?.pid ?? null });
      }, this.tuning.stopGraceMs);
      killer.unref();
      await run.done;
      clearTimeout(killer);
    } else await run.done;
    return this.get({ id });
  }

  /** A finished session continues (same Claude session id, `--resume`) with a new message. */
  resume(raw: { id: number; text: string }): { id: number } {
    const input = SendInputSchema.parse(raw);
    const s = this.row(input.id);
    if (s.status === "running" || s.status === "queued") throw new AppError("CONFLICT", `Session ${input.id} is ${s.status}: send it a message instead`, "not_finished");
    // A landed session has no branch left; one past worktree retention gets its worktree back.
    prepareResume(this.deps, input.id);
    this.update(input.id, { status: "queued", pendingText: input.text, endedAt: null, exitReason: null, exitMessage: null, attempts: 0, notBefore: null });
    this.note(input.id, "workdeck/resume_requested", { text: input.text });
    this.publishUpdated(input.id);
    this.schedule();
    return { id: input.id };
  }

  /** The tool permission requests a running session waits on. */
  pendingPermissions(raw: { id: number }): PendingPermission[] {
    const { id } = SessionIdInputSchema.parse(raw);
    this.row(id);
    return this.permissions.list(id);
  }

  /** Allows (once, or always for the rest of the session) or denies one of them. */
  answerPermission(raw: AnswerPermissionInput): { ok: true } {
    const input = AnswerPermissionInputSchema.parse(raw);
    this.row(input.id);
    return this.permissions.answer(input);
  }

  get(raw: { id: number }): Session {
    const { id } = SessionIdInputSchema.parse(raw);
    return toSession(this.row(id));
  }

  list(raw: { projectId?: string; status?: SessionStatus[]; limit?: number } = {}): Session[] {
    const input = ListSessionsInputSchema.parse(raw);
    const conditions = [];
    if (input.projectId) conditions.push(eq(sessions.projectSlug, input.projectId));
    if (input.status?.length) conditions.push(inArray(sessions.status, input.status));
    return this.deps.db
      .select()
      .from(sessions)
      .where(conditions.length ? and(...conditions) : undefined)
      .orderBy(desc(sessions.id))
      .limit(input.limit ?? 200)
      .all()
      .map(toSession);
  }

  events(raw: { id: number; after?: number; limit?: number }): SessionEvent[] {
    const input = EventsInputSchema.parse(raw);
    this.row(input.id);
    return this.deps.db
      .select({ seq: sessionEvents.seq, type: sessionEvents.type, payload: sessionEvents.payload, at: sessionEvents.at })
      .from(sessionEvents)
      .where(and(eq(sessionEvents.sessionId, input.id), gt(sessionEvents.seq, input.after ?? 0)))
      .orderBy(asc(sessionEvents.seq))
      .limit(input.limit ?? 1000)
      .all();
  }

  /**
   * Stored messages after `lastEventId`, then live ones. Listens on the bus before reading
   * the table, so nothing stored in between is missed; the seq cursor drops duplicates.
   */
  async *onEvents(opts: { id: number; lastEventId?: number | null; signal?: AbortSignal }): AsyncGenerator<SessionEvent> {
    this.row(opts.id);
    let wake: (() => void) | null = null;
    let dirty = true;
    const off = this.deps.bus.on((e) => {
      if ((e.type === "sessions.event" || e.type === "sessions.updated") && e.sessionId === opts.id) {
        dirty = true;
        wake?.();
      }
    });
    const onAbort = () => wake?.();
    opts.signal?.addEventListener("abort", onAbort);
    let cursor = opts.lastEventId ?? 0;
    try {
      while (!opts.signal?.aborted) {
        if (!dirty) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = null;
          continue;
        }
        dirty = false;
        for (let batch = this.events({ id: opts.id, after: cursor }); batch.length; batch = this.events({ id: opts.id, after: cursor })) {
          for (const e of batch) {
            cursor = e.seq;
            yield e;
          }
        }
      }
    } finally {
      off();
      opts.signal?.removeEventListener("abort", onAbort);
    }
  }

  diff(raw: { id: number }): SessionDiff {
    const { id } = SessionIdInputSchema.parse(raw);
    return reviewSession(this.deps, id);
  }

  runningCount(accountId?: string): number {
    return [...this.active.values()].filter((r) => !accountId || r.accountId === accountId).length;
  }

  /** Resolves when the session leaves queued/running (tests, CLI). */
  async waitForEnd(id: number, timeoutMs = 60_000): Promise<Session> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const s = this.get({ id });
      if (s.status !== "queued" && s.status !== "running") return s;
      await sleep(50);
    }
    throw new Error(`session ${id} still ${this.get({ id }).status} after ${timeoutMs} ms`);
  }

  // ----- queue -----

  /** Starts queued sessions while there is room, highest priority first. */
  schedule(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const max = this.deps.config.config.claude?.maxConcurrent ?? 3;
    const now = Date.now();
    let nextWake: number | null = null;
    const queued = this.deps.db.select().from(sessions).where(eq(sessions.status, "queued")).orderBy(desc(sessions.priority), asc(sessions.id)).all();
    for (const s of queued) {
      if (this.active.size >= max) break;
      if (s.notBefore && s.notBefore.getTime() > now) {
        nextWake = Math.min(nextWake ?? Infinity, s.notBefore.getTime());
        continue;
      }
      const options = s.options as SessionOptions;
      const { account, until } = this.accounts.pick({ sticky: s.accountId, pinned: options.accountId ?? null, env: this.deps.baseEnv });
      if (!account) {
        const wakeAt = until?.getTime() ?? now + 60_000;
        this.update(s.id, { notBefore: new Date(wakeAt) });
        nextWake = Math.min(nextWake ?? Infinity, wakeAt);
        continue;
      }
      this.launch(s, account);
    }
    if (nextWake !== null) {
      this.timer = setTimeout(() => this.schedule(), Math.max(10, nextWake - Date.now()));
      this.timer.unref();
    }
  }

  private launch(s: typeof sessions.$inferSelect, account: PoolAccount): void {
    const runs = (s.runs as SessionRun[]) ?? [];
    const saved = s.claudeSessionId && runs.length ? transcriptSaved(this.transcriptDirs(account, s.accountId), s.claudeSessionId) : false;
    const resumeId = saved ? s.claudeSessionId : null;
    const text = resumeId ? (s.pendingText ?? CONTINUE_TEXT) : s.pendingText ? `${s.prompt}\n\n${s.pendingText}` : s.prompt;
    const previousAccount = s.accountId;
    const run: SessionRun = { n: runs.length + 1, accountId: account.id, resumed: !!resumeId, startedAt: Date.now(), endedAt: null, costUsd: 0, inputTokens: 0, outputTokens: 0, numTurns: 0, outcome: null };
    const mark = newProcessMark();
    // Taken only while still queued (another server on this database may have taken it), as this
    // process's (its lease), with the mark its processes will carry.
    const claimed = this.deps.db
      .update(sessions)
      .set({ status: "running", ownerLease: this.lease.acquire(), processMark: mark, accountId: account.id, startedAt: s.startedAt ?? new Date(), notBefore: null, pendingText: null, runs: [...runs, run] })
      .where(and(eq(sessions.id, s.id), eq(sessions.status, "queued")))
      .run();
    if (claimed.changes === 0) return;
    if (resumeId && previousAccount && previousAccount !== account.id) {
      const from = this.accounts.find(previousAccount);
      const moved = from ? this.copyTranscript(from, account, resumeId) : false;
      this.note(s.id, "workdeck/account_switched", { from: previousAccount, to: account.id, transcriptCopied: moved });
    }
    this.accounts.addUsage(account.id, { costUsd: 0, inputTokens: 0, outputTokens: 0 }, previousAccount !== account.id);
    this.note(s.id, "workdeck/run_started", { run: run.n, accountId: account.id, resume: resumeId, ...(s.claudeSessionId && runs.length && !saved ? { transcriptMissing: s.claudeSessionId } : {}) });
    this.note(s.id, "workdeck/user_message", { text });
    this.publishUpdated(s.id);

    const abort = new AbortController();
    const input = new InputQueue();
    input.push(text);
    const options = s.options as SessionOptions;
    const active: ActiveRun = {
      sessionId: s.id,
      accountId: account.id,
      query: null as unknown as Query,
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
    const sdkOptions: Options = {
      cwd: s.cwd,
      env: this.childEnv(account, s.id),
      settings: this.launchSettings(account, s.cwd),
      pathToClaudeCodeExecutable: this.binary(),
      abortController: abort,
      resume: resumeId ?? undefined,
      model: options.model,
      fallbackModel: options.fallbackModel,
      permissionMode: options.permissionMode,
      // Asked of the user on the session page; bypassPermissions never asks.
      canUseTool: options.permissionMode === "bypassPermissions" ? undefined : this.permissions.handler(s.id, this.tuning.permissionTimeoutMs ?? (options.timeoutMinutes ?? 10) * 60_000),
      allowDangerouslySkipPermissions: options.permissionMode === "bypassPermissions" ? true : undefined,
      allowedTools: options.allowedTools,
      maxTurns: options.maxTurns,
      maxBudgetUsd: options.maxBudgetUsd,
      mcpServers: options.mcpServers as Options["mcpServers"],
      strictMcpConfig: options.mcpServers ? true : undefined,
      // MCP server configs (their env and headers) over stdin rather than the command line other
      // users can read; an older binary named by WORKDECK_CLAUDE_PATH only reads them from argv.
      mcpServersDelivery: this.deps.claudePath ? "argv" : "initialize",
      // Own spawn: a process group per run (so a kill takes the tools' children too) and the pid
      // in the row (so a restarted server can kill an orphan).
      spawnClaudeCodeProcess: (o: SpawnOptions) => {
        const child = spawn(o.command, o.args, { cwd: o.cwd, env: { ...(o.env as NodeJS.ProcessEnv), [PROCESS_MARK_VAR]: mark }, stdio: ["pipe", "pipe", "pipe"], detached: true });
        active.child = child;
        child.stderr?.on("data", (d: Buffer) => (active.stderr = (active.stderr + d.toString("utf8")).slice(-8_000)));
        child.on("exit", (code, signal) => (active.exit = { code, signal }));
        child.on("error", () => {});
        o.signal?.addEventListener("abort", () => child.pid && killGroup(child.pid, "SIGTERM"));
        if (child.pid) this.update(s.id, { pid: child.pid });
        return child;
      },
    };
    active.query = query({ prompt: input, options: sdkOptions });
    if (options.timeoutMinutes) {
      active.timer = setTimeout(() => void this.stop({ id: s.id }, "timeout").catch(() => {}), options.timeoutMinutes * 60_000);
      active.timer.unref();
    }
    this.active.set(s.id, active);
    active.done = this.consume(s, active, run, !!resumeId).catch((err) => this.deps.log.error({ err, sessionId: s.id }, "session run failed"));
  }

  private async consume(s: typeof sessions.$inferSelect, active: ActiveRun, run: SessionRun, resumed: boolean): Promise<void> {
    const prior = { costUsd: s.costUsd, inputTokens: s.inputTokens, outputTokens: s.outputTokens, numTurns: s.numTurns };
    const accounting = new RunAccounting(prior, resumed);
    const seen: ClaudeMessage[] = [];
    let last: ResultMessage | null = null;
    let thrown: string | null = null;
    try {
      for await (const raw of active.query) {
        const m = parseMessage(raw);
        this.note(s.id, eventType(raw), raw);
        if (m.kind !== "stream_event") seen.push(m);
        if (m.kind === "init" && m.msg.session_id) this.update(s.id, { claudeSessionId: m.msg.session_id });
        if (m.kind === "rate_limit") this.accounts.recordRateLimit(active.accountId, m.msg.rate_limit_info);
        if (m.kind === "result") {
          last = m.msg;
          accounting.observe(m.msg);
          const totals = accounting.session;
          this.update(s.id, { costUsd: totals.costUsd, inputTokens: totals.inputTokens, outputTokens: totals.outputTokens, numTurns: totals.numTurns });
          active.input.resultArrived();
        }
      }
    } catch (err) {
      thrown = (err as Error).message;
    }
    this.permissions.clear(s.id);
    // The SDK may return before the child's exit event: give it a moment.
    for (let i = 0; i < 40 && active.child && !active.exit && active.child.exitCode === null && active.child.signalCode === null; i++) await sleep(25);
    const exit = active.exit ?? (active.child ? { code: active.child.exitCode, signal: active.child.signalCode } : null);
    if (active.timer) clearTimeout(active.timer);
    if (active.child?.pid && active.child.exitCode === null && active.child.signalCode === null) killGroup(active.child.pid, "SIGKILL");
    this.active.delete(s.id);
    revokeAgentTokens(this.deps.db, s.id);

    const outcome = classifyRun({ result: last, messages: seen, exitCode: exit?.code ?? null, signal: exit?.signal ?? null, thrown });
    // What its tools started outside Claude's group (setsid, nohup) ends with a stopped, timed-out,
    // shut-down or crashed run (issue 10 item 5); a completed run's background jobs are left be.
    if (active.stopping || outcome.kind === "crashed") killRunProcesses({ mark: active.mark, pid: null });
    const runTotals = accounting.run;
    const runs = (this.row(s.id).runs as SessionRun[]).map((r) => (r.n === run.n ? { ...r, ...runTotals, endedAt: Date.now(), outcome: active.stopping ?? outcome.kind } : r));
    this.accounts.addUsage(active.accountId, runTotals, false);
    this.update(s.id, { runs, pid: null });
    this.note(s.id, "workdeck/run_ended", { run: run.n, outcome, exit, stopping: active.stopping, stderr: active.stderr.trim().slice(-2_000) || null, thrown });
    this.finish(s.id, active, outcome);
    this.publishUpdated(s.id);
    this.schedule();
  }

  /** What the run's end means for the session and its account. */
  private finish(id: number, active: ActiveRun, outcome: Outcome): void {
    const now = new Date();
    const text = "text" in outcome ? outcome.text : null;
    if (active.stopping) {
      const status: SessionStatus = active.stopping === "shutdown" ? "interrupted" : "stopped";
      this.update(id, { status, exitReason: active.stopping, exitMessage: text, endedAt: now });
      return;
    }
    const s = this.row(id);
    switch (outcome.kind) {
      case "success":
        this.update(id, { status: "completed", exitReason: "success", exitMessage: text, endedAt: now, attempts: 0 });
        return;
      case "usage_limit": {
        const until = this.accounts.park(active.accountId, outcome.resetsAt, outcome.rateLimitInfo, outcome.text);
        this.note(id, "workdeck/account_parked", { accountId: active.accountId, until: until.toISOString(), limitType: outcome.limitType });
        this.requeue(id, s, "usage_limit", text);
        return;
      }
      case "auth_failed":
        this.accounts.needsLogin(active.accountId, outcome.text, this.deps.baseEnv);
        this.note(id, "workdeck/account_needs_login", { accountId: active.accountId, message: outcome.text });
        this.requeue(id, s, "auth_failed", text);
        return;
      case "transient": {
        if (s.attempts >= this.tuning.maxRetries) {
          this.update(id, { status: "failed", exitReason: "transient", exitMessage: text, endedAt: now });
          return;
        }
        const delay = backoff(s.attempts, this.tuning.retryBaseMs, this.tuning.retryMaxMs);
        this.update(id, { status: "queued", attempts: s.attempts + 1, notBefore: new Date(Date.now() + delay), exitReason: "transient", exitMessage: text });
        this.note(id, "workdeck/retry_scheduled", { attempt: s.attempts + 1, delayMs: delay, reason: outcome.reason });
        return;
      }
      case "crashed":
        this.update(id, { status: "crashed", exitReason: "crashed", exitMessage: text, endedAt: now });
        return;
      default:
        this.update(id, { status: "failed", exitReason: outcome.kind, exitMessage: text, endedAt: now });
    }
  }

  /** Back to the queue to continue on another account (or this one after its reset); a pinned session waits for its own. */
  private requeue(id: number, s: typeof sessions.$inferSelect, reason: string, text: string | null): void {
    this.update(id, { status: "queued", exitReason: reason, exitMessage: text, notBefore: null });
    const options = s.options as SessionOptions;
    const next = this.accounts.pick({ pinned: options.accountId ?? null, env: this.deps.baseEnv });
    if (!next.account) this.note(id, "workdeck/waiting_for_account", { until: next.until?.toISOString() ?? null });
  }

  /** Where this run's account and the previous one keep transcripts. */
  private transcriptDirs(account: PoolAccount, previousId: string | null): string[] {
    const previous = previousId ? this.accounts.find(previousId) : undefined;
    return [account, ...(previous ? [previous] : [])].map((a) => this.accounts.configDirOf(a, this.deps.baseEnv));
  }

  /** Makes `--resume` work under another config dir (reference §6.4: transcripts are looked up only in the current one). */
  private copyTranscript(from: PoolAccount, to: PoolAccount, claudeSessionId: string): boolean {
    const src = path.join(this.accounts.configDirOf(from, this.deps.baseEnv), "projects");
    const dst = path.join(this.accounts.configDirOf(to, this.deps.baseEnv), "projects");
    if (src === dst || !fs.existsSync(src)) return false;
    for (const folder of fs.readdirSync(src)) {
      const file = path.join(src, folder, `${claudeSessionId}.jsonl`);
      if (!fs.existsSync(file)) continue;
      fs.mkdirSync(path.join(dst, folder), { recursive: true });
      fs.copyFileSync(file, path.join(dst, folder, `${claudeSessionId}.jsonl`));
      return true;
    }
    return false;
  }

  // ----- helpers -----

  /** The session type, built prompt and priority of a work item (none = manual, empty prompt). */
  private async workItemPrompt(projectSlug: string, workItem: WorkItem | undefined): Promise<{ sessionType: Session["sessionType"]; prompt: string; priority: number }> {
    if (workItem?.kind === "error") {
      const failure = getFailure(this.deps, { failureId: workItem.failureId });
      if (failure.projectSlug !== projectSlug) throw new AppError("BAD_REQUEST", `Failure ${failure.id} belongs to project "${failure.projectSlug}", not "${projectSlug}"`);
      return { sessionType: "error_remediation", prompt: errorRemediationPrompt(failure), priority: failure.priority };
    }
    if (workItem?.kind === "spec") {
      const change = await this.deps.openspec.showChange({ projectId: projectSlug, changeId: workItem.changeId });
      return { sessionType: "spec_implementation", prompt: specImplementationPrompt(change, path.join("openspec", "changes", change.id, "tasks.md")), priority: 3 };
    }
    return { sessionType: "manual", prompt: "", priority: 3 };
  }

  /**
   * `claude.defaults` < the project's `claude` (configured projects; scanned ones use the
   * defaults) < the per-launch overrides. Whole values replace: an `mcpServers` or
   * `allowedTools` given at a level is the list, not merged with the level below.
   */
  private effectiveOptions(projectSlug: string, overrides: NonNullable<StartSessionInput["overrides"]>): SessionOptions {
    const defaults = this.deps.config.config.claude?.defaults ?? {};
    const projectOptions = this.deps.config.config.projects?.find((p) => p.slug === projectSlug)?.claude ?? {};
    const o: SessionOptions = { ...stripUndefined(defaults), ...stripUndefined(projectOptions), ...stripUndefined(overrides) };
    delete (o as { priority?: number }).priority;
    for (const [key, label] of [
      ["maxBudgetUsd", "budget (maxBudgetUsd)"],
      ["maxTurns", "maxTurns"],
      ["timeoutMinutes", "timeoutMinutes"],
    ] as const) {
      const v = o[key];
      if (v !== undefined && !(v > 0)) throw new AppError("BAD_REQUEST", `The ${label} must be greater than 0 (got ${v})`, "invalid_option");
    }
    if (o.maxTurns !== undefined && !Number.isInteger(o.maxTurns)) throw new AppError("BAD_REQUEST", `maxTurns must be a whole number (got ${o.maxTurns})`, "invalid_option");
    return o;
  }

  /**
   * The child's environment: the account's, our session id, and what `workdeck hooks send` reads
   * to reach this server. Never WORKDECK_TOKEN: an agent runs arbitrary code, so it gets a token
   * minted for this run that only posts hooks (security.ts) and dies with the run.
   */
  private childEnv(account: PoolAccount, sessionId: number): Record<string, string | undefined> {
    const env: Record<string, string | undefined> = { ...this.accounts.childEnv(account, this.deps.baseEnv), CLAUDE_CODE_ENTRYPOINT: "sdk-ts", WORKDECK_SESSION_ID: String(sessionId) };
    delete env.WORKDECK_TOKEN;
    const h = this.deps.hooks;
    if (!h) return env;
    env.WORKDECK_URL = h.url;
    if (h.token) env.WORKDECK_AGENT_TOKEN = mintAgentToken(this.deps.db, sessionId);
    if (h.spoolDir) env.WORKDECK_SPOOL_DIR = h.spoolDir;
    return env;
  }

  /**
   * The launch settings (`--settings`): our command hooks, so a launched session reports to the
   * agents view like any other, linked by WORKDECK_SESSION_ID. Skipped when the user or project
   * settings the child loads already carry them (`workdeck hooks install`): they would fire twice.
   */
  private launchSettings(account: PoolAccount, cwd: string): Options["settings"] {
    const h = this.deps.hooks;
    if (!h) return undefined;
    const files = [path.join(this.accounts.configDirOf(account, this.deps.baseEnv), "settings.json"), path.join(cwd, ".claude", "settings.json"), path.join(cwd, ".claude", "settings.local.json")];
    if (files.some(hasOurHooks)) return undefined;
    const command = hookCommand(h.appRoot);
    const hooks: Record<string, { matcher?: string; hooks: { type: "command"; command: string; timeout: number }[] }[]> = {};
    for (const { event, matcher } of HOOK_EVENTS) hooks[event] = [{ ...(matcher ? { matcher } : {}), hooks: [{ type: "command", command, timeout: 5 }] }];
    return { hooks } as Options["settings"];
  }

  /** The `claude` binary: WORKDECK_CLAUDE_PATH, else the one the SDK ships. */
  binary(): string | undefined {
    const configured = this.deps.claudePath;
    if (configured) {
      try {
        fs.accessSync(configured, fs.constants.X_OK);
        if (!fs.statSync(configured).isFile()) throw new Error("not a file");
      } catch {
        throw new AppError("UNPROCESSABLE", `The Claude Code binary ${configured} (WORKDECK_CLAUDE_PATH) does not exist or is not executable`, "claude_missing");
      }
      return configured;
    }
    return bundledBinary();
  }

  private row(id: number): typeof sessions.$inferSelect {
    const row = this.deps.db.select().from(sessions).where(eq(sessions.id, id)).get();
    if (!row) throw new AppError("NOT_FOUND", `No session with id ${id}`);
    return row;
  }

  private update(id: number, values: Partial<typeof sessions.$inferInsert>): void {
    this.deps.db.update(sessions).set(values).where(eq(sessions.id, id)).run();
  }

  /** Stores one message (or a runner note) in order and announces it. */
  private note(id: number, type: string, payload: unknown): void {
    let seq = this.seqs.get(id);
    if (seq === undefined) {
      const r = this.deps.db.$client.prepare("SELECT max(seq) AS seq FROM session_events WHERE session_id = ?").get(id) as { seq: number | null };
      seq = r.seq ?? 0;
    }
    seq++;
    this.seqs.set(id, seq);
    this.deps.db.insert(sessionEvents).values({ sessionId: id, seq, type, payload, at: new Date() }).run();
    const project = (this.deps.db.$client.prepare("SELECT project_slug FROM sessions WHERE id = ?").get(id) as { project_slug: string }).project_slug;
    this.deps.bus.publish({ type: "sessions.event", projectSlug: project, sessionId: id, seq, eventType: type });
  }

  private publishUpdated(id: number): void {
    const s = this.row(id);
    this.deps.bus.publish({ type: "sessions.updated", projectSlug: s.projectSlug, sessionId: id, status: s.status });
  }
}

function toSession(r: typeof sessions.$inferSelect): Session {
  const workItem: WorkItem | null =
    r.workItemKind === "error" ? { kind: "error", failureId: Number(r.workItemRef) } : r.workItemKind === "spec" ? { kind: "spec", changeId: r.workItemRef ?? "" } : null;
  return {
    id: r.id,
    sessionType: r.sessionType as Session["sessionType"],
    workItem,
    status: r.status as SessionStatus,
    projectSlug: r.projectSlug,
    claudeSessionId: r.claudeSessionId,
    accountId: r.accountId,
    cwd: r.cwd,
    worktreePath: r.worktreePath,
    baseBranch: r.baseBranch,
    worktreeRemovedAt: r.worktreeRemovedAt,
    landed: r.landed === "merged" || r.landed === "discarded" ? { mode: r.landed, commit: r.landedCommit, branchCommit: r.branchCommit, at: r.landedAt! } : null,
    branch: r.branch,
    prompt: r.prompt,
    options: r.options as SessionOptions,
    priority: r.priority,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    costUsd: r.costUsd,
    inputTokens: r.inputTokens,
    outputTokens: r.outputTokens,
    numTurns: r.numTurns,
    exitReason: r.exitReason,
    exitMessage: r.exitMessage,
    runs: r.runs as SessionRun[],
  };
}

function eventType(raw: unknown): string {
  const m = raw as { type?: unknown; subtype?: unknown };
  const type = typeof m?.type === "string" ? m.type : "unknown";
  return type === "system" && typeof m.subtype === "string" ? `system/${m.subtype}` : type;
}

/** Exponential backoff with full jitter. */
export function backoff(attempt: number, baseMs: number, maxMs: number): number {
  const cap = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.round(cap / 2 + Math.random() * (cap / 2));
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

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether a settings file already runs `workdeck hooks send` (unreadable or absent: no). */
function hasOurHooks(file: string): boolean {
  try {
    const settings = JSON.parse(fs.readFileSync(file, "utf8")) as { hooks?: Record<string, { hooks?: { type?: unknown; command?: unknown }[] }[]> };
    return Object.values(settings.hooks ?? {}).some((groups) => groups.some((g) => (g.hooks ?? []).some((hook) => isOurHook(hook))));
  } catch {
    return false;
  }
}
