/**
 * Reads of failure groups: the list (the errors router and `workdeck errors`), one group with its
 * run history, and the stats. Triage lives in ./triage.ts, proposal drafting in ./proposal.ts,
 * ingest in ./ingest.ts; all share the rules through ./groups.ts.
 *
 * Raw SQL on purpose: listFailures is the Errors tab's hot path (target p50 under 50 ms over
 * 100 runs of 5,000 tests), so it is one indexed query over groups only (never test_results),
 * returns list columns only (messages cut to LIST_MESSAGE_LIMIT), and maps rows by hand.
 *
 * Every read goes through the SQL port (issue 14): portable SQL on SQLite or PostgreSQL.
 */
import { inflateRawSync } from "node:zlib";
import { sql, type SQL } from "drizzle-orm";
// The module, not the package index: listing needs none of the report parsers (issue 12).
import { stripAnsi } from "@workdeck/error-classifier/ansi";
import { AppError } from "../app-error";
import type { Db } from "../db/client";
import { likeText } from "../db/dialect-sql";
import { SqliteStore, type SqlStore } from "../db/sql-store";
import { DEFAULT_FLAKINESS_RUNS, flakinessOver, recentRuns, type RecentRun } from "./groups";
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

/**
 * A failure's status (resolved, active or inactive) in SQL over test_failures `f`: the one rule for
 * it. `active = 1`, not a bare flag: PostgreSQL's CASE wants a boolean (flags are 0/1 in both).
 */
export const STATUS_SQL = "CASE WHEN f.resolved_at IS NOT NULL THEN 'resolved' WHEN f.active = 1 THEN 'active' ELSE 'inactive' END";

/** The reads' way to the database: the runtime's port, or (tests, scripts with a bare connection) one over its SQLite file. */
export type StoreDeps = { sqlStore?: SqlStore; db?: Db };
export function errorsStore(deps: StoreDeps): SqlStore {
  if (deps.sqlStore) return deps.sqlStore;
  if (!deps.db) throw new Error("errors: no database (sqlStore or db)");
  return SqliteStore.on(deps.db.$client);
}

