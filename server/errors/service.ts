/**
 * Reads and human actions on failure groups (the errors router and `workdeck errors`). Ingest
 * lives in ./ingest.ts; both share the rules through ./error-groups.ts.
 *
 * Raw SQL on purpose: listFailures is the Errors tab's hot path (target p50 under 50 ms over
 * 100 runs of 5,000 tests), so it is one indexed query over groups only (never test_results),
 * returns list columns only (messages cut to LIST_MESSAGE_LIMIT), and maps rows by hand.
 */
import { inflateRawSync } from "node:zlib";
import { stripAnsi, type TestClassification } from "@workdeck/error-classifier";
import { AppError } from "../app-error";
import { reclassifyTestCases, recentRuns, type RecentRun } from "./groups";
import type { ErrorsDeps } from "./ingest";
import type { OpenSpecService } from "../specs/service";
import {
  AssignSessionInputSchema,
  CreateSpecProposalInputSchema,
  LinkProposalInputSchema,
  ListFailuresInputSchema,
  TriageFailureInputSchema,
  type Decision,
  type ErrorStats,
  type FailureDetail,
  type FailureGroup,
  type FailureRun,
  type FailureStatus,
  type CreateSpecProposalInput,
  type LinkProposalInput,
  type ListFailuresInput,
  type ProposalDraft,
  type Pattern,
  type StoredAttempt,
  type SuggestedDecision,
  type TriageFailureInput,
} from "@/lib/schemas/errors";

const LIST_MESSAGE_LIMIT = 1000;
const DEFAULT_LIST_LIMIT = 10_000;

const STATUS_SQL = "CASE WHEN f.resolved_at IS NOT NULL THEN 'resolved' WHEN f.active THEN 'active' ELSE 'inactive' END";

/** Selected columns, in order: rows are read as arrays (`raw`), which halves the list's cost at 5,000 groups. */
const GROUP_COLUMN_LIST = (messageLimit: number | null): [string, keyof GroupRow][] => [
  ["f.id", "id"],
  ["f.project_slug", "project_slug"],
  ["f.test_case_id", "test_case_id"],
  ["c.file", "file"],
  ["c.title_path", "title_path"],
  ["c.project_name", "project_name"],
  ["f.fingerprint", "fingerprint"],
  ["f.pattern", "pattern"],
  ["f.active", "active"],
  [STATUS_SQL, "status"],
  ["f.occurrences", "occurrences"],
  ["f.consecutive_failures", "consecutive_failures"],
  ["f.heuristics", "heuristics"],
  [messageLimit ? `substr(f.last_message, 1, ${messageLimit})` : "f.last_message", "last_message"],
  ["f.first_report_id", "first_report_id"],
  ["fr.seq", "first_seq"],
  ["coalesce(fr.started_at, fr.ingested_at)", "first_at"],
  ["f.last_report_id", "last_report_id"],
  ["lr.seq", "last_seq"],
  ["f.last_seen_at", "last_seen_at"],
  ["f.resolved_at", "resolved_at"],
  ["t.decision", "decision"],
  ["t.suggested_decision", "suggested_decision"],
  ["t.decision_rule", "decision_rule"],
  ["t.overridden_suggestion", "overridden_suggestion"],
  ["t.priority", "priority"],
  ["t.suggested_priority", "suggested_priority"],
  ["t.confidence", "confidence"],
  ["t.rationale", "rationale"],
  ["t.human_rationale", "human_rationale"],
  ["t.reviewed_by_human", "reviewed_by_human"],
  ["t.assigned_session_id", "assigned_session_id"],
  ["t.spec_change_id", "spec_change_id"],
  ["c.recent_statuses", "recent_statuses"],
  ["c.recent_seq", "recent_seq"],
  ["c.run_error_kind", "run_error_kind"],
];
const GROUP_COLUMNS = (messageLimit: number | null) => GROUP_COLUMN_LIST(messageLimit).map(([expr, alias]) => `${expr} AS ${alias}`).join(", ");
const COLUMN_INDEX = Object.fromEntries(GROUP_COLUMN_LIST(null).map(([, alias], i) => [alias, i])) as Record<keyof GroupRow, number>;

