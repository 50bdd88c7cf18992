/**
 * Work for the SQL port written once as a generator of statements (`yield* step.get(sql…)`) and
 * run by SqlStore.steps on either dialect (issue 12): SQLite runs the whole generator
 * synchronously, PostgreSQL awaits each statement. Apart from sql-store.ts only to keep files short.
 */
import type { SQL } from "drizzle-orm";

/**
 * A hot statement's fixed text, with `?` for its values in order (never inside a literal), prepared
 * once per connection instead of rendered from a template on every call (issue 12): SQLite keeps
 * the statement, PostgreSQL gets a named prepared statement with the `?` numbered `$1`, `$2`, ….
 * Values cross as with templates (Date → epoch ms, boolean → 0/1).
 */
export class PreparedQuery {
  private static made = 0;
  /** PostgreSQL's statement name: one per query made in this process, so a name never meets two texts. */
  readonly name = `workdeck_q${++PreparedQuery.made}`;
  private numbered: string | undefined;

  constructor(readonly text: string) {}

  postgresText(): string {
    if (this.numbered === undefined) {
      let n = 0;
      this.numbered = this.text.replace(/\?/g, () => `$${++n}`);
    }
    return this.numbered;
  }
}

/** What a port statement is: a Drizzle `sql` template, or a prepared query with its values. */
export type Query = SQL | PreparedQuery;
export type Params = readonly unknown[];

/**
 * A statement of work written as a generator (`yield* step.get(sql…)`), run by SqlStore.steps.
 * `lock`: writers that must not interleave until the open transaction ends (PostgreSQL: its
 * advisory lock, taken once; SQLite: nothing to do, its transaction is the one writer).
 */
export type StoreStep = { kind: "all" | "get" | "values" | "run"; query: Query; params?: Params } | { kind: "lock"; key: string };
export type StoreSteps<T> = Generator<StoreStep, T, unknown>;

/** The statements a StoreSteps generator yields, each typed by what the store hands back. */
export const step = {
  *all<T>(query: Query, params?: Params): StoreSteps<T[]> {
    return (yield { kind: "all", query, params }) as T[];
  },
  *get<T>(query: Query, params?: Params): StoreSteps<T | undefined> {
    return (yield { kind: "get", query, params }) as T | undefined;
  },
  /** Rows as arrays, in the order selected (cheaper than objects for wide rows). */
  *values(query: Query, params?: Params): StoreSteps<unknown[][]> {
    return (yield { kind: "values", query, params }) as unknown[][];
  },
  *run<T = unknown>(query: Query, params?: Params): StoreSteps<{ changes: number; row?: T }> {
    return (yield { kind: "run", query, params }) as { changes: number; row?: T };
  },
  *lock(key: string): StoreSteps<void> {
    yield { kind: "lock", key };
  },
};
