/**
 * Database work written once and run either way (issue 14): as a generator that yields its
 * statements (`yield* all(sql…)`), run synchronously on a better-sqlite3 connection
 * (runOnSqlite) or awaited through the SQL port on either dialect (runOnStore).
 *
 * Why not only async: report ingest writes SQLite from a worker thread in chunks, each a
 * synchronous transaction that gives way to this process's waiting writers between two chunks
 * (write-turn.ts), and `ingestReport` stays synchronous for the CLI and its many callers. The
 * same steps then run on PostgreSQL through the port, so the SQL and the rules exist once.
 */
import type Database from "better-sqlite3";
import { is, SQL, sql, StringChunk } from "drizzle-orm";
import { SqliteStore, type SqlStore } from "./sql-store";
import { yieldToWaitingWriters } from "./write-turn";

export type Step =
  | { kind: "all" | "get" | "run"; query: SQL }
  | Insert
  | {
      kind: "transaction";
      body: () => Steps<unknown>;
      /** Writes: SQLite takes the write lock at BEGIN (IMMEDIATE), so the transaction never fails upgrading it. */
      write?: boolean;
      /** Writers that must not interleave: IMMEDIATE on SQLite, a transaction-scoped advisory lock on PostgreSQL. */
      exclusive?: string;
      /** Reads that must agree: one snapshot for the whole transaction (PostgreSQL REPEATABLE READ READ ONLY; SQLite's deferred BEGIN is one). */
      snapshot?: boolean;
    }
  /** Between two chunks of a long write: on SQLite, a turn for this process's waiting writers. */
  | { kind: "pause" };

export type Steps<T> = Generator<Step, T, unknown>;

/**
 * Many rows into one table in one statement. Apart from `sql` templates because rendering one
 * per row doubled the store time of a 60,000-test report on SQLite: here the statement is text
 * with placeholders, prepared once per shape. `table`, `columns` and `tail` (ON CONFLICT …, RETURNING …)
 * are the caller's constants, never input; values are numbers, strings, Buffers or null.
 */
type Insert = { kind: "insert"; table: string; columns: readonly string[]; rows: readonly (readonly unknown[])[]; tail: string };

export function* all<T>(query: SQL): Steps<T[]> {
  return (yield { kind: "all", query }) as T[];
}

export function* get<T>(query: SQL): Steps<T | undefined> {
  return (yield { kind: "get", query }) as T | undefined;
}

/** Rows changed, and the first returned row when the statement has RETURNING. */
export function* run<T = unknown>(query: SQL): Steps<{ changes: number; row?: T }> {
  return (yield { kind: "run", query }) as { changes: number; row?: T };
}

/** Inserts `rows` (values in `columns` order); the rows a RETURNING in `tail` returned. */
export function* insertRows<T = unknown>(
  table: string,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
  tail = "",
): Steps<T[]> {
  if (rows.length === 0) return [];
  return (yield { kind: "insert", table, columns, rows, tail }) as T[];
}

function insertText(step: Insert): string {
  const row = `(${step.columns.map(() => "?").join(", ")})`;
  const values = step.rows.map(() => row).join(", ");
  return `INSERT INTO "${step.table}" (${step.columns.map((c) => `"${c}"`).join(", ")}) VALUES ${values} ${step.tail}`;
}

export function* transaction<T>(body: () => Steps<T>, opts: { write?: boolean; exclusive?: string; snapshot?: boolean } = {}): Steps<T> {
  return (yield { kind: "transaction", body, ...opts }) as T;
}

export function* pause(): Steps<void> {
  yield { kind: "pause" };
}

