import { randomUUID } from "node:crypto";
import { sql, type SQL } from "drizzle-orm";
import { sqlValues } from "../db/dialect-sql";
import type PgBoss from "pg-boss";
import type { SessionOptions } from "@/lib/schemas/sessions";
import { PostgresStore, type SqlStore } from "../db/sql-store";
import type { AccountPool, PoolAccount } from "../accounts/service";
import type { Logger } from "../logger";
import type { SessionChange, SessionRow } from "./rows";
import {
  CLAIM_LOCK,
  claimNext,
  noAccount,
  queuedRow,
  runningLoad,
  takeSession,
  type ClaimResult,
  type Holder,
  type PlanFn,
  type SessionQueue,
} from "./queue";

/**
 * Sessions as pg-boss jobs on PostgreSQL (issue 14). pg-boss gets its own schema (`pgboss`) in
 * Workdeck's database and runs on Workdeck's pool (its `db` option), so a job moves in the same
 * transaction as the session's row.
 *
 * One queue per account (`workdeck-session-<account>`). A queued session gets a job once the
 * account pool picks an account for it, and whoever holds that account fetches it: this server's
 * runner for the accounts that run on servers, `workers.claim` for a worker's accounts. Every
 * claim, by any holder, is one transaction under the claim lock (queue.ts) that:
 *  1. reconciles: a job whose session is no longer waiting (stopped, ended, interrupted by the
 *     lease or lost-worker recovery, or requeued after its run) is cancelled, and so is a waiting
 *     one whose account can no longer take it (parked, needs a login, its worker gone);
 *  2. dispatches: each due queued session without a job (candidates, in priority order) goes to
 *     the queue of the account `pick` gives it (sticky, pinned, skipping parked accounts, accounts
 *     at their `maxConcurrent` counting running sessions and jobs waiting for them, and worker
 *     accounts whose live holders have no free slot: an eager router would otherwise send every
 *     unpinned session to the first account while other workers idle), with its priority;
 *  3. fetches, from the queues of the holder's accounts with room, the best job (pg-boss: priority,
 *     then age, SKIP LOCKED), and marks its session running (still queued: a stop takes no lock
 *     and wins; then the job is cancelled instead).
 * The job stays active while the session runs and completes when the run ends (release); its
 * expiry is the session's timeout plus a grace, as bookkeeping only: the lease and lost-worker
 * recoveries decide what a dead holder's session becomes, and the next claim cancels its job. A
 * holder that dies inside a claim loses nothing: the transaction rolls back, job and row alike.
 * Retries and backoff stay on the row (notBefore, run.ts): pg-boss's own retry would replay the
 * job in the same account's queue, where a usage limit must move it, and only due sessions are
 * sent, so fetches ignore start_after (inside one transaction now() does not advance).
 *
 * Reading which jobs are live goes straight to pg-boss's job table (by queue name, so PostgreSQL
 * prunes to those partitions): pg-boss 10 has no call that finds jobs by their data.
 */

const SCHEMA = "pgboss";
const QUEUE_PREFIX = "workdeck-session-";
/** pg-boss refuses an expiry of 24 hours or more. */
const MAX_EXPIRE_S = 23 * 3600;
/** A job outlives its session's timeout by this much (the run's stop grace, the end's writes). */
const EXPIRE_GRACE_S = 5 * 60;
/** Without a timeout, a session's job is kept active this long. */
const DEFAULT_EXPIRE_S = 60 * 60 + EXPIRE_GRACE_S;

/**
 * Workdeck's own index on pg-boss's job table (every queue's partition gets it): the live jobs
 * by queue and session. pg-boss indexes only waiting jobs, and its finished ones stay in the
 * table for 12 hours, so without it each claim and release read all of them (50,000 finished
 * jobs: a claim 13 ms → 6 ms under the claim lock, a release 5.5 ms → 1 ms).
 */
const LIVE_INDEX = "workdeck_job_live";

