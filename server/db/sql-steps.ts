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
import type { SQL } from "drizzle-orm";
import { SqliteStore, type SqlStore } from "./sql-store";
import { yieldToWaitingWriters } from "./write-turn";

export type Step =
  | { kind: "all" | "get" | "run"; query: SQL }
  | {
      kind: "transaction";
      body: () => Steps<unknown>;
      /** Writes: SQLite takes the write lock at BEGIN (IMMEDIATE), so the transaction never fails upgrading it. */
      write?: boolean;
      /** Writers that must not interleave: IMMEDIATE on SQLite, a transaction-scoped advisory lock on PostgreSQL. */
      exclusive?: string;
    }
  /** Between two chunks of a long write: on SQLite, a turn for this process's waiting writers. */
  | { kind: "pause" };

export type Steps<T> = Generator<Step, T, unknown>;

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

export function* transaction<T>(body: () => Steps<T>, opts: { write?: boolean; exclusive?: string } = {}): Steps<T> {
  return (yield { kind: "transaction", body, ...opts }) as T;
}

export function* pause(): Steps<void> {
  yield { kind: "pause" };
}

/** Runs the steps now, on this connection (nested transactions are savepoints). */
export function runOnSqlite<T>(sqlite: Database.Database, steps: Steps<T>): T {
  const store = SqliteStore.on(sqlite);
  const execute = (step: Step): unknown => {
    switch (step.kind) {
      case "all":
        return store.exec(step.query, (s, p) => s.all(...p));
      case "get":
        return store.exec(step.query, (s, p) => s.get(...p));
      case "run":
        return store.exec(step.query, (s, p) => {
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
      case "transaction": {
        // The port's SQLite IMMEDIATE is its `exclusive`; PostgreSQL's row locks need no lock for a plain write.
        const exclusive = step.exclusive ?? (step.write && store.dialect === "sqlite" ? "write" : undefined);
        return store.transaction((tx) => runOnStore(tx, step.body()), { exclusive });
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

/** A UNIQUE index refused the row (checked by code: the error class may come from another module copy). */
export function isUniqueViolation(err: unknown): boolean {
  const code = typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined;
  return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "23505";
}
