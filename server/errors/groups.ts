/**
 * Failure groups and their triage rows, recomputed from stored history. Shared by ingest (every
 * affected test case after a report) and `errors.classifyFailure` (one test case on demand), so
 * both go through exactly the same rules.
 *
 * Planning (read, compute, compare) is apart from applying, and only rows that change are written:
 * ingest plans on a snapshot before it takes the write lock that every other writer waits on.
 * Raw SQL templates instead of the Drizzle query builder: its per-call SQL generation and row
 * mapping were the largest cost in the 10,000-test bench. The tables are in db/schema.ts.
 *
 * The database work is written as steps (db/sql-steps.ts): ingest runs them synchronously on
 * SQLite (its worker thread, the CLI) or through the port on PostgreSQL; classifyFailure through
 * the port on either.
 */
import type Database from "better-sqlite3";
import { sql } from "drizzle-orm";
import { all, run, runOnSqlite, type Steps } from "../db/sql-steps";
// Its modules, not the package index: reading groups needs none of the report parsers (issue 12).
import { classifyTest, type HistoryEntry, type TestClassification } from "@workdeck/error-classifier/classify";
import type { Fingerprint } from "@workdeck/error-classifier/fingerprint";
import type { TestOutcome } from "@workdeck/error-classifier/model";
import type { Flakiness } from "@/lib/schemas/errors";

/** What we keep of a result's fingerprint (the signature is long and only useful for debugging). */
export type StoredFingerprint = Omit<Fingerprint, "signature"> & {
  /** The first error's text without code frame and stack, cut to MESSAGE_LIMIT: the group's lastMessage. */
  message: string;
};

export const MESSAGE_LIMIT = 4000;

/** SQLite's default limit is 32,766 host parameters (PostgreSQL's 65,535); stay far below it. */
const CHUNK = 900;

export function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

// ----- Recent statuses (the Errors tab's sparklines) -----

/** How many of the project's latest reports a sparkline shows. */
export const RECENT_RUNS = 20;
/**
 * How many letters a test case keeps: the largest flakiness window (`errors.flakinessRuns`) the
 * config accepts. Cases stored before the window grew have fewer; their earlier runs read as absent.
 */
export const KEPT_RUNS = 100;
export const DEFAULT_FLAKINESS_RUNS = 20;

export type RecentRun = "failed" | "flaky" | "passed" | "skipped" | "absent";

const LETTER: Record<TestOutcome, string> = { unexpected: "F", flaky: "K", expected: "P", skipped: "S" };
const FROM_LETTER: Record<string, RecentRun> = { F: "failed", K: "flaky", P: "passed", S: "skipped", "-": "absent" };

export function statusLetter(status: TestOutcome): string {
  return LETTER[status];
}

/**
 * A test case's stored letters (`test_cases.recent_statuses`, covering the project's reports up to
 * `recentSeq`, at most RECENT_RUNS of them) moved on to `toSeq`: the reports in between are ones
 * the test was absent from (every test in a report has its letters updated at ingest).
 */
export function advanceRecent(letters: string, recentSeq: number, toSeq: number): string {
  const gap = Math.min(KEPT_RUNS, Math.max(0, toSeq - recentSeq));
  const out = letters + "-".repeat(gap);
  const keep = Math.min(KEPT_RUNS, Math.max(0, toSeq));
  return out.length > keep ? out.slice(out.length - keep) : out;
}

/** The sparkline: one entry per report among the project's last RECENT_RUNS up to `latestSeq`, oldest first. */
export function recentRuns(letters: string, recentSeq: number, latestSeq: number): RecentRun[] {
  const moved = advanceRecent(letters, recentSeq, latestSeq).slice(-RECENT_RUNS);
  const out = new Array<RecentRun>(moved.length);
  for (let i = 0; i < moved.length; i++) out[i] = FROM_LETTER[moved[i]!] ?? "absent";
  return out;
}

