import { sql } from "drizzle-orm";
import { sqlValues } from "../db/dialect-sql";
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
import type { SqlStore } from "../db/sql-store";
import { AppError } from "../app-error";
import type { EventBus } from "../events/bus";
import { sqlStoreOf } from "../accounts/rows";
import { readSession, sessionFromRaw, updateSession, type SessionChange, type SessionRow } from "./rows";

export type { SessionRow } from "./rows";

type EventRaw = { seq: number | string; type: string; payload: string; at: number | string };

/**
 * The sessions and session_events tables as the runner's parts use them, through the SQL port
 * (issue 14): a row, an update, a note (one stored message or runner note, in order, announced on
 * the bus) and the reads the procedures answer with. `on` is the caller's transaction, if any.
 */
export class SessionStore {
  readonly sql: SqlStore;
  /** Per session, the note being written: a session's notes are stored in the order they were made. */
  private readonly noting = new Map<number, Promise<unknown>>();

  constructor(private readonly deps: { db?: Db; bus: EventBus; sqlStore?: SqlStore }) {
    this.sql = sqlStoreOf(deps);
  }

  async row(id: number, on: SqlStore = this.sql): Promise<SessionRow> {
    const row = await readSession(on, id);
    if (!row) throw new AppError("NOT_FOUND", `No session with id ${id}`);
    return row;
  }

  async update(id: number, values: SessionChange, on: SqlStore = this.sql): Promise<void> {
    await updateSession(on, id, values);
  }

  /**
   * Stores one message (or a runner note) in order and announces it. Its seq is the next after
   * the session's last, taken in one exclusive transaction with its event, so a note written by
   * another instance (a recovery, a resume) never collides; notes made here keep their call order.
   * `check` runs in that transaction first and throws to store nothing: a note that is a command
   * (a message, a permission answer) is taken only while the run can still take it.
   */
  note(id: number, type: string, payload: unknown, check?: (tx: SqlStore) => Promise<void>): Promise<number> {
    const previous = this.noting.get(id) ?? Promise.resolve();
    const written = previous.catch(() => {}).then(() => this.write(id, type, payload, check));
    this.noting.set(id, written);
    void written.finally(() => this.noting.get(id) === written && this.noting.delete(id)).catch(() => {});
    return written;
  }

  private async write(id: number, type: string, payload: unknown, check?: (tx: SqlStore) => Promise<void>): Promise<number> {
    const { bus } = this.deps;
    const { seq, event } = await this.sql.transaction(
      async (tx) => {
        if (check) await check(tx);
        const row = await tx.get<{ project_slug: string; last: number | string | null }>(
          sql`SELECT project_slug, (SELECT max(seq) FROM session_events WHERE session_id = ${id}) AS last FROM sessions WHERE id = ${id}`,
        );
        if (!row) throw new AppError("NOT_FOUND", `No session with id ${id}`);
        const seq = Number(row.last ?? 0) + 1;
        await tx.run(
          sql`INSERT INTO session_events (session_id, seq, type, payload, at) VALUES (${id}, ${seq}, ${type}, ${JSON.stringify(payload)}, ${Date.now()})`,
        );
        const event = await bus.record(tx, { type: "sessions.event", projectSlug: row.project_slug, sessionId: id, seq, eventType: type });
        return { seq, event };
      },
      { exclusive: `session-events:${id}` },
    );
    await bus.recordedCommitted([event]);
    return seq;
  }

  async publishUpdated(id: number): Promise<void> {
    const s = await this.row(id);
    await this.deps.bus.publishAsync({ type: "sessions.updated", projectSlug: s.projectSlug, sessionId: id, status: s.status });
  }

  async get(raw: { id: number }): Promise<Session> {
    const { id } = SessionIdInputSchema.parse(raw);
    return toSession(await this.row(id));
  }

  async list(raw: { projectId?: string; status?: SessionStatus[]; limit?: number } = {}): Promise<Session[]> {
    const input = ListSessionsInputSchema.parse(raw);
    const conditions = [sql`1 = 1`];
    if (input.projectId) conditions.push(sql`project_slug = ${input.projectId}`);
    if (input.status?.length) conditions.push(sql`status IN (${sqlValues(input.status)})`);
    const rows = await this.sql.all<Record<string, unknown>>(
      sql`SELECT * FROM sessions WHERE ${sql.join(conditions, sql` AND `)} ORDER BY id DESC LIMIT ${input.limit ?? 200}`,
    );
    return rows.map((r) => toSession(sessionFromRaw(r)));
  }

  async events(raw: { id: number; after?: number; limit?: number }): Promise<SessionEvent[]> {
    const input = EventsInputSchema.parse(raw);
    await this.row(input.id);
    const rows = await this.sql.all<EventRaw>(
      sql`SELECT seq, type, payload, at FROM session_events WHERE session_id = ${input.id} AND seq > ${input.after ?? 0}
          ORDER BY seq LIMIT ${input.limit ?? 1000}`,
    );
    return rows.map((r) => ({ seq: Number(r.seq), type: r.type, payload: JSON.parse(r.payload) as unknown, at: new Date(Number(r.at)) }));
  }
  /**
   * Stored messages after `lastEventId`, then live ones. Listens on the bus before reading
   * the table, so nothing stored in between is missed; the seq cursor drops duplicates.
   */
  async *onEvents(opts: { id: number; lastEventId?: number | null; signal?: AbortSignal }): AsyncGenerator<SessionEvent> {
    await this.row(opts.id);
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
        for (
          let batch = await this.events({ id: opts.id, after: cursor });
          batch.length;
          batch = await this.events({ id: opts.id, after: cursor })
        ) {
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
    worker: r.worker ?? null,
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

/** The most recent sessions of a project (or all), newest first, through the SQL port (numbers as numbers on both dialects). */
export async function sessionSummariesOn(store: SqlStore, input: { projectId?: string; limit: number }): Promise<SessionSummary[]> {
  const rows = await store.all<Record<keyof SessionSummary, unknown>>(
    sql`SELECT id, project_slug AS "projectSlug", session_type AS "sessionType", work_item_kind AS "workItemKind",
          work_item_ref AS "workItemRef", status, substr(prompt, 1, 200) AS prompt, priority, created_at AS "createdAt",
          started_at AS "startedAt", ended_at AS "endedAt", cost_usd AS "costUsd"
        FROM sessions ${input.projectId ? sql`WHERE project_slug = ${input.projectId}` : sql``} ORDER BY id DESC LIMIT ${input.limit}`,
  );
  const num = (v: unknown) => (v === null ? null : Number(v));
  return rows.map((r) => ({
    id: Number(r.id),
    projectSlug: r.projectSlug as string,
    sessionType: r.sessionType as string,
    workItemKind: r.workItemKind as string | null,
    workItemRef: r.workItemRef as string | null,
    status: r.status as string,
    prompt: r.prompt as string,
    priority: Number(r.priority),
    createdAt: Number(r.createdAt),
    startedAt: num(r.startedAt),
    endedAt: num(r.endedAt),
    costUsd: Number(r.costUsd),
  }));
}
