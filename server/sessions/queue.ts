import { sql } from "drizzle-orm";
import type { SessionOptions } from "@/lib/schemas/sessions";
import type { SqlStore } from "../db/sql-store";
import type { AccountPool, PoolAccount } from "../accounts/service";
import { sessionAssignments, sessionFromRaw, updateSession, type SessionChange, type SessionRow } from "./rows";

/**
 * The session queue (issue 14): which queued sessions are due, by priority then age, and how a
 * holder of accounts (this server's runner, or a `workdeck worker` through `workers.claim`) takes
 * one. Two implementations behind `SessionQueue`: on SQLite (and as the fallback) the `sessions`
 * table is the queue (`TableQueue`, below); on PostgreSQL the sessions are pg-boss jobs, one queue
 * per account (queue-pgboss.ts). Either way a claim is one exclusive transaction (the write lock on
 * SQLite, an advisory lock on PostgreSQL), so two instances never start the same session and never
 * hand one account's last free slot (`maxConcurrent`, counted across the database) to two runs.
 * Backoff lives in one place, the row's `notBefore` (run.ts): the classifier, not the queue, knows
 * a usage limit from a transient failure, and a retry may move to another account.
 */

/** The key every instance's claim takes turns on. */
export const CLAIM_LOCK = "workdeck:sessions-claim";

type Env = Record<string, string | undefined>;

/** Queued sessions whose backoff (notBefore) has passed, highest priority first, then oldest; and when the next waiting one is due. */
export async function dueSessions(store: SqlStore, now = Date.now()): Promise<{ due: SessionRow[]; wakeAt: number | null }> {
  const rows = await store.all<Record<string, unknown>>(sql`SELECT * FROM sessions WHERE status = 'queued' ORDER BY priority DESC, id`);
  const due: SessionRow[] = [];
  let wakeAt: number | null = null;
  for (const row of rows.map(sessionFromRaw)) {
    const at = row.notBefore?.getTime() ?? 0;
    if (at > now) wakeAt = Math.min(wakeAt ?? Infinity, at);
    else due.push(row);
  }
  return { due, wakeAt };
}

export type Claimed<P> = { row: SessionRow; account: PoolAccount; plan: P };
export type ClaimResult<P> = { claimed: Claimed<P> | null; wakeAt: number | null };
/** What a claim writes on the session it takes (running there, on `account`): run.ts planRun, workers/sessions.ts workerPlan. */
export type PlanFn<P> = (row: SessionRow, account: PoolAccount) => P;
/** Who claims: this server's runner (no `worker`), or a `workdeck worker` with these ready accounts. */
export type Holder = { worker?: readonly string[] };

export interface SessionQueue {
  readonly kind: "table" | "pg-boss";
  /**
   * Takes the first session the holder may run now (of `candidates`, queued and due, in their
   * order: dueSessions, less those held by dependencies), marking it running with what `plan`
   * says; `wakeAt`: when a session that waits for an account's reset is due.
   */
  claim<P extends { change: SessionChange }>(
    holder: Holder,
    candidates: readonly SessionRow[],
    plan: PlanFn<P>,
    now?: number,
  ): Promise<ClaimResult<P>>;
  /** The session left the run or the queue (its run ended, it was stopped): its job, if any, is done. */
  release(sessionId: number): Promise<void>;
  /** Stops what the queue started (pg-boss's supervision); the database stays open. Closed, it claims nothing. */
  close(): Promise<void>;
}

/** Running sessions per account across the database (every instance and worker): the load `maxConcurrent` caps. */
export async function runningLoad(tx: SqlStore): Promise<Map<string, number>> {
  const rows = await tx.all<{ account_id: string; n: number | string }>(
    sql`SELECT account_id, COUNT(*) AS n FROM sessions WHERE status = 'running' AND account_id IS NOT NULL GROUP BY account_id`,
  );
  return new Map(rows.map((r) => [r.account_id, Number(r.n)]));
}

/** Marks a queued session running with `change`; false when it left the queue meanwhile (a stop takes no lock and wins). */
export async function takeSession(tx: SqlStore, id: number, change: SessionChange): Promise<boolean> {
  const taken = await tx.run(
    sql`UPDATE sessions SET ${sessionAssignments({ ...change, status: "running" })} WHERE id = ${id} AND status = 'queued'`,
  );
  return taken.changes > 0;
}

