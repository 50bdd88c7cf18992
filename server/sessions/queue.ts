import { sql } from "drizzle-orm";
import type { SessionOptions } from "@/lib/schemas/sessions";
import type { SqlStore } from "../db/sql-store";
import type { AccountPool, PoolAccount } from "../accounts/service";
import { sessionAssignments, sessionFromRaw, updateSession, type SessionChange, type SessionRow } from "./rows";

/**
 * The session queue on the SQL port (issue 14): which queued sessions are due, by priority then
 * age, and the claim of one of them by an instance. Every instance on the database runs the same
 * queue; a claim is one exclusive transaction (the write lock on SQLite, an advisory lock on
 * PostgreSQL), so two instances never start the same session and never hand one account's last
 * free moment to two runs at once.
 */

/** The key every instance's claim takes turns on. */
const CLAIM_LOCK = "workdeck:sessions-claim";

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

/**
 * Takes the first of `candidates` (in their order) that is still queued and has an account that
 * can run it now, marking it running with what `plan` says (this instance's lease, the run...).
 * One that has no account waits for the earliest reset (or a minute): `wakeAt`. Candidates come
 * from `dueSessions`, read outside the lock; each is read again inside it. `worker`: a `workdeck
 * worker` claims, with these ready accounts only (issue 14).
 */
export async function claimNext<P extends { change: SessionChange }>(
  deps: { store: SqlStore; pool: AccountPool; env: Env; worker?: readonly string[] },
  candidates: readonly SessionRow[],
  plan: (row: SessionRow, account: PoolAccount) => P,
  now = Date.now(),
): Promise<{ claimed: Claimed<P> | null; wakeAt: number | null }> {
  // The accounts' rows are registered before the lock: a transaction's body only waits on itself.
  await deps.pool.ready();
  return deps.store.transaction(
    async (tx) => {
      let wakeAt: number | null = null;
      for (const candidate of candidates) {
        const raw = await tx.get<Record<string, unknown>>(sql`SELECT * FROM sessions WHERE id = ${candidate.id} AND status = 'queued'`);
        if (!raw) continue;
        const row = sessionFromRaw(raw);
        if (row.notBefore && row.notBefore.getTime() > now) continue;
        const options = row.options as SessionOptions;
        const { account, until, elsewhere } = await deps.pool.pick({
          sticky: row.accountId,
          pinned: options.accountId ?? null,
          env: deps.env,
          on: tx,
          now,
          worker: deps.worker,
        });
        // A worker's accounts are not the only ones, and a server's may not be (runsOn "worker"):
        // neither holds the session back for the others.
        if (!account && (deps.worker || elsewhere)) {
          if (until) wakeAt = Math.min(wakeAt ?? Infinity, until.getTime());
          continue;
        }
        if (!account) {
          const at = until?.getTime() ?? now + 60_000;
          await updateSession(tx, row.id, { notBefore: new Date(at) });
          wakeAt = Math.min(wakeAt ?? Infinity, at);
          continue;
        }
        const planned = plan(row, account);
        // Still queued: a stop made meanwhile (it takes no lock) wins.
        const taken = await tx.run(
          sql`UPDATE sessions SET ${sessionAssignments({ ...planned.change, status: "running" })} WHERE id = ${row.id} AND status = 'queued'`,
        );
        if (taken.changes) return { claimed: { row, account, plan: planned }, wakeAt };
      }
      return { claimed: null, wakeAt };
    },
    { exclusive: CLAIM_LOCK },
  );
}