/** Flaky runs among the runs the test ran in (failed, flaky or passed), over the project's last `window` reports up to `latestSeq`. */
export function flakinessOver(letters: string, recentSeq: number, latestSeq: number, window: number): Flakiness {
  const last = advanceRecent(letters, recentSeq, latestSeq).slice(-window);
  let flaky = 0;
  let ran = 0;
  for (const l of last) {
    if (l === "K") flaky++;
    if (l === "K" || l === "F" || l === "P") ran++;
  }
  return { flaky, ran, window };
}

type ReportRow = { id: number; seq: number; at: number };
type CaseRow = { id: number; file: string; repo_path: string | null };
type HistoryRow = { test_case_id: number; report_id: number; status: TestOutcome; fingerprint_meta: string | null };
/** A group and its triage row as stored: what a recomputation is compared against, so unchanged rows are not written. */
type GroupRow = {
  id: number;
  test_case_id: number;
  fingerprint: string;
  first_report_id: number;
  last_report_id: number;
  last_seen_at: number;
  occurrences: number;
  consecutive_failures: number;
  pattern: string;
  active: number;
  heuristics: string;
  last_message: string;
  resolved_at: number | null;
  resolved_report_id: number | null;
  triage_id: number | null;
  suggested_decision: string | null;
  decision_rule: string | null;
  rationale: string | null;
  confidence: number | null;
  priority: number | null;
  suggested_priority: number | null;
  reviewed_by_human: number | null;
};

export type ReclassifyOutcome = {
  newIds: number[];
  updatedIds: number[];
  resolvedIds: number[];
  /** Per test case: the classification as computed (null when it never failed). */
  classifications: Map<number, TestClassification | null>;
};

/**
 * Writers of a project's groups that must not interleave (an ingest's flip, a re-classification):
 * the key of their exclusive transaction (SQLite: the write lock; PostgreSQL: an advisory lock).
 */
export const groupsLock = (projectSlug: string) => `errors.groups:${projectSlug}`;

/** A run not visible yet (an ingest's staged report): classified as if it were the project's latest. */
export type PendingRun = { id: number; seq: number; at: number };

type GroupValues = {
  projectSlug: string;
  testCaseId: number;
  fingerprint: string;
  firstReportId: number;
  lastReportId: number;
  lastSeenAt: number;
  occurrences: number;
  consecutiveFailures: number;
  pattern: string;
  active: number;
  heuristics: string;
  lastMessage: string;
  resolvedAt: number | null;
  resolvedReportId: number | null;
};
type TriageValues = { suggestedDecision: string; decisionRule: string; rationale: string; confidence: number; priority: number };

/** One row to write; `id` is the group's (an insert gets it when applied). */
type Write =
  | { kind: "insert"; values: GroupValues; triage: TriageValues }
  /** A group inserted ahead, hidden (ingest-plan.ts), now shown: only its triage row is left to write. */
  | { kind: "adopt"; id: number; values: GroupValues; triage: TriageValues }
  | { kind: "update"; id: number; values: GroupValues | null; triage: TriageValues | null; insertTriage: boolean; resolved: boolean }
  | { kind: "older"; id: number; occurrences: number; resolvedAt: number | null; resolvedReportId: number | null; resolved: boolean };

export type ReclassifyPlan = {
  writes: Write[];
  classifications: Map<number, TestClassification | null>;
  /**
   * Sparkline letters for test cases that get their first group here, from their stored results:
   * ingest keeps letters only for cases that have a group (the only ones anyone reads).
   */
  firstLetters: Map<number, string>;
  latestSeq: number;
};

/**
 * Re-runs the rules for the given test cases of one project over their whole history (in report
 * order) and writes the result: the group of the latest fingerprint carries the classification;
 * older groups of the same test become inactive; a group whose test passed after its last
 * occurrence is resolved (and reopened if the same failure comes back). Human decisions and
 * human-set priorities are never touched. Call inside a transaction.
 */
export function* reclassifySteps(projectSlug: string, testCaseIds: readonly number[], now = Date.now()): Steps<ReclassifyOutcome> {
  return yield* applyReclassifySteps(yield* planReclassifySteps(projectSlug, testCaseIds), now);
}

