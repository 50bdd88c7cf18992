/**
 * Reads and human actions on failure groups (the errors router and `workdeck errors`). Ingest
 * lives in ./ingest.ts; both share the rules through ./error-groups.ts.
 *
 * Raw SQL on purpose: listFailures is the Errors tab's hot path (target p50 under 50 ms over
 * 100 runs of 5,000 tests), so it is one indexed query over groups only (never test_results),
 * returns list columns only (messages cut to LIST_MESSAGE_LIMIT), and maps rows by hand.
 */
import { stripAnsi, type TestClassification } from "@workdeck/error-classifier";
import { AppError } from "../errors";
import { reclassifyTestCases } from "./error-groups";
import type { ErrorsDeps } from "./ingest";
import {
  AssignSessionInputSchema,
  ListFailuresInputSchema,
  TriageFailureInputSchema,
  type Decision,
  type ErrorStats,
  type FailureDetail,
  type FailureGroup,
  type FailureRun,
  type FailureStatus,
  type ListFailuresInput,
  type Pattern,
  type StoredAttempt,
  type SuggestedDecision,
  type TriageFailureInput,
} from "@/lib/schemas/errors";

const LIST_MESSAGE_LIMIT = 1000;
const DEFAULT_LIST_LIMIT = 10_000;

const STATUS_SQL = "CASE WHEN f.resolved_at IS NOT NULL THEN 'resolved' WHEN f.active THEN 'active' ELSE 'inactive' END";

const GROUP_COLUMNS = (messageLimit: number | null) => `
  f.id, f.project_slug, f.test_case_id, c.file, c.title_path, c.project_name, f.fingerprint, f.pattern, f.active,
  ${STATUS_SQL} AS status, f.occurrences, f.consecutive_failures, f.heuristics,
  ${messageLimit ? `substr(f.last_message, 1, ${messageLimit})` : "f.last_message"} AS last_message,
  f.first_report_id, fr.seq AS first_seq, coalesce(fr.started_at, fr.ingested_at) AS first_at,
  f.last_report_id, lr.seq AS last_seq, f.last_seen_at, f.resolved_at,
  t.decision, t.suggested_decision, t.decision_rule, t.overridden_suggestion, t.priority, t.suggested_priority, t.confidence,
  t.rationale, t.human_rationale, t.reviewed_by_human, t.assigned_session_id, t.spec_change_id`;

const GROUP_FROM = `
  FROM test_failures f
  JOIN test_cases c ON c.id = f.test_case_id
  JOIN error_triage t ON t.test_failure_id = f.id
  JOIN reports fr ON fr.id = f.first_report_id
  JOIN reports lr ON lr.id = f.last_report_id`;

type GroupRow = {
  id: number;
  project_slug: string;
  test_case_id: number;
  file: string;
  title_path: string;
  project_name: string;
  fingerprint: string;
  pattern: Pattern;
  active: number;
  status: FailureStatus;
  occurrences: number;
  consecutive_failures: number;
  heuristics: string;
  last_message: string;
  first_report_id: number;
  first_seq: number;
  first_at: number;
  last_report_id: number;
  last_seq: number;
  last_seen_at: number;
  resolved_at: number | null;
  decision: Decision;
  suggested_decision: SuggestedDecision;
  decision_rule: FailureGroup["decisionRule"];
  overridden_suggestion: SuggestedDecision | null;
  priority: number;
  suggested_priority: number;
  confidence: number;
  rationale: string;
  human_rationale: string | null;
  reviewed_by_human: number;
  assigned_session_id: number | null;
  spec_change_id: string | null;
};

