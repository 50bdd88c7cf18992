/**
 * Reads of failure groups: the list (the errors router and `workdeck errors`), one group with its
 * run history, and the stats. Triage lives in ./triage.ts, proposal drafting in ./proposal.ts,
 * ingest in ./ingest.ts; all share the rules through ./groups.ts.
 *
 * Raw SQL on purpose: listFailures is the Errors tab's hot path (target p50 under 50 ms over
 * 100 runs of 5,000 tests), so it is one indexed query over groups only (never test_results),
 * returns list columns only (messages cut to LIST_MESSAGE_LIMIT), and maps rows by hand.
 */
import { inflateRawSync } from "node:zlib";
// The module, not the package index: listing needs none of the report parsers (issue 12).
import { stripAnsi } from "@workdeck/error-classifier/ansi";
import { AppError } from "../app-error";
import { DEFAULT_FLAKINESS_RUNS, flakinessOver, recentRuns, type RecentRun } from "./groups";
import type { ErrorsDeps } from "./ingest";
import {
  ListFailuresInputSchema,
  type Decision,
  type ErrorStats,
  type FailureDetail,
  type FailureGroup,
  type FailureRun,
  type FailureStatus,
  type Flakiness,
  type ListFailuresInput,
  type Pattern,
  type StoredAttempt,
  type SuggestedDecision,
} from "@/lib/schemas/errors";

export const LIST_MESSAGE_LIMIT = 1000;
const DEFAULT_LIST_LIMIT = 10_000;

/** A failure's status (resolved, active or inactive) in SQL over test_failures `f`: the one rule for it. */
export const STATUS_SQL = "CASE WHEN f.resolved_at IS NOT NULL THEN 'resolved' WHEN f.active THEN 'active' ELSE 'inactive' END";

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
const GROUP_COLUMNS = (messageLimit: number | null) =>
  GROUP_COLUMN_LIST(messageLimit)
    .map(([expr, alias]) => `${expr} AS ${alias}`)
    .join(", ");
const COLUMN_INDEX = Object.fromEntries(GROUP_COLUMN_LIST(null).map(([, alias], i) => [alias, i])) as Record<keyof GroupRow, number>;

/** A named row (single-row reads) in the column order of the list's array rows. */
const toArray = (r: GroupRow): unknown[] => GROUP_COLUMN_LIST(null).map(([, alias]) => r[alias]);

const GROUP_FROM = `
  FROM test_failures f
  JOIN test_cases c ON c.id = f.test_case_id
  JOIN error_triage t ON t.test_failure_id = f.id
  JOIN reports fr ON fr.id = f.first_report_id
  JOIN reports lr ON lr.id = f.last_report_id`;

export type GroupRow = {
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
  private readonly flakinessByKey = new Map<string, Flakiness>();
  private readonly heuristicsByText = new Map<string, FailureGroup["heuristics"]>();

  constructor(
    sqlite: import("better-sqlite3").Database,
    projectSlug?: string,
    private readonly window = DEFAULT_FLAKINESS_RUNS,
  ) {
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

  flakiness(projectSlug: string, letters: string, recentSeq: number): Flakiness {
    const latest = this.latest.get(projectSlug) ?? recentSeq;
    const key = latest === recentSeq ? letters : `${letters}|${latest - recentSeq}`;
    let out = this.flakinessByKey.get(key);
    if (!out) this.flakinessByKey.set(key, (out = flakinessOver(letters, recentSeq, latest, this.window)));
    return out;
  }
}

/** What the list needs of the config: the flakiness window (`errors.flakinessRuns`). */
type ListDeps = Pick<ErrorsDeps, "db"> & { config?: { config: { errors?: { flakinessRuns?: number } } } };
const flakinessWindow = (deps: ListDeps) => deps.config?.config.errors?.flakinessRuns ?? DEFAULT_FLAKINESS_RUNS;

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
    flakiness: recent.flakiness(a[i.project_slug] as string, a[i.recent_statuses] as string, a[i.recent_seq] as number),
    runErrorKind: a[i.run_error_kind] as FailureGroup["runErrorKind"],
  };
}

const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Failure groups, most urgent first: active, then priority, then most recently seen. */
export function listFailures(deps: ListDeps, raw: ListFailuresInput = {}): FailureGroup[] {
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
    where.push(
      "(c.file LIKE ? ESCAPE '\\' OR c.title_path LIKE ? ESCAPE '\\' OR c.project_name LIKE ? ESCAPE '\\' OR f.last_message LIKE ? ESCAPE '\\')",
    );
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
  const rows = deps.db.$client
    .prepare(sql)
    .raw(true)
    .all(...params, input.limit ?? DEFAULT_LIST_LIMIT) as unknown[][];
  const recent = new RecentRunsReader(deps.db.$client, input.projectId, flakinessWindow(deps));
  return rows.map((r) => toGroup(r, recent));
}

/** One group as the list shows it (or with its whole last message). */
export function readGroup(deps: ListDeps, failureId: number, messageLimit: number | null = null): FailureGroup {
  const row = groupRow(deps, failureId, messageLimit);
  return toGroup(toArray(row), new RecentRunsReader(deps.db.$client, row.project_slug, flakinessWindow(deps)));
}

