/**
 * The hook committer's statements (issue 12): fixed texts prepared once per connection
 * (PreparedQuery), since every hook event runs several and rendering a template each time was a
 * measurable part of its cost. Every one is a lookup by key or index (no query grows with the
 * history: tests/integration/hooks-edge.test.ts checks the plans).
 */
import { PreparedQuery, step, type StoreSteps } from "../db/sql-store";
import type { SessionRow } from "./session-state";

export const INSERT_HOOK = new PreparedQuery(
  `INSERT INTO hooks (session_id, event, tool_name, tool_use_id, cwd, project_slug, workdeck_session_id, payload, received_at, duration_ms, success)
   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
);

/** agent_sessions' columns, in the order the upsert binds them. */
const SESSION_COLUMNS = [
  "session_id",
  "project_slug",
  "workdeck_session_id",
  "cwd",
  "status",
  "needs_you_reason",
  "started_at",
  "last_event_at",
  "last_event",
  "current_tool",
  "current_tool_use_id",
  "tool_count",
  "failure_count",
  "duration_sum_ms",
  "duration_count",
  "prompt_count",
  "event_count",
  "ended_at",
  "end_reason",
] as const satisfies readonly (keyof SessionRow)[];

const placeholders = (n: number) => `(${Array.from({ length: n }, () => "?").join(", ")})`;

/** One statement text per list length (a power of two), made when first needed. */
const sessionsIn = new Map<number, PreparedQuery>();

/**
 * The summary rows of the batch's sessions (undefined: none yet), in one query: on PostgreSQL
 * each statement is a round trip. The list is padded to a power of two with repeats, so there are
 * a few statement texts, not one per batch size.
 */
export function* sessionRows(sessionIds: Iterable<string>): StoreSteps<Map<string, SessionRow | undefined>> {
  const sessions = new Map<string, SessionRow | undefined>();
  for (const id of sessionIds) sessions.set(id, undefined);
  const ids = [...sessions.keys()];
  let size = 1;
  while (size < ids.length) size *= 2;
  for (let i = ids.length; i < size; i++) ids.push(ids[0]!);
  let query = sessionsIn.get(size);
  if (!query)
    sessionsIn.set(
      size,
      (query = new PreparedQuery(`SELECT ${SESSION_COLUMNS.join(", ")} FROM agent_sessions WHERE session_id IN ${placeholders(size)}`)),
    );
  // As arrays: a row object of 19 columns costs better-sqlite3 a third more than the array.
  for (const values of yield* step.values(query, ids)) {
    const row = sessionRow(values);
    sessions.set(row.session_id, row);
  }
  return sessions;
}

const int = (x: unknown) => (x === null ? null : Number(x));

/** A row read in SESSION_COLUMNS order (numbers as numbers, whatever the driver's type parsers). */
function sessionRow(v: unknown[]): SessionRow {
  return {
    session_id: v[0] as string,
    project_slug: v[1] as string | null,
    workdeck_session_id: int(v[2]),
    cwd: v[3] as string | null,
    status: v[4] as SessionRow["status"],
    needs_you_reason: v[5] as string | null,
    started_at: Number(v[6]),
    last_event_at: Number(v[7]),
    last_event: v[8] as string,
    current_tool: v[9] as string | null,
    current_tool_use_id: v[10] as string | null,
    tool_count: Number(v[11]),
    failure_count: Number(v[12]),
    duration_sum_ms: Number(v[13]),
    duration_count: Number(v[14]),
    prompt_count: Number(v[15]),
    event_count: Number(v[16]),
    ended_at: int(v[17]),
    end_reason: v[18] as string | null,
  };
}

/** The upsert of n rows, for n = 16, 4 and 1. */
const upserts = new Map(
  [16, 4, 1].map((n) => [
    n,
    new PreparedQuery(
      `INSERT INTO agent_sessions (${SESSION_COLUMNS.join(", ")})
       VALUES ${Array.from({ length: n }, () => placeholders(SESSION_COLUMNS.length)).join(", ")}
       ON CONFLICT (session_id) DO UPDATE SET ${SESSION_COLUMNS.slice(1)
         .filter((c) => c !== "started_at")
         .map((c) => `${c} = excluded.${c}`)
         .join(", ")}`,
    ),
  ]),
);

/**
 * The sessions' summary rows, several per statement (on PostgreSQL each statement is a round
 * trip), in groups of 16, 4 or 1 so there are three statement texts, not one per count.
 */
export function* upsertSessions(rows: readonly SessionRow[]): StoreSteps<void> {
  for (let i = 0; i < rows.length;) {
    const left = rows.length - i;
    const n = left >= 16 ? 16 : left >= 4 ? 4 : 1;
    const values: unknown[] = [];
    for (const row of rows.slice(i, i + n)) for (const column of SESSION_COLUMNS) values.push(row[column]);
    yield* step.run(upserts.get(n)!, values);
    i += n;
  }
}
