/**
 * How storeReport writes a run without holding the write lock for long (issue 10: every other
 * writer, hook ingest above all, waits on that lock; a 60,000-test report held it for ~450 ms):
 * - stageRun, in short transactions of its own, each followed by a turn for waiting writers:
 *   - test cases new to the project. A case without results is invisible (every reader goes
 *     through failure groups) and is reused by the next report if this one never lands;
 *   - the run as a *staged* report: its row carries a marker (`pending:…`, never a valid slug)
 *     instead of the project's slug and no seq, so no reader sees it or its results (every reader
 *     of results joins reports of a project), then its results, a thousand rows per transaction;
 * - prepareFlip, without the lock held throughout: the failure groups recomputed on one snapshot
 *   (a read-only REPEATABLE READ transaction on PostgreSQL) with the staged run as the project's
 *   latest (only rows that change are kept), the sparkline letters; then, in chunks, each under the
 *   project's lock, the first groups of tests that had none, hidden like the run, with their letters;
 * - showStage, under the lock: the report row gets its slug and seq, which shows the run and all
 *   its results at once, the hidden groups get theirs, and the rest of the plan (triage rows,
 *   changed groups, letters) is written. Small: it grows with what changed, not with the report.
 * A process killed in between leaves a staged run nobody sees; sweepAbandonedStages removes it.
 *
 * Each part is written as steps (db/sql-steps.ts): run synchronously on a SQLite connection (the
 * ingest worker thread, the CLI; the exported functions without `Steps`), or through the port on
 * PostgreSQL, where "the write lock" is the project's advisory lock (groupsLock).
 *
 * Lock order on PostgreSQL (issue 14: two ingests of different reports of a project deadlocked):
 * whatever writes groups or the letters of cases (the hidden groups, the flip) holds the project's
 * lock, so none of it waits on a row another ingest holds without it. What runs without the lock
 * writes rows only the ingest itself sees (its staged run and results) or inserts new test cases,
 * in key order, so two stagings meet the shared unique index in the same order.
 */
import { hostname } from "node:os";
import type Database from "better-sqlite3";
import { sql } from "drizzle-orm";
import { sqlValues } from "../db/dialect-sql";
import { runStagePassed, type NormalizedReport, type StageKind, type TestOutcome, type TestResult } from "@workdeck/error-classifier";
import { all, get, insertRows, pause, run, runOnSqlite, transaction, type Steps } from "../db/sql-steps";
import {
  advanceRecent,
  applyReclassifySteps,
  firstGroupWrites,
  groupsLock,
  hideGroupSteps,
  planReclassifySteps,
  statusLetter,
  writeCase,
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
  /** Groups inserted ahead, hidden under the stage's marker (prepareFlip); their cases' letters were written with them. */
  hidden: number;
};

/** Rows per transaction while staging: under CPU contention a lock holder may be descheduled, so each hold is kept small. */
const CHUNK = 250;
const PENDING_PREFIX = "pending:";
/** A staged run older than this is abandoned even if a process of its pid still runs (pids are reused). */
const ABANDONED_AFTER_MS = 3600_000;

type CaseRow = { id: number; key: string; run_error_kind: string | null };
type ResultRow = [number, number, string, number, number, Buffer | null, string | null, string | null];
const RESULT_COLUMNS = ["report_id", "test_case_id", "status", "retries", "duration_ms", "attempts", "fingerprint", "fingerprint_meta"];
const CASE_COLUMNS = ["project_slug", "key", "file", "repo_path", "title_path", "project_name", "repeat_index", "run_error_kind"];

