import { asc, desc, eq } from "drizzle-orm";
import type { SessionOptions } from "@/lib/schemas/sessions";
import { sessions } from "../db/schema";
import type { AccountPool } from "../accounts/service";
import { LEASE_HEARTBEAT_MS, ServerLease } from "./server-lease";
import { recoverOrphanedRuns } from "./recovery";
import type { SessionPermissions } from "./permissions";
import { recheckNeedsLogin, type RecheckContext } from "./account-use";
import { claudeBinary, launchRun, shutdownRun, type ActiveRun, type RunContext } from "./run";
import type { RunnerTuning, SessionsDeps } from "./deps";
import type { SessionStore } from "./store";
import { describeBlockers, sessionGate } from "../dependencies/service";

/**
 * The queue: at most `claude.maxConcurrent` sessions running in this process, the rest started
 * by priority (then age) as room and accounts allow; a session waiting for a backoff or an
 * account's reset wakes the queue when it is due. Owns this process's lease (server-lease.ts) and
 * its running runs, so it also recovers orphans on start and ends every run on close.
 */
export class SessionScheduler {
  /** The runs of this process, by session id. */
  readonly active = new Map<number, ActiveRun>();
  /** This process's claim on the sessions it runs: another server's recovery leaves them alone. */
  readonly lease: ServerLease;
  readonly runContext: RunContext;
  readonly recheckContext: RecheckContext;
  private timer: NodeJS.Timeout | null = null;
  private checkTimer: NodeJS.Timeout | null = null;
  private orphanTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly deps: SessionsDeps,
    private readonly tuning: RunnerTuning,
    private readonly store: SessionStore,
    private readonly pool: AccountPool,
    permissions: SessionPermissions,
    stop: (id: number, reason: "timeout") => Promise<unknown>,
  ) {
    this.lease = new ServerLease(deps.db);
    const schedule = () => this.schedule();
    this.runContext = { deps, tuning, store, pool, permissions, lease: this.lease, active: this.active, schedule, stop };
    this.recheckContext = {
      pool,
      deps,
      binary: () => claudeBinary(deps.claudePath),
      schedule,
      runningCount: (id) => this.runningCount(id),
    };
  }

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
      // One process per database rechecks (issue 14): the account states are shared rows.
      this.checkTimer = setInterval(() => {
        if (this.deps.isLeader?.() === false) return;
        void recheckNeedsLogin(this.recheckContext).catch((err) => this.deps.log.warn({ err }, "account recheck failed"));
      }, this.tuning.accountCheckMs);
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
      this.store.note(r.id, "workdeck/interrupted", {
        reason: "server_restart",
        killedPid: r.killedPid,
        killedProcesses: r.killedProcesses,
      });
      this.store.publishUpdated(r.id);
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
    this.lease.release();
  }

  runningCount(accountId?: string): number {
    return [...this.active.values()].filter((r) => !accountId || r.accountId === accountId).length;
  }

  /**
   * Dependencies (issue 17): a session whose item waits for another stays queued with the blocker
   * named (its exit message, shown on its page), and is cancelled when a blocker was ignored or
   * discarded. The bus wakes the queue when a blocker moves (dependencies/service.ts).
   */
  private heldByDependencies(s: typeof sessions.$inferSelect): boolean {
    const gate = sessionGate(this.deps, s);
    if (gate.action === "start") {
      if (s.exitReason === "blocked") this.store.update(s.id, { exitReason: null, exitMessage: null });
      return false;
    }
    if (gate.action === "cancel") {
      this.store.update(s.id, { status: "stopped", exitReason: "blocker_dropped", exitMessage: gate.message, endedAt: new Date() });
      this.store.note(s.id, "workdeck/cancelled", { reason: "blocker_dropped", message: gate.message, blockers: gate.blockers });
      this.store.publishUpdated(s.id);
      return true;
    }
    const text = `Waiting for ${describeBlockers(gate.blockers)}`;
    if (s.exitReason !== "blocked" || s.exitMessage !== text) {
      this.store.update(s.id, { exitReason: "blocked", exitMessage: text });
      this.store.note(s.id, "workdeck/blocked", { message: text, blockers: gate.blockers });
      this.store.publishUpdated(s.id);
    }
    return true;
  }

  /** Starts queued sessions while there is room, highest priority first. */
  schedule(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const max = this.deps.config.config.claude?.maxConcurrent ?? 3;
    const now = Date.now();
    let nextWake: number | null = null;
    const queued = this.deps.db
      .select()
      .from(sessions)
      .where(eq(sessions.status, "queued"))
      .orderBy(desc(sessions.priority), asc(sessions.id))
      .all();
    for (const s of queued) {
      if (this.active.size >= max) break;
      if (s.notBefore && s.notBefore.getTime() > now) {
        nextWake = Math.min(nextWake ?? Infinity, s.notBefore.getTime());
        continue;
      }
      if (this.heldByDependencies(s)) continue;
      const options = s.options as SessionOptions;
      const { account, until } = this.pool.pick({ sticky: s.accountId, pinned: options.accountId ?? null, env: this.deps.baseEnv });
      if (!account) {
        const wakeAt = until?.getTime() ?? now + 60_000;
        this.store.update(s.id, { notBefore: new Date(wakeAt) });
        nextWake = Math.min(nextWake ?? Infinity, wakeAt);
        continue;
      }
      launchRun(this.runContext, s, account);
    }
    if (nextWake !== null) {
      this.timer = setTimeout(() => this.schedule(), Math.max(10, nextWake - Date.now()));
      this.timer.unref();
    }
  }
}
