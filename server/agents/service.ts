import { sql, type SQL } from "drizzle-orm";
import { AppError } from "../app-error";
import { agentsStore, endedEvent, type AgentsDeps, type SessionRow } from "./hook-ingest";
import { waitingOnPermission } from "../sessions/permissions";
import type {
  AgentActivity,
  AgentMetrics,
  AgentSession,
  GetActivityInput,
  GetMetricsInput,
  ListActiveInput,
  TimelineItem,
} from "@/lib/schemas/agents";

// The write side (hook ingest, group commit) lives in hook-ingest.ts; these names stay importable from here.
export { HookCommitter, ingestHook, projectForCwd, type AgentsDeps, type HookIngestInput } from "./hook-ingest";

/** Reads and the sweep run through the SQL port (issue 14): the same SQL on SQLite and PostgreSQL. */

export const DEFAULT_IDLE_MINUTES = 5;
/** A session silent for this long is gone (killed without a SessionEnd), not "idle for 3,000 min". */
const STALE_MS = 24 * 3600_000;
/** The Sessions tab shows every active agent; more than this is not a list a person reads. */
const ACTIVE_LIMIT = 500;

export function idleMs(deps: Pick<AgentsDeps, "config">): number {
  return (deps.config.config.agents?.idleMinutes ?? DEFAULT_IDLE_MINUTES) * 60_000;
}

/**
 * Sessions whose Stop nothing followed for the idle period become ended, each with a completion
 * notice on the bus. The server runs this on a timer; listActive does not depend on it (it hides
 * such sessions by the clock), it only makes the notice happen.
 */
export async function sweepEnded(deps: AgentsDeps): Promise<number> {
  const now = deps.now?.() ?? Date.now();
  // The rows and their notices in one transaction: a notice is stored exactly when its session ended.
  const events = await agentsStore(deps).transaction(async (tx) => {
    const rows = await tx.all<SessionRow>(
      sql`UPDATE agent_sessions SET status = 'ended', ended_at = last_event_at, end_reason = 'stopped'
          WHERE status = 'stopped' AND last_event_at <= ${now - idleMs(deps)} RETURNING *`,
    );
    const recorded = [];
    for (const row of rows) recorded.push(await deps.bus.record(tx, endedEvent(row)));
    return recorded;
  });
  await deps.bus.recordedCommitted(events);
  return events.length;
}

/**
 * Running sessions, most recent first. Reads the summary table only (status + last_event_at
 * index), so it costs the same with a million stored events as with ten.
 */
export async function listActive(deps: AgentsDeps, input: ListActiveInput = {}): Promise<AgentSession[]> {
  const now = deps.now?.() ?? Date.now();
  const idle = idleMs(deps);
  const project = input.projectId ? sql` AND project_slug = ${input.projectId}` : sql``;
  const rows = await agentsStore(deps).all<SessionRow>(
    sql`SELECT * FROM agent_sessions WHERE status IN ('active', 'needs_you', 'stopped') AND last_event_at >= ${now - STALE_MS}${project}
        ORDER BY last_event_at DESC LIMIT ${sql.raw(String(ACTIVE_LIMIT))}`,
  );
  // A launched session waiting on a tool permission asked from its page needs you too (issue 11):
  // no hook says so, the runner's events do.
  const waiting = await waitingOnPermission(agentsStore(deps));
  for (const r of rows)
    if (r.workdeck_session_id !== null && waiting.has(r.workdeck_session_id) && r.status !== "stopped") {
      r.status = "needs_you";
      r.needs_you_reason = "Waiting for a tool permission: answer it on the session page";
    }
  // A Stop nothing followed for the idle period is an ended session, swept or not.
  return rows.filter((r) => !(r.status === "stopped" && now - r.last_event_at >= idle)).map((r) => toAgentSession(r, now, idle));
}

/** The narrow view of a live agent other domains read (All Work). */
export type AgentSummary = {
  sessionId: string;
  projectSlug: string | null;
  workdeckSessionId: number | null;
  status: "active" | "needs_you";
  lastEventAt: number;
  needsYouReason: string | null;
  cwd: string | null;
};