/** Stages the run (see the file comment); inserts the project's new test cases on the way. */
export function* stageRunSteps(projectSlug: string, prepared: PlanInput, values: ReportValues): Steps<Stage> {
  const cases = new Map<string, CaseRow>();
  for (const row of yield* all<CaseRow>(sql`SELECT id, key, run_error_kind FROM test_cases WHERE project_slug = ${projectSlug}`))
    cases.set(row.key, row);
  yield* insertNewCases(projectSlug, prepared, cases);

  const { reportId, marker, fromResultId } = yield* transaction(
    function* () {
      const from = (yield* get<{ id: number }>(sql`SELECT coalesce(max(id), 0) AS id FROM test_results`))!.id;
      const mark = `${PENDING_PREFIX}${process.pid}:${Date.now()}:${from}:${Math.random().toString(36).slice(2, 10)}:${hostname()}`;
      const v = values;
      const inserted = yield* run<{ id: number }>(
        sql`INSERT INTO reports (project_slug, seq, content_hash, format, source, branch, "commit", started_at, duration_ms, stats, run_errors, test_count, warnings, ingested_at)
            VALUES (${mark}, 0, ${v.contentHash}, ${v.format}, ${v.source}, ${v.branch}, ${v.commit}, ${v.startedAt}, ${v.durationMs}, ${v.stats},
              ${v.runErrors}, ${v.testCount}, '[]', ${v.ingestedAt})
            RETURNING id`,
      );
      return { reportId: Number(inserted.row!.id), marker: mark, fromResultId: from };
    },
    { write: true },
  );

  const statuses = new Map<number, TestOutcome>();
  const failing = new Set<number>();
  let duplicateKeys = 0;
  const rows: ResultRow[] = [];
  for (const { test, fingerprint, meta, attempts } of prepared.tests) {
    const row = cases.get(test.key)!;
    if (statuses.has(row.id)) {
      duplicateKeys++;
      if (fingerprint !== null) failing.add(row.id);
      continue;
    }
    statuses.set(row.id, test.status);
    if (fingerprint !== null) failing.add(row.id);
    rows.push([reportId, row.id, test.status, test.retries, Math.round(test.durationMs), attempts, fingerprint, meta]);
  }
  // Synthetic cases of earlier run errors that did not fail here pass only if this run got past
  // their stage (a global setup "passes" in a run that ran tests); otherwise they are absent.
  for (const row of cases.values()) {
    if (row.run_error_kind === null || statuses.has(row.id) || prepared.failingStages.has(row.key)) continue;
    if (!runStagePassed(row.run_error_kind as StageKind, prepared.report)) continue;
    statuses.set(row.id, "expected");
    rows.push([reportId, row.id, "expected", 0, 0, null, null, null]);
  }

  try {
    for (let i = 0; i < rows.length; i += CHUNK) {
      yield* pause();
      const chunk = rows.slice(i, i + CHUNK);
      yield* transaction(() => insertRows("test_results", RESULT_COLUMNS, chunk), { write: true });
    }
  } catch (err) {
    yield* discardStageSteps({ reportId, fromResultId, marker });
    throw err;
  }
  return { reportId, marker, fromResultId, run: statuses, failing, duplicateKeys, at: values.startedAt ?? values.ingestedAt };
}

/**
 * What the flip will write, read from the database as it is now (call it in a read transaction
 * for a consistent snapshot, or under the write lock). Writes nothing.
 */
export function* planFlipSteps(projectSlug: string, stage: Stage): Steps<FlipPlan> {
  const { seq } = (yield* get<{ seq: number }>(
    sql`SELECT coalesce(max(seq), 0) + 1 AS seq FROM reports WHERE project_slug = ${projectSlug}`,
  ))!;
  // Every unresolved group of the project is re-evaluated too: a test absent from (or passing
  // in) this report is no longer active, and one that passed is resolved.
  const affected = new Set(stage.failing);
  for (const row of yield* all<{ id: number }>(
    sql`SELECT DISTINCT test_case_id AS id FROM test_failures WHERE project_slug = ${projectSlug} AND resolved_at IS NULL`,
  ))
    affected.add(row.id);
  const reclassify = yield* planReclassifySteps(projectSlug, [...affected], { id: stage.reportId, seq, at: stage.at });

  // Letters are kept for the cases that have a group (the only ones a sparkline is shown for);
  // a case's first group gets them from its history (planReclassify).
  const letters = new Map<number, string>();
  const withGroups = yield* all<{ id: number; recent_statuses: string; recent_seq: number }>(
    sql`SELECT id, recent_statuses, recent_seq FROM test_cases WHERE id IN (SELECT test_case_id FROM test_failures WHERE project_slug = ${projectSlug})`,
  );
  for (const row of withGroups) {
    const status = stage.run.get(row.id);
    if (status !== undefined) letters.set(row.id, advanceRecent(row.recent_statuses, row.recent_seq, seq - 1) + statusLetter(status));
  }
  for (const [id, l] of reclassify.firstLetters) letters.set(id, l);
  return { seq, reclassify, letters, hidden: 0 };
}

