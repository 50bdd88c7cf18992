import { getTableColumns, sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { SessionRun } from "@/lib/schemas/sessions";
import type { SqlStore } from "../db/sql-store";
import { sessions } from "../db/schema";

/**
 * The sessions table through the SQL port (issue 14): a row read back as the Drizzle schema types
 * it (Dates, parsed JSON), and a partial update written as the schema stores it, on either
 * dialect. Both dialects store the same values (instants as ms, JSON as text), so the SQLite
 * schema's own column mappings convert for both; PostgreSQL only hands int8 back as strings.
 */
export type SessionRow = typeof sessions.$inferSelect;
export type SessionChange = Partial<typeof sessions.$inferInsert>;

const COLUMNS = Object.entries(getTableColumns(sessions)) as [keyof SessionRow, SQLiteColumn][];
const NUMERIC = new Set(["SQLiteInteger", "SQLiteTimestamp", "SQLiteReal"]);

/** A raw `SELECT *` row (snake_case, stored values) as the schema's row. */
export function sessionFromRaw(raw: Record<string, unknown>): SessionRow {
  const row: Record<string, unknown> = {};
  for (const [key, column] of COLUMNS) {
    let v = raw[column.name];
    if (v === null || v === undefined) {
      row[key] = null;
      continue;
    }
    if (NUMERIC.has(column.columnType) && typeof v === "string") v = Number(v);
    row[key] = column.mapFromDriverValue(v);
  }
  return row as SessionRow;
}

/** `SET a = ?, b = ?` of a partial row, each value as its column stores it. */
export function sessionAssignments(change: SessionChange): SQL {
  const parts: SQL[] = [];
  for (const [key, column] of COLUMNS) {
    if (!(key in change)) continue;
    const v = change[key as keyof SessionChange];
    if (v === undefined) continue;
    parts.push(sql`${sql.identifier(column.name)} = ${v === null ? null : column.mapToDriverValue(v)}`);
  }
  if (!parts.length) throw new Error("a session update with nothing to set");
  return sql.join(parts, sql`, `);
}

/** `(a, b) VALUES (?, ?)` of a new row, each value as its column stores it. */
export function sessionInsertValues(values: SessionChange): SQL {
  const names: SQL[] = [];
  const params: SQL[] = [];
  for (const [key, column] of COLUMNS) {
    const v = values[key as keyof SessionChange];
    if (v === undefined) continue;
    names.push(sql`${sql.identifier(column.name)}`);
    params.push(sql`${v === null ? null : column.mapToDriverValue(v)}`);
  }
  return sql`(${sql.join(names, sql`, `)}) VALUES (${sql.join(params, sql`, `)})`;
}

export async function readSession(on: SqlStore, id: number): Promise<SessionRow | undefined> {
  const raw = await on.get<Record<string, unknown>>(sql`SELECT * FROM sessions WHERE id = ${id}`);
  return raw && sessionFromRaw(raw);
}

export async function updateSession(on: SqlStore, id: number, change: SessionChange): Promise<number> {
  return (await on.run(sql`UPDATE sessions SET ${sessionAssignments(change)} WHERE id = ${id}`)).changes;
}

/** A session's next run on `accountId`, just started: nothing spent, no outcome yet. */
export function newRun(previous: readonly SessionRun[], accountId: string, resumed: boolean): SessionRun {
  return {
    n: previous.length + 1,
    accountId,
    resumed,
    startedAt: Date.now(),
    endedAt: null,
    costUsd: 0,
    inputTokens: 0,
    outputTokens: 0,
    numTurns: 0,
    outcome: null,
  };
}