/** Runs the steps now, on this connection (nested transactions are savepoints). */
export function runOnSqlite<T>(sqlite: Database.Database, steps: Steps<T>): T {
  const store = SqliteStore.on(sqlite);
  const exec = <R>(query: SQL, use: (s: Database.Statement, params: unknown[]) => R): R => {
    const flat = flatten(query);
    return flat ? use(prepared(sqlite, flat.text), flat.params) : store.exec(query, use);
  };
  const execute = (step: Step): unknown => {
    switch (step.kind) {
      case "insert": {
        const s = preparedInsert(sqlite, step);
        const params: unknown[] = [];
        for (const row of step.rows) for (const value of row) params.push(value);
        if (s.reader) return s.all(...params);
        s.run(...params);
        return [];
      }
      case "all":
        return exec(step.query, (s, p) => s.all(...p));
      case "get":
        return exec(step.query, (s, p) => s.get(...p));
      case "run":
        return exec(step.query, (s, p) => {
          if (!s.reader) return { changes: s.run(...p).changes };
          const rows = s.all(...p);
          return { changes: rows.length, row: rows[0] };
        });
      case "transaction": {
        const tx = sqlite.transaction(() => runOnSqlite(sqlite, step.body()));
        return step.write || step.exclusive ? tx.immediate() : tx();
      }
      case "pause":
        return yieldToWaitingWriters();
    }
  };
  let next = steps.next();
  while (!next.done) {
    let result: unknown;
    try {
      result = execute(next.value);
    } catch (err) {
      // Thrown into the steps, so their own try/catch (undoing a stage) sees it.
      next = steps.throw(err);
      continue;
    }
    next = steps.next(result);
  }
  return next.value;
}

/** Runs the steps through the port, on whichever dialect it has. */
export async function runOnStore<T>(store: SqlStore, steps: Steps<T>): Promise<T> {
  const execute = async (step: Step): Promise<unknown> => {
    switch (step.kind) {
      case "all":
        return store.all(step.query);
      case "get":
        return store.get(step.query);
      case "run":
        return store.run(step.query);
      case "insert":
        return /\bRETURNING\b/i.test(step.tail) ? store.all(insertSql(step)) : store.run(insertSql(step)).then(() => []);
      case "transaction": {
        // The port's SQLite IMMEDIATE is its `exclusive`; PostgreSQL's row locks need no lock for a plain write.
        const exclusive = step.exclusive ?? (step.write && store.dialect === "sqlite" ? "write" : undefined);
        return store.transaction((tx) => runOnStore(tx, step.body()), { exclusive, snapshot: step.snapshot });
      }
      case "pause":
        return undefined;
    }
  };
  let next = steps.next();
  while (!next.done) {
    let result: unknown;
    try {
      result = await execute(next.value);
    } catch (err) {
      next = steps.throw(err);
      continue;
    }
    next = steps.next(result);
  }
  return next.value;
}

const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/** A statement on this connection, prepared once per text. */
function prepared(sqlite: Database.Database, text: string): Database.Statement {
  let cache = statements.get(sqlite);
  if (!cache) statements.set(sqlite, (cache = new Map()));
  let s = cache.get(text);
  if (!s) {
    if (cache.size > 500) cache.clear();
    cache.set(text, (s = sqlite.prepare(text)));
  }
  return s;
}

/** An insert's statement, prepared once per shape (table, columns, row count, tail). */
const preparedInsert = (sqlite: Database.Database, step: Insert) => prepared(sqlite, insertText(step));

/**
 * A template of text and plain values (nested templates, joins and raw text included) as SQLite
 * text with `?` and its values, without Drizzle's general renderer: the per-row statements of a
 * big ingest spent more time being rendered than run. Anything else (identifiers, columns)
 * returns null and goes through Drizzle.
 */
function flatten(query: SQL, out = { text: "", params: [] as unknown[] }): { text: string; params: unknown[] } | null {
  for (const chunk of query.queryChunks) {
    if (is(chunk, StringChunk)) out.text += chunk.value.join("");
    else if (is(chunk, SQL)) {
      if (!flatten(chunk, out)) return null;
    } else if (chunk === null || typeof chunk === "number" || typeof chunk === "string" || Buffer.isBuffer(chunk)) {
      out.text += "?";
      out.params.push(chunk);
    } else return null;
  }
  return out;
}

/** The same insert as a template for the port (each dialect renders its own placeholders). */
function insertSql(step: Insert): SQL {
  const values = sql.join(
    step.rows.map(
      (r) =>
        sql`(${sql.join(
          r.map((v) => sql`${v}`),
          sql`, `,
        )})`,
    ),
    sql`, `,
  );
  return sql`INSERT INTO ${sql.identifier(step.table)} (${sql.join(
    step.columns.map((c) => sql.identifier(c)),
    sql`, `,
  )}) VALUES ${values} ${sql.raw(step.tail)}`;
}

/** A UNIQUE index refused the row (checked by code: the error class may come from another module copy). */
export function isUniqueViolation(err: unknown): boolean {
  const code = typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined;
  return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "23505";
}

/** PostgreSQL chose this transaction as a deadlock's victim and rolled it back (40P01). */
export function isDeadlock(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "40P01";
}