/**
 * The plan on one snapshot: read piece by piece, a plan must not see a report that landed halfway
 * (its seq read before, that report's results after). Without the lock: it is the long read.
 */
export function* readFlipPlanSteps(projectSlug: string, stage: Stage): Steps<FlipPlan> {
  return yield* transaction(() => planFlipSteps(projectSlug, stage), { snapshot: true });
}

/**
 * Everything before the flip that does not need the lock held throughout: the plan, on a snapshot;
 * then, in chunks, what no reader can see yet: the first groups of cases that had none, hidden
 * (groups.ts hideGroupSteps), each with its case's letters.
 */
export function* prepareFlipSteps(projectSlug: string, stage: Stage): Steps<FlipPlan> {
  const plan = yield* readFlipPlanSteps(projectSlug, stage);
  plan.hidden = yield* hideFirstGroups(projectSlug, stage.marker, plan);
  return plan;
}

/**
 * Before the flip, a chunk per transaction under the project's lock: for each case getting its
 * first group, its letters and that group, hidden. No reader looks at the letters of a case
 * without a shown group, so both may be written early. Both or neither: a case another ingest got
 * to first (its group, hidden or shown, is there) keeps that ingest's letters and stays an insert
 * for the flip, which writes the letters then. The lock keeps these writes and any flip of the
 * project apart: no deadlock on the groups' unique index, and no letters written over a flip's.
 */
function* hideFirstGroups(projectSlug: string, marker: string, plan: FlipPlan): Steps<number> {
  const writes = firstGroupWrites(plan.reclassify);
  const now = Date.now();
  let hidden = 0;
  for (let i = 0; i < writes.length; i += CHUNK) {
    yield* pause();
    hidden += yield* transaction(
      function* () {
        let n = 0;
        for (const at of writes.slice(i, i + CHUNK)) {
          const id = writeCase(plan.reclassify, at);
          const letters = yield* run(
            sql`UPDATE test_cases SET recent_statuses = ${plan.letters.get(id)}, recent_seq = ${plan.seq}
                WHERE id = ${id} AND NOT EXISTS (SELECT 1 FROM test_failures WHERE test_case_id = test_cases.id)`,
          );
          if (letters.changes !== 1 || !(yield* hideGroupSteps(plan.reclassify, at, marker, now))) continue;
          // Written with its group: the flip writes these letters again only if it has to plan again.
          plan.letters.delete(id);
          n++;
        }
        return n;
      },
      { exclusive: groupsLock(projectSlug) },
    );
  }
  return hidden;
}

/** Under the write lock: does the plan still describe the project (no other report of it landed since)? */
export function* flipHoldsSteps(projectSlug: string, plan: FlipPlan): Steps<boolean> {
  const { seq } = (yield* get<{ seq: number }>(sql`SELECT coalesce(max(seq), 0) AS seq FROM reports WHERE project_slug = ${projectSlug}`))!;
  return seq === plan.seq - 1;
}

/**
 * Under the write lock, after another report of the project landed since staging: synthetic stage
 * passes for run-error cases it created, as stageRun would have staged them.
 */