/** A named row (single-row reads) in the column order of the list's array rows. */
const toArray = (r: GroupRow): unknown[] => GROUP_COLUMN_LIST(null).map(([, alias]) => r[alias]);

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
  recent_statuses: string;
  recent_seq: number;
  run_error_kind: FailureGroup["runErrorKind"];
};

/**
 * The latest report seq of each project (sparklines end there) and the decoded sparklines, shared
 * by rows with the same letters (most rows of a list share a handful of shapes).
 */
class RecentRunsReader {
  private readonly latest = new Map<string, number>();
  private readonly decoded = new Map<string, RecentRun[]>();
  private readonly heuristicsByText = new Map<string, FailureGroup["heuristics"]>();

  constructor(sqlite: import("better-sqlite3").Database, projectSlug?: string) {
    const rows = (
      projectSlug
        ? sqlite.prepare("SELECT project_slug, max(seq) AS seq FROM reports WHERE project_slug = ?").all(projectSlug)
        : sqlite.prepare("SELECT project_slug, max(seq) AS seq FROM reports GROUP BY project_slug").all()
    ) as { project_slug: string | null; seq: number | null }[];
    for (const r of rows) if (r.project_slug !== null && r.seq !== null) this.latest.set(r.project_slug, r.seq);
  }

  /** Parsed once per distinct text: a list has a few dozen distinct heuristics among thousands of rows. */
  heuristics(text: string): FailureGroup["heuristics"] {
    let out = this.heuristicsByText.get(text);
    if (!out) this.heuristicsByText.set(text, (out = JSON.parse(text) as FailureGroup["heuristics"]));
    return out;
  }

  get(projectSlug: string, letters: string, recentSeq: number): RecentRun[] {
    const latest = this.latest.get(projectSlug) ?? recentSeq;
    const key = latest === recentSeq ? letters : `${letters}|${latest - recentSeq}`;
    let out = this.decoded.get(key);
    if (!out) this.decoded.set(key, (out = recentRuns(letters, recentSeq, latest)));
    return out;
  }
}

