import { and, asc, desc, eq, gt, inArray } from "drizzle-orm";
import {
  EventsInputSchema,
  ListSessionsInputSchema,
  SessionIdInputSchema,
  type Session,
  type SessionEvent,
  type SessionOptions,
  type SessionRun,
  type SessionStatus,
  type SessionWorkItem,
} from "@/lib/schemas/sessions";
import type { Db } from "../db/client";
import { sessionEvents, sessions } from "../db/schema";
import { AppError } from "../app-error";
import type { EventBus } from "../events/bus";

export type SessionRow = typeof sessions.$inferSelect;

/**
 * The sessions and session_events tables as the runner's parts use them: a row, an update, a
 * note (one stored message or runner note, in order, announced on the bus) and the reads the
 * procedures answer with. One per runner: it keeps each session's last seq so notes stay ordered.
 */
export class SessionStore {
  private readonly seqs = new Map<number, number>();

  constructor(private readonly deps: { db: Db; bus: EventBus }) {}

  row(id: number): SessionRow {
    const row = this.deps.db.select().from(sessions).where(eq(sessions.id, id)).get();
    if (!row) throw new AppError("NOT_FOUND", `No session with id ${id}`);
    return row;
  }

  update(id: number, values: Partial<typeof sessions.$inferInsert>): void {
    this.deps.db.update(sessions).set(values).where(eq(sessions.id, id)).run();
  }

  /** Stores one message (or a runner note) in order and announces it. */
  note(id: number, type: string, payload: unknown): void {
    let seq = this.seqs.get(id);
    if (seq === undefined) {
      const r = this.deps.db.$client.prepare("SELECT max(seq) AS seq FROM session_events WHERE session_id = ?").get(id) as {
        seq: number | null;
      };
      seq = r.seq ?? 0;
    }
    seq++;
    this.seqs.set(id, seq);
    this.deps.db.insert(sessionEvents).values({ sessionId: id, seq, type, payload, at: new Date() }).run();
    const project = (this.deps.db.$client.prepare("SELECT project_slug FROM sessions WHERE id = ?").get(id) as { project_slug: string })
      .project_slug;
    this.deps.bus.publish({ type: "sessions.event", projectSlug: project, sessionId: id, seq, eventType: type });
  }

  publishUpdated(id: number): void {
    const s = this.row(id);
    this.deps.bus.publish({ type: "sessions.updated", projectSlug: s.projectSlug, sessionId: id, status: s.status });
  }

  get(raw: { id: number }): Session {
    const { id } = SessionIdInputSchema.parse(raw);
    return toSession(this.row(id));
  }

  list(raw: { projectId?: string; status?: SessionStatus[]; limit?: number } = {}): Session[] {
    const input = ListSessionsInputSchema.parse(raw);
    const conditions = [];
    if (input.projectId) conditions.push(eq(sessions.projectSlug, input.projectId));
    if (input.status?.length) conditions.push(inArray(sessions.status, input.status));
    return this.deps.db
      .select()
      .from(sessions)
      .where(conditions.length ? and(...conditions) : undefined)
      .orderBy(desc(sessions.id))
      .limit(input.limit ?? 200)
      .all()
      .map(toSession);
  }

  events(raw: { id: number; after?: number; limit?: number }): SessionEvent[] {
    const input = EventsInputSchema.parse(raw);
    this.row(input.id);
    return this.deps.db
      .select({ seq: sessionEvents.seq, type: sessionEvents.type, payload: sessionEvents.payload, at: sessionEvents.at })
      .from(sessionEvents)
      .where(and(eq(sessionEvents.sessionId, input.id), gt(sessionEvents.seq, input.after ?? 0)))
      .orderBy(asc(sessionEvents.seq))
      .limit(input.limit ?? 1000)
      .all();
  }

  /**
   * Stored messages after `lastEventId`, then live ones. Listens on the bus before reading
   * the table, so nothing stored in between is missed; the seq cursor drops duplicates.
   */
  async *onEvents(opts: { id: number; lastEventId?: number | null; signal?: AbortSignal }): AsyncGenerator<SessionEvent> {
    this.row(opts.id);
    let wake: (() => void) | null = null;
    let dirty = true;
    const off = this.deps.bus.on((e) => {
      if ((e.type === "sessions.event" || e.type === "sessions.updated") && e.sessionId === opts.id) {
        dirty = true;
        wake?.();
      }
    });
    const onAbort = () => wake?.();
    opts.signal?.addEventListener("abort", onAbort);
    let cursor = opts.lastEventId ?? 0;
    try {
      while (!opts.signal?.aborted) {
        if (!dirty) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = null;
          continue;
        }
        dirty = false;
        for (let batch = this.events({ id: opts.id, after: cursor }); batch.length; batch = this.events({ id: opts.id, after: cursor })) {
          for (const e of batch) {
            cursor = e.seq;
            yield e;
          }
        }
      }
    } finally {
      off();
      opts.signal?.removeEventListener("abort", onAbort);
    }
  }
}

export function toSession(r: SessionRow): Session {
  const workItem: SessionWorkItem | null =
    r.workItemKind === "error"
      ? { kind: "error", failureId: Number(r.workItemRef) }
      : r.workItemKind === "spec"
        ? { kind: "spec", changeId: r.workItemRef ?? "" }
        : null;
  return {
    id: r.id,
    sessionType: r.sessionType as Session["sessionType"],
    workItem,
    status: r.status as SessionStatus,
    projectSlug: r.projectSlug,
    claudeSessionId: r.claudeSessionId,
    accountId: r.accountId,
    cwd: r.cwd,
    worktreePath: r.worktreePath,
    baseBranch: r.baseBranch,
    worktreeRemovedAt: r.worktreeRemovedAt,
    landed:
      r.landed === "merged" || r.landed === "discarded"
        ? { mode: r.landed, commit: r.landedCommit, branchCommit: r.branchCommit, at: r.landedAt! }
        : null,
    branch: r.branch,
    prompt: r.prompt,
    options: r.options as SessionOptions,
    priority: r.priority,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    costUsd: r.costUsd,
    inputTokens: r.inputTokens,
    outputTokens: r.outputTokens,
    numTurns: r.numTurns,
    exitReason: r.exitReason,
    exitMessage: r.exitMessage,
    runs: r.runs as SessionRun[],
  };
}

/** The narrow view of a session other domains read (All Work): times in ms, the prompt cut to 200 characters. */
export type SessionSummary = {
  id: number;
  projectSlug: string;
  sessionType: string;
  workItemKind: string | null;
  workItemRef: string | null;
  status: string;
  prompt: string;
  priority: number;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  costUsd: number;
};

/** The most recent sessions of a project (or all), newest first. */
export function sessionSummaries(deps: { db: Db }, input: { projectId?: string; limit: number }): SessionSummary[] {
  return deps.db.$client
    .prepare(
      `SELECT id, project_slug AS projectSlug, session_type AS sessionType, work_item_kind AS workItemKind, work_item_ref AS workItemRef, status,
              substr(prompt, 1, 200) AS prompt, priority, created_at AS createdAt, started_at AS startedAt, ended_at AS endedAt, cost_usd AS costUsd
       FROM sessions ${input.projectId ? "WHERE project_slug = ?" : ""} ORDER BY id DESC LIMIT ?`,
    )
    .all(...(input.projectId ? [input.projectId] : []), input.limit) as SessionSummary[];
}