function* topUpStage(projectSlug: string, prepared: PlanInput, stage: Stage): Steps<void> {
  for (const row of yield* all<CaseRow>(
    sql`SELECT id, key, run_error_kind FROM test_cases WHERE project_slug = ${projectSlug} AND run_error_kind IS NOT NULL`,
  )) {
    if (stage.run.has(row.id) || prepared.failingStages.has(row.key) || !runStagePassed(row.run_error_kind as StageKind, prepared.report))
      continue;
    stage.run.set(row.id, "expected");
    yield* run(
      sql`INSERT INTO test_results (report_id, test_case_id, status, retries, duration_ms) VALUES (${stage.reportId}, ${row.id}, 'expected', 0, 0)`,
    );
  }
}

/**
 * Under the write lock: shows the staged run with the plan made on the snapshot, or, if another
 * report of the project landed since, with one made again now.
 */
export function* showStageSteps(
  projectSlug: string,
  prepared: PlanInput,
  stage: Stage,
  plan: FlipPlan,
  warnings: string[],
  now: number,
): Steps<{ seq: number; outcome: ReclassifyOutcome }> {
  let flip = plan;
  const hidden = (yield* get<{ n: number }>(sql`SELECT count(*) AS n FROM test_failures WHERE project_slug = ${stage.marker}`))!;
  // Another report of the project landed, or another ingest took over one of the hidden groups.
  if (!(yield* flipHoldsSteps(projectSlug, plan)) || Number(hidden.n) !== plan.hidden) {
    yield* run(sql`DELETE FROM test_failures WHERE project_slug = ${stage.marker}`);
    yield* topUpStage(projectSlug, prepared, stage);
    flip = yield* planFlipSteps(projectSlug, stage);
  } else if (plan.hidden > 0) {
    yield* run(sql`UPDATE test_failures SET project_slug = ${projectSlug} WHERE project_slug = ${stage.marker}`);
  }
  return { seq: flip.seq, outcome: yield* applyFlip(projectSlug, stage, flip, warnings, now) };
}

/** Under the write lock: the run becomes the project's report `plan.seq`, and the planned rows are written. */
function* applyFlip(projectSlug: string, stage: Stage, plan: FlipPlan, warnings: string[], now: number): Steps<ReclassifyOutcome> {
  const shown = yield* run(
    sql`UPDATE reports SET project_slug = ${projectSlug}, seq = ${plan.seq}, warnings = ${JSON.stringify(warnings)}
        WHERE id = ${stage.reportId} AND project_slug = ${stage.marker}`,
  );
  if (shown.changes !== 1) throw new Error("the staged report is gone (removed as abandoned?)");
  const outcome = yield* applyReclassifySteps(plan.reclassify, now);
  // In id order, as everywhere a case's row is written.
  for (const [id, letters] of [...plan.letters].sort((a, b) => a[0] - b[0]))
    yield* run(sql`UPDATE test_cases SET recent_statuses = ${letters}, recent_seq = ${plan.seq} WHERE id = ${id}`);
  return outcome;
}

/** Removes a staged run (refused, a duplicate after all, or abandoned), a chunk per transaction. */
export function* discardStageSteps(stage: Pick<Stage, "reportId" | "fromResultId" | "marker">): Steps<void> {
  for (let from = stage.fromResultId; ;) {
    const ids = (yield* all<{ id: number }>(
      sql`SELECT id FROM test_results WHERE id > ${from} AND report_id = ${stage.reportId} ORDER BY id LIMIT ${CHUNK}`,
    )).map((r) => Number(r.id));
    if (ids.length === 0) break;
    yield* pause();
    yield* transaction(() => run(sql`DELETE FROM test_results WHERE id IN (${sqlValues(ids)})`), { write: true });
    from = ids.at(-1)!;
  }
  // Its hidden groups are removed under their project's lock, like every write of groups: a flip
  // deleting one of them (to insert the same failure's group) must not meet this in another order.
  const owner = yield* get<{ slug: string }>(
    sql`SELECT c.project_slug AS slug FROM test_failures f JOIN test_cases c ON c.id = f.test_case_id WHERE f.project_slug = ${stage.marker} LIMIT 1`,
  );
  yield* transaction(
    function* () {
      yield* run(sql`DELETE FROM test_failures WHERE project_slug = ${stage.marker}`);
      yield* run(sql`DELETE FROM reports WHERE id = ${stage.reportId} AND project_slug = ${stage.marker}`);
    },
    owner ? { exclusive: groupsLock(owner.slug) } : { write: true },
  );
}