/** reclassifySteps on a SQLite connection, now. */
export function reclassifyTestCases(
  sqlite: Database.Database,
  projectSlug: string,
  testCaseIds: readonly number[],
  now = Date.now(),
): ReclassifyOutcome {
  return runOnSqlite(sqlite, reclassifySteps(projectSlug, testCaseIds, now));
}

/** planReclassifySteps on a SQLite connection, now. */
export function planReclassify(
  sqlite: Database.Database,
  projectSlug: string,
  testCaseIds: readonly number[],
  pending?: PendingRun,
): ReclassifyPlan {
  return runOnSqlite(sqlite, planReclassifySteps(projectSlug, testCaseIds, pending));
}

/**
 * The reading and computing half of reclassifyTestCases: what would change, and nothing written.
 * Ingest runs it on a snapshot before it takes the write lock (issue 10: every other writer waits
 * on that lock), with its staged run as `pending`, then applies only the rows that differ.
 */
export function* planReclassifySteps(projectSlug: string, testCaseIds: readonly number[], pending?: PendingRun): Steps<ReclassifyPlan> {
  const plan: ReclassifyPlan = { writes: [], classifications: new Map(), firstLetters: new Map(), latestSeq: 0 };
  if (testCaseIds.length === 0) return plan;

  const reports = yield* all<ReportRow>(
    sql`SELECT id, seq, coalesce(started_at, ingested_at) AS at FROM reports WHERE project_slug = ${projectSlug} ORDER BY seq`,
  );
  if (pending) reports.push(pending);
  const latest = reports.at(-1);
  if (!latest) return plan;
  plan.latestSeq = latest.seq;
  const bySeq = new Map(reports.map((r) => [r.seq, r]));
  const seqById = new Map(reports.map((r) => [r.id, r.seq]));

  // Bulk loads: test cases, histories, existing groups (one query per chunk of ids, never per test).
  const cases = new Map<number, CaseRow>();
  const histories = new Map<number, HistoryEntry[]>();
  const lastPass = new Map<number, number>();
  const groups = new Map<number, GroupRow[]>();
  for (const ids of chunks([...new Set(testCaseIds)])) {
    const marks = sql.join(
      ids.map((id) => sql`${id}`),
      sql`, `,
    );
    for (const row of yield* all<CaseRow>(sql`SELECT id, file, repo_path FROM test_cases WHERE id IN (${marks})`)) cases.set(row.id, row);
    const rows = yield* all<HistoryRow>(
      sql`SELECT test_case_id, report_id, status, fingerprint_meta FROM test_results WHERE test_case_id IN (${marks}) ORDER BY test_case_id, report_id`,
    );
    for (const row of rows) {
      // Results of runs not (yet) stored as the project's (another ingest's staged run) are not history.
      const seq = seqById.get(row.report_id);
      if (seq === undefined) continue;
      const entry: HistoryEntry = { reportId: seq, status: row.status };
      if (row.fingerprint_meta) entry.fingerprint = { ...(JSON.parse(row.fingerprint_meta) as StoredFingerprint), signature: "" };
      if (row.status === "expected") lastPass.set(row.test_case_id, Math.max(seq, lastPass.get(row.test_case_id) ?? 0));
      let list = histories.get(row.test_case_id);
      if (!list) histories.set(row.test_case_id, (list = []));
      list.push(entry);
    }
    // Of the project only: a group an ingest inserted ahead of its flip (ingest-plan.ts) is not one yet.
    const groupRows = yield* all<GroupRow>(
      sql`SELECT f.id, f.test_case_id, f.fingerprint, f.first_report_id, f.last_report_id, f.last_seen_at, f.occurrences, f.consecutive_failures,
           f.pattern, f.active, f.heuristics, f.last_message, f.resolved_at, f.resolved_report_id, t.id AS triage_id, t.suggested_decision,
           t.decision_rule, t.rationale, t.confidence, t.priority, t.suggested_priority, t.reviewed_by_human
         FROM test_failures f LEFT JOIN error_triage t ON t.test_failure_id = f.id WHERE f.test_case_id IN (${marks}) AND f.project_slug = ${projectSlug}`,
    );
    for (const g of groupRows) {
      let list = groups.get(g.test_case_id);
      if (!list) groups.set(g.test_case_id, (list = []));
      list.push(g);
    }
  }

  for (const testCaseId of testCaseIds) {
    const testCase = cases.get(testCaseId);
    const history = histories.get(testCaseId);
    if (!testCase || !history) continue;
    // Report ids order the pending run wrongly only if it was staged before an earlier-seq run: order by seq.
    history.sort((a, b) => (a.reportId as number) - (b.reportId as number));
    const c = classifyTest({ file: testCase.repo_path ?? testCase.file, history, latestReportId: latest.seq });
    plan.classifications.set(testCaseId, c);
    if (!c) continue;

    const passedAt = lastPass.get(testCaseId);
    const resolution = (lastSeenSeq: number) => {
      if (passedAt === undefined || passedAt <= lastSeenSeq) return { resolvedAt: null, resolvedReportId: null };
      const r = bySeq.get(passedAt)!;
      return { resolvedAt: r.at, resolvedReportId: r.id };
    };
    const summaries = new Map(c.fingerprints.map((f) => [f.hash, f]));
    const existing = groups.get(testCaseId) ?? [];
    const current = summaries.get(c.fingerprint.hash)!;
    const lastEntry = findLast(history, (e) => e.reportId === c.lastSeen);
    const values: GroupValues = {
      projectSlug,
      testCaseId,
      fingerprint: c.fingerprint.hash,
      firstReportId: bySeq.get(current.firstSeen as number)!.id,
      lastReportId: bySeq.get(current.lastSeen as number)!.id,
      lastSeenAt: bySeq.get(current.lastSeen as number)!.at,
      occurrences: c.occurrences,
      consecutiveFailures: c.consecutiveFailures,
      pattern: c.pattern,
      active: c.active ? 1 : 0,
      heuristics: JSON.stringify(c.heuristics),
      lastMessage: (lastEntry?.fingerprint as StoredFingerprint | undefined)?.message ?? c.fingerprint.headline,
      ...resolution(current.lastSeen as number),
    };
    const triage: TriageValues = {
      suggestedDecision: c.suggestedDecision,
      decisionRule: c.decisionRule,
      rationale: c.rationale,
      confidence: c.confidence,
      priority: c.priority,
    };

    const group = existing.find((g) => g.fingerprint === c.fingerprint.hash);
    if (group) {
      const groupChanged = !sameGroup(group, values);
      const triageChanged = group.triage_id === null || !sameTriage(group, triage);
      if (groupChanged || triageChanged) {
        plan.writes.push({
          kind: "update",
          id: group.id,
          values: groupChanged ? values : null,
          triage: triageChanged ? triage : null,
          insertTriage: group.triage_id === null,
          resolved: values.resolvedAt !== null && group.resolved_at === null,
        });
      }
    } else {
      plan.writes.push({ kind: "insert", values, triage });
      if (existing.length === 0) plan.firstLetters.set(testCaseId, lettersFromHistory(history, latest.seq));
    }

    // Groups of earlier fingerprints of the same test: no longer the test's current failure.
    for (const older of existing) {
      if (older.id === group?.id || older.resolved_at !== null) continue;
      const summary = summaries.get(older.fingerprint);
      const lastSeenSeq = summary ? (summary.lastSeen as number) : (seqById.get(older.last_report_id) ?? 0);
      const res = resolution(lastSeenSeq);
      const occurrences = summary?.occurrences ?? older.occurrences;
      if (
        older.active === 0 &&
        older.occurrences === occurrences &&
        older.resolved_at === res.resolvedAt &&
        older.resolved_report_id === res.resolvedReportId
      )
        continue;
      plan.writes.push({ kind: "older", id: older.id, occurrences, ...res, resolved: res.resolvedAt !== null });
    }
  }
  return plan;
}

