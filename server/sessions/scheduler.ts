import { LEASE_HEARTBEAT_MS, ServerLease } from "./server-lease";
import { recoverOrphanedRuns } from "./recovery";
import type { SessionPermissions } from "./permissions";
import { isRunCommand, RunCommands } from "./steering";
import { recheckNeedsLogin, type RecheckContext } from "./account-use";
import { claudeBinary, launchRun, planRun, shutdownRun, stopRun, type ActiveRun, type RunContext } from "./run";
import type { RunnerTuning, SessionsDeps } from "./deps";
import type { SessionStore } from "./store";
import type { SessionRow } from "./rows";
import { dueSessions, TableQueue, type SessionQueue } from "./queue";
import { PgBossQueue } from "./queue-pgboss";
import type { AccountPool } from "../accounts/service";
import { describeBlockers, sessionGate } from "../dependencies/service";

/**
 * The queue: at most `claude.maxConcurrent` sessions running in this process, the rest started
 * by priority (then age) as room and accounts allow; a session waiting for a backoff or an
 * account's reset wakes the queue when it is due. Every instance on the database runs it, and
 * a session is claimed in one exclusive transaction (queue.ts: the table on SQLite, pg-boss jobs
 * on PostgreSQL, queue-pgboss.ts), so only one of them starts it.
 * Owns this process's lease (server-lease.ts) and its running runs, so it also recovers orphans
 * on start and ends every run on close.
 */
export class SessionScheduler {
  /** The runs of this process, by session id. */
  readonly active = new Map<number, ActiveRun>();
  /** This process's claim on the sessions it runs: another server's recovery leaves them alone. */
  readonly lease: ServerLease;
  readonly runContext: RunContext;
  readonly recheckContext: RecheckContext;
  /** Where claims go: one per process, so pg-boss starts once (on the first claim) and stops with it. */
  readonly queue: SessionQueue;
  private timer: NodeJS.Timeout | null = null;
  private checkTimer: NodeJS.Timeout | null = null;
  private orphanTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** The pass running now, and the one asked for meanwhile (one is enough for every caller). */
  private passing: Promise<void> | null = null;
  private rerun: Promise<void> | null = null;
  private readonly offCommands: () => void;

  constructor(
    private readonly deps: SessionsDeps,
    private readonly tuning: RunnerTuning,
    private readonly store: SessionStore,
    private readonly pool: AccountPool,
    permissions: SessionPermissions,
    stop: (id: number, reason: "timeout") => Promise<unknown>,
  ) {
    this.lease = new ServerLease(store.sql);
    const queueDeps = { store: store.sql, pool, env: deps.baseEnv, log: deps.log };
    this.queue = store.sql.dialect === "postgres" ? new PgBossQueue(queueDeps) : new TableQueue(queueDeps);
    const schedule = () => this.schedule();
    const commands = new RunCommands({ deps, store, permissions });
    this.runContext = {
      deps,
      tuning,
      store,
      pool,
      permissions,
      commands,
      lease: this.lease,
      active: this.active,
      schedule,
      stop,
      queue: this.queue,
    };
    this.recheckContext = {
      pool,
      deps,
      binary: () => claudeBinary(deps.claudePath),
      schedule,
      runningCount: (id) => this.runningCount(id),
    };
    // A stop, message or permission answer asked through another instance is a note (service.ts):
    // the run's holder applies it.
    this.offCommands = deps.bus.on((e) => {
      if (e.type !== "sessions.event") return;
      const run = this.active.get(e.sessionId);
      if (run && isRunCommand(e.eventType)) void commands.drain(run);
      if (e.eventType !== "workdeck/stop_requested") return;
      if (run && !run.stopping)
        void stopRun(this.runContext, run, "stopped", { noted: true }).catch((err: unknown) =>
          deps.log.warn({ err, sessionId: e.sessionId }, "stop failed"),
        );
    });
  }

  /**
   * On server start: sessions left `running` by a server that is gone (not by a live one on the
   * same database: leases, session-recovery.ts) are marked interrupted and every process of their
   * run is killed. Then queued sessions are scheduled.
   */
  async recover(): Promise<{ interrupted: number[]; killed: number[] }> {
    await this.lease.acquire();
    const recovered = await this.recoverOrphans();
    void this.schedule();
    if (this.tuning.accountCheckMs > 0 && !this.checkTimer) {
      // One process per database rechecks (issue 14): the account states are shared rows.
      this.checkTimer = setInterval(() => {
        if (this.deps.isLeader?.() === false) return;
        void recheckNeedsLogin(this.recheckContext).catch((err) => this.deps.log.warn({ err }, "account recheck failed"));
      }, this.tuning.accountCheckMs);
      this.checkTimer.unref();
    }
    // Another server on this database may crash while this one runs: its sessions are orphans then.
    this.orphanTimer ??= setInterval(() => {
      this.recoverOrphans()
        .then(async (r) => {
          if (r.interrupted.length) await this.schedule();
        })
        .catch((err) => this.deps.log.warn({ err }, "orphaned session sweep failed"));
    }, LEASE_HEARTBEAT_MS);
    this.orphanTimer.unref();
    return recovered;
  }