/** Staged runs left by a process that died mid-ingest (or so long ago that it must have): removed. */
export function* sweepAbandonedStagesSteps(now = Date.now()): Steps<number> {
  const staged = yield* all<{ id: number; project_slug: string }>(
    sql`SELECT id, project_slug FROM reports WHERE project_slug LIKE ${`${PENDING_PREFIX}%`}`,
  );
  let removed = 0;
  for (const row of staged) {
    const [pid, startedAt, fromResultId, , host] = row.project_slug.slice(PENDING_PREFIX.length).split(":");
    // A pid means something only on its own machine (several hosts share a PostgreSQL): another host's stage is left to its age.
    const alive = host !== undefined && host !== hostname() ? true : processAlive(Number(pid));
    if (now - Number(startedAt) < ABANDONED_AFTER_MS && alive) continue;
    yield* discardStageSteps({ reportId: Number(row.id), fromResultId: Number(fromResultId), marker: row.project_slug });
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

function* insertNewCases(projectSlug: string, prepared: PlanInput, cases: Map<string, CaseRow>): Steps<void> {
  const fresh = new Map(prepared.tests.filter(({ test }) => !cases.has(test.key)).map(({ test }) => [test.key, test]));
  if (fresh.size === 0) return;
  // In key order: two ingests staging the same new cases in other orders would deadlock on the unique index (PostgreSQL).
  const list = [...fresh.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (let i = 0; i < list.length; i += CHUNK) {
    yield* pause();
    const chunk = list
      .slice(i, i + CHUNK)
      .map((t) => [
        projectSlug,
        t.key,
        t.file,
        t.repoPath ?? null,
        JSON.stringify(t.titlePath),
        t.projectName,
        t.repeatIndex,
        t.runError ?? null,
      ]);
    // RETURNING names the rows this statement inserted; a case another ingest inserted first is read back below.
    const inserted = yield* transaction(
      () =>
        insertRows<CaseRow>(
          "test_cases",
          CASE_COLUMNS,
          chunk,
          "ON CONFLICT (project_slug, key) DO NOTHING RETURNING id, key, run_error_kind",
        ),
      { write: true },
    );
    for (const row of inserted) cases.set(row.key, row);
  }
  const missing = list.filter((t) => !cases.has(t.key));
  for (const t of missing)
    cases.set(
      t.key,
      (yield* get<CaseRow>(sql`SELECT id, key, run_error_kind FROM test_cases WHERE project_slug = ${projectSlug} AND key = ${t.key}`))!,
    );
}

// ----- The same on a SQLite connection, now (tests drive the steps one by one) -----

export const stageRun = (sqlite: Database.Database, projectSlug: string, prepared: PlanInput, values: ReportValues): Stage =>
  runOnSqlite(sqlite, stageRunSteps(projectSlug, prepared, values));
export const prepareFlip = (sqlite: Database.Database, projectSlug: string, stage: Stage): FlipPlan =>
  runOnSqlite(sqlite, prepareFlipSteps(projectSlug, stage));
export const flipHolds = (sqlite: Database.Database, projectSlug: string, plan: FlipPlan): boolean =>
  runOnSqlite(sqlite, flipHoldsSteps(projectSlug, plan));
export const showStage = (
  sqlite: Database.Database,
  projectSlug: string,
  prepared: PlanInput,
  stage: Stage,
  plan: FlipPlan,
  warnings: string[],
  now: number,
) => runOnSqlite(sqlite, showStageSteps(projectSlug, prepared, stage, plan, warnings, now));
export const discardStage = (sqlite: Database.Database, stage: Pick<Stage, "reportId" | "fromResultId" | "marker">): void =>
  runOnSqlite(sqlite, discardStageSteps(stage));
export const sweepAbandonedStages = (sqlite: Database.Database, now = Date.now()): number =>
  runOnSqlite(sqlite, sweepAbandonedStagesSteps(now));
