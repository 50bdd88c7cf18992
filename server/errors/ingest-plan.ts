/**
 * How storeReport writes a run without holding the write lock for long (issue 10: every other
 * writer, hook ingest above all, waits on that lock; a 60,000-test report held it for ~450 ms):
 * - stageRun, in short transactions of its own, each followed by a turn for waiting writers:
 *   - test cases new to the project. A case without results is invisible (every reader goes
 *     through failure groups) and is reused by the next report if this one never lands;
 *   - the run as a *staged* report: its row carries a marker (`pending:…`, never a valid slug)
 *     instead of the project's slug and no seq, so no reader sees it or its results (every reader
 *     of results joins reports of a project), then its results, a thousand rows per transaction;
 * - prepareFlip, without the lock held throughout: the failure groups recomputed on a snapshot
 *   with the staged run as the project's latest (only rows that change are kept), the sparkline
 *   letters; then, in chunks, the first groups of tests that had none, hidden like the run;
 * - showStage, under the lock: the report row gets its slug and seq, which shows the run and all
 *   its results at once, the hidden groups get theirs, and the rest of the plan (triage rows,
 *   changed groups, letters) is written. Small: it grows with what changed, not with the report.
 * A process killed in between leaves a staged run nobody sees; sweepAbandonedStages removes it.
 */
import type Database from "better-sqlite3";
import { runStagePassed, type NormalizedReport, type StageKind, type TestOutcome, type TestResult } from "@workdeck/error-classifier";
import { yieldToWaitingWriters } from "../db/write-turn";
import {
  advanceRecent,
  applyReclassify,
  insertHiddenGroups,
  planReclassify,
  statusLetter,
  type ReclassifyOutcome,
  type ReclassifyPlan,
} from "./groups";

/** A prepared report as staging reads it (ingest-store.ts prepares them; declared here so neither imports the other). */
export type PlanInput = {
  report: NormalizedReport;
  tests: { test: TestResult; fingerprint: string | null; meta: string | null; attempts: Buffer | null }[];
  failingStages: Set<string>;
};

/** The report row's columns other than slug and seq (known before staging). */
export type ReportValues = {
  contentHash: string;
  format: string;
  source: string | null;
  branch: string | null;
  commit: string | null;
  startedAt: number | null;
  durationMs: number | null;
  stats: string;
  runErrors: string;
  testCount: number;
  ingestedAt: number;
};

export type Stage = {
  reportId: number;
  /** What the report row holds instead of the project's slug until the flip. */
  marker: string;
  /** Every result of the run has a larger id (abandoned stages are deleted by id range). */
  fromResultId: number;
  /** The run's final status per test case (the first result of each identity; synthetic stage passes included). */
  run: Map<number, TestOutcome>;
  /** Cases failing or flaky in the run. */
  failing: Set<number>;
  /** Results that repeated an identity already in this run (only the first is kept). */
  duplicateKeys: number;
  /** When it ran (or was ingested): the run's `at` for resolutions. */
  at: number;
};

export type FlipPlan = {
  seq: number;
  reclassify: ReclassifyPlan;
  letters: Map<number, string>;
  /** Groups inserted ahead, hidden under the stage's marker (prepareFlip). */
  hidden: number;
};

/** Rows per transaction while staging: under CPU contention a lock holder may be descheduled, so each hold is kept small. */
const CHUNK = 250;
const PENDING_PREFIX = "pending:";
/** A staged run older than this is abandoned even if a process of its pid still runs (pids are reused). */
const ABANDONED_AFTER_MS = 3600_000;

type CaseRow = { id: number; key: string; run_error_kind: string | null };