  private async recoverOrphans(): Promise<{ interrupted: number[]; killed: number[] }> {
    const recovered = await recoverOrphanedRuns(this.store.sql, await this.lease.acquire());
    for (const r of recovered) {
      await this.store.note(r.id, "workdeck/interrupted", {
        reason: "server_restart",
        killedPid: r.killedPid,
        killedProcesses: r.killedProcesses,
      });
      await this.store.publishUpdated(r.id);
      await this.release(r.id);
    }
    return { interrupted: recovered.map((r) => r.id), killed: recovered.flatMap((r) => (r.killedPid ? [r.killedPid] : [])) };
  }

  /** Ends every run (their sessions become interrupted) and stops scheduling. */
  async close(): Promise<void> {
    this.closed = true;
    this.offCommands();
    if (this.timer) clearTimeout(this.timer);
    if (this.checkTimer) clearInterval(this.checkTimer);
    if (this.orphanTimer) clearInterval(this.orphanTimer);
    // A pass launching a run now finishes that launch (and starts no other): its run is ended below too.
    await this.passing;
    const runs = [...this.active.values()];
    for (const run of runs) shutdownRun(run);
    if (runs.length) {
      // Bounded wait for the runs to record their end; the timer is cleared so a CLI process exits at once.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled(runs.map((r) => r.done)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, 5_000))),
      ]);
      clearTimeout(timer);
    }
    // Whatever did not record its end in time is an orphan for the next server to recover.
    await this.lease.release();
    await this.queue.close();
  }

  /** The session left its run or the queue: its job is done (a failure here is the next claim's to tidy). */
  async release(id: number): Promise<void> {
    await this.queue.release(id).catch((err: unknown) => this.deps.log.warn({ err, sessionId: id }, "could not release a session's job"));
  }

  runningCount(accountId?: string): number {
    return [...this.active.values()].filter((r) => !accountId || r.accountId === accountId).length;
  }

  /**
   * Dependencies (issue 17): a session whose item waits for another stays queued with the blocker
   * named (its exit message, shown on its page), and is cancelled when a blocker was ignored or
   * discarded. The bus wakes the queue when a blocker moves (dependencies/service.ts).
   */
  private async heldByDependencies(s: SessionRow): Promise<boolean> {
    const gate = await sessionGate(this.deps, s);
    if (gate.action === "start") {
      if (s.exitReason === "blocked") await this.store.update(s.id, { exitReason: null, exitMessage: null });
      return false;
    }
    if (gate.action === "cancel") {
      await this.store.update(s.id, { status: "stopped", exitReason: "blocker_dropped", exitMessage: gate.message, endedAt: new Date() });
      await this.store.note(s.id, "workdeck/cancelled", { reason: "blocker_dropped", message: gate.message, blockers: gate.blockers });
      await this.store.publishUpdated(s.id);
      return true;
    }
    const text = `Waiting for ${describeBlockers(gate.blockers)}`;
    if (s.exitReason !== "blocked" || s.exitMessage !== text) {
      await this.store.update(s.id, { exitReason: "blocked", exitMessage: text });
      await this.store.note(s.id, "workdeck/blocked", { message: text, blockers: gate.blockers });
      await this.store.publishUpdated(s.id);
    }
    return true;
  }

  /**
   * Starts queued sessions while there is room, highest priority first; resolves once this pass
   * is done. Passes never overlap: one asked for during a pass runs after it.
   */
  schedule(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (!this.passing) {
      this.passing = this.pass()
        .catch((err: unknown) => this.deps.log.warn({ err }, "session scheduling failed"))
        .finally(() => (this.passing = null));
      return this.passing;
    }
    this.rerun ??= this.passing.then(() => {
      this.rerun = null;
      return this.schedule();
    });
    return this.rerun;
  }

  /**
   * A claimed session whose run could not start (its notes or the spawn failed) would stay
   * `running` under this live lease, which no recovery touches: it ends as crashed, saying why.
   */
  private async launchFailed(id: number, err: unknown): Promise<void> {
    this.deps.log.error({ err, sessionId: id }, "a claimed session could not start");
    if (this.active.has(id)) return;
    await this.store.update(id, {
      status: "crashed",
      exitReason: "crashed",
      exitMessage: `Could not start: ${(err as Error).message}`,
      endedAt: new Date(),
    });
    await this.store.publishUpdated(id);
  }

  private async pass(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const max = this.deps.config.config.claude?.maxConcurrent ?? 3;
    if (this.active.size >= max) return;
    const lease = await this.lease.acquire();
    const queue = await dueSessions(this.store.sql);
    let nextWake = queue.wakeAt;
    const startable: SessionRow[] = [];
    for (const s of queue.due) if (!(await this.heldByDependencies(s))) startable.push(s);
    while (startable.length && this.active.size < max && !this.closed) {
      const { claimed, wakeAt } = await this.queue.claim({}, startable, (row, account) => planRun(this.runContext, row, account, lease));
      if (wakeAt !== null) nextWake = Math.min(nextWake ?? Infinity, wakeAt);
      if (!claimed) break;
      // A pg-boss claim may take a session another instance's pass dispatched.
      const at = startable.findIndex((s) => s.id === claimed.row.id);
      if (at >= 0) startable.splice(at, 1);
      await launchRun(this.runContext, claimed).catch((err: unknown) => this.launchFailed(claimed.row.id, err));
    }
    if (nextWake !== null && !this.closed) {
      this.timer = setTimeout(() => void this.schedule(), Math.max(10, nextWake - Date.now()));
      this.timer.unref();
    }
  }
}
