/**
 * Work for the SQL port written once as a generator of statements (`yield* step.get(sql…)`) and
 * run by SqlStore.steps on either dialect (issue 12): SQLite runs the whole generator
 * synchronously, PostgreSQL awaits each statement. Apart from sql-store.ts only to keep files short.
 */
import type { SQL } from "drizzle-orm";

/**
 * A statement of work written as a generator (`yield* step.get(sql…)`), run by SqlStore.steps.
 * `lock`: writers that must not interleave until the open transaction ends (PostgreSQL: its
 * advisory lock, taken once; SQLite: nothing to do, its transaction is the one writer).
 */
export type StoreStep = { kind: "all" | "get" | "run"; query: SQL } | { kind: "lock"; key: string };
export type StoreSteps<T> = Generator<StoreStep, T, unknown>;

/** The statements a StoreSteps generator yields, each typed by what the store hands back. */
export const step = {
  *all<T>(query: SQL): StoreSteps<T[]> {
    return (yield { kind: "all", query }) as T[];
  },
  *get<T>(query: SQL): StoreSteps<T | undefined> {
    return (yield { kind: "get", query }) as T | undefined;
  },
  *run<T = unknown>(query: SQL): StoreSteps<{ changes: number; row?: T }> {
    return (yield { kind: "run", query }) as { changes: number; row?: T };
  },
  *lock(key: string): StoreSteps<void> {
    yield { kind: "lock", key };
  },
};