function toGroup(a: unknown[], recent: RecentRunsReader): FailureGroup {
  const i = COLUMN_INDEX;
  const resolvedAt = a[i.resolved_at] as number | null;
  return {
    id: a[i.id] as number,
    projectSlug: a[i.project_slug] as string,
    testCaseId: a[i.test_case_id] as number,
    file: a[i.file] as string,
    titlePath: JSON.parse(a[i.title_path] as string) as string[],
    projectName: a[i.project_name] as string,
    fingerprint: a[i.fingerprint] as string,
    pattern: a[i.pattern] as Pattern,
    active: a[i.active] === 1,
    status: a[i.status] as FailureStatus,
    occurrences: a[i.occurrences] as number,
    consecutiveFailures: a[i.consecutive_failures] as number,
    heuristics: recent.heuristics(a[i.heuristics] as string),
    lastMessage: a[i.last_message] as string,
    firstSeen: { id: a[i.first_report_id] as number, seq: a[i.first_seq] as number, at: new Date(a[i.first_at] as number) },
    lastSeen: { id: a[i.last_report_id] as number, seq: a[i.last_seq] as number, at: new Date(a[i.last_seen_at] as number) },
    resolvedAt: resolvedAt === null ? null : new Date(resolvedAt),
    decision: a[i.decision] as Decision,
    suggestedDecision: a[i.suggested_decision] as SuggestedDecision,
    decisionRule: a[i.decision_rule] as FailureGroup["decisionRule"],
    overriddenSuggestion: a[i.overridden_suggestion] as SuggestedDecision | null,
    priority: a[i.priority] as number,
    suggestedPriority: a[i.suggested_priority] as number,
    confidence: a[i.confidence] as number,
    rationale: a[i.rationale] as string,
    humanRationale: a[i.human_rationale] as string | null,
    reviewedByHuman: a[i.reviewed_by_human] === 1,
    assignedSessionId: a[i.assigned_session_id] as number | null,
    specChangeId: a[i.spec_change_id] as string | null,
    recentRuns: recent.get(a[i.project_slug] as string, a[i.recent_statuses] as string, a[i.recent_seq] as number),
    runErrorKind: a[i.run_error_kind] as FailureGroup["runErrorKind"],
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
  // Filter, order and limit over ids first, then read the wide columns in that order: sorting
  // narrow rows instead of whole list rows (messages, rationales) saves a tenth of the time.
  const order = "ORDER BY (f.resolved_at IS NULL AND f.active) DESC, t.priority DESC, f.last_seen_at DESC, f.id DESC";
  const sql = `WITH picked AS (
      SELECT f.id AS fid, row_number() OVER (${order}) AS ord
      FROM test_failures f JOIN test_cases c ON c.id = f.test_case_id JOIN error_triage t ON t.test_failure_id = f.id
      ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ${order}
      LIMIT ?)
    SELECT ${GROUP_COLUMNS(LIST_MESSAGE_LIMIT)} FROM picked JOIN test_failures f ON f.id = picked.fid
      JOIN test_cases c ON c.id = f.test_case_id
      JOIN error_triage t ON t.test_failure_id = f.id
      JOIN reports fr ON fr.id = f.first_report_id
      JOIN reports lr ON lr.id = f.last_report_id
    ORDER BY picked.ord`;
  const rows = deps.db.$client.prepare(sql).raw(true).all(...params, input.limit ?? DEFAULT_LIST_LIMIT) as unknown[][];
  const recent = new RecentRunsReader(deps.db.$client, input.projectId);
  return rows.map((r) => toGroup(r, recent));
}

/** One group as the list shows it (or with its whole last message). */
function readGroup(deps: Pick<ErrorsDeps, "db">, failureId: number, messageLimit: number | null = null): FailureGroup {
  const row = groupRow(deps, failureId, messageLimit);
  return toGroup(toArray(row), new RecentRunsReader(deps.db.$client, row.project_slug));
}

function groupRow(deps: Pick<ErrorsDeps, "db">, failureId: number, messageLimit: number | null = null): GroupRow {
  const row = deps.db.$client.prepare(`SELECT ${GROUP_COLUMNS(messageLimit)} ${GROUP_FROM} WHERE f.id = ?`).get(failureId) as GroupRow | undefined;
  if (!row) throw new AppError("NOT_FOUND", `No failure group with id ${failureId}`);
  return row;
}

/** One group with its test's whole run history (every occurrence with message and stack). */
export function getFailure(deps: Pick<ErrorsDeps, "db">, input: { failureId: number }): FailureDetail {
  const group = readGroup(deps, input.failureId);
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
      attempts: Buffer | string | null;
    }[]
  ).map(
    (r): FailureRun => ({
      report: { id: r.id, seq: r.seq, at: new Date(r.at), branch: r.branch, commit: r.commit, source: r.source },
      status: r.status,
      retries: r.retries,
      durationMs: r.duration_ms,
      fingerprint: r.fingerprint,
      inGroup: r.fingerprint === group.fingerprint,
      attempts: r.attempts ? withRawText(JSON.parse(typeof r.attempts === "string" ? r.attempts : inflateRawSync(r.attempts).toString("utf8")) as StoredAttempt[]) : [],
    }),
  );
  const siblings = (
    sqlite
      .prepare(`SELECT id, fingerprint, ${STATUS_SQL.replaceAll("f.", "")} AS status, occurrences, substr(last_message, 1, 300) AS last_message FROM test_failures WHERE test_case_id = ? AND id != ? ORDER BY id`)
      .all(group.testCaseId, group.id) as { id: number; fingerprint: string; status: FailureStatus; occurrences: number; last_message: string }[]
  ).map((s) => ({ id: s.id, fingerprint: s.fingerprint, status: s.status, occurrences: s.occurrences, lastMessage: s.last_message }));
  return { ...group, repoPath: repo_path, runs, siblings };
}

