import path from "node:path";
import type { Statement } from "better-sqlite3";
import type { Db } from "../db/client";
import { AppError } from "../errors";
import type { EventBus } from "../events/bus";
import { knownWorkdeckSession, toolDuration } from "./hook-checks";
import type { ProjectRegistry } from "./projects";
import {
  HookPayloadSchema,
  type AgentActivity,
  type AgentMetrics,
  type AgentSession,
  type AgentStatus,
  type GetActivityInput,
  type GetMetricsInput,
  type HookIngestResult,
  type ListActiveInput,
  type TimelineItem,
} from "@/lib/schemas/agents";
import type { WorkdeckConfig } from "@/lib/schemas/config";
import type { WorkdeckEventInput } from "@/lib/schemas/events";

/** What the agents services need from the runtime; tests build it from a temp database and inject the clock. */
export type AgentsDeps = {
  db: Db;
  bus: EventBus;
  projects: Pick<ProjectRegistry, "all">;
  config: { config: Pick<WorkdeckConfig, "agents"> };
  now?: () => number;
};

export type HookIngestInput = {
  body: Uint8Array | string;
  /** When the hook fired, if it was delivered late (`workdeck hooks send` flushing its spool). */
  firedAt?: number;
  /** The Workdeck-launched session (issue 4) the agent runs for, from the launch environment. */
  workdeckSessionId?: number;
};

export const DEFAULT_IDLE_MINUTES = 5;
/** A session silent for this long is gone (killed without a SessionEnd), not "idle for 3,000 min". */
const STALE_MS = 24 * 3600_000;
/** The Sessions tab shows every active agent; more than this is not a list a person reads. */
const ACTIVE_LIMIT = 500;

const TOOL_DONE = new Set(["PostToolUse", "PostToolUseFailure"]);

type SessionRow = {
  session_id: string;
  project_slug: string | null;
  workdeck_session_id: number | null;
  cwd: string | null;
  status: AgentStatus;
  needs_you_reason: string | null;
  started_at: number;
  last_event_at: number;
  last_event: string;
  current_tool: string | null;
  current_tool_use_id: string | null;
  tool_count: number;
  failure_count: number;
  duration_sum_ms: number;
  duration_count: number;
  prompt_count: number;
  event_count: number;
  ended_at: number | null;
  end_reason: string | null;
};

type Statements = {
  getSession: Statement<[string], SessionRow>;
  findPre: Statement<[string, string], { received_at: number }>;
  insertHook: Statement<[string, string, string | null, string | null, string | null, string | null, number | null, string, number, number | null, number | null]>;
  upsertSession: Statement<Record<string, unknown>>;
};

