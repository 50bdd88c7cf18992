import type { WorkerClaim, WorkerCommand, WorkerPollResult } from "@/lib/schemas/workers";
import { backoffDelay } from "@/lib/backoff";
import type { AccountPool } from "../accounts/service";
import { SessionPermissions } from "../sessions/permissions";
import { newProcessMark } from "../sessions/processes";
import { driveRun, startProcess, type ActiveRun, type RunEnd } from "../sessions/run-process";
import { stopRun, shutdownRun } from "../sessions/run";
import { transcriptSaved } from "../sessions/state";
import type { SessionsDeps } from "../sessions/deps";
import { WorkerCallError, type WorkerClient } from "./worker-client";

/**
 * One session on a `workdeck worker` (issue 14): the Claude Code process started as the server's
 * own runner starts it (sessions/run-process.ts), its messages batched to `workers.append` about
 * every 100 ms in order, the classifier's verdict sent with `workers.finish`. The server keeps
 * the meaning of the end; the worker only runs and reports.
 */

const FLUSH_MS = 100;
const STOP_GRACE_MS = 5_000;

export type WorkerRunDeps = {
  name: string;
  client: WorkerClient;
  pool: AccountPool;
  deps: Pick<SessionsDeps, "baseEnv" | "claudePath"> & { appRoot: string };
  log: (line: string) => void;
};

export class WorkerRun {
  readonly sessionId: number;
  /** The last seq of the session this worker knows: `workers.poll` returns the commands after it. */
  after: number;
  readonly done: Promise<void>;
  private readonly active: ActiveRun;
  private readonly permissions: SessionPermissions;
  private outbox: unknown[] = [];
  private totals: RunEnd["session"] | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  /** The server no longer lets this worker write the session (interrupted after a silence, ended elsewhere). */
  private gone = false;
  /** Its process is over: a late `gone` from a poll must not kill what a finished run left running. */
  private ended = false;
  private readonly resumed: boolean;

  constructor(
    private readonly w: WorkerRunDeps,
    private readonly claim: WorkerClaim,
  ) {
    this.sessionId = claim.sessionId;
    this.after = claim.after;
    const account = w.pool.find(claim.accountId);
    if (!account) throw new Error(`account "${claim.accountId}" is not in this worker's config`);
    // --resume only when the transcript is on this machine (a previous run here, or a shared config dir).
    const resumeId =
      claim.resumeId && transcriptSaved([w.pool.configDirOf(account, w.deps.baseEnv)], claim.resumeId) ? claim.resumeId : null;
    this.resumed = resumeId !== null;
    this.permissions = new SessionPermissions((_id, type, payload) => this.push({ type, ...payload }));
    const options = claim.options;
    this.active = startProcess({
      deps: {
        baseEnv: w.deps.baseEnv,
        claudePath: w.deps.claudePath,
        // Hooks and Workdeck's MCP server reach the worker's server, with this run's scoped token.
        hooks: { appRoot: w.deps.appRoot, url: w.client.url, token: claim.agentToken ?? undefined },
      },
      pool: w.pool,
      account,
      sessionId: claim.sessionId,
      projectSlug: claim.projectSlug,
      cwd: claim.cwd,
      options,
      resumeId,
      text: resumeId ? claim.text : claim.freshText,
      mark: newProcessMark(),
      agentToken: claim.agentToken ?? undefined,
      canUseTool: this.permissions.handler(claim.sessionId, (options.timeoutMinutes ?? 10) * 60_000),
    });
    if (options.timeoutMinutes) {
      this.active.timer = setTimeout(() => void this.stop("timeout"), options.timeoutMinutes * 60_000);
      this.active.timer.unref();
    }
    this.done = this.drive().catch((err: unknown) => w.log(`session ${this.sessionId}: ${(err as Error).message}`));
  }

  /** What a person asked of the session, from `workers.poll`. */
  command(c: WorkerCommand): void {
    // The long poll and the fetch at the result (takePending) may both bring one command: once.
    if (c.seq <= this.after) return;
    this.after = c.seq;
    if (c.kind === "send") {
      if (!this.active.input.closed && !this.active.stopping) this.active.input.push(c.text);
      else this.w.log(`session ${this.sessionId}: a message arrived after the run stopped taking them`);
    } else if (c.kind === "stop") void this.stop(c.reason);
    else {
      try {
        this.permissions.answer({ id: this.sessionId, requestId: c.requestId, allow: c.allow, always: c.always, message: c.message });
      } catch {
        // Answered, timed out or moot already: the server learns of it from the notes.
      }
    }
  }