/** Agents active or waiting for a person, not silent past the staleness rule (STALE_MS). */
export async function liveAgentSummaries(
  deps: Pick<AgentsDeps, "sqlStore" | "db" | "now">,
  input: { projectId?: string; now?: number } = {},
): Promise<AgentSummary[]> {
  const now = input.now ?? deps.now?.() ?? Date.now();
  const project = input.projectId ? sql` AND project_slug = ${input.projectId}` : sql``;
  return agentsStore(deps).all<AgentSummary>(
    sql`SELECT session_id AS "sessionId", project_slug AS "projectSlug", workdeck_session_id AS "workdeckSessionId", status,
          last_event_at AS "lastEventAt", needs_you_reason AS "needsYouReason", cwd FROM agent_sessions
        WHERE status IN ('active', 'needs_you') AND last_event_at >= ${now - STALE_MS}${project}`,
  );
}

function toAgentSession(r: SessionRow, now: number, idle: number): AgentSession {
  const silentMs = now - r.last_event_at;
  return {
    sessionId: r.session_id,
    projectSlug: r.project_slug,
    workdeckSessionId: r.workdeck_session_id,
    cwd: r.cwd,
    status: r.status,
    startedAt: new Date(r.started_at),
    lastEventAt: new Date(r.last_event_at),
    lastEvent: r.last_event,
    currentTool: r.current_tool,
    ...toolRates(r.tool_count, r.failure_count, r.duration_sum_ms, r.duration_count),
    promptCount: r.prompt_count,
    eventCount: r.event_count,
    idleMinutes: r.status !== "ended" && silentMs >= idle ? Math.floor(silentMs / 60_000) : null,
    needsYouReason: r.needs_you_reason,
    endedAt: r.ended_at === null ? null : new Date(r.ended_at),
    endReason: r.end_reason,
  };
}

type HookRow = {
  id: number;
  event: string;
  tool_name: string | null;
  tool_use_id: string | null;
  payload: string;
  received_at: number;
  duration_ms: number | null;
  success: number | null;
};

/** Events the timeline leaves out: they repeat what tool items and Stop already show. */
const NOT_IN_TIMELINE = new Set(["PostToolBatch", "MessageDisplay"]);

/** One session's timeline: prompts, tool calls (inputs and results), failures, notifications, stops. */
export async function getActivity(deps: AgentsDeps, input: GetActivityInput): Promise<AgentActivity> {
  const limit = input.limit ?? 1000;
  const now = deps.now?.() ?? Date.now();
  const store = agentsStore(deps);
  const row = await store.get<SessionRow>(sql`SELECT * FROM agent_sessions WHERE session_id = ${input.sessionId}`);
  if (!row) throw new AppError("NOT_FOUND", `No hook events from Claude Code session ${input.sessionId}.`);
  // A tool call is two rows; read enough for `limit` items, newest first.
  const rows = (
    await store.all<HookRow>(
      sql`SELECT id, event, tool_name, tool_use_id, payload, received_at, duration_ms, success FROM hooks
          WHERE session_id = ${input.sessionId} ORDER BY id DESC LIMIT ${limit * 2 + 1}`,
    )
  ).reverse();
  const truncated = rows.length > limit * 2;
  if (truncated) rows.shift();

  const items: TimelineItem[] = [];
  const tools = new Map<string, TimelineItem>();
  for (const h of rows) {
    if (NOT_IN_TIMELINE.has(h.event)) continue;
    const p = JSON.parse(h.payload) as Record<string, unknown>;
    const base = {
      id: h.id,
      at: new Date(h.received_at),
      event: h.event,
      toolName: h.tool_name,
      toolUseId: h.tool_use_id,
      toolStatus: null,
      error: null,
      durationMs: null,
      text: null,
    };
    switch (h.event) {
      case "PreToolUse": {
        const item: TimelineItem = { ...base, kind: "tool", toolStatus: "running", input: p.tool_input };
        items.push(item);
        if (h.tool_use_id) tools.set(h.tool_use_id, item);
        break;
      }
      case "PostToolUse":
      case "PostToolUseFailure": {
        let item = h.tool_use_id ? tools.get(h.tool_use_id) : undefined;
        if (!item) {
          item = { ...base, kind: "tool", input: p.tool_input };
          items.push(item);
        }
        item.toolStatus = h.success ? "ok" : "failed";
        item.durationMs = h.duration_ms;
        if (h.success) item.result = p.tool_response;
        else item.error = typeof p.error === "string" ? p.error : JSON.stringify(p.error ?? null);
        break;
      }
      case "UserPromptSubmit":
        items.push({ ...base, kind: "prompt", text: str(p.prompt) });
        break;
      case "SessionStart":
        items.push({ ...base, kind: "session_start", text: str(p.source) });
        break;
      case "Notification":
        items.push({ ...base, kind: "notification", text: str(p.message) });
        break;
      case "PermissionRequest":
        items.push({ ...base, kind: "permission_request", input: p.tool_input, text: `Permission to use ${h.tool_name ?? "a tool"}` });
        break;
      case "Stop":
      case "StopFailure":
        items.push({
          ...base,
          kind: "stop",
          text: str(p.last_assistant_message),
          error: h.event === "StopFailure" ? (str(p.error) ?? "failed") : null,
        });
        break;
      case "SessionEnd":
        items.push({ ...base, kind: "session_end", text: str(p.reason) });
        break;
      default:
        items.push({ ...base, kind: "other" });
    }
  }
  return { session: toAgentSession(row, now, idleMs(deps)), items: items.slice(-limit), truncated: truncated || items.length > limit };
}

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

