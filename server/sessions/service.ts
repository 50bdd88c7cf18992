import fs from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import {
  SendInputSchema,
  SessionIdInputSchema,
  StartSessionInputSchema,
  PromptPreviewInputSchema,
  type AccountRecheckResult,
  type PromptPreview,
  type PromptPreviewInput,
  type Session,
  type SessionEvent,
  type SessionOptions,
  type SessionStatus,
  type StartSessionInput,
  type SessionWorkItem,
} from "@/lib/schemas/sessions";
import { AnswerPermissionInputSchema, type AnswerPermissionInput, type PendingPermission } from "@/lib/schemas/session-permissions";
import type { SessionDiff } from "@/lib/schemas/session-land";
import { AppError } from "../app-error";
import { AccountPool } from "../accounts/service";
import { getFailure } from "../errors/service";
import { errorRemediationPrompt, specImplementationPrompt } from "./prompts";
import { createWorktree } from "./worktree";
import { SessionPermissions, storedPendingPermissions } from "./permissions";
import { assertAwaitsAnswer, assertTakesMessages, notRunning } from "./steering";
import { prepareResume, reviewSession } from "./land";
import { DEFAULT_TUNING, sleep, type RunnerTuning, type SessionsDeps } from "./deps";
import { SessionStore } from "./store";
import { sessionAssignments, sessionInsertValues } from "./rows";
import { SessionScheduler } from "./scheduler";
import { claudeBinary, stopRun, type RunContext } from "./run";
import { assertUsableAccount, recheckAccount, recheckNeedsLogin } from "./account-use";
import { subagentDefinition } from "../claude-config/service";

export type { RunnerTuning, SessionsDeps } from "./deps";

/**
 * The session runner: one per process (runtime-boot puts it on the runtime, which lives on
 * globalThis), and the procedures the sessions and accounts routers call. Its parts:
 * scheduler.ts (the queue, concurrency, this process's runs and lease), run.ts (one Claude Code
 * process and what its end means), account-use.ts (the account pool as sessions use it),
 * store.ts (the rows, ordered notes and reads).
 */
export class SessionRunner {
  readonly accounts: AccountPool;
  private readonly tuning: RunnerTuning;
  private readonly store: SessionStore;
  private readonly scheduler: SessionScheduler;
  /** Tool permission requests of running sessions, answered from the UI (session-permissions.ts). */
  private readonly permissions: SessionPermissions;

  constructor(
    private readonly deps: SessionsDeps,
    tuning: Partial<RunnerTuning> = {},
  ) {
    this.tuning = { ...DEFAULT_TUNING, ...tuning };
    this.accounts = new AccountPool(deps);
    this.store = new SessionStore(deps);
    this.permissions = new SessionPermissions(
      (id, type, payload) =>
        void this.store
          .note(id, type, payload)
          .catch((err: unknown) => deps.log.warn({ err, sessionId: id }, "could not store a permission note")),
    );
    this.scheduler = new SessionScheduler(deps, this.tuning, this.store, this.accounts, this.permissions, (id, reason) =>
      this.stop({ id }, reason),
    );
  }

  // ----- lifecycle -----

  /** Interrupts sessions a gone server left running, then schedules the queue (scheduler.ts). */
  recover(): Promise<{ interrupted: number[]; killed: number[] }> {
    return this.scheduler.recover();
  }

  /** Ends every run (their sessions become interrupted) and stops scheduling. */
  close(): Promise<void> {
    return this.scheduler.close();
  }

  /** Starts queued sessions while there is room, highest priority first; resolves once that pass is done. */
  schedule(): Promise<void> {
    return this.scheduler.schedule();
  }

  runningCount(accountId?: string): number {
    return this.scheduler.runningCount(accountId);
  }

  /** The runner's parts the procedures of a `workdeck worker` use (workers/sessions.ts). */
  get runContext(): RunContext {
    return this.scheduler.runContext;
  }

  // ----- procedures -----