/** How long after a failed start pg-boss is tried again. */
const RESTART_AFTER_MS = 60_000;

export const sessionQueueName = (accountId: string): string => `${QUEUE_PREFIX}${accountId}`;

type Env = Record<string, string | undefined>;
type LiveJob = { id: string; name: string; state: string; sessionId: number; priority: number };
type JobRaw = { id: string; name: string; state: string; session_id: number | string | null; priority: number | string };

export class PgBossQueue implements SessionQueue {
  readonly kind = "pg-boss" as const;
  private boss: Promise<PgBoss> | null = null;
  private closed = false;
  /** When a start last failed (0: it did not): claims go to the table queue meanwhile. */
  private fellBack = 0;

  constructor(private readonly deps: { store: SqlStore; pool: AccountPool; env: Env; log: Logger }) {
    if (!(deps.store instanceof PostgresStore)) throw new Error("the pg-boss session queue needs the PostgreSQL store");
  }

  private get store(): PostgresStore {
    return this.deps.store as PostgresStore;
  }

  private get names(): string[] {
    return this.deps.pool.accounts.map((a) => sessionQueueName(a.id));
  }

  /**
   * pg-boss, started once for this process on the first claim (a CLI command that never claims
   * never starts it). Instances starting together take turns (an advisory lock), so one creates
   * or migrates the schema and the account queues while the others wait and then find them.
   */
  started(): Promise<PgBoss> {
    if (this.closed) return Promise.reject(new Error("the session queue is closed"));
    this.boss ??= (async () => {
      const { default: PgBossClass } = await import("pg-boss");
      const boss = new PgBossClass({ db: this.store, schema: SCHEMA, schedule: false, supervise: true, migrate: true });
      boss.on("error", (err) => this.deps.log.warn({ err }, "pg-boss"));
      try {
        await this.store.transaction(
          async () => {
            await boss.start();
            const known = new Set((await boss.getQueues()).map((q) => q.name));
            for (const name of this.names) if (!known.has(name)) await boss.createQueue(name, { name, policy: "standard", retryLimit: 0 });
            // Looked up first: CREATE INDEX IF NOT EXISTS would lock the job table on every start.
            const indexed = await this.store.get<{ ok: boolean }>(sql`SELECT to_regclass(${`${SCHEMA}.${LIVE_INDEX}`}) IS NOT NULL AS ok`);
            if (!indexed?.ok)
              await this.store.run(
                sql.raw(`CREATE INDEX IF NOT EXISTS ${LIVE_INDEX} ON ${SCHEMA}.job (name, (data->>'sessionId')) WHERE state < 'completed'`),
              );
          },
          { exclusive: "workdeck:pg-boss-start" },
        );
      } catch (err) {
        // A start that failed after boss.start() left its supervision timers running (they keep the
        // process alive and maintain beside the fallback); the next attempt makes a new one.
        await boss.stop({ graceful: false, close: false }).catch(() => {});
        throw err;
      }
      return boss;
    })().catch((err: unknown) => {
      this.boss = null;
      throw err;
    });
    return this.boss;
  }