/** Stages the run (see the file comment); inserts the project's new test cases on the way. */
export function stageRun(sqlite: Database.Database, projectSlug: string, prepared: PlanInput, values: ReportValues): Stage {
  const cases = new Map<string, CaseRow>();
  for (const row of sqlite.prepare("SELECT id, key, run_error_kind FROM test_cases WHERE project_slug = ?").all(projectSlug) as CaseRow[])
    cases.set(row.key, row);
  insertNewCases(sqlite, projectSlug, prepared, cases);

  const { reportId, marker, fromResultId } = sqlite
    .transaction(() => {
      const from = (sqlite.prepare("SELECT coalesce(max(id), 0) AS id FROM test_results").get() as { id: number }).id;
      const mark = `${PENDING_PREFIX}${process.pid}:${Date.now()}:${from}:${Math.random().toString(36).slice(2, 10)}`;
      const info = sqlite
        .prepare(
          `INSERT INTO reports (project_slug, seq, content_hash, format, source, branch, "commit", started_at, duration_ms, stats, run_errors, test_count, warnings, ingested_at)
           VALUES (@marker, 0, @contentHash, @format, @source, @branch, @commit, @startedAt, @durationMs, @stats, @runErrors, @testCount, '[]', @ingestedAt)`,
        )
        .run({ ...values, marker: mark });
      return { reportId: Number(info.lastInsertRowid), marker: mark, fromResultId: from };
    })
    .immediate();

  const run = new Map<number, TestOutcome>();
  const failing = new Set<number>();
  let duplicateKeys = 0;
  type Row = [number, string, number, number, Buffer | null, string | null, string | null];
  const rows: Row[] = [];
  for (const { test, fingerprint, meta, attempts } of prepared.tests) {
    const row = cases.get(test.key)!;
    if (run.has(row.id)) {
      duplicateKeys++;
      if (fingerprint !== null) failing.add(row.id);
      continue;
    }
    run.set(row.id, test.status);
    if (fingerprint !== null) failing.add(row.id);
    rows.push([row.id, test.status, test.retries, Math.round(test.durationMs), attempts, fingerprint, meta]);
  }
  // Synthetic cases of earlier run errors that did not fail here pass only if this run got past
  // their stage (a global setup "passes" in a run that ran tests); otherwise they are absent.
  for (const row of cases.values()) {
    if (row.run_error_kind === null || run.has(row.id) || prepared.failingStages.has(row.key)) continue;
    if (!runStagePassed(row.run_error_kind as StageKind, prepared.report)) continue;
    run.set(row.id, "expected");
    rows.push([row.id, "expected", 0, 0, null, null, null]);
  }

  const insert = sqlite.prepare(
    `INSERT INTO test_results (report_id, test_case_id, status, retries, duration_ms, attempts, fingerprint, fingerprint_meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertChunk = sqlite.transaction((chunk: Row[]) => {
    for (const r of chunk) insert.run(reportId, ...r);
  });
  try {
    for (let i = 0; i < rows.length; i += CHUNK) {
      yieldToWaitingWriters();
      insertChunk.immediate(rows.slice(i, i + CHUNK));
    }
  } catch (err) {
    discardStage(sqlite, { reportId, fromResultId, marker });
    throw err;
  }
  return { reportId, marker, fromResultId, run, failing, duplicateKeys, at: values.startedAt ?? values.ingestedAt };
}

/**
 * What the flip will write, read from the database as it is now (call it in a read transaction
 * for a consistent snapshot, or under the write lock). Writes nothing.
 */
export function planFlip(sqlite: Database.Database, projectSlug: string, stage: Stage): FlipPlan {
  const { seq } = sqlite.prepare("SELECT coalesce(max(seq), 0) + 1 AS seq FROM reports WHERE project_slug = ?").get(projectSlug) as {
    seq: number;
  };
  // Every unresolved group of the project is re-evaluated too: a test absent from (or passing
  // in) this report is no longer active, and one that passed is resolved.
  const affected = new Set(stage.failing);
  for (const row of sqlite
    .prepare("SELECT DISTINCT test_case_id AS id FROM test_failures WHERE project_slug = ? AND resolved_at IS NULL")
    .all(projectSlug) as { id: number }[]) {
    affected.add(row.id);
  }
  const reclassify = planReclassify(sqlite, projectSlug, [...affected], { id: stage.reportId, seq, at: stage.at });

  // Letters are kept for the cases that have a group (the only ones a sparkline is shown for);
  // a case's first group gets them from its history (planReclassify).
  const letters = new Map<number, string>();
  const withGroups = sqlite
    .prepare(
      "SELECT id, recent_statuses, recent_seq FROM test_cases WHERE id IN (SELECT test_case_id FROM test_failures WHERE project_slug = ?)",
    )
    .all(projectSlug) as { id: number; recent_statuses: string; recent_seq: number }[];
  for (const row of withGroups) {
    const status = stage.run.get(row.id);
    if (status !== undefined) letters.set(row.id, advanceRecent(row.recent_statuses, row.recent_seq, seq - 1) + statusLetter(status));
  }
  for (const [id, l] of reclassify.firstLetters) letters.set(id, l);
  return { seq, reclassify, letters, hidden: 0 };
}

/**
 * Everything before the flip that does not need the lock held throughout: the plan, on a snapshot
 * (a read transaction); then, in chunks, what no reader can see yet: the letters of cases getting
 * their first group, and those groups themselves, hidden (groups.ts insertHiddenGroups).
 */
export function prepareFlip(sqlite: Database.Database, projectSlug: string, stage: Stage): FlipPlan {
  const plan = sqlite.transaction(() => planFlip(sqlite, projectSlug, stage))();
  writeFirstLetters(sqlite, plan);
  plan.hidden = insertHiddenGroups(
    sqlite,
    plan.reclassify,
    stage.marker,
    (write) => {
      yieldToWaitingWriters();
      sqlite.transaction(write).immediate();
    },
    CHUNK,
  );
  return plan;
}

/**
 * Before the flip, in chunks: the letters of cases that get their first group in this run. No
 * reader looks at the letters of a case without a group, so they may be written early (and a
 * case that got a group meanwhile, from another ingest, is left to the flip, which plans again).
 */
function writeFirstLetters(sqlite: Database.Database, plan: FlipPlan): void {
  const set = sqlite.prepare(
    "UPDATE test_cases SET recent_statuses = ?, recent_seq = ? WHERE id = ? AND NOT EXISTS (SELECT 1 FROM test_failures WHERE test_case_id = test_cases.id)",
  );
  const ids = [...plan.reclassify.firstLetters.keys()];
  const writeChunk = sqlite.transaction((chunk: number[]) => {
    for (const id of chunk) set.run(plan.letters.get(id), plan.seq, id);
  });
  for (let i = 0; i < ids.length; i += CHUNK) {
    yieldToWaitingWriters();
    writeChunk.immediate(ids.slice(i, i + CHUNK));
  }
  // The flip writes them again only if it has to plan again.
  for (const id of ids) plan.letters.delete(id);
}

/** Under the write lock: does the plan still describe the project (no other report of it landed since)? */
export function flipHolds(sqlite: Database.Database, projectSlug: string, plan: FlipPlan): boolean {
  const { seq } = sqlite.prepare("SELECT coalesce(max(seq), 0) AS seq FROM reports WHERE project_slug = ?").get(projectSlug) as {
    seq: number;
  };
  return seq === plan.seq - 1;
}

/**
 * Under the write lock, after another report of the project landed since staging: synthetic stage
 * passes for run-error cases it created, as stageRun would have staged them.
 */
export function topUpStage(sqlite: Database.Database, projectSlug: string, prepared: PlanInput, stage: Stage): void {
  const insert = sqlite.prepare(
    "INSERT INTO test_results (report_id, test_case_id, status, retries, duration_ms) VALUES (?, ?, 'expected', 0, 0)",
  );
  for (const row of sqlite
    .prepare("SELECT id, key, run_error_kind FROM test_cases WHERE project_slug = ? AND run_error_kind IS NOT NULL")
    .all(projectSlug) as CaseRow[]) {
    if (stage.run.has(row.id) || prepared.failingStages.has(row.key) || !runStagePassed(row.run_error_kind as StageKind, prepared.report))
      continue;
    stage.run.set(row.id, "expected");
    insert.run(stage.reportId, row.id);
  }
}

/**
 * Under the write lock: shows the staged run with the plan made on the snapshot, or, if another
 * report of the project landed since, with one made again now.
 */
export function showStage(
  sqlite: Database.Database,
  projectSlug: string,
  prepared: PlanInput,
  stage: Stage,
  plan: FlipPlan,
  warnings: string[],
  now: number,
) {
  let flip = plan;
  const hidden = sqlite.prepare("SELECT count(*) AS n FROM test_failures WHERE project_slug = ?").get(stage.marker) as { n: number };
  // Another report of the project landed, or another ingest took over one of the hidden groups.
  if (!flipHolds(sqlite, projectSlug, plan) || hidden.n !== plan.hidden) {
    sqlite.prepare("DELETE FROM test_failures WHERE project_slug = ?").run(stage.marker);
    topUpStage(sqlite, projectSlug, prepared, stage);
    flip = planFlip(sqlite, projectSlug, stage);
  } else if (plan.hidden > 0) {
    sqlite.prepare("UPDATE test_failures SET project_slug = ? WHERE project_slug = ?").run(projectSlug, stage.marker);
  }
  return { seq: flip.seq, outcome: applyFlip(sqlite, projectSlug, stage, flip, warnings, now) };
}

/** Under the write lock: the run becomes the project's report `plan.seq`, and the planned rows are written. */
export function applyFlip(
  sqlite: Database.Database,
  projectSlug: string,
  stage: Stage,
  plan: FlipPlan,
  warnings: string[],
  now: number,
): ReclassifyOutcome {
  const shown = sqlite
    .prepare("UPDATE reports SET project_slug = ?, seq = ?, warnings = ? WHERE id = ? AND project_slug = ?")
    .run(projectSlug, plan.seq, JSON.stringify(warnings), stage.reportId, stage.marker);
  if (shown.changes !== 1) throw new Error("the staged report is gone (removed as abandoned?)");
  const outcome = applyReclassify(sqlite, plan.reclassify, now);
  const setLetters = sqlite.prepare("UPDATE test_cases SET recent_statuses = ?, recent_seq = ? WHERE id = ?");
  for (const [id, letters] of plan.letters) setLetters.run(letters, plan.seq, id);
  return outcome;
}

/** Removes a staged run (refused, a duplicate after all, or abandoned), a chunk per transaction. */
export function discardStage(sqlite: Database.Database, stage: Pick<Stage, "reportId" | "fromResultId" | "marker">): void {
  const pick = sqlite.prepare("SELECT id FROM test_results WHERE id > ? AND report_id = ? ORDER BY id LIMIT ?").pluck();
  const remove = sqlite.prepare("DELETE FROM test_results WHERE id = ?");
  for (let from = stage.fromResultId; ;) {
    const ids = pick.all(from, stage.reportId, CHUNK) as number[];
    if (ids.length === 0) break;
    yieldToWaitingWriters();
    sqlite
      .transaction(() => {
        for (const id of ids) remove.run(id);
      })
      .immediate();
    from = ids.at(-1)!;
  }
  sqlite.prepare("DELETE FROM test_failures WHERE project_slug = ?").run(stage.marker);
  sqlite.prepare("DELETE FROM reports WHERE id = ? AND project_slug = ?").run(stage.reportId, stage.marker);
}

/** Staged runs left by a process that died mid-ingest (or so long ago that it must have): removed. */
export function sweepAbandonedStages(sqlite: Database.Database, now = Date.now()): number {
  const staged = sqlite
    .prepare("SELECT id, project_slug FROM reports WHERE substr(project_slug, 1, ?) = ?")
    .all(PENDING_PREFIX.length, PENDING_PREFIX) as { id: number; project_slug: string }[];
  let removed = 0;
  for (const row of staged) {
    const [pid, startedAt, fromResultId] = row.project_slug.slice(PENDING_PREFIX.length).split(":").map(Number) as [number, number, number];
    if (now - startedAt < ABANDONED_AFTER_MS && processAlive(pid)) continue;
    discardStage(sqlite, { reportId: row.id, fromResultId, marker: row.project_slug });
    removed++;
  }
  return removed;
}

function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function insertNewCases(sqlite: Database.Database, projectSlug: string, prepared: PlanInput, cases: Map<string, CaseRow>): void {
  const fresh = new Map(prepared.tests.filter(({ test }) => !cases.has(test.key)).map(({ test }) => [test.key, test]));
  if (fresh.size === 0) return;
  const lastCaseId = (sqlite.prepare("SELECT coalesce(max(id), 0) AS id FROM test_cases").get() as { id: number }).id;
  const insert = sqlite.prepare(
    `INSERT INTO test_cases (project_slug, key, file, repo_path, title_path, project_name, repeat_index, run_error_kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (project_slug, key) DO NOTHING`,
  );
  const list = [...fresh.values()];
  const insertChunk = sqlite.transaction((chunk: TestResult[]) => {
    for (const test of chunk)
      insert.run(
        projectSlug,
        test.key,
        test.file,
        test.repoPath ?? null,
        JSON.stringify(test.titlePath),
        test.projectName,
        test.repeatIndex,
        test.runError ?? null,
      );
  });
  for (let i = 0; i < list.length; i += CHUNK) {
    yieldToWaitingWriters();
    insertChunk.immediate(list.slice(i, i + CHUNK));
  }
  // Read back by key rather than trusting lastInsertRowid: another process may have inserted some first.
  for (const row of sqlite
    .prepare("SELECT id, key, run_error_kind FROM test_cases WHERE project_slug = ? AND id > ?")
    .all(projectSlug, lastCaseId) as CaseRow[]) {
    cases.set(row.key, row);
  }
  // And any a concurrent ingest of the same project inserted before our ids.
  const missing = list.filter((t) => !cases.has(t.key));
  if (missing.length) {
    const byKey = sqlite.prepare("SELECT id, key, run_error_kind FROM test_cases WHERE project_slug = ? AND key = ?");
    for (const t of missing) cases.set(t.key, byKey.get(projectSlug, t.key) as CaseRow);
  }
}
