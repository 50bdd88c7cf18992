/**
 * Background jobs run once per database, not once per `workdeck serve` (issue 14): every process
 * on the database competes for one named row with an expiry, the one whose row is fresh leads and
 * runs the jobs (rescans, retention, notifications, account rechecks, automations, health), and
 * another takes over within the TTL of the leader's last heartbeat when it dies or stalls.
 *
 * A row with an expiry rather than the session runner's lease (sessions/server-lease.ts): that
 * lease says which live process runs which session and has no notion of "the one" among them.
 * The row lives in `integration_locks`, where the automations' lock (issue 15) started it.
 */
import { randomUUID } from "node:crypto";
import os from "node:os";
import { sql } from "drizzle-orm";
import type { SqlStore } from "./db/sql-store";

/** The logger calls the election makes (a pino logger fits). */
export type LeaderLog = Record<"info" | "warn" | "error", (obj: object, msg: string) => void>;

export const DEFAULT_LEADER_TTL_MS = 30_000;

/** One named lock row: taken when free or expired, renewed by its owner, released on a clean stop. */
export class LeaderLock {
  /** Host and pid first, so an operator (or a test) reading the row sees which process leads. */
  readonly owner = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private held = false;

  constructor(
    private readonly store: SqlStore,
    readonly name: string,
    readonly ttlMs = DEFAULT_LEADER_TTL_MS,
  ) {}

  /** Takes or renews the lock; true while this process holds it. Portable SQL: SQLite and PostgreSQL alike (issue 14). */
  async tryHold(now = Date.now()): Promise<boolean> {
    const { changes } = await this.store.run(
      sql`INSERT INTO integration_locks (name, owner, expires_at) VALUES (${this.name}, ${this.owner}, ${now + this.ttlMs})
          ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
          WHERE integration_locks.owner = excluded.owner OR integration_locks.expires_at < ${now}`,
    );
    this.held = changes > 0;
    return this.held;
  }

  isHeld(): boolean {
    return this.held;
  }

  /** A clean stop hands the lock on at once instead of after the expiry. */
  async release(): Promise<void> {
    if (!this.held) return;
    this.held = false;
    await this.store.run(sql`DELETE FROM integration_locks WHERE name = ${this.name} AND owner = ${this.owner}`);
  }
}

/** What a leader-only job hands back: stopped when leadership is lost or the process stops. */
export type LeaderJob = { close(): void | Promise<void> };

type Registered = { name: string; start: () => LeaderJob; running: LeaderJob | null };

/**
 * The election: renews the lock every third of its TTL, starts the registered jobs when this
 * process becomes the leader and closes them when it stops being one (another took an expired
 * row after a stall, or the database refused the renewal until the row expired).
 */
export class LeaderElection {
  readonly lock: LeaderLock;
  private readonly jobs: Registered[] = [];
  private timer: NodeJS.Timeout | null = null;
  private leading = false;
  /** When this process's row expires, as far as it knows (its last successful renewal + TTL). */
  private heldUntil = 0;
  /** The heartbeat in flight: a slow database must not stack renewals. */
  private ticking: Promise<void> | null = null;

  constructor(
    private readonly deps: { sqlStore: SqlStore; log: LeaderLog },
    name = "leader",
    ttlMs = DEFAULT_LEADER_TTL_MS,
  ) {
    this.lock = new LeaderLock(deps.sqlStore, name, ttlMs);
  }

  /** Competes now and then on every heartbeat. */
  start(): this {
    if (this.timer) return this;
    void this.tick();
    this.timer = setInterval(() => void this.tick(), Math.max(100, Math.floor(this.lock.ttlMs / 3)));
    this.timer.unref();
    return this;
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Runs `start` while this process leads (at once if it already does). */
  whileLeading(name: string, start: () => LeaderJob): void {
    const job: Registered = { name, start, running: null };
    this.jobs.push(job);
    if (this.leading) this.startJob(job);
  }

  /** One heartbeat; resolves once leadership (and the jobs) follow its outcome. */
  tick(now = Date.now()): Promise<void> {
    this.ticking ??= this.heartbeat(now).finally(() => (this.ticking = null));
    return this.ticking;
  }

  private async heartbeat(now: number): Promise<void> {
    let held: boolean;
    try {
      held = await this.lock.tryHold(now);
      if (held) this.heldUntil = now + this.lock.ttlMs;
    } catch (err) {
      // A busy database: keep leading until the row we hold would have expired anyway.
      this.deps.log.warn({ err }, "leader lock could not be renewed");
      held = this.leading && now < this.heldUntil;
    }
    if (held && !this.leading) {
      this.leading = true;
      this.deps.log.info(
        { lock: this.lock.name, owner: this.lock.owner, jobs: this.jobs.map((j) => j.name) },
        "leading: background jobs run in this process",
      );
      for (const job of this.jobs) this.startJob(job);
    } else if (!held && this.leading) {
      this.leading = false;
      this.deps.log.warn({ lock: this.lock.name }, "no longer leading: background jobs stopped here");
      void this.stopJobs();
    }
  }

  /** Stops the jobs and hands the lock on. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.ticking;
    this.leading = false;
    await this.stopJobs();
    try {
      await this.lock.release();
    } catch {
      // The database is closing with the process: the row expires by itself.
    }
  }

  private startJob(job: Registered): void {
    try {
      job.running = job.start();
    } catch (err) {
      this.deps.log.error({ err, job: job.name }, "background job failed to start");
    }
  }

  private async stopJobs(): Promise<void> {
    const running = this.jobs.filter((j) => j.running);
    await Promise.all(
      running.map(async (job) => {
        const r = job.running!;
        job.running = null;
        try {
          await r.close();
        } catch (err) {
          this.deps.log.error({ err, job: job.name }, "background job failed to stop");
        }
      }),
    );
  }
}

/** A job that calls `run` every `everyMs` (and once after `firstAfterMs`, when given), errors logged. */
export function intervalJob(
  log: Pick<LeaderLog, "error">,
  name: string,
  run: () => unknown,
  everyMs: number,
  firstAfterMs?: number,
): () => LeaderJob {
  return () => {
    const safe = () => {
      try {
        const out = run();
        if (out instanceof Promise) out.catch((err: unknown) => log.error({ err }, `${name} failed`));
      } catch (err) {
        log.error({ err }, `${name} failed`);
      }
    };
    const timers = [setInterval(safe, everyMs), ...(firstAfterMs === undefined ? [] : [setTimeout(safe, firstAfterMs)])];
    for (const t of timers) t.unref();
    return { close: () => timers.forEach((t) => clearTimeout(t)) };
  };
}