  async claim<P extends { change: SessionChange }>(
    holder: Holder,
    candidates: readonly SessionRow[],
    plan: PlanFn<P>,
    now = Date.now(),
  ): Promise<ClaimResult<P>> {
    // Closed (the process is stopping): a claim, say a worker's, gets nothing here, and no failed start is logged.
    if (this.closed) return { claimed: null, wakeAt: null };
    // After a failed start, the next attempt waits a while (each one takes the start lock). Sessions
    // still run meanwhile: the table queue claims under the same lock, and jobs it bypassed are
    // cancelled by the first claim after pg-boss starts (their sessions are no longer queued).
    const waiting = this.fellBack > 0 && Date.now() - this.fellBack < RESTART_AFTER_MS;
    const boss = waiting
      ? null
      : await this.started().catch((err: unknown) => {
          this.deps.log.error({ err }, "pg-boss did not start: sessions are claimed from the table meanwhile");
          this.fellBack = Date.now();
          return null;
        });
    if (!boss) return claimNext({ ...this.deps, worker: holder.worker }, candidates, plan, now);
    this.fellBack = 0;
    await this.deps.pool.ready();
    return this.store.transaction(
      async (tx) => {
        const load = await runningLoad(tx);
        const live = await this.reconcile(boss, tx, new Set(candidates.map((c) => c.id)), now);
        const waiting = new Map<string, number>();
        for (const j of live.values()) if (j.state !== "active") bump(waiting, accountOf(j.name));
        const wakeAt = await this.dispatch(boss, tx, candidates, live, load, waiting, now);
        const claimed = await this.fetch(boss, tx, holder, load, waiting, plan, now);
        return { claimed, wakeAt };
      },
      { exclusive: CLAIM_LOCK },
    );
  }

  /**
   * Cancels the jobs nobody should fetch or hold any more; returns the others by session. A waiting
   * job whose session is not a candidate (held by a dependency since it was sent) goes too: the
   * claim that finds it a candidate again sends it again.
   */
  private async reconcile(boss: PgBoss, tx: SqlStore, candidates: ReadonlySet<number>, now: number): Promise<Map<number, LiveJob>> {
    const jobs = (await tx.all<JobRaw>(liveJobsQuery(this.names))).map((r) => ({
      id: r.id,
      name: r.name,
      state: r.state,
      sessionId: Number(r.session_id),
      priority: Number(r.priority),
    }));
    const live = new Map<number, LiveJob>();
    if (!jobs.length) return live;
    const ids = [...new Set(jobs.map((j) => j.sessionId))];
    const rows = await tx.all<{ id: number | string; status: string; options: unknown }>(
      sql`SELECT id, status, options FROM sessions WHERE id IN (${sqlValues(ids)})`,
    );
    const sessions = new Map(rows.map((r) => [Number(r.id), r]));
    const held = await heldAccounts(tx);
    const drop: LiveJob[] = [];
    const usable = new Map<string, Promise<boolean>>();
    for (const j of jobs) {
      const s = sessions.get(j.sessionId);
      const ok = j.state === "active" ? s?.status === "running" : s?.status === "queued";
      if (!ok || live.has(j.sessionId) || (j.state !== "active" && !candidates.has(j.sessionId))) drop.push(j);
      else if (j.state !== "active" && !(await this.stillTakes(tx, accountOf(j.name), s!.options, usable, held.accounts, now)))
        drop.push(j);
      else live.set(j.sessionId, j);
    }
    await cancelJobs(boss, tx, drop);
    return live;
  }

  /**
   * Whether a waiting job's account can still take its session: the session is not pinned
   * elsewhere, and the account is usable (availability only: its load was counted when the job
   * was sent). `usable` remembers each account's answer for the claim, so a deep queue costs one
   * pick per account, not one per job.
   */
  private async stillTakes(
    tx: SqlStore,
    accountId: string,
    rawOptions: unknown,
    usable: Map<string, Promise<boolean>>,
    held: ReadonlySet<string>,
    now: number,
  ): Promise<boolean> {
    const options = (typeof rawOptions === "string" ? JSON.parse(rawOptions) : rawOptions) as SessionOptions;
    if (options.accountId && options.accountId !== accountId) return false;
    let answer = usable.get(accountId);
    if (!answer) {
      answer = this.deps.pool
        .pick({ pinned: accountId, env: this.deps.env, on: tx, now, held })
        .then((picked) => picked.account?.id === accountId);
      usable.set(accountId, answer);
    }
    return answer;
  }