  async start(raw: StartSessionInput): Promise<{ id: number }> {
    const input = StartSessionInputSchema.parse(raw);
    const project = this.deps.projects.get(input.projectId);
    if (!fs.existsSync(project.path))
      throw new AppError(
        "UNPROCESSABLE",
        `The folder of project "${project.slug}" no longer exists: ${project.path}`,
        "project_path_missing",
      );
    const options = this.effectiveOptions(project.slug, input.overrides ?? {});
    if (options.agent) options.agentDefinition = subagentDefinition(this.deps, { projectId: project.slug, name: options.agent });
    this.binary();
    assertUsableAccount(this.accounts, options, this.deps.baseEnv);

    const built = await this.workItemPrompt(project.slug, input.workItem);
    const sessionType = built.sessionType;
    // An explicit prompt (the launch form's edited one) is used verbatim.
    const prompt = input.prompt ?? built.prompt;
    const priority = input.overrides?.priority ?? built.priority;
    if (!prompt.trim()) throw new AppError("BAD_REQUEST", "A manual session needs a prompt");

    const inserted = await this.store.sql.run<{ id: number | string }>(
      sql`INSERT INTO sessions ${sessionInsertValues({
        sessionType,
        workItemKind: input.workItem?.kind ?? null,
        workItemRef: input.workItem ? (input.workItem.kind === "error" ? String(input.workItem.failureId) : input.workItem.changeId) : null,
        status: "queued",
        projectSlug: project.slug,
        cwd: project.path,
        prompt,
        options,
        priority,
        runs: [],
        createdAt: new Date(),
      })} RETURNING id`,
    );
    const row = { id: Number(inserted.row!.id) };
    try {
      if (options.worktrees !== false) {
        const wt = createWorktree({ projectPath: project.path, root: path.join(this.deps.worktreesDir, project.slug), sessionId: row.id });
        if (wt)
          await this.store.update(row.id, {
            cwd: wt.cwd,
            worktreePath: wt.worktreePath,
            branch: wt.branch,
            baseCommit: wt.baseCommit,
            baseBranch: wt.baseBranch,
          });
      }
    } catch (err) {
      await this.store.sql.run(sql`DELETE FROM sessions WHERE id = ${row.id}`);
      throw new AppError("UNPROCESSABLE", `Could not create a git worktree for the session: ${(err as Error).message}`, "worktree_failed");
    }
    await this.store.note(row.id, "workdeck/created", { sessionType, workItem: input.workItem ?? null, options });
    await this.store.publishUpdated(row.id);
    await this.schedule();
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
  recheckAccount(raw: { id: string }): Promise<AccountRecheckResult> {
    return recheckAccount(this.scheduler.recheckContext, raw);
  }

  /** The periodic check: every needs_login account, released only once its credentials changed. */
  recheckNeedsLogin(): Promise<string[]> {
    return recheckNeedsLogin(this.scheduler.recheckContext);
  }

  /**
   * A follow-up message into the running session, wherever it runs (issue 14): its note, stored
   * once here when the run can take it, is what the run's holder feeds it (steering.ts): this
   * process at once, another instance from the bus, a worker through workers.poll.
   */
  async send(raw: { id: number; text: string }): Promise<{ ok: true }> {
    const input = SendInputSchema.parse(raw);
    const s = await this.store.row(input.id);
    const run = this.scheduler.active.get(input.id);
    if (run ? run.input.closed || run.stopping : s.status !== "running")
      throw notRunning(input.id, s.status === "running" ? "finishing" : s.status);
    await this.store.note(input.id, "workdeck/user_message", { text: input.text }, (tx) => assertTakesMessages(tx, input.id));
    if (run) await this.scheduler.runContext.commands.drain(run);
    return { ok: true };
  }

  /** Stops a session: a queued one at once, a running one by interrupting (then killing) its run. */
  async stop(raw: { id: number }, reason: "stopped" | "timeout" = "stopped"): Promise<Session> {
    const { id } = SessionIdInputSchema.parse(raw);
    const s = await this.store.row(id);
    const run = this.scheduler.active.get(id);
    if (!run && s.status === "running") {
      // Whoever holds the run ends it when this note reaches it: a worker through its poll, another
      // instance (or this one, still launching it) through the bus; then it reports the end.
      await this.store.note(id, "workdeck/stop_requested", { reason });
      return this.get({ id });
    }
    if (!run) {
      if (s.status !== "queued") throw new AppError("CONFLICT", `Session ${id} is ${s.status}, not running`, "not_running");
      // Only while still queued: a claim that took it meanwhile has a run to stop instead.
      const stopped = await this.store.sql.run(
        sql`UPDATE sessions SET ${sessionAssignments({ status: "stopped", exitReason: reason, endedAt: new Date() })} WHERE id = ${id} AND status = 'queued'`,
      );
      if (!stopped.changes) return this.stop({ id }, reason);
      // Its job, if it had one, never starts it: cancelled here, and a claim that fetched it first finds it stopped.
      await this.scheduler.release(id);
      await this.store.publishUpdated(id);
      return this.get({ id });
    }
    await stopRun(this.scheduler.runContext, run, reason);
    return this.get({ id });
  }

  /** A finished session continues (same Claude session id, `--resume`) with a new message. */
  async resume(raw: { id: number; text: string }): Promise<{ id: number }> {
    const input = SendInputSchema.parse(raw);
    const s = await this.store.row(input.id);
    if (s.status === "running" || s.status === "queued")
      throw new AppError("CONFLICT", `Session ${input.id} is ${s.status}: send it a message instead`, "not_finished");
    // A landed session has no branch left; one past worktree retention gets its worktree back.
    await prepareResume(this.deps, input.id);
    await this.store.update(input.id, {
      status: "queued",
      pendingText: input.text,
      endedAt: null,
      exitReason: null,
      exitMessage: null,
      attempts: 0,
      notBefore: null,
    });
    await this.store.note(input.id, "workdeck/resume_requested", { text: input.text });
    await this.store.publishUpdated(input.id);
    await this.schedule();
    return { id: input.id };
  }

  /** The tool permission requests a running session waits on: here, or from their notes when another instance or a worker runs it. */
  async pendingPermissions(raw: { id: number }): Promise<PendingPermission[]> {
    const { id } = SessionIdInputSchema.parse(raw);
    const s = await this.store.row(id);
    if (this.scheduler.active.has(id)) return this.permissions.list(id);
    return s.status === "running" ? storedPendingPermissions(this.store.sql, id) : [];
  }

  /**
   * Allows (once, or always for the rest of the session) or denies one of them. Elsewhere than the
   * run, the answer is a note, stored while the request still waits, that the run's holder applies.
   */
  async answerPermission(raw: AnswerPermissionInput): Promise<{ ok: true }> {
    const input = AnswerPermissionInputSchema.parse(raw);
    await this.store.row(input.id);
    if (this.scheduler.active.has(input.id)) return this.permissions.answer(input);
    const { id: _id, ...answer } = input;
    await this.store.note(input.id, "workdeck/permission_answer", answer, (tx) => assertAwaitsAnswer(tx, input.id, input.requestId));
    return { ok: true };
  }

  get(raw: { id: number }): Promise<Session> {
    return this.store.get(raw);
  }

  list(raw: { projectId?: string; status?: SessionStatus[]; limit?: number } = {}): Promise<Session[]> {
    return this.store.list(raw);
  }

  events(raw: { id: number; after?: number; limit?: number }): Promise<SessionEvent[]> {
    return this.store.events(raw);
  }

  /** Stored messages after `lastEventId`, then live ones (store.ts). */
  onEvents(opts: { id: number; lastEventId?: number | null; signal?: AbortSignal }): AsyncGenerator<SessionEvent> {
    return this.store.onEvents(opts);
  }

  diff(raw: { id: number }): Promise<SessionDiff> {
    const { id } = SessionIdInputSchema.parse(raw);
    return reviewSession(this.deps, id);
  }

  /** Resolves when the session leaves queued/running (tests, CLI). */
  async waitForEnd(id: number, timeoutMs = 60_000): Promise<Session> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const s = await this.get({ id });
      if (s.status !== "queued" && s.status !== "running") return s;
      await sleep(50);
    }
    throw new Error(`session ${id} still ${(await this.get({ id })).status} after ${timeoutMs} ms`);
  }

  /** The `claude` binary: WORKDECK_CLAUDE_PATH, else the one the SDK ships. */
  binary(): string | undefined {
    return claudeBinary(this.deps.claudePath);
  }

  // ----- helpers -----

  /** The session type, built prompt and priority of a work item (none = manual, empty prompt). */
  private async workItemPrompt(
    projectSlug: string,
    workItem: SessionWorkItem | undefined,
  ): Promise<{ sessionType: Session["sessionType"]; prompt: string; priority: number }> {
    if (workItem?.kind === "error") {
      const failure = await getFailure(this.deps, { failureId: workItem.failureId });
      if (failure.projectSlug !== projectSlug)
        throw new AppError("BAD_REQUEST", `Failure ${failure.id} belongs to project "${failure.projectSlug}", not "${projectSlug}"`);
      return { sessionType: "error_remediation", prompt: errorRemediationPrompt(failure), priority: failure.priority };
    }
    if (workItem?.kind === "spec") {
      const change = await this.deps.openspec.showChange({ projectId: projectSlug, changeId: workItem.changeId });
      return {
        sessionType: "spec_implementation",
        prompt: specImplementationPrompt(change, path.join("openspec", "changes", change.id, "tasks.md")),
        priority: 3,
      };
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
      if (v !== undefined && !(v > 0))
        throw new AppError("BAD_REQUEST", `The ${label} must be greater than 0 (got ${v})`, "invalid_option");
    }
    if (o.maxTurns !== undefined && !Number.isInteger(o.maxTurns))
      throw new AppError("BAD_REQUEST", `maxTurns must be a whole number (got ${o.maxTurns})`, "invalid_option");
    return o;
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