// Prepared once per connection: ingest runs thousands of times a second.
const statements = new WeakMap<Db, Statements>();
function prepared(db: Db): Statements {
  let s = statements.get(db);
  if (!s) {
    const sqlite = db.$client;
    s = {
      getSession: sqlite.prepare("SELECT * FROM agent_sessions WHERE session_id = ?"),
      findPre: sqlite.prepare("SELECT received_at FROM hooks WHERE tool_use_id = ? AND session_id = ? AND event = 'PreToolUse' ORDER BY id DESC LIMIT 1"),
      insertHook: sqlite.prepare(
        `INSERT INTO hooks (session_id, event, tool_name, tool_use_id, cwd, project_slug, workdeck_session_id, payload, received_at, duration_ms, success)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      upsertSession: sqlite.prepare(
        `INSERT INTO agent_sessions (session_id, project_slug, workdeck_session_id, cwd, status, needs_you_reason, started_at, last_event_at, last_event,
           current_tool, current_tool_use_id, tool_count, failure_count, duration_sum_ms, duration_count, prompt_count, event_count, ended_at, end_reason)
         VALUES (@session_id, @project_slug, @workdeck_session_id, @cwd, @status, @needs_you_reason, @started_at, @last_event_at, @last_event,
           @current_tool, @current_tool_use_id, @tool_count, @failure_count, @duration_sum_ms, @duration_count, @prompt_count, @event_count, @ended_at, @end_reason)
         ON CONFLICT (session_id) DO UPDATE SET project_slug = excluded.project_slug, workdeck_session_id = excluded.workdeck_session_id, cwd = excluded.cwd,
           status = excluded.status, needs_you_reason = excluded.needs_you_reason, last_event_at = excluded.last_event_at, last_event = excluded.last_event,
           current_tool = excluded.current_tool, current_tool_use_id = excluded.current_tool_use_id, tool_count = excluded.tool_count,
           failure_count = excluded.failure_count, duration_sum_ms = excluded.duration_sum_ms, duration_count = excluded.duration_count,
           prompt_count = excluded.prompt_count, event_count = excluded.event_count, ended_at = excluded.ended_at, end_reason = excluded.end_reason`,
      ),
    };
    statements.set(db, s);
  }
  return s;
}

export function idleMs(deps: Pick<AgentsDeps, "config">): number {
  return (deps.config.config.agents?.idleMinutes ?? DEFAULT_IDLE_MINUTES) * 60_000;
}

/**
 * The one ingest path behind `POST /api/hooks` and `workdeck hooks send`: validate, link to a
 * project by cwd, store the event and update its session's summary in ONE transaction, then
 * publish. Bad input throws AppError before anything is written.
 */
export function ingestHook(deps: AgentsDeps, input: HookIngestInput): HookIngestResult {
  const text = typeof input.body === "string" ? input.body : Buffer.from(input.body.buffer, input.body.byteOffset, input.body.byteLength).toString("utf8");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new AppError("BAD_REQUEST", `The body is not JSON (${(err as Error).message}); send the hook payload exactly as Claude Code passes it.`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new AppError("BAD_REQUEST", "The body must be one JSON object: a Claude Code hook payload.");
  const parsed = HookPayloadSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? `${issue.path.join(".")}: ` : "";
    throw new AppError("BAD_REQUEST", `Not a Claude Code hook payload: ${where}${issue.message}`);
  }
  const payload = parsed.data;
  const event = payload.hook_event_name ?? "Unknown";
  const now = deps.now?.() ?? Date.now();
  const at = input.firedAt !== undefined && input.firedAt <= now ? input.firedAt : now;
  const toolName = payload.tool_name ?? null;
  const toolUseId = payload.tool_use_id ?? null;
  const cwd = payload.cwd ?? null;
  const s = prepared(deps.db);
  const warnings: string[] = [];
  const published: WorkdeckEventInput[] = [];
  const write = deps.db.$client.transaction((): HookIngestResult => {
    const prev = s.getSession.get(payload.session_id);
    const projectSlug = cwd ? projectForCwd(deps, cwd) : (prev?.project_slug ?? null);
    const workdeckSessionId = knownWorkdeckSession(deps.db, input.workdeckSessionId, warnings) ?? prev?.workdeck_session_id ?? null;

    let durationMs: number | null = null;
    let success: boolean | null = null;
    if (TOOL_DONE.has(event)) {
      success = event === "PostToolUse";
      const pre = toolUseId ? s.findPre.get(toolUseId, payload.session_id) : undefined;
      // The Pre/Post pair is the measure; the CLI's own duration_ms covers a Pre that never arrived.
      durationMs = toolDuration(pre ? Math.max(0, at - pre.received_at) : payload.duration_ms, warnings);
    }

    const id = Number(
      s.insertHook.run(payload.session_id, event, toolName, toolUseId, cwd, projectSlug, workdeckSessionId, text, at, durationMs, success === null ? null : success ? 1 : 0)
        .lastInsertRowid,
    );

    const next = nextSession(prev, { sessionId: payload.session_id, event, at, toolName, toolUseId, payload, durationMs, success });
    next.project_slug = projectSlug;
    next.workdeck_session_id = workdeckSessionId;
    next.cwd = cwd ?? prev?.cwd ?? null;
    s.upsertSession.run(next);

    published.push({ type: "agents.activity", projectSlug, sessionId: payload.session_id, hookId: id, event, toolName, status: next.status });
    if (next.status === "needs_you" && (prev?.status !== "needs_you" || prev.needs_you_reason !== next.needs_you_reason)) {
      published.push({ type: "agents.needsYou", projectSlug, sessionId: payload.session_id, reason: next.needs_you_reason });
    }
    if (next.status === "ended" && prev?.status !== "ended") published.push(endedEvent(next));
    return { id, sessionId: payload.session_id, event, projectSlug, status: next.status, durationMs, ...(warnings.length ? { warnings } : {}) };
  });
  const result = write.immediate();
  for (const e of published) deps.bus.publish(e);
  return result;
}

type Step = {
  sessionId: string;
  event: string;
  at: number;
  toolName: string | null;
  toolUseId: string | null;
  payload: Record<string, unknown>;
  durationMs: number | null;
  success: boolean | null;
};

/** The session summary after one more event: the status rules of issue 5 in one place. */
function nextSession(prev: SessionRow | undefined, step: Step): SessionRow {
  const row: SessionRow = prev
    ? { ...prev }
    : {
        session_id: step.sessionId,
        project_slug: null,
        workdeck_session_id: null,
        cwd: null,
        status: "active",
        needs_you_reason: null,
        started_at: step.at,
        last_event_at: step.at,
        last_event: step.event,
        current_tool: null,
        current_tool_use_id: null,
        tool_count: 0,
        failure_count: 0,
        duration_sum_ms: 0,
        duration_count: 0,
        prompt_count: 0,
        event_count: 0,
        ended_at: null,
        end_reason: null,
      };
  // A spooled event delivered late must not move the clock backwards.
  row.last_event_at = Math.max(row.last_event_at, step.at);
  row.started_at = Math.min(row.started_at, step.at);
  row.last_event = step.event;
  row.event_count++;

  const wakeUp = () => {
    row.status = "active";
    row.needs_you_reason = null;
    row.ended_at = null;
    row.end_reason = null;
  };
  switch (step.event) {
    case "SessionStart":
      wakeUp();
      row.current_tool = row.current_tool_use_id = null;
      break;
    case "UserPromptSubmit":
      wakeUp();
      row.prompt_count++;
      row.current_tool = row.current_tool_use_id = null;
      break;
    case "PreToolUse":
      wakeUp();
      row.current_tool = step.toolName;
      row.current_tool_use_id = step.toolUseId;
      break;
    case "PostToolUse":
    case "PostToolUseFailure":
      wakeUp();
      row.tool_count++;
      if (!step.success) row.failure_count++;
      if (step.durationMs !== null) {
        row.duration_sum_ms += step.durationMs;
        row.duration_count++;
      }
      if (row.current_tool_use_id === step.toolUseId || !step.toolUseId) row.current_tool = row.current_tool_use_id = null;
      break;
    case "Notification":
    case "PermissionRequest":
      row.status = "needs_you";
      row.needs_you_reason = needsYouReason(step);
      break;
    case "Stop":
    case "StopFailure":
      // The turn is over; "Stop with no follow-up" becomes ended after the idle period (sweepEnded).
      row.status = "stopped";
      row.needs_you_reason = null;
      row.current_tool = row.current_tool_use_id = null;
      break;
    case "SessionEnd":
      row.status = "ended";
      row.needs_you_reason = null;
      row.current_tool = row.current_tool_use_id = null;
      row.ended_at = step.at;
      row.end_reason = typeof step.payload.reason === "string" ? step.payload.reason : "other";
      break;
    default:
      // Unknown and informational events (MessageDisplay, PostToolBatch, SubagentStart, …) are
      // activity: they refresh the clock, but say nothing about waiting or ending.
      break;
  }
  return row;
}

function needsYouReason(step: Step): string {
  if (typeof step.payload.message === "string" && step.payload.message) return step.payload.message.slice(0, 500);
  if (step.event === "PermissionRequest") return `Permission to use ${step.toolName ?? "a tool"}`;
  return "Waiting for you";
}

function endedEvent(row: SessionRow): WorkdeckEventInput {
  return {
    type: "agents.ended",
    projectSlug: row.project_slug,
    sessionId: row.session_id,
    reason: row.end_reason ?? "other",
    toolCount: row.tool_count,
    failureCount: row.failure_count,
  };
}

/** The project whose folder contains the cwd (the deepest, when projects nest). */
export function projectForCwd(deps: Pick<AgentsDeps, "projects">, cwd: string): string | null {
  const target = path.resolve(cwd);
  let best: { slug: string; length: number } | null = null;
  for (const p of deps.projects.all()) {
    const root = path.resolve(p.path);
    if (target !== root && !target.startsWith(root.endsWith(path.sep) ? root : root + path.sep)) continue;
    if (!best || root.length > best.length) best = { slug: p.slug, length: root.length };
  }
  return best?.slug ?? null;
}

/**
 * Sessions whose Stop nothing followed for the idle period become ended, each with a completion
 * notice on the bus. The server runs this on a timer; listActive does not depend on it (it hides
 * such sessions by the clock), it only makes the notice happen.
 */
export function sweepEnded(deps: AgentsDeps): number {
  const now = deps.now?.() ?? Date.now();
  const rows = deps.db.$client
    .prepare(
      `UPDATE agent_sessions SET status = 'ended', ended_at = last_event_at, end_reason = 'stopped'
       WHERE status = 'stopped' AND last_event_at <= ? RETURNING *`,
    )
    .all(now - idleMs(deps)) as SessionRow[];
  for (const row of rows) deps.bus.publish(endedEvent(row));
  return rows.length;
}

/**
 * Running sessions, most recent first. Reads the summary table only (status + last_event_at
 * index), so it costs the same with a million stored events as with ten.
 */
export function listActive(deps: AgentsDeps, input: ListActiveInput = {}): AgentSession[] {
  const now = deps.now?.() ?? Date.now();
  const idle = idleMs(deps);
  const params: (string | number)[] = [now - STALE_MS];
  let where = "status IN ('active', 'needs_you', 'stopped') AND last_event_at >= ?";
  if (input.projectId) {
    where += " AND project_slug = ?";
    params.push(input.projectId);
  }
  const rows = deps.db.$client
    .prepare(`SELECT * FROM agent_sessions WHERE ${where} ORDER BY last_event_at DESC LIMIT ${ACTIVE_LIMIT}`)
    .all(...params) as SessionRow[];
  // A Stop nothing followed for the idle period is an ended session, swept or not.
  return rows.filter((r) => !(r.status === "stopped" && now - r.last_event_at >= idle)).map((r) => toAgentSession(r, now, idle));
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
    toolCount: r.tool_count,
    failureCount: r.failure_count,
    successRate: r.tool_count > 0 ? (r.tool_count - r.failure_count) / r.tool_count : null,
    avgToolDurationMs: r.duration_count > 0 ? r.duration_sum_ms / r.duration_count : null,
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
export function getActivity(deps: AgentsDeps, input: GetActivityInput): AgentActivity {
  const limit = input.limit ?? 1000;
  const now = deps.now?.() ?? Date.now();
  const row = deps.db.$client.prepare("SELECT * FROM agent_sessions WHERE session_id = ?").get(input.sessionId) as SessionRow | undefined;
  if (!row) throw new AppError("NOT_FOUND", `No hook events from Claude Code session ${input.sessionId}.`);
  // A tool call is two rows; read enough for `limit` items, newest first.
  const rows = (
    deps.db.$client
      .prepare("SELECT id, event, tool_name, tool_use_id, payload, received_at, duration_ms, success FROM hooks WHERE session_id = ? ORDER BY id DESC LIMIT ?")
      .all(input.sessionId, limit * 2 + 1) as HookRow[]
  ).reverse();
  const truncated = rows.length > limit * 2;
  if (truncated) rows.shift();

  const items: TimelineItem[] = [];
  const tools = new Map<string, TimelineItem>();
  for (const h of rows) {
    if (NOT_IN_TIMELINE.has(h.event)) continue;
    const p = JSON.parse(h.payload) as Record<string, unknown>;
    const base = { id: h.id, at: new Date(h.received_at), event: h.event, toolName: h.tool_name, toolUseId: h.tool_use_id, toolStatus: null, error: null, durationMs: null, text: null };
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
        items.push({ ...base, kind: "stop", text: str(p.last_assistant_message), error: h.event === "StopFailure" ? (str(p.error) ?? "failed") : null });
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
export function getMetrics(deps: AgentsDeps, input: GetMetricsInput = {}): AgentMetrics {
  const now = deps.now?.() ?? Date.now();
  const conditions: string[] = [];
  if (input.sessionId) conditions.push("session_id = @session");
  if (input.projectId) conditions.push("project_slug = @project");
  const totals = deps.db.$client
    .prepare(
      `SELECT count(*) AS sessions,
         coalesce(sum(CASE WHEN last_event_at >= @stale AND (status IN ('active', 'needs_you') OR (status = 'stopped' AND last_event_at > @idle)) THEN 1 ELSE 0 END), 0) AS active,
         coalesce(sum(CASE WHEN last_event_at >= @stale AND status = 'needs_you' THEN 1 ELSE 0 END), 0) AS needsYou,
         coalesce(sum(tool_count), 0) AS tools, coalesce(sum(failure_count), 0) AS failures,
         coalesce(sum(duration_sum_ms), 0) AS durationSum, coalesce(sum(duration_count), 0) AS durationCount,
         coalesce(sum(prompt_count), 0) AS prompts, coalesce(sum(event_count), 0) AS events
       FROM agent_sessions ${conditions.length ? `WHERE ${conditions.join(" AND ")}` : ""}`,
    )
    .get({
      stale: now - STALE_MS,
      idle: now - idleMs(deps),
      ...(input.sessionId ? { session: input.sessionId } : {}),
      ...(input.projectId ? { project: input.projectId } : {}),
    }) as { sessions: number; active: number; needsYou: number; tools: number; failures: number; durationSum: number; durationCount: number; prompts: number; events: number };
  if (input.sessionId && totals.sessions === 0) throw new AppError("NOT_FOUND", `No hook events from Claude Code session ${input.sessionId}.`);
  const byTool = input.sessionId
    ? (
        deps.db.$client
          .prepare(
            `SELECT tool_name AS toolName, count(*) AS count, sum(CASE WHEN success = 0 THEN 1 ELSE 0 END) AS failures, avg(duration_ms) AS avgDurationMs
             FROM hooks WHERE session_id = ? AND event IN ('PostToolUse', 'PostToolUseFailure') GROUP BY tool_name ORDER BY count(*) DESC, tool_name`,
          )
          .all(input.sessionId) as { toolName: string | null; count: number; failures: number; avgDurationMs: number | null }[]
      ).map((t) => ({ ...t, toolName: t.toolName ?? "unknown" }))
    : null;
  return {
    sessions: totals.sessions,
    activeSessions: totals.active,
    needsYou: totals.needsYou,
    toolCount: totals.tools,
    failureCount: totals.failures,
    successRate: totals.tools > 0 ? (totals.tools - totals.failures) / totals.tools : null,
    avgToolDurationMs: totals.durationCount > 0 ? totals.durationSum / totals.durationCount : null,
    promptCount: totals.prompts,
    eventCount: totals.events,
    byTool,
  };
}