function toGroup(r: GroupRow): FailureGroup {
  return {
    id: r.id,
    projectSlug: r.project_slug,
    testCaseId: r.test_case_id,
    file: r.file,
    titlePath: JSON.parse(r.title_path) as string[],
    projectName: r.project_name,
    fingerprint: r.fingerprint,
    pattern: r.pattern,
    active: r.active === 1,
    status: r.status,
    occurrences: r.occurrences,
    consecutiveFailures: r.consecutive_failures,
    heuristics: JSON.parse(r.heuristics) as FailureGroup["heuristics"],
    lastMessage: r.last_message,
    firstSeen: { id: r.first_report_id, seq: r.first_seq, at: new Date(r.first_at) },
    lastSeen: { id: r.last_report_id, seq: r.last_seq, at: new Date(r.last_seen_at) },
    resolvedAt: r.resolved_at === null ? null : new Date(r.resolved_at),
    decision: r.decision,
    suggestedDecision: r.suggested_decision,
    decisionRule: r.decision_rule,
    overriddenSuggestion: r.overridden_suggestion,
    priority: r.priority,
    suggestedPriority: r.suggested_priority,
    confidence: r.confidence,
    rationale: r.rationale,
    humanRationale: r.human_rationale,
    reviewedByHuman: r.reviewed_by_human === 1,
    assignedSessionId: r.assigned_session_id,
    specChangeId: r.spec_change_id,
  };
}