  /** The server took the session away: end the run and report nothing more. */
  drop(): void {
    if (this.gone) return;
    this.gone = true;
    this.outbox = [];
    if (!this.ended) shutdownRun(this.active);
  }

  /** This worker is shutting down: the session becomes interrupted, resumable elsewhere. */
  shutdown(): void {
    shutdownRun(this.active);
  }

  private stop(reason: "stopped" | "timeout"): Promise<void> {
    const note = async (_id: number, type: string, payload: unknown) => {
      this.push({ type, ...(payload as object) });
      return 0;
    };
    return stopRun({ tuning: { stopGraceMs: STOP_GRACE_MS }, store: { note } }, this.active, reason);
  }

  private push(message: unknown): void {
    if (this.gone) return;
    this.outbox.push(message);
    this.timer ??= setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, FLUSH_MS);
  }

  /** Sends what is waiting, in order (one batch at a time); an unreachable server is retried with backoff. */
  private flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      for (let attempt = 0; this.outbox.length && !this.gone;) {
        const batch = this.outbox.slice(0, 500);
        const totals = this.totals;
        try {
          // Not a cursor for commands: one stored between these messages would be skipped.
          await this.w.client.call("workers.append", {
            name: this.w.name,
            sessionId: this.sessionId,
            messages: batch,
            ...(totals ? { totals } : {}),
          });
          this.outbox.splice(0, batch.length);
          attempt = 0;
        } catch (err) {
          if (!this.retry(err)) return;
          await new Promise((r) => setTimeout(r, backoffDelay(attempt++, { baseMs: 500, maxMs: 15_000, jitter: true })));
        }
      }
    });
    return this.flushing;
  }

  /** Whether to try a failed call again: yes while the server is unreachable; no once it refuses the session. */
  private retry(err: unknown): boolean {
    const e = err as WorkerCallError;
    this.w.log(`session ${this.sessionId}: ${e.message}${e instanceof WorkerCallError && e.transient ? " (retrying)" : ""}`);
    if (e instanceof WorkerCallError && e.transient) return true;
    this.drop();
    return false;
  }

  /**
   * At the result, which ends the run's input (state.ts): the server first learns of the result
   * (a message after it is refused there), then the commands stored before it that the long poll
   * has not brought yet go in, so Claude Code still answers them (as run.ts drains its own).
   */
  private async takePending(): Promise<void> {
    await this.flush();
    if (this.gone) return;
    try {
      const r = await this.w.client.call<WorkerPollResult>("workers.poll", {
        name: this.w.name,
        sessions: [{ sessionId: this.sessionId, after: this.after }],
        waitMs: 0,
      });
      for (const c of r.commands) if (c.sessionId === this.sessionId) this.command(c);
    } catch (err) {
      // The long poll still brings them; only a message racing the result may then come too late.
      this.w.log(`session ${this.sessionId}: could not fetch its pending commands at its result: ${(err as Error).message}`);
    }
  }

  private async drive(): Promise<void> {
    const end = await driveRun(
      this.active,
      {
        message: async (raw, m, totals) => {
          if (totals) this.totals = totals;
          this.push(raw);
          if (m.kind === "result") await this.takePending();
        },
      },
      this.claim.prior,
      this.resumed,
      () => this.permissions.clear(this.sessionId),
    );
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
    for (let attempt = 0; !this.gone; attempt++) {
      try {
        await this.w.client.call("workers.finish", {
          name: this.w.name,
          sessionId: this.sessionId,
          outcome: end.outcome,
          stopping: end.stopping,
          run: end.run,
          totals: end.session,
          exit: end.exit,
          stderr: end.stderr?.slice(-4_000) ?? null,
          thrown: end.thrown?.slice(-4_000) ?? null,
        });
        this.w.log(`session ${this.sessionId}: ${end.stopping ?? end.outcome.kind}`);
        return;
      } catch (err) {
        if (!this.retry(err)) return;
        await new Promise((r) => setTimeout(r, backoffDelay(attempt, { baseMs: 500, maxMs: 15_000, jitter: true })));
      }
    }
  }
}