/** Totals over the summary table (one session, one project or all), plus a per-tool breakdown for one session. */
export async function getMetrics(deps: AgentsDeps, input: GetMetricsInput = {}): Promise<AgentMetrics> {
  const now = deps.now?.() ?? Date.now();
  const store = agentsStore(deps);
  const stale = now - STALE_MS;
  const idle = now - idleMs(deps);
  const conditions: SQL[] = [];
  if (input.sessionId) conditions.push(sql`session_id = ${input.sessionId}`);
  if (input.projectId) conditions.push(sql`project_slug = ${input.projectId}`);
  const sums = await store.get<Record<keyof MetricTotals, number | string>>(
    sql`SELECT count(*) AS sessions,
          coalesce(sum(CASE WHEN last_event_at >= ${stale} AND (status IN ('active', 'needs_you') OR (status = 'stopped' AND last_event_at > ${idle})) THEN 1 ELSE 0 END), 0) AS active,
          coalesce(sum(CASE WHEN last_event_at >= ${stale} AND status = 'needs_you' THEN 1 ELSE 0 END), 0) AS "needsYou",
          coalesce(sum(tool_count), 0) AS tools, coalesce(sum(failure_count), 0) AS failures,
          coalesce(sum(duration_sum_ms), 0) AS "durationSum", coalesce(sum(duration_count), 0) AS "durationCount",
          coalesce(sum(prompt_count), 0) AS prompts, coalesce(sum(event_count), 0) AS events
        FROM agent_sessions ${conditions.length ? sql`WHERE ${sql.join(conditions, sql` AND `)}` : sql``}`,
  );
  // PostgreSQL's sums are numeric (strings unless parsed): numbers, as SQLite gives them.
  const totals = Object.fromEntries(Object.entries(sums!).map(([k, v]) => [k, Number(v)])) as MetricTotals;
  if (input.sessionId && totals.sessions === 0)
    throw new AppError("NOT_FOUND", `No hook events from Claude Code session ${input.sessionId}.`);
  const byTool = input.sessionId
    ? (
        await store.all<{ toolName: string | null; count: number; failures: number; avgDurationMs: number | null }>(
          sql`SELECT tool_name AS "toolName", count(*) AS count, sum(CASE WHEN success = 0 THEN 1 ELSE 0 END) AS failures, avg(duration_ms) AS "avgDurationMs"
              FROM hooks WHERE session_id = ${input.sessionId} AND event IN ('PostToolUse', 'PostToolUseFailure')
              GROUP BY tool_name ORDER BY count(*) DESC, tool_name`,
        )
      ).map((t) => ({
        toolName: t.toolName ?? "unknown",
        count: Number(t.count),
        failures: Number(t.failures),
        avgDurationMs: t.avgDurationMs === null ? null : Number(t.avgDurationMs),
      }))
    : null;
  return {
    sessions: totals.sessions,
    activeSessions: totals.active,
    needsYou: totals.needsYou,
    ...toolRates(totals.tools, totals.failures, totals.durationSum, totals.durationCount),
    promptCount: totals.prompts,
    eventCount: totals.events,
    byTool,
  };
}

type MetricTotals = {
  sessions: number;
  active: number;
  needsYou: number;
  tools: number;
  failures: number;
  durationSum: number;
  durationCount: number;
  prompts: number;
  events: number;
};

/** One rule for tool counts, success rate and mean duration, for one session and across sessions. */
function toolRates(tools: number, failures: number, durationSum: number, durationCount: number) {
  return {
    toolCount: tools,
    failureCount: failures,
    successRate: tools > 0 ? (tools - failures) / tools : null,
    avgToolDurationMs: durationCount > 0 ? durationSum / durationCount : null,
  };
}