function sameGroup(g: GroupRow, v: GroupValues): boolean {
  return (
    g.first_report_id === v.firstReportId &&
    g.last_report_id === v.lastReportId &&
    g.last_seen_at === v.lastSeenAt &&
    g.occurrences === v.occurrences &&
    g.consecutive_failures === v.consecutiveFailures &&
    g.pattern === v.pattern &&
    g.active === v.active &&
    g.heuristics === v.heuristics &&
    g.last_message === v.lastMessage &&
    g.resolved_at === v.resolvedAt &&
    g.resolved_report_id === v.resolvedReportId
  );
}

function sameTriage(g: GroupRow, t: TriageValues): boolean {
  return (
    g.suggested_decision === t.suggestedDecision &&
    g.decision_rule === t.decisionRule &&
    g.rationale === t.rationale &&
    g.confidence === t.confidence &&
    g.suggested_priority === t.priority &&
    (g.reviewed_by_human === 1 || g.priority === t.priority)
  );
}

/** A case's letters over the project's last KEPT_RUNS reports up to `latestSeq`, from its history (entries by seq). */
export function lettersFromHistory(history: readonly HistoryEntry[], latestSeq: number): string {
  const bySeq = new Map(history.map((e) => [e.reportId as number, e.status]));
  let out = "";
  for (let seq = Math.max(1, latestSeq - KEPT_RUNS + 1); seq <= latestSeq; seq++) {
    const status = bySeq.get(seq);
    out += status ? LETTER[status] : "-";
  }
  return out;
}