  /** Sends a job for each due candidate that has none, to the account pick gives it; returns when to look again. */
  private async dispatch(
    boss: PgBoss,
    tx: SqlStore,
    candidates: readonly SessionRow[],
    live: Map<number, LiveJob>,
    load: Map<string, number>,
    waiting: Map<string, number>,
    now: number,
  ): Promise<number | null> {
    let wakeAt: number | null = null;
    const holders = await heldAccounts(tx);
    const pending = new Map([...load].map(([id, n]) => [id, n + (waiting.get(id) ?? 0)]));
    for (const [id, n] of waiting) if (!pending.has(id)) pending.set(id, n);
    const wake = (at: number) => (wakeAt = Math.min(wakeAt ?? Infinity, at));
    for (const candidate of candidates) {
      if (live.has(candidate.id)) continue;
      const row = await queuedRow(tx, candidate.id, now, wake);
      if (!row) continue;
      const options = row.options as SessionOptions;
      const picked = await this.deps.pool.pick({
        sticky: row.accountId,
        pinned: options.accountId ?? null,
        env: this.deps.env,
        on: tx,
        now,
        load: pending,
        held: holders.accounts,
        busy: (id) => this.deps.pool.find(id)?.runsOn === "worker" && (waiting.get(id) ?? 0) >= (holders.slots.get(id) ?? 0),
      });
      if (!picked.account) {
        const at = await noAccount(tx, row, picked, false, now);
        if (at !== null) wake(at);
        continue;
      }
      const name = sessionQueueName(picked.account.id);
      const sent = await boss.send(
        name,
        { sessionId: row.id },
        {
          id: jobId(row.id),
          priority: row.priority,
          singletonKey: `session-${row.id}`,
          retryLimit: 0,
          expireInSeconds: expiry(options),
          db: tx as PostgresStore,
        },
      );
      if (!sent) throw new Error(`pg-boss did not queue session ${row.id}`);
      live.set(row.id, { id: sent, name, state: "created", sessionId: row.id, priority: row.priority });
      bump(pending, picked.account.id);
      bump(waiting, picked.account.id);
    }
    return wakeAt;
  }

  /** The best job in the queues of the holder's accounts that have room, its session marked running; null when there is none. */
  private async fetch<P extends { change: SessionChange }>(
    boss: PgBoss,
    tx: SqlStore,
    holder: Holder,
    load: Map<string, number>,
    waiting: Map<string, number>,
    plan: PlanFn<P>,
    now: number,
  ): Promise<ClaimResult<P>["claimed"]> {
    const mine = this.deps.pool.accounts.filter((a) => (holder.worker ? holder.worker.includes(a.id) : a.runsOn === "server"));
    const open = mine.filter((a) => (waiting.get(a.id) ?? 0) > 0 && (a.maxConcurrent === null || (load.get(a.id) ?? 0) < a.maxConcurrent));
    // Which queue holds the best job: by the jobs' priorities, then the order the accounts are tried in.
    const best = await this.bestQueue(tx, open);
    for (let tries = 0; best && tries < 3; tries++) {
      const [job] = await boss.fetch<{ sessionId: number }>(sessionQueueName(best.id), {
        priority: true,
        ignoreStartAfter: true,
        batchSize: 1,
        db: tx as PostgresStore,
      });
      if (!job) return null;
      const row = await queuedRow(tx, Number(job.data.sessionId), now);
      const planned = row ? plan(row, best) : null;
      if (row && planned && (await takeSession(tx, row.id, planned.change))) return { row, account: best, plan: planned };
      await boss.cancel(job.name, job.id, { db: tx as PostgresStore });
    }
    return null;
  }

  private async bestQueue(tx: SqlStore, open: PoolAccount[]): Promise<PoolAccount | null> {
    if (!open.length) return null;
    const top = await tx.get<{ name: string }>(
      sql`SELECT name FROM pgboss.job WHERE name IN (${sqlValues(open.map((a) => sessionQueueName(a.id)))}) AND state < 'active'
          ORDER BY priority DESC, created_on, id LIMIT 1`,
    );
    return top ? (open.find((a) => sessionQueueName(a.id) === top.name) ?? null) : null;
  }