export function groupRow(deps: Pick<ErrorsDeps, "db">, failureId: number, messageLimit: number | null = null): GroupRow {
  const row = deps.db.$client.prepare(`SELECT ${GROUP_COLUMNS(messageLimit)} ${GROUP_FROM} WHERE f.id = ?`).get(failureId) as
    GroupRow | undefined;
  if (!row) throw new AppError("NOT_FOUND", `No failure group with id ${failureId}`);
  return row;
}

/** One group with its test's whole run history (every occurrence with message and stack). */
export function getFailure(deps: ListDeps, input: { failureId: number }): FailureDetail {
  const group = readGroup(deps, input.failureId);
  const sqlite = deps.db.$client;
  const { repo_path } = sqlite.prepare("SELECT repo_path FROM test_cases WHERE id = ?").get(group.testCaseId) as {
    repo_path: string | null;
  };
  // seq > 0: a run still being staged by an ingest (seq 0, ingest-plan.ts) is not shown until it lands.
  const runs = (
    sqlite
      .prepare(
        `SELECT r.id, r.seq, coalesce(r.started_at, r.ingested_at) AS at, r.branch, r."commit", r.source,
           tr.status, tr.retries, tr.duration_ms, tr.fingerprint, tr.attempts
         FROM test_results tr JOIN reports r ON r.id = tr.report_id
         WHERE tr.test_case_id = ? AND r.seq > 0 ORDER BY r.seq`,
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
  ).map((r): FailureRun => ({
    report: { id: r.id, seq: r.seq, at: new Date(r.at), branch: r.branch, commit: r.commit, source: r.source },
    status: r.status,
    retries: r.retries,
    durationMs: r.duration_ms,
    fingerprint: r.fingerprint,
    inGroup: r.fingerprint === group.fingerprint,
    attempts: r.attempts
      ? withRawText(
          JSON.parse(typeof r.attempts === "string" ? r.attempts : inflateRawSync(r.attempts).toString("utf8")) as StoredAttempt[],
        )
      : [],
  }));
  const siblings = (
    sqlite
      .prepare(
        `SELECT id, fingerprint, ${STATUS_SQL.replaceAll("f.", "")} AS status, occurrences, substr(last_message, 1, 300) AS last_message FROM test_failures WHERE test_case_id = ? AND id != ? ORDER BY id`,
      )
      .all(group.testCaseId, group.id) as {
      id: number;
      fingerprint: string;
      status: FailureStatus;
      occurrences: number;
      last_message: string;
    }[]
  ).map((s) => ({ id: s.id, fingerprint: s.fingerprint, status: s.status, occurrences: s.occurrences, lastMessage: s.last_message }));
  return { ...group, repoPath: repo_path, runs, siblings };
}

/** Ingest drops raw texts equal to the clean ones (no ANSI in them); give both back. */
function withRawText(attempts: StoredAttempt[]): StoredAttempt[] {
  for (const a of attempts) {
    // The file's path stays on the server: the page asks /api/attachments/… by position (attachments.ts).
    if (a.attachments) a.attachments = a.attachments.map(({ name, contentType }) => ({ name, contentType }));
    for (const e of a.errors) {
      if (!e.messageRaw) e.messageRaw = e.message;
      if (e.stack !== undefined) e.stackRaw ??= e.stack;
      if (e.snippet !== undefined) e.snippetRaw ??= e.snippet;
      e.message ||= stripAnsi(e.messageRaw);
    }
  }
  return attempts;
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

/** The narrow view of a failure group other domains read (All Work): no messages, sparklines or rationales. */
export type FailureSummary = {
  id: number;
  projectSlug: string;
  titlePath: string[];
  /** The Playwright project ("" when none). */
  projectName: string;
  status: FailureStatus;
  resolvedAt: number | null;
  lastSeenAt: number;
  pattern: Pattern;
  decision: Decision;
  priority: number;
  assignedSessionId: number | null;
  specChangeId: string | null;
};

/**
 * Every failure group of a project (or all), as FailureSummary. One indexed pass over groups and
 * their triage, cheap enough for All Work to build its list from with 5,000 groups.
 */
export function failureSummaries(deps: Pick<ErrorsDeps, "db">, input: { projectId?: string } = {}): FailureSummary[] {
  const rows = deps.db.$client
    .prepare(
      `SELECT f.id AS id, f.project_slug AS projectSlug, c.title_path AS titlePath, c.project_name AS projectName, ${STATUS_SQL} AS status,
              f.resolved_at AS resolvedAt, f.last_seen_at AS lastSeenAt, f.pattern AS pattern, t.decision AS decision, t.priority AS priority,
              t.assigned_session_id AS assignedSessionId, t.spec_change_id AS specChangeId
       FROM test_failures f JOIN test_cases c ON c.id = f.test_case_id JOIN error_triage t ON t.test_failure_id = f.id${input.projectId ? " WHERE f.project_slug = ?" : ""}`,
    )
    .all(...(input.projectId ? [input.projectId] : [])) as (Omit<FailureSummary, "titlePath"> & { titlePath: string })[];
  return rows.map((r) => ({ ...r, titlePath: JSON.parse(r.titlePath) as string[] }));
}