/**
 * The writes that give a test case its first group (it has none yet): the ones an ingest may insert
 * ahead of its flip, hidden (ingest-plan.ts). Cases with a group keep theirs as inserts: a group's
 * page lists the test's other groups without the join that hides them. Indexes into `plan.writes`, by case id.
 */
export function firstGroupWrites(plan: ReclassifyPlan): number[] {
  const indexes = plan.writes.flatMap((w, i) => (w.kind === "insert" && plan.firstLetters.has(w.values.testCaseId) ? [i] : []));
  const caseOf = (i: number) => (plan.writes[i] as Extract<Write, { kind: "insert" }>).values.testCaseId;
  return indexes.sort((a, b) => caseOf(a) - caseOf(b));
}

/** The test case a write of firstGroupWrites is for. */
export const writeCase = (plan: ReclassifyPlan, at: number): number =>
  (plan.writes[at] as Extract<Write, { kind: "insert" }>).values.testCaseId;

/**
 * Inserts the group of write `at` (firstGroupWrites) ahead of the flip, hidden under `marker` in
 * place of the project's slug and with no triage row (every reader joins both); the write becomes
 * "adopt". False when the same failure's group is there already (another ingest's, hidden): the
 * write stays an insert for the flip.
 */
export function* hideGroupSteps(plan: ReclassifyPlan, at: number, marker: string, now: number): Steps<boolean> {
  const w = plan.writes[at] as Extract<Write, { kind: "insert" }>;
  const inserted = yield* run<{ id: number }>(
    insertGroup({ ...w.values, projectSlug: marker }, now, sql`ON CONFLICT (test_case_id, fingerprint) DO NOTHING`),
  );
  if (!inserted.row) return false;
  plan.writes[at] = { kind: "adopt", id: Number(inserted.row.id), values: w.values, triage: w.triage };
  return true;
}

