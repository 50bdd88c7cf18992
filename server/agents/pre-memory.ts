/**
 * Pairing a PostToolUse with its PreToolUse without an index on tool_use_id (issue 12): that
 * index dirtied a random leaf page per tool call, a measurable part of each batch's COMMIT. The
 * committer remembers the Pres it stored (bounded, oldest dropped first); on a miss (a restart,
 * an evicted entry, or a Pre another instance on the same database stored) the Post looks through
 * the last RECENT_LIMIT hooks of its session (hooks_session_id_idx, newest first), so the cost
 * never grows with history. Not found there: no pair, as when the Pre never arrived. Several
 * instances on one database stay right: a Pre each did not see itself is found by that read.
 */
import { PreparedQuery, step, type StoreSteps } from "../db/sql-store";

/** Open Pres remembered at most (a few hundred bytes each). */
export const PRE_MEMORY_LIMIT = 10_000;
/** How far back in a session the fallback read looks for a Pre. */
export const RECENT_LIMIT = 500;

const RECENT_SQL = `SELECT event, tool_use_id, received_at FROM hooks INDEXED BY hooks_session_id_idx WHERE session_id = ?
  ORDER BY session_id DESC, id DESC LIMIT ${RECENT_LIMIT}`;

/**
 * The session's latest hooks, newest first, through its index range (the Pre is picked out in
 * JS). SQLite is told the index: analysed with one long session, its planner walks the whole
 * table backwards instead, unbounded for a session whose hooks are old. PostgreSQL has no such
 * hint; the ORDER BY is the index's own, so its backward scan is the plan.
 */
class RecentHooks extends PreparedQuery {
  private readonly pg = `${RECENT_SQL.replace(" INDEXED BY hooks_session_id_idx", "").replace("?", "$1")}`;
  override postgresText(): string {
    return this.pg;
  }
}
export const RECENT_HOOKS = new RecentHooks(RECENT_SQL);

/** Length-prefixed, so no pair of ids can make another pair's key. */
export const preKey = (sessionId: string, toolUseId: string) => `${sessionId.length}:${sessionId}${toolUseId}`;
const sessionOf = (k: string) => {
  const colon = k.indexOf(":");
  return k.slice(colon + 1, colon + 1 + Number(k.slice(0, colon)));
};

/** Open Pres by (session, tool_use_id) → received_at; Map order is insertion order, so the first key is the oldest. */
export class PreMemory {
  private readonly open = new Map<string, number>();
  /** How many entries each session has, so a SessionEnd drops them without looking through the rest. */
  private readonly perSession = new Map<string, number>();

  constructor(private readonly limit = PRE_MEMORY_LIMIT) {}

  get size(): number {
    return this.open.size;
  }

  get(sessionId: string, toolUseId: string): number | undefined {
    return this.open.get(preKey(sessionId, toolUseId));
  }

  /** Applied only after the batch that stored the Pre committed (a rolled-back batch leaves no trace). */
  remember(sessionId: string, toolUseId: string, at: number): void {
    const k = preKey(sessionId, toolUseId);
    if (!this.open.delete(k)) this.perSession.set(sessionId, (this.perSession.get(sessionId) ?? 0) + 1);
    this.open.set(k, at);
    if (this.open.size > this.limit) this.dropKey(this.open.keys().next().value!);
  }

  forget(sessionId: string, toolUseId: string): void {
    const k = preKey(sessionId, toolUseId);
    if (this.open.has(k)) this.dropKey(k);
  }

  /** A session that ended pairs nothing more. */
  endSession(sessionId: string): void {
    if (!this.perSession.has(sessionId)) return;
    const prefix = `${sessionId.length}:${sessionId}`;
    for (const k of this.open.keys()) if (k.startsWith(prefix) && sessionOf(k) === sessionId) this.open.delete(k);
    this.perSession.delete(sessionId);
  }

  private dropKey(k: string): void {
    this.open.delete(k);
    const sessionId = sessionOf(k);
    const n = (this.perSession.get(sessionId) ?? 1) - 1;
    if (n > 0) this.perSession.set(sessionId, n);
    else this.perSession.delete(sessionId);
  }
}

/** The Pre's received_at among the session's last RECENT_LIMIT hooks (the miss path). */
export function* findRecentPre(sessionId: string, toolUseId: string): StoreSteps<number | undefined> {
  for (const [event, id, at] of yield* step.values(RECENT_HOOKS, [sessionId]))
    if (id === toolUseId && event === "PreToolUse") return Number(at);
  return undefined;
}