/** Selected columns, in order: the list reads rows as arrays (`values`), which halves its cost at 5,000 groups. */
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

  private constructor(private readonly window: number) {}

  static async read(store: SqlStore, projectSlug?: string, window = DEFAULT_FLAKINESS_RUNS): Promise<RecentRunsReader> {
    const reader = new RecentRunsReader(window);
    const rows = await store.all<{ project_slug: string | null; seq: number | null }>(
      sql`SELECT project_slug, max(seq) AS seq FROM reports ${projectSlug ? sql`WHERE project_slug = ${projectSlug}` : sql``} GROUP BY project_slug`,
    );
    for (const r of rows) if (r.project_slug !== null && r.seq !== null) reader.latest.set(r.project_slug, Number(r.seq));
    return reader;
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
type ListDeps = StoreDeps & { config?: { config: { errors?: { flakinessRuns?: number } } } };
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
export async function listFailures(deps: ListDeps, raw: ListFailuresInput = {}): Promise<FailureGroup[]> {
  const input = ListFailuresInputSchema.parse(raw);
  const store = errorsStore(deps);
  const where: SQL[] = [];
  if (input.projectId) where.push(sql`f.project_slug = ${input.projectId}`);
  const inList = (column: string, values: string[]) => {
    if (values.length) where.push(sql`${sql.raw(column)} IN ${values}`);
  };
  inList("f.pattern", asList(input.pattern));
  inList("t.decision", asList(input.decision));
  inList(STATUS_SQL, asList(input.status));
  if (input.search?.trim()) {
    const like = `%${input.search.trim().replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    const match = (column: string) => likeText(store.dialect, sql.raw(column), like);
    where.push(sql`(${match("c.file")} OR ${match("c.title_path")} OR ${match("c.project_name")} OR ${match("f.last_message")})`);
  }
  if (input.from) where.push(sql`f.last_seen_at >= ${input.from.getTime()}`);
  if (input.to) where.push(sql`f.last_seen_at <= ${input.to.getTime()}`);
  // Filter, order and limit over ids first, then read the wide columns in that order: sorting
  // narrow rows instead of whole list rows (messages, rationales) saves a tenth of the time.
  const order = sql.raw("ORDER BY (f.resolved_at IS NULL AND f.active = 1) DESC, t.priority DESC, f.last_seen_at DESC, f.id DESC");
  const rows = await store.values(sql`WITH picked AS (
      SELECT f.id AS fid, row_number() OVER (${order}) AS ord
      FROM test_failures f JOIN test_cases c ON c.id = f.test_case_id JOIN error_triage t ON t.test_failure_id = f.id
      ${where.length ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql``}
      ${order}
      LIMIT ${input.limit ?? DEFAULT_LIST_LIMIT})
    SELECT ${sql.raw(GROUP_COLUMNS(LIST_MESSAGE_LIMIT))} FROM picked JOIN test_failures f ON f.id = picked.fid
      JOIN test_cases c ON c.id = f.test_case_id
      JOIN error_triage t ON t.test_failure_id = f.id
      JOIN reports fr ON fr.id = f.first_report_id
      JOIN reports lr ON lr.id = f.last_report_id
    ORDER BY picked.ord`);
  const recent = await RecentRunsReader.read(store, input.projectId, flakinessWindow(deps));
  return rows.map((r) => toGroup(r, recent));
}

/** One group as the list shows it (or with its whole last message). */
export async function readGroup(deps: ListDeps, failureId: number, messageLimit: number | null = null): Promise<FailureGroup> {
  const store = errorsStore(deps);
  const row = await groupRow(deps, failureId, messageLimit);
  return toGroup(toArray(row), await RecentRunsReader.read(store, row.project_slug, flakinessWindow(deps)));
}

const GROUP_BY_ID = (messageLimit: number | null) => `SELECT ${GROUP_COLUMNS(messageLimit)} ${GROUP_FROM} WHERE f.id = `;

export async function groupRow(deps: StoreDeps, failureId: number, messageLimit: number | null = null): Promise<GroupRow> {
  const row = await errorsStore(deps).get<GroupRow>(sql`${sql.raw(GROUP_BY_ID(messageLimit))}${failureId}`);
  if (!row) throw new AppError("NOT_FOUND", `No failure group with id ${failureId}`);
  return row;
}

/** One group with its test's whole run history (every occurrence with message and stack). */
export async function getFailure(deps: ListDeps, input: { failureId: number }): Promise<FailureDetail> {
  const group = await readGroup(deps, input.failureId);
  const store = errorsStore(deps);
  const testCase = await store.get<{ repo_path: string | null }>(sql`SELECT repo_path FROM test_cases WHERE id = ${group.testCaseId}`);
  // seq > 0: a run still being staged by an ingest (seq 0, ingest-plan.ts) is not shown until it lands.
  const runRows = await store.all<{
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
  }>(
    sql`SELECT r.id, r.seq, coalesce(r.started_at, r.ingested_at) AS at, r.branch, r."commit", r.source,
          tr.status, tr.retries, tr.duration_ms, tr.fingerprint, tr.attempts
        FROM test_results tr JOIN reports r ON r.id = tr.report_id
        WHERE tr.test_case_id = ${group.testCaseId} AND r.seq > 0 ORDER BY r.seq`,
  );
  const runs = runRows.map((r): FailureRun => ({
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
  const siblingRows = await store.all<{
    id: number;
    fingerprint: string;
    status: FailureStatus;
    occurrences: number;
    last_message: string;
  }>(
    sql`SELECT f.id, f.fingerprint, ${sql.raw(STATUS_SQL)} AS status, f.occurrences, substr(f.last_message, 1, 300) AS last_message
        FROM test_failures f WHERE f.test_case_id = ${group.testCaseId} AND f.id != ${group.id} ORDER BY f.id`,
  );
  const siblings = siblingRows.map((s) => ({
    id: s.id,
    fingerprint: s.fingerprint,
    status: s.status,
    occurrences: s.occurrences,
    lastMessage: s.last_message,
  }));
  return { ...group, repoPath: testCase?.repo_path ?? null, runs, siblings };
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
export async function stats(deps: StoreDeps, input: { projectId?: string } = {}): Promise<ErrorStats> {
  const rows = await errorsStore(deps).all<{
    pattern: Pattern;
    decision: Decision;
    suggested_decision: SuggestedDecision;
    status: FailureStatus;
    reviewed: number;
    agreed: number;
    n: number;
  }>(
    sql`SELECT f.pattern, t.decision, t.suggested_decision, ${sql.raw(STATUS_SQL)} AS status, t.reviewed_by_human AS reviewed,
          CASE WHEN t.reviewed_by_human = 1 AND t.overridden_suggestion IS NULL THEN 1 ELSE 0 END AS agreed, count(*) AS n
        FROM test_failures f JOIN error_triage t ON t.test_failure_id = f.id
        ${input.projectId ? sql`WHERE f.project_slug = ${input.projectId}` : sql``}
        GROUP BY 1, 2, 3, 4, 5, 6`,
  );
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
    const n = Number(r.n);
    out.total += n;
    out.byPattern[r.pattern] += n;
    out.byDecision[r.decision] += n;
    out.bySuggestedDecision[r.suggested_decision] += n;
    out.byStatus[r.status] += n;
    if (r.reviewed) out.reviewed += n;
    if (r.agreed) out.agreed += n;
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
export async function failureSummaries(deps: StoreDeps, input: { projectId?: string } = {}): Promise<FailureSummary[]> {
  const rows = await errorsStore(deps).all<Omit<FailureSummary, "titlePath"> & { titlePath: string }>(
    sql`SELECT f.id AS "id", f.project_slug AS "projectSlug", c.title_path AS "titlePath", c.project_name AS "projectName",
          ${sql.raw(STATUS_SQL)} AS "status", f.resolved_at AS "resolvedAt", f.last_seen_at AS "lastSeenAt", f.pattern AS "pattern",
          t.decision AS "decision", t.priority AS "priority", t.assigned_session_id AS "assignedSessionId", t.spec_change_id AS "specChangeId"
        FROM test_failures f JOIN test_cases c ON c.id = f.test_case_id JOIN error_triage t ON t.test_failure_id = f.id
        ${input.projectId ? sql`WHERE f.project_slug = ${input.projectId}` : sql``}`,
  );
  return rows.map((r) => ({ ...r, titlePath: JSON.parse(r.titlePath) as string[] }));
}
