/**
 * What storeReport will write, worked out before it takes the write lock (issue 10: every other
 * writer, hook ingest above all, waits on that lock, and before this a 60,000-test report held it
 * for most of a second of per-row work):
 * - test cases new to the project are inserted first, in short transactions of their own. A case
 *   without results is invisible (every reader goes through failure groups) and is reused by the
 *   next report if this one never lands, so this needs no atomicity with the run itself;
 * - the project's cases are read from a snapshot (WAL readers take no lock), and every result row
 *   and every case's new sparkline letters are staged in a TEMP table (the connection's own, so
 *   filling it locks nothing either);
 * - under the lock, storeReport checks the snapshot still holds (no report of the project landed
 *   since; otherwise it plans again, under the lock) and moves the staged rows with two set-based
 *   statements instead of 60,000 round trips each.
 */
import type Database from "better-sqlite3";
import { runStagePassed, type NormalizedReport, type StageKind, type TestOutcome, type TestResult } from "@workdeck/error-classifier";
import { advanceRecent, statusLetter } from "./groups";

/** A prepared report as planning reads it (ingest-store.ts prepares them; declared here so neither imports the other). */
export type PlanInput = {
  report: NormalizedReport;
  tests: { test: TestResult; fingerprint: string | null; meta: string | null; attempts: Buffer | null }[];
  failingStages: Set<string>;
};

export type WritePlan = {
  /** The seq the run gets, and what the snapshot saw: valid while both still hold. */
  seq: number;
  lastCaseId: number;
  /** Cases whose failure groups must be recomputed (their occurrences in this run). */
  affected: number[];
  /** Results that repeated an identity already in this run (only the first is kept). */
  duplicateKeys: number;
};

const CASE_CHUNK = 1000;

/** Stages the run's rows in temp.ingest_stage; inserts the project's new test cases on the way. */
export function planWrite(sqlite: Database.Database, projectSlug: string, prepared: PlanInput): WritePlan {
  const { seq } = sqlite.prepare("SELECT coalesce(max(seq), 0) + 1 AS seq FROM reports WHERE project_slug = ?").get(projectSlug) as { seq: number };
  const cases = new Map<string, CaseRow>();
  let lastCaseId = 0;
  for (const row of sqlite.prepare("SELECT id, key, run_error_kind, recent_statuses, recent_seq FROM test_cases WHERE project_slug = ?").all(projectSlug) as CaseRow[]) {
    cases.set(row.key, row);
    lastCaseId = Math.max(lastCaseId, row.id);
  }
  lastCaseId = insertNewCases(sqlite, projectSlug, prepared, cases, lastCaseId);

  sqlite.exec(
    `CREATE TEMP TABLE IF NOT EXISTS ingest_stage (test_case_id INTEGER NOT NULL, status TEXT NOT NULL, retries INTEGER NOT NULL, duration_ms INTEGER NOT NULL,
       attempts BLOB, fingerprint TEXT, fingerprint_meta TEXT, recent_statuses TEXT NOT NULL)`,
  );
  sqlite.exec("DELETE FROM temp.ingest_stage");
  const stage = sqlite.prepare("INSERT INTO temp.ingest_stage VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  const staged = new Set<number>();
  const affected = new Set<number>();
  let duplicateKeys = 0;
  const letters = (row: CaseRow, status: TestOutcome) => advanceRecent(row.recent_statuses, row.recent_seq, seq - 1) + statusLetter(status);

  sqlite.transaction(() => {
    for (const { test, fingerprint, meta, attempts } of prepared.tests) {
      const row = cases.get(test.key)!;
      if (fingerprint !== null) affected.add(row.id);
      if (staged.has(row.id)) {
        duplicateKeys++;
        continue;
      }
      staged.add(row.id);
      stage.run(row.id, test.status, test.retries, Math.round(test.durationMs), attempts, fingerprint, meta, letters(row, test.status));
    }
    // Synthetic cases of earlier run errors that did not fail here pass only if this run got past
    // their stage (a global setup "passes" in a run that ran tests); otherwise they are absent.
    for (const row of cases.values()) {
      if (row.run_error_kind === null || staged.has(row.id) || prepared.failingStages.has(row.key)) continue;
      if (!runStagePassed(row.run_error_kind as StageKind, prepared.report)) continue;
      staged.add(row.id);
      stage.run(row.id, "expected", 0, 0, null, null, null, letters(row, "expected"));
    }
  })();
  return { seq, lastCaseId, affected: [...affected], duplicateKeys };
}

/** Under the write lock: does the snapshot still describe the project? */
export function planHolds(sqlite: Database.Database, projectSlug: string, plan: WritePlan): boolean {
  const now = sqlite
    .prepare("SELECT (SELECT coalesce(max(seq), 0) FROM reports WHERE project_slug = @slug) AS seq, (SELECT coalesce(max(id), 0) FROM test_cases WHERE project_slug = @slug) AS lastCaseId")
    .get({ slug: projectSlug }) as { seq: number; lastCaseId: number };
  return now.seq === plan.seq - 1 && now.lastCaseId === plan.lastCaseId;
}

/** Under the write lock: the staged rows become the results of run `reportId`, and the cases' sparkline letters. */
export function applyPlan(sqlite: Database.Database, reportId: number, plan: WritePlan): void {
  sqlite
    .prepare(
      `INSERT INTO test_results (report_id, test_case_id, status, retries, duration_ms, attempts, fingerprint, fingerprint_meta)
       SELECT ?, test_case_id, status, retries, duration_ms, attempts, fingerprint, fingerprint_meta FROM temp.ingest_stage ORDER BY rowid`,
    )
    .run(reportId);
  sqlite
    .prepare("UPDATE test_cases SET recent_statuses = s.recent_statuses, recent_seq = ? FROM temp.ingest_stage s WHERE test_cases.id = s.test_case_id")
    .run(plan.seq);
  sqlite.exec("DELETE FROM temp.ingest_stage");
}

type CaseRow = { id: number; key: string; run_error_kind: string | null; recent_statuses: string; recent_seq: number };

function insertNewCases(sqlite: Database.Database, projectSlug: string, prepared: PlanInput, cases: Map<string, CaseRow>, lastCaseId: number): number {
  const fresh = new Map(prepared.tests.filter(({ test }) => !cases.has(test.key)).map(({ test }) => [test.key, test]));
  if (fresh.size === 0) return lastCaseId;
  const insert = sqlite.prepare(
    `INSERT INTO test_cases (project_slug, key, file, repo_path, title_path, project_name, repeat_index, run_error_kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (project_slug, key) DO NOTHING`,
  );
  const list = [...fresh.values()];
  for (let i = 0; i < list.length; i += CASE_CHUNK) {
    // One short transaction per chunk: other writers get the lock in between (nested in a
    // transaction, when planning again under the lock, this is a savepoint).
    sqlite.transaction(() => {
      for (const test of list.slice(i, i + CASE_CHUNK)) {
        insert.run(projectSlug, test.key, test.file, test.repoPath ?? null, JSON.stringify(test.titlePath), test.projectName, test.repeatIndex, test.runError ?? null);
      }
    }).immediate();
  }
  // Read back by key rather than trusting lastInsertRowid: another process may have inserted some first.
  for (const row of sqlite.prepare("SELECT id, key, run_error_kind, recent_statuses, recent_seq FROM test_cases WHERE project_slug = ? AND id > ?").all(projectSlug, lastCaseId) as CaseRow[]) {
    cases.set(row.key, row);
    lastCaseId = Math.max(lastCaseId, row.id);
  }
  return lastCaseId;
}
