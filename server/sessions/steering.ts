import { sql } from "drizzle-orm";
import { sqlValues } from "../db/dialect-sql";
import type { SqlStore } from "../db/sql-store";
import { AppError } from "../app-error";
import type { SessionsDeps } from "./deps";
import type { SessionStore } from "./store";
import { notWaiting, storedPendingPermissions, type SessionPermissions } from "./permissions";
import type { ActiveRun } from "./run-process";

/**
 * Steering a run from any instance (issue 14). A follow-up message or a permission answer is a
 * note, stored once by the instance asked (what the page shows), checked in the note's own
 * transaction against what is stored (service.ts send, answerPermission): the run's holder hears
 * it on the bus and applies it here, a worker through workers.poll (workers/sessions.ts).
 */

/** The notes a run takes as commands, besides the stop (scheduler.ts hears that one). */
const COMMANDS = ["workdeck/user_message", "workdeck/permission_answer"] as const;

export function isRunCommand(eventType: string): boolean {
  return (COMMANDS as readonly string[]).includes(eventType);
}

/**
 * Refuses a message the session's run cannot take, in the transaction that would store it: the
 * session is not running, its run has not taken its first message yet (a claim just made: a note
 * before it would be one its run never reads), it answered (its input ends then) or ended, or a
 * stop was asked.
 */
export async function assertTakesMessages(tx: SqlStore, id: number): Promise<void> {
  type Seq = number | string | null;
  const row = await tx.get<{ status: string; started: Seq; said: Seq; ended: Seq; answered: Seq }>(
    sql`SELECT status,
          (SELECT MAX(seq) FROM session_events WHERE session_id = ${id} AND type = 'workdeck/run_started') AS started,
          (SELECT MAX(seq) FROM session_events WHERE session_id = ${id} AND type = 'workdeck/user_message') AS said,
          (SELECT MAX(seq) FROM session_events WHERE session_id = ${id} AND type = 'workdeck/run_ended') AS ended,
          (SELECT MAX(seq) FROM session_events WHERE session_id = ${id} AND type = 'result') AS answered
        FROM sessions WHERE id = ${id}`,
  );
  if (!row) throw new AppError("NOT_FOUND", `No session with id ${id}`);
  const started = row.started == null ? null : Number(row.started);
  const stop = await tx.get<{ seq: number | string | null }>(
    sql`SELECT MAX(seq) AS seq FROM session_events WHERE session_id = ${id} AND type = 'workdeck/stop_requested' AND seq > COALESCE(
          (SELECT MAX(seq) FROM session_events WHERE session_id = ${id} AND type IN ('workdeck/run_ended', 'workdeck/resume_requested')), 0)`,
  );
  let state: string | null = null;
  if (row.status !== "running") state = row.status;
  // Its first result ends a run's input (state.ts InputQueue), as its end does.
  else if (started != null && Math.max(Number(row.ended ?? 0), Number(row.answered ?? 0)) > started) state = "finishing";
  else if (stop?.seq != null) state = "stopping";
  else if (started == null || row.said == null || Number(row.said) < started) state = "starting";
  if (state === "starting")
    throw new AppError(
      "CONFLICT",
      `Session ${id} is starting: it takes messages once its run is under way; send it again in a moment`,
      "not_running",
    );
  if (state) throw notRunning(id, state);
}

export function notRunning(id: number, state: string): AppError {
  return new AppError(
    "CONFLICT",
    `Session ${id} is ${state}: only a running session takes messages; resume it with a new message instead`,
    "not_running",
  );
}

/** Refuses an answer to a request the session's run does not wait on (answered, expired, another run's), in the answer note's transaction. */
export async function assertAwaitsAnswer(tx: SqlStore, id: number, requestId: string): Promise<void> {
  const s = await tx.get<{ status: string }>(sql`SELECT status FROM sessions WHERE id = ${id}`);
  if (s?.status !== "running" || !(await storedPendingPermissions(tx, id)).some((p) => p.requestId === requestId))
    throw notWaiting(id, requestId);
}

type Feed = { after: number; pass: Promise<void> };

/**
 * Feeds the runs of this process the commands stored for them, whichever instance stored them:
 * a message goes into the run's input, an answer to the request waiting in this process
 * (permissions.ts). Each run reads past a cursor (its first message's seq), one pass at a time,
 * so a note heard twice (from the bus and from the send that stored it here) is applied once.
 */
export class RunCommands {
  private readonly feeds = new WeakMap<ActiveRun, Feed>();

  constructor(private readonly ctx: { deps: Pick<SessionsDeps, "log">; store: SessionStore; permissions: SessionPermissions }) {}

  /** The run takes the commands stored after `after`; resolves once those stored by now are applied. */
  attach(run: ActiveRun, after: number): Promise<void> {
    this.feeds.set(run, { after, pass: Promise.resolve() });
    return this.drain(run);
  }

  /** Applies what was stored for the run since the last pass; a run not attached yet reads it when it is. */
  drain(run: ActiveRun): Promise<void> {
    const feed = this.feeds.get(run);
    if (!feed) return Promise.resolve();
    feed.pass = feed.pass
      .then(() => this.apply(run, feed))
      .catch((err: unknown) => this.ctx.deps.log.warn({ err, sessionId: run.sessionId }, "could not apply a session's stored commands"));
    return feed.pass;
  }

  private async apply(run: ActiveRun, feed: Feed): Promise<void> {
    const id = run.sessionId;
    const rows = await this.ctx.store.sql.all<{ seq: number | string; type: string; payload: string }>(
      sql`SELECT seq, type, payload FROM session_events WHERE session_id = ${id} AND seq > ${feed.after}
            AND type IN (${sqlValues(COMMANDS)}) ORDER BY seq`,
    );
    for (const r of rows) {
      feed.after = Math.max(feed.after, Number(r.seq));
      const p = JSON.parse(r.payload) as Record<string, unknown>;
      if (r.type === "workdeck/user_message") {
        // Its note was checked against the run's notes; a run ending meanwhile has no input left.
        if (run.input.closed || run.stopping) this.ctx.deps.log.warn({ sessionId: id, seq: r.seq }, "a message came as the run ended");
        else run.input.push(String(p.text ?? ""));
        continue;
      }
      try {
        this.ctx.permissions.answer({
          id,
          requestId: String(p.requestId),
          allow: p.allow === true,
          ...(p.always === true ? { always: true } : {}),
          ...(typeof p.message === "string" ? { message: p.message } : {}),
        });
      } catch {
        // Settled here meanwhile (timed out, answered on this instance, the run ending): that one stands.
      }
    }
  }
}