  /** The session's run ended or it left the queue: its active job completes, a waiting one is cancelled. */
  async release(sessionId: number): Promise<void> {
    if (!this.boss || this.closed) return;
    const boss = await this.boss;
    const jobs = await this.store.all<JobRaw>(liveJobsQuery(this.names, sessionId));
    for (const j of jobs) {
      if (j.state === "active") await boss.complete(j.name, j.id);
      else await boss.cancel(j.name, j.id);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const boss = await this.boss?.catch(() => null);
    this.boss = null;
    // Workdeck's pool is not pg-boss's to close.
    await boss?.stop({ graceful: false, close: false });
  }
}

/**
 * The live (waiting or active) jobs of `names`, oldest first; of one session with `sessionId`.
 * Read on every claim and release; LIVE_INDEX keeps both off the finished jobs pg-boss holds in
 * the same table until it archives them.
 */
export function liveJobsQuery(names: readonly string[], sessionId?: number): SQL {
  const one = sessionId === undefined ? sql`` : sql` AND data->>'sessionId' = ${String(sessionId)}`;
  return sql`SELECT id, name, state::text AS state, (data->>'sessionId')::bigint AS session_id, priority
             FROM pgboss.job WHERE name IN (${sqlValues(names)}) AND state < 'completed'${one} ORDER BY created_on, id`;
}

function accountOf(queueName: string): string {
  return queueName.slice(QUEUE_PREFIX.length);
}

function bump(m: Map<string, number>, key: string): void {
  m.set(key, (m.get(key) ?? 0) + 1);
}

/**
 * A job id that sorts by its session's id: jobs sent in one transaction share their created_on,
 * and pg-boss breaks that tie by id, so equal priorities then start oldest session first, as the
 * table queue does. The rest is random: a session sent again gets a new job.
 */
function jobId(sessionId: number): string {
  return `${sessionId.toString(16).padStart(8, "0").slice(-8)}${randomUUID().slice(8)}`;
}

function expiry(options: SessionOptions): number {
  return options.timeoutMinutes ? Math.min(MAX_EXPIRE_S, Math.ceil(options.timeoutMinutes * 60) + EXPIRE_GRACE_S) : DEFAULT_EXPIRE_S;
}

async function cancelJobs(boss: PgBoss, tx: SqlStore, jobs: LiveJob[]): Promise<void> {
  const byQueue = new Map<string, string[]>();
  for (const j of jobs) byQueue.set(j.name, [...(byQueue.get(j.name) ?? []), j.id]);
  for (const [name, ids] of byQueue) await boss.cancel(name, ids, { db: tx as PostgresStore });
}

/**
 * The accounts live workers hold (ready), and for each the slots those workers have free: their
 * capacity less the sessions they run now. Lost workers hold nothing.
 */
async function heldAccounts(tx: SqlStore): Promise<{ accounts: Set<string>; slots: Map<string, number> }> {
  const workers = await tx.all<{ name: string; accounts: string; capacity: number | string }>(
    sql`SELECT name, accounts, capacity FROM workers WHERE lost_at IS NULL`,
  );
  const accounts = new Set<string>();
  const slots = new Map<string, number>();
  if (!workers.length) return { accounts, slots };
  const running = await tx.all<{ worker: string; n: number | string }>(
    sql`SELECT worker, COUNT(*) AS n FROM sessions WHERE status = 'running' AND worker IS NOT NULL GROUP BY worker`,
  );
  const runs = new Map(running.map((r) => [r.worker, Number(r.n)]));
  for (const w of workers) {
    const free = Math.max(0, Number(w.capacity) - (runs.get(w.name) ?? 0));
    for (const a of JSON.parse(w.accounts) as { id: string; ready: boolean }[]) {
      if (!a.ready) continue;
      accounts.add(a.id);
      slots.set(a.id, (slots.get(a.id) ?? 0) + free);
    }
  }
  return { accounts, slots };
}