/** Ingest drops raw texts equal to the clean ones (no ANSI in them); give both back. */
function withRawText(attempts: StoredAttempt[]): StoredAttempt[] {
  for (const a of attempts) {
    for (const e of a.errors) {
      if (!e.messageRaw) e.messageRaw = e.message;
      if (e.stack !== undefined) e.stackRaw ??= e.stack;
      if (e.snippet !== undefined) e.snippetRaw ??= e.snippet;
      e.message ||= stripAnsi(e.messageRaw);
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

/** Links a remediation session to the group (null unlinks). */
export function assignSession(deps: ErrorsDeps, raw: { failureId: number; sessionId: number | null }): FailureGroup {
  const input = AssignSessionInputSchema.parse(raw);
  groupRow(deps, input.failureId);
  // assigned_session_id references sessions.id (0004_sessions): name the missing session instead of an FK error.
  if (input.sessionId !== null && !deps.db.$client.prepare("SELECT 1 FROM sessions WHERE id = ?").get(input.sessionId)) {
    throw new AppError("NOT_FOUND", `No session with id ${input.sessionId}`);
  }
  deps.db.$client.prepare("UPDATE error_triage SET assigned_session_id = ?, updated_at = ? WHERE test_failure_id = ?").run(input.sessionId, Date.now(), input.failureId);
  return publishTriaged(deps, input.failureId);
}

function publishTriaged(deps: ErrorsDeps, failureId: number): FailureGroup {
  const group = readGroup(deps, failureId, LIST_MESSAGE_LIMIT);
  deps.bus.publish({
    type: "errors.triaged",
    projectSlug: group.projectSlug,
    failureId,
    decision: group.decision,
    priority: group.priority,
    reviewedByHuman: group.reviewedByHuman,
    assignedSessionId: group.assignedSessionId,
    specChangeId: group.specChangeId,
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
  return { failure: readGroup(deps, input.failureId, LIST_MESSAGE_LIMIT), classification: { ...rest, fingerprint: fingerprint.hash }, currentGroup: fingerprint.hash === before.fingerprint };
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

// ----- Spec proposals from failures -----

/** What the proposal procedures need beyond the errors deps: the OpenSpec service (runtime.openspec). */
export type ProposalDeps = ErrorsDeps & { openspec: Pick<OpenSpecService, "createProposal" | "showChange"> };

const DRAFT_HREF_LIMIT = 8000;
const RUN_ERROR_LABEL: Record<NonNullable<FailureGroup["runErrorKind"]>, string> = {
  "global-setup": "global setup",
  "global-teardown": "global teardown",
  "load-error": "spec file that does not load",
  other: "run-level error",
};
const SPARK: Record<RecentRun, string> = { failed: "✗", flaky: "~", passed: "✓", skipped: "s", absent: "·" };

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
const indent = (text: string) =>
  text
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");

/** "runs 3, 4, 5" / "runs 3–8" for a list of run numbers. */
function describeSeqs(seqs: number[]): string {
  if (seqs.length === 0) return "no runs";
  if (seqs.length === 1) return `run ${seqs[0]}`;
  const contiguous = seqs.every((n, i) => i === 0 || n === seqs[i - 1]! + 1);
  if (contiguous && seqs.length >= 3) return `runs ${seqs[0]}–${seqs.at(-1)}`;
  return `runs ${seqs.length <= 8 ? seqs.join(", ") : `${seqs.slice(0, 3).join(", ")}, …, ${seqs.slice(-3).join(", ")}`}`;
}

/**
 * The New proposal form's fields for a failure, filled with its evidence: the test, the error of
 * its last occurrence, a stack excerpt, the run history and the triage rationale.
 */
export function proposalDraft(deps: Pick<ErrorsDeps, "db">, input: { failureId: number }): ProposalDraft {
  const detail = getFailure(deps, input);
  const testName = detail.runErrorKind
    ? `${RUN_ERROR_LABEL[detail.runErrorKind]} (${detail.file})`
    : `${detail.file} › ${detail.titlePath.join(" › ")}${detail.projectName ? ` [${detail.projectName}]` : ""}`;
  const shortName = detail.runErrorKind ? `${RUN_ERROR_LABEL[detail.runErrorKind]} in ${detail.file}` : (detail.titlePath.at(-1) ?? detail.file);
  const title = clip(`${detail.heuristics.notImplemented ? "Implement" : "Specify"}: ${shortName}`, 120);

  const occurrences = detail.runs.filter((r) => r.inGroup);
  const last = occurrences.at(-1);
  const lastError = last?.attempts.flatMap((a) => a.errors).find((e) => e.message || e.stack);
  const stackLines = (lastError?.stack ?? "")
    .split("\n")
    .filter((l) => /^\s*at\s/.test(l))
    .slice(0, 8);
  // Stacks of test errors keep the producing machine's absolute paths: show them from the spec's
  // own path (or node_modules/…, or the last two segments) in a document meant for the repository.
  const specPath = detail.repoPath ?? detail.file;
  const shortPath = (abs: string) => {
    const at = abs.lastIndexOf(`/${specPath}`);
    if (at >= 0 && abs.endsWith(specPath)) return specPath;
    const modules = abs.lastIndexOf("/node_modules/");
    if (modules >= 0) return abs.slice(modules + 1);
    return abs.split("/").slice(-2).join("/");
  };
  for (let k = 0; k < stackLines.length; k++) stackLines[k] = stackLines[k]!.replace(/(?<![\w.:])\/(?:[^\s/:()]+\/)+[^\s/:()]+/g, shortPath);
  const failedRuns = detail.runs.filter((r) => r.status === "unexpected").map((r) => r.report.seq);
  const flakyRuns = detail.runs.filter((r) => r.status === "flaky").map((r) => r.report.seq);
  const message = clip(detail.lastMessage.split("\n").slice(0, 12).join("\n"), 1200);

  const history = [
    `Run history (the project's last ${detail.recentRuns.length} runs, oldest first; ✗ failed, ~ flaky, ✓ passed, s skipped, · absent): ${detail.recentRuns.map((r) => SPARK[r]).join(" ")}`,
    `Failed in ${describeSeqs(failedRuns)}${flakyRuns.length ? `, flaky in ${describeSeqs(flakyRuns)}` : ""}; ${detail.occurrences} occurrence${detail.occurrences === 1 ? "" : "s"}, ${detail.consecutiveFailures} in a row at the end; first seen in run ${detail.firstSeen.seq}, last seen in run ${detail.lastSeen.seq}.`,
  ];
  const triage = [
    `Triage (Workdeck failure #${detail.id}): ${detail.pattern}, suggested ${detail.suggestedDecision} (priority ${detail.suggestedPriority}, confidence ${detail.confidence}).`,
    detail.rationale,
    detail.reviewedByHuman ? `Decision: ${detail.decision}${detail.humanRationale ? ` (${detail.humanRationale})` : ""}.` : "",
  ].filter(Boolean);

  const build = (messageText: string, stack: string[]) =>
    [
      `The ${detail.runErrorKind ? "run-level failure" : "test"} ${testName} fails (${detail.pattern}, ${detail.occurrences} occurrence${detail.occurrences === 1 ? "" : "s"}); this change specifies the behaviour it expects.`,
      "",
      `Error (run ${detail.lastSeen.seq}):`,
      "",
      indent(messageText || detail.lastMessage.split("\n")[0] || "(no message)"),
      ...(stack.length ? ["", "Stack excerpt:", "", indent(stack.map((l) => l.trim()).join("\n"))] : []),
      "",
      ...history,
      "",
      ...triage,
    ].join("\n");

  const whatChanges = [
    `- Specify the behaviour that ${detail.runErrorKind ? `the ${RUN_ERROR_LABEL[detail.runErrorKind]} relies on` : `\`${detail.titlePath.join(" › ")}\` checks`} (requirements and scenarios).`,
    `- ${detail.heuristics.notImplemented ? "Implement the missing feature" : "Change the implementation (or the test) to match the specification"}.`,
    `- Keep \`${detail.file}\` passing in CI.`,
  ].join("\n");
  const impact = [
    `- Affected ${detail.runErrorKind ? "stage" : "test"}: \`${detail.file}\`${detail.projectName ? ` (Playwright project \`${detail.projectName}\`)` : ""}`,
    `- Failure group #${detail.id} in Workdeck (${detail.heuristics.pathCategory === "other" ? "" : `${detail.heuristics.pathCategory} test, `}${detail.heuristics.timeout ? "times out, " : ""}${detail.heuristics.hook ? `raised in ${detail.heuristics.hook}, ` : ""}${detail.occurrences} occurrence${detail.occurrences === 1 ? "" : "s"})`,
  ].join("\n");
  const tasks = [
    clip(`Write the requirement and scenarios for ${shortName}`, 500),
    detail.heuristics.notImplemented ? "Implement the feature" : "Implement the specified behaviour",
    clip(`Make ${detail.runErrorKind ? `the ${RUN_ERROR_LABEL[detail.runErrorKind]}` : `\`${shortName}\``} pass again (Workdeck failure #${detail.id})`, 500),
  ];

  const href = (description: string) => {
    const q = new URLSearchParams({ project: detail.projectSlug, title, description, whatChanges, impact, tasks: tasks.join("\n"), failureId: String(detail.id) });
    return `/specs/new?${q.toString()}`;
  };
  // The link must stay a reasonable URL: shorten the evidence until it fits.
  let description = clip(build(message, stackLines), 5000);
  for (const [m, st] of [
    [message, stackLines.slice(0, 4)],
    [clip(message, 400), stackLines.slice(0, 2)],
    [clip(message.split("\n")[0] ?? "", 200), []],
  ] as const) {
    if (href(description).length <= DRAFT_HREF_LIMIT) break;
    description = clip(build(m, [...st]), 5000);
  }
  return {
    failureId: detail.id,
    projectId: detail.projectSlug,
    title,
    description,
    whatChanges,
    impact,
    tasks,
    href: href(description),
    specChangeId: detail.specChangeId,
  };
}

/**
 * "Create spec proposal": writes the OpenSpec change (the draft, with any field the caller gives
 * replacing the draft's) through the openspec service, and links it to the failure.
 */
export async function createSpecProposal(
  deps: ProposalDeps,
  raw: CreateSpecProposalInput,
): Promise<{ projectSlug: string; changeId: string; path: string; failure: FailureGroup }> {
  const input = CreateSpecProposalInputSchema.parse(raw);
  const before = groupRow(deps, input.failureId);
  if (before.spec_change_id) {
    throw new AppError("CONFLICT", `Failure #${input.failureId} is already linked to the change "${before.spec_change_id}"; unlink it first (errors.linkProposal with changeId null).`);
  }
  const draft = proposalDraft(deps, { failureId: input.failureId });
  const created = await deps.openspec.createProposal({
    projectId: draft.projectId,
    title: input.title ?? draft.title,
    description: input.description ?? draft.description,
    whatChanges: input.whatChanges ?? draft.whatChanges,
    impact: input.impact ?? draft.impact,
    tasks: input.tasks ?? draft.tasks,
    changeId: input.changeId,
  });
  setSpecChange(deps, input.failureId, created.changeId);
  return { ...created, failure: publishTriaged(deps, input.failureId) };
}

/** Links an existing change of the failure's project (validated: it must exist there) or unlinks (null). */
export async function linkProposal(deps: ProposalDeps, raw: LinkProposalInput): Promise<FailureGroup> {
  const input = LinkProposalInputSchema.parse(raw);
  const before = groupRow(deps, input.failureId);
  if (input.changeId !== null) await deps.openspec.showChange({ projectId: before.project_slug, changeId: input.changeId });
  setSpecChange(deps, input.failureId, input.changeId);
  return publishTriaged(deps, input.failureId);
}

function setSpecChange(deps: Pick<ErrorsDeps, "db">, failureId: number, changeId: string | null): void {
  deps.db.$client.prepare("UPDATE error_triage SET spec_change_id = ?, updated_at = ? WHERE test_failure_id = ?").run(changeId, Date.now(), failureId);
}