/**
 * A queued session's row again, inside the claim: null when it is no longer queued or not yet due.
 * Not yet due, `wake` hears when it is: another claim put it back to an account's reset after the
 * candidates were read, and that claim's wake-up may be nobody's (a worker's claim keeps none).
 */
export async function queuedRow(tx: SqlStore, id: number, now: number, wake?: (at: number) => void): Promise<SessionRow | null> {
  const raw = await tx.get<Record<string, unknown>>(sql`SELECT * FROM sessions WHERE id = ${id} AND status = 'queued'`);
  if (!raw) return null;
  const row = sessionFromRaw(raw);
  if (row.notBefore && row.notBefore.getTime() > now) {
    wake?.(row.notBefore.getTime());
    return null;
  }
  return row;
}

/**
 * What to do with a session no account can take now: a worker's accounts are not the only ones,
 * a server's may not be (runsOn "worker"), and an account at its limit frees up when a run ends
 * (which schedules again): none of those holds it back. Otherwise it waits for the earliest reset
 * (or a minute), written as its notBefore. Returns when to look again, if ever.
 */
export async function noAccount(
  tx: SqlStore,
  row: SessionRow,
  picked: { until: Date | null; elsewhere?: boolean; full?: boolean },
  worker: boolean,
  now: number,
): Promise<number | null> {
  if (worker || picked.elsewhere || picked.full) return picked.until?.getTime() ?? null;
  const at = picked.until?.getTime() ?? now + 60_000;
  await updateSession(tx, row.id, { notBefore: new Date(at) });
  return at;
}

/**
 * The table queue's claim: the first of `candidates` (in their order) that is still queued and has
 * an account the holder runs with room under its limit, marked running with what `plan` says.
 * Candidates are read outside the lock; each is read again inside it.
 */
export async function claimNext<P extends { change: SessionChange }>(
  deps: { store: SqlStore; pool: AccountPool; env: Env; worker?: readonly string[] },
  candidates: readonly SessionRow[],
  plan: PlanFn<P>,
  now = Date.now(),
): Promise<ClaimResult<P>> {
  // The accounts' rows are registered before the lock: a transaction's body only waits on itself.
  await deps.pool.ready();
  const limited = deps.pool.accounts.some((a) => a.maxConcurrent !== null);
  return deps.store.transaction(
    async (tx) => {
      let wakeAt: number | null = null;
      const load = limited ? await runningLoad(tx) : undefined;
      const wake = (at: number) => (wakeAt = Math.min(wakeAt ?? Infinity, at));
      for (const candidate of candidates) {
        const row = await queuedRow(tx, candidate.id, now, wake);
        if (!row) continue;
        const options = row.options as SessionOptions;
        const picked = await deps.pool.pick({
          sticky: row.accountId,
          pinned: options.accountId ?? null,
          env: deps.env,
          on: tx,
          now,
          worker: deps.worker,
          load,
        });
        if (!picked.account) {
          const at = await noAccount(tx, row, picked, !!deps.worker, now);
          if (at !== null) wake(at);
          continue;
        }
        const planned = plan(row, picked.account);
        if (await takeSession(tx, row.id, planned.change)) return { claimed: { row, account: picked.account, plan: planned }, wakeAt };
      }
      return { claimed: null, wakeAt };
    },
    { exclusive: CLAIM_LOCK },
  );
}

/** SQLite's queue (and the fallback): the `sessions` table itself, claimed under the write lock. */
export class TableQueue implements SessionQueue {
  readonly kind = "table" as const;
  private closed = false;

  constructor(private readonly deps: { store: SqlStore; pool: AccountPool; env: Env }) {}

  async claim<P extends { change: SessionChange }>(
    holder: Holder,
    candidates: readonly SessionRow[],
    plan: PlanFn<P>,
    now?: number,
  ): Promise<ClaimResult<P>> {
    if (this.closed) return { claimed: null, wakeAt: null };
    return claimNext({ ...this.deps, worker: holder.worker }, candidates, plan, now);
  }

  async release(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
  }
}
