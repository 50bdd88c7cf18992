import type { WorkdeckEvent, WorkdeckEventType } from "./events";
import type { EventsSubscribeInput } from "./events-subscribe";

/**
 * What an event is about, shared by the server (which events a tab's one stream carries) and the
 * browser (which cached queries an event touches). Plain data without Zod (the input schema is in
 * events-subscribe.ts), so the browser bundle that imports it carries no Zod.
 */

export type { EventsSubscribeInput };

/** Event types after which All Work's merged list may differ (sessions.event is only a stream message). */
export const WORK_EVENT_TYPES: WorkdeckEventType[] = [
  "openspec.changed",
  "openspec.proposalCreated",
  "openspec.archived",
  "projects.changed",
  "errors.reportIngested",
  "errors.failureNew",
  "errors.failureUpdated",
  "errors.triaged",
  "agents.activity",
  "agents.needsYou",
  "agents.ended",
  "sessions.updated",
  "sessions.event",
  "integrations.changed",
  "automations.ran",
  "work.dependenciesChanged",
  "sessions.health",
];

/** Stream messages that mean something to All Work (the rest are a session's output). */
const WORK_SESSION_MESSAGES = new Set([
  "workdeck/run_started",
  "workdeck/account_parked",
  "workdeck/account_needs_login",
  "workdeck/permission_requested",
  "workdeck/permission_answered",
]);

/** A tool call's hook events: thousands a minute from a busy agent. */
export function isToolCall(event: WorkdeckEvent): event is Extract<WorkdeckEvent, { type: "agents.activity" }> {
  return event.type === "agents.activity" && (event.event === "PreToolUse" || event.event === "PostToolUse");
}

/** Whether an event belongs on the work feed (and invalidates the list). */
export function isWorkEvent(event: WorkdeckEvent): boolean {
  if (event.type === "sessions.event") return WORK_SESSION_MESSAGES.has(event.eventType);
  // Every tool call is an agents.activity; only status changes matter here, and the summary has them.
  if (isToolCall(event)) return false;
  return WORK_EVENT_TYPES.includes(event.type);
}

/** Stream messages that change the session's row: its Claude session id, its totals, its runs and account. */
export const SESSION_ROW_MESSAGES = new Set([
  "system/init",
  "result",
  "workdeck/run_started",
  "workdeck/run_ended",
  "workdeck/account_switched",
]);

/** Stream messages that change the accounts view: cost, rate-limit readings, parking, logins. */
export const ACCOUNT_MESSAGES = new Set([
  "result",
  "rate_limit_event",
  "workdeck/account_switched",
  "workdeck/account_parked",
  "workdeck/account_needs_login",
]);

/** A launched session's message that only its own page shows (assistant text, tool results, token deltas). */
export function isConversationLine(event: WorkdeckEvent): event is Extract<WorkdeckEvent, { type: "sessions.event" }> {
  return (
    event.type === "sessions.event" &&
    !SESSION_ROW_MESSAGES.has(event.eventType) &&
    !ACCOUNT_MESSAGES.has(event.eventType) &&
    !WORK_SESSION_MESSAGES.has(event.eventType)
  );
}

/** Whether `events.subscribe` with this input forwards the event. */
export function isWanted(event: WorkdeckEvent, input: EventsSubscribeInput): boolean {
  if (isConversationLine(event)) return input.sessionIds?.includes(event.sessionId) ?? false;
  if (isToolCall(event)) return input.allAgentActivity === true || (input.agentSessionIds?.includes(event.sessionId) ?? false);
  return true;
}
