import { sql } from "drizzle-orm";
import type { SqlStore } from "../db/sql-store";
import { carriesMark, isClaudeProcess, killRunProcesses } from "./processes";
import { liveLeaseIds } from "./server-lease";

export type RecoveredRun = { id: number; killedPid: number | null; killedProcesses: number };

type RunningRaw = { id: number | string; pid: number | string | null; process_mark: string | null; owner_lease: string | null };

/**
 * Sessions left `running` by a server that is gone become interrupted, and every process of their
 * run is killed (Claude's group, and what its tools started elsewhere, by the run's mark). A
 * session whose owner lease is alive belongs to a live server and is left alone; one with no owner
 * predates leases; a worker's session is the worker sweep's (workers/sessions.ts). Each is
 * claimed with a conditional update first, so of two servers starting together only one recovers it.
 */
export async function recoverOrphanedRuns(store: SqlStore, selfLease: string): Promise<RecoveredRun[]> {
  const live = await liveLeaseIds(store);
  live.add(selfLease);
  const running = await store.all<RunningRaw>(
    sql`SELECT id, pid, process_mark, owner_lease FROM sessions WHERE status = 'running' AND worker IS NULL`,
  );
  const recovered: RecoveredRun[] = [];
  for (const r of running) {
    const s = { id: Number(r.id), pid: r.pid === null ? null : Number(r.pid), processMark: r.process_mark, ownerLease: r.owner_lease };
    if (s.ownerLease && live.has(s.ownerLease)) continue;
    const claimed = await store.run(
      sql`UPDATE sessions SET status = 'interrupted', exit_reason = 'interrupted',
            exit_message = 'The Workdeck server stopped while this session ran', ended_at = ${Date.now()}, pid = NULL
          WHERE id = ${s.id} AND status = 'running'
            AND ${s.ownerLease ? sql`owner_lease = ${s.ownerLease}` : sql`owner_lease IS NULL`}`,
    );
    if (claimed.changes === 0) continue;
    // A pid a dead server recorded may be somebody else's by now: it is ours only if it carries the
    // run's mark (or, for runs from before marks, is a claude process).
    const claude = s.pid && (s.processMark ? carriesMark(s.pid, s.processMark) : isClaudeProcess(s.pid)) ? s.pid : null;
    const killed = killRunProcesses({ mark: s.processMark, pid: claude });
    recovered.push({ id: s.id, killedPid: claude, killedProcesses: killed.length });
  }
  return recovered;
}