/** Writes a plan (inside a transaction); returns the outcome with the new groups' ids. */
export function* applyReclassifySteps(plan: ReclassifyPlan, now = Date.now()): Steps<ReclassifyOutcome> {
  const outcome: ReclassifyOutcome = { newIds: [], updatedIds: [], resolvedIds: [], classifications: plan.classifications };
  for (const w of plan.writes) {
    if (w.kind === "adopt") {
      yield* run(insertTriage(w.id, w.triage, now));
      outcome.newIds.push(w.id);
      continue;
    }
    if (w.kind === "insert") {
      // A group another ingest inserted ahead for the same failure, not shown yet: this one wins
      // (that ingest notices at its flip and plans again under the lock).
      yield* run(
        sql`DELETE FROM test_failures WHERE test_case_id = ${w.values.testCaseId} AND fingerprint = ${w.values.fingerprint} AND project_slug LIKE 'pending:%'`,
      );
      const id = Number((yield* run<{ id: number }>(insertGroup(w.values, now))).row!.id);
      yield* run(insertTriage(id, w.triage, now));
      outcome.newIds.push(id);
      continue;
    }
    if (w.kind === "update") {
      const v = w.values;
      if (v)
        yield* run(
          sql`UPDATE test_failures SET first_report_id = ${v.firstReportId}, last_report_id = ${v.lastReportId}, last_seen_at = ${v.lastSeenAt},
                occurrences = ${v.occurrences}, consecutive_failures = ${v.consecutiveFailures}, pattern = ${v.pattern}, active = ${v.active},
                heuristics = ${v.heuristics}, last_message = ${v.lastMessage}, resolved_at = ${v.resolvedAt}, resolved_report_id = ${v.resolvedReportId},
                updated_at = ${now}
              WHERE id = ${w.id}`,
        );
      if (w.insertTriage) yield* run(insertTriage(w.id, w.triage!, now));
      else if (w.triage) {
        const t = w.triage;
        // A human decision and a human-chosen priority win; the suggestion beside them keeps moving.
        yield* run(
          sql`UPDATE error_triage SET suggested_decision = ${t.suggestedDecision}, decision_rule = ${t.decisionRule}, rationale = ${t.rationale},
                confidence = ${t.confidence}, suggested_priority = ${t.priority},
                priority = CASE WHEN reviewed_by_human = 1 THEN priority ELSE ${t.priority} END, updated_at = ${now}
              WHERE test_failure_id = ${w.id}`,
        );
      }
    } else {
      yield* run(
        sql`UPDATE test_failures SET active = 0, occurrences = ${w.occurrences}, resolved_at = ${w.resolvedAt},
              resolved_report_id = ${w.resolvedReportId}, updated_at = ${now}
            WHERE id = ${w.id}`,
      );
    }
    outcome.updatedIds.push(w.id);
    if (w.resolved) outcome.resolvedIds.push(w.id);
  }
  return outcome;
}

/** applyReclassifySteps on a SQLite connection, now (inside a transaction). */
export function applyReclassify(sqlite: Database.Database, plan: ReclassifyPlan, now = Date.now()): ReclassifyOutcome {
  return runOnSqlite(sqlite, applyReclassifySteps(plan, now));
}

function insertGroup(v: GroupValues, now: number, onConflict = sql``) {
  return sql`INSERT INTO test_failures (project_slug, test_case_id, fingerprint, first_report_id, last_report_id, last_seen_at, occurrences,
      consecutive_failures, pattern, active, heuristics, last_message, resolved_at, resolved_report_id, created_at, updated_at)
    VALUES (${v.projectSlug}, ${v.testCaseId}, ${v.fingerprint}, ${v.firstReportId}, ${v.lastReportId}, ${v.lastSeenAt}, ${v.occurrences},
      ${v.consecutiveFailures}, ${v.pattern}, ${v.active}, ${v.heuristics}, ${v.lastMessage}, ${v.resolvedAt}, ${v.resolvedReportId}, ${now}, ${now})
    ${onConflict} RETURNING id`;
}

function insertTriage(failureId: number, t: TriageValues, now: number) {
  return sql`INSERT INTO error_triage (test_failure_id, decision, suggested_decision, decision_rule, rationale, confidence, priority,
      suggested_priority, reviewed_by_human, updated_at)
    VALUES (${failureId}, 'pending', ${t.suggestedDecision}, ${t.decisionRule}, ${t.rationale}, ${t.confidence}, ${t.priority}, ${t.priority}, 0, ${now})`;
}

function findLast<T>(items: readonly T[], predicate: (item: T) => boolean): T | undefined {
  for (let i = items.length - 1; i >= 0; i--) if (predicate(items[i]!)) return items[i];
  return undefined;
}
