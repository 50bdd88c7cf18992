/**
 * An agent's summary row after each hook (issue 5): the status rules in one place, pure over the
 * previous row and the event, so the committer can fold a batch of hooks in memory.
 */
import type { AgentStatus } from "@/lib/schemas/agents";
import type { WorkdeckEventInput } from "@/lib/schemas/events";

export type SessionRow = {
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

export type Step = {
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
export function nextSession(prev: SessionRow | undefined, step: Step): SessionRow {
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

export function endedEvent(row: SessionRow): WorkdeckEventInput {
  return {
    type: "agents.ended",
    projectSlug: row.project_slug,
    sessionId: row.session_id,
    reason: row.end_reason ?? "other",
    toolCount: row.tool_count,
    failureCount: row.failure_count,
  };
}