const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Failure groups, most urgent first: active, then priority, then most recently seen. */
export function listFailures(deps: Pick<ErrorsDeps, "db">, raw: ListFailuresInput = {}): FailureGroup[] {
  const input = ListFailuresInputSchema.parse(raw);
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (input.projectId) {
    where.push("f.project_slug = ?");
    params.push(input.projectId);
  }
  const inList = (column: string, values: string[]) => {
    if (values.length === 0) return;
    where.push(`${column} IN (${values.map(() => "?").join(",")})`);
    params.push(...values);
  };
  inList("f.pattern", asList(input.pattern));
  inList("t.decision", asList(input.decision));
  inList(STATUS_SQL, asList(input.status));
  if (input.search?.trim()) {
    const like = `%${input.search.trim().replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    where.push("(c.file LIKE ? ESCAPE '\\' OR c.title_path LIKE ? ESCAPE '\\' OR c.project_name LIKE ? ESCAPE '\\' OR f.last_message LIKE ? ESCAPE '\\')");
    params.push(like, like, like, like);
  }
  if (input.from) {
    where.push("f.last_seen_at >= ?");
    params.push(input.from.getTime());
  }
  if (input.to) {
    where.push("f.last_seen_at <= ?");
    params.push(input.to.getTime());
  }
  const sql = `SELECT ${GROUP_COLUMNS(LIST_MESSAGE_LIMIT)} ${GROUP_FROM}
    ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
    ORDER BY (f.resolved_at IS NULL AND f.active) DESC, t.priority DESC, f.last_seen_at DESC, f.id DESC
    LIMIT ?`;
  const rows = deps.db.$client.prepare(sql).all(...params, input.limit ?? DEFAULT_LIST_LIMIT) as GroupRow[];
  return rows.map(toGroup);
}

function groupRow(deps: Pick<ErrorsDeps, "db">, failureId: number, messageLimit: number | null = null): GroupRow {
  const row = deps.db.$client.prepare(`SELECT ${GROUP_COLUMNS(messageLimit)} ${GROUP_FROM} WHERE f.id = ?`).get(failureId) as GroupRow | undefined;
  if (!row) throw new AppError("NOT_FOUND", `No failure group with id ${failureId}`);
  return row;
}

/** One group with its test's whole run history (every occurrence with message and stack). */
export function getFailure(deps: Pick<ErrorsDeps, "db">, input: { failureId: number }): FailureDetail {
  const group = toGroup(groupRow(deps, input.failureId));
  const sqlite = deps.db.$client;
  const { repo_path } = sqlite.prepare("SELECT repo_path FROM test_cases WHERE id = ?").get(group.testCaseId) as { repo_path: string | null };
  const runs = (
    sqlite
      .prepare(
        `SELECT r.id, r.seq, coalesce(r.started_at, r.ingested_at) AS at, r.branch, r."commit", r.source,
           tr.status, tr.retries, tr.duration_ms, tr.fingerprint, tr.attempts
         FROM test_results tr JOIN reports r ON r.id = tr.report_id
         WHERE tr.test_case_id = ? ORDER BY r.seq`,
      )
      .all(group.testCaseId) as {
      id: number;
      seq: number;
      at: number;
      branch: string | null;
      commit: string | null;
      source: string | null;
      status: FailureRun["status"];
      retries: number;
      duration_ms: number;
      fingerprint: string | null;
      attempts: string | null;
    }[]
  ).map(
    (r): FailureRun => ({
      report: { id: r.id, seq: r.seq, at: new Date(r.at), branch: r.branch, commit: r.commit, source: r.source },
      status: r.status,
      retries: r.retries,
      durationMs: r.duration_ms,
      fingerprint: r.fingerprint,
      inGroup: r.fingerprint === group.fingerprint,
      attempts: r.attempts ? withCleanText(JSON.parse(r.attempts) as StoredAttempt[]) : [],
    }),
  );
  const siblings = (
    sqlite
      .prepare(`SELECT id, fingerprint, ${STATUS_SQL.replaceAll("f.", "")} AS status, occurrences, substr(last_message, 1, 300) AS last_message FROM test_failures WHERE test_case_id = ? AND id != ? ORDER BY id`)
      .all(group.testCaseId, group.id) as { id: number; fingerprint: string; status: FailureStatus; occurrences: number; last_message: string }[]
  ).map((s) => ({ id: s.id, fingerprint: s.fingerprint, status: s.status, occurrences: s.occurrences, lastMessage: s.last_message }));
  return { ...group, repoPath: repo_path, runs, siblings };
}

/** Stored errors keep both texts already; older rows or foreign writers may lack the clean one. */
function withCleanText(attempts: StoredAttempt[]): StoredAttempt[] {
  for (const a of attempts) {
    for (const e of a.errors) {
      e.message ??= stripAnsi(e.messageRaw);
      if (e.stackRaw !== undefined) e.stack ??= stripAnsi(e.stackRaw);
    }
  }
  return attempts;
}

/**
 * A person's decision. It is kept through every re-classification; when it differs from the
 * suggestion, that suggestion is recorded (`overriddenSuggestion`) and a reason is required.
 * `pending` hands the group back to the engine.
 */
export function triageFailure(deps: ErrorsDeps, raw: TriageFailureInput): FailureGroup {
  const input = TriageFailureInputSchema.parse(raw);
  const before = groupRow(deps, input.failureId);
  const rationale = input.rationale?.trim() || null;
  if (input.decision !== "pending" && input.decision !== before.suggested_decision && !rationale) {
    throw new AppError("BAD_REQUEST", `Say why you decide "${input.decision}" against the suggested "${before.suggested_decision}" (rationale is required).`);
  }
  const now = Date.now();
  if (input.decision === "pending") {
    deps.db.$client
      .prepare(
        `UPDATE error_triage SET decision = 'pending', reviewed_by_human = 0, reviewed_at = NULL, overridden_suggestion = NULL,
           human_rationale = ?, priority = coalesce(?, suggested_priority), updated_at = ? WHERE test_failure_id = ?`,
      )
      .run(rationale, input.priority ?? null, now, input.failureId);
  } else {
    deps.db.$client
      .prepare(
        `UPDATE error_triage SET decision = ?, reviewed_by_human = 1, reviewed_at = ?, overridden_suggestion = ?,
           human_rationale = ?, priority = coalesce(?, priority), updated_at = ? WHERE test_failure_id = ?`,
      )
      .run(input.decision, now, input.decision === before.suggested_decision ? null : before.suggested_decision, rationale, input.priority ?? null, now, input.failureId);
  }
  return publishTriaged(deps, input.failureId);
}

/** Links a remediation session to the group (null unlinks). Sessions arrive with issue 4. */
export function assignSession(deps: ErrorsDeps, raw: { failureId: number; sessionId: number | null }): FailureGroup {
  const input = AssignSessionInputSchema.parse(raw);
  groupRow(deps, input.failureId);
  deps.db.$client.prepare("UPDATE error_triage SET assigned_session_id = ?, updated_at = ? WHERE test_failure_id = ?").run(input.sessionId, Date.now(), input.failureId);
  return publishTriaged(deps, input.failureId);
}

function publishTriaged(deps: ErrorsDeps, failureId: number): FailureGroup {
  const group = toGroup(groupRow(deps, failureId, LIST_MESSAGE_LIMIT));
  deps.bus.publish({
    type: "errors.triaged",
    projectSlug: group.projectSlug,
    failureId,
    decision: group.decision,
    priority: group.priority,
    reviewedByHuman: group.reviewedByHuman,
    assignedSessionId: group.assignedSessionId,
  });
  return group;
}

export type ClassifyFailureResult = {
  failure: FailureGroup;
  /** The engine's verdict for the test case, over its whole history (runs are the project's run numbers). */
  classification: Omit<TestClassification, "fingerprint"> & { fingerprint: string };
  /** False when the test now fails with another fingerprint: the verdict belongs to that group. */
  currentGroup: boolean;
};

/** Re-runs the rules for this group's test case, stores the result, and says why. */
export function classifyFailure(deps: ErrorsDeps, input: { failureId: number }): ClassifyFailureResult {
  const before = groupRow(deps, input.failureId);
  const sqlite = deps.db.$client;
  const outcome = sqlite.transaction(() => reclassifyTestCases(sqlite, before.project_slug, [before.test_case_id]))();
  const c = outcome.classifications.get(before.test_case_id);
  if (!c) throw new AppError("UNPROCESSABLE", `Test case ${before.test_case_id} has no failure in its history any more.`);
  const changed = [...outcome.newIds, ...outcome.updatedIds];
  if (changed.length > 0) {
    deps.bus.publish({ type: "errors.failureUpdated", projectSlug: before.project_slug, reportId: null, failureIds: changed, count: changed.length, resolvedIds: outcome.resolvedIds });
  }
  const { fingerprint, ...rest } = c;
  return { failure: toGroup(groupRow(deps, input.failureId, LIST_MESSAGE_LIMIT)), classification: { ...rest, fingerprint: fingerprint.hash }, currentGroup: fingerprint.hash === before.fingerprint };
}

/** Counts by pattern, decision and status, and how often people agree with the engine. */
export function stats(deps: Pick<ErrorsDeps, "db">, input: { projectId?: string } = {}): ErrorStats {
  const rows = deps.db.$client
    .prepare(
      `SELECT f.pattern, t.decision, t.suggested_decision, ${STATUS_SQL} AS status, t.reviewed_by_human AS reviewed,
         (t.reviewed_by_human AND t.overridden_suggestion IS NULL) AS agreed, count(*) AS n
       FROM test_failures f JOIN error_triage t ON t.test_failure_id = f.id
       ${input.projectId ? "WHERE f.project_slug = ?" : ""}
       GROUP BY 1, 2, 3, 4, 5, 6`,
    )
    .all(...(input.projectId ? [input.projectId] : [])) as {
    pattern: Pattern;
    decision: Decision;
    suggested_decision: SuggestedDecision;
    status: FailureStatus;
    reviewed: number;
    agreed: number;
    n: number;
  }[];
  const out: ErrorStats = {
    total: 0,
    byPattern: { new: 0, flaky: 0, recurring: 0, persistent: 0 },
    byDecision: { needs_spec: 0, one_off_fix: 0, ignore: 0, pending: 0 },
    bySuggestedDecision: { needs_spec: 0, one_off_fix: 0 },
    byStatus: { active: 0, inactive: 0, resolved: 0 },
    reviewed: 0,
    agreed: 0,
    agreementRate: null,
  };
  for (const r of rows) {
    out.total += r.n;
    out.byPattern[r.pattern] += r.n;
    out.byDecision[r.decision] += r.n;
    out.bySuggestedDecision[r.suggested_decision] += r.n;
    out.byStatus[r.status] += r.n;
    if (r.reviewed) out.reviewed += r.n;
    if (r.agreed) out.agreed += r.n;
  }
  out.agreementRate = out.reviewed > 0 ? Math.round((out.agreed / out.reviewed) * 1000) / 1000 : null;
  return out;
}
