import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "../db/client";
import { sessions } from "../db/schema";
import { carriesMark, isClaudeProcess, killRunProcesses } from "./processes";
import { liveLeaseIds } from "./server-lease";

export type RecoveredRun = { id: number; killedPid: number | null; killedProcesses: number };

/**
 * Sessions left `running` by a server that is gone become interrupted, and every process of their
 * run is killed (Claude's group, and what its tools started elsewhere, by the run's mark). A
 * session whose owner lease is alive belongs to a live server and is left alone; one with no owner
 * predates leases. Each is claimed with a conditional update first, so of two servers starting
 * together only one recovers it.
 */
export function recoverOrphanedRuns(db: Db, selfLease: string): RecoveredRun[] {
  const live = liveLeaseIds(db);
  live.add(selfLease);
  const running = db
    .select({ id: sessions.id, pid: sessions.pid, processMark: sessions.processMark, ownerLease: sessions.ownerLease })
    .from(sessions)
    .where(eq(sessions.status, "running"))
    .all();
  const recovered: RecoveredRun[] = [];
  for (const s of running) {
    if (s.ownerLease && live.has(s.ownerLease)) continue;
    const claimed = db
      .update(sessions)
      .set({
        status: "interrupted",
        exitReason: "interrupted",
        exitMessage: "The Workdeck server stopped while this session ran",
        endedAt: new Date(),
        pid: null,
      })
      .where(
        and(
          eq(sessions.id, s.id),
          eq(sessions.status, "running"),
          s.ownerLease ? eq(sessions.ownerLease, s.ownerLease) : isNull(sessions.ownerLease),
        ),
      )
      .run();
    if (claimed.changes === 0) continue;
    // A pid a dead server recorded may be somebody else's by now: it is ours only if it carries the
    // run's mark (or, for runs from before marks, is a claude process).
    const claude = s.pid && (s.processMark ? carriesMark(s.pid, s.processMark) : isClaudeProcess(s.pid)) ? s.pid : null;
    const killed = killRunProcesses({ mark: s.processMark, pid: claude });
    recovered.push({ id: s.id, killedPid: claude, killedProcesses: killed.length });
  }
  return recovered;
}
