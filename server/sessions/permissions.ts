import type { CanUseTool, PermissionResult, PermissionUpdate } from "@anthropic-ai/claude-agent-sdk";
import { AnswerPermissionInputSchema, type AnswerPermissionInput, type PendingPermission } from "@/lib/schemas/session-permissions";
import { sql } from "drizzle-orm";
import type { SqlStore } from "../db/sql-store";
import { AppError } from "../app-error";

/**
 * Permissions from the UI (issue 11): the SDK's `canUseTool` for a run that is not in
 * bypassPermissions mode. Each request waits here (in memory: it lives as long as the run) until
 * someone answers it (`sessions.answerPermission`), the timeout denies it, or the run ends. Each
 * step is a session event (`workdeck/permission_requested` / `_answered`), so the page, All Work
 * and Slack learn of it from the bus, and All Work can tell from the database who is waiting.
 */

type Entry = PendingPermission & { suggestions: PermissionUpdate[]; settle: (result: PermissionResult, how: string) => void };

export type PermissionNote = (
  sessionId: number,
  type: "workdeck/permission_requested" | "workdeck/permission_answered",
  payload: Record<string, unknown>,
) => void;

export class SessionPermissions {
  private readonly waiting = new Map<number, Map<string, Entry>>();
  private seq = 0;

  constructor(private readonly note: PermissionNote) {}

  /** The `canUseTool` of one run; unanswered requests are denied after `timeoutMs`. */
  handler(sessionId: number, timeoutMs: number): CanUseTool {
    return (toolName, input, opts) =>
      new Promise<PermissionResult>((resolve) => {
        const requestId = opts.toolUseID || `${sessionId}-${++this.seq}`;
        const suggestions = opts.suggestions ?? [];
        const now = Date.now();
        const entry: Entry = {
          requestId,
          toolName,
          input,
          rule: ruleText(toolName, suggestions),
          reason: opts.decisionReason ?? null,
          askedAt: now,
          expiresAt: now + timeoutMs,
          suggestions,
          settle: (result, how) => {
            clearTimeout(timer);
            opts.signal.removeEventListener("abort", onAbort);
            if (!this.waiting.get(sessionId)?.delete(requestId)) return;
            this.note(sessionId, "workdeck/permission_answered", {
              requestId,
              toolName,
              allow: result.behavior === "allow",
              how,
              message: result.behavior === "deny" ? result.message : null,
            });
            resolve({ ...result, toolUseID: opts.toolUseID });
          },
        };
        const minutes = Math.max(1, Math.round(timeoutMs / 60_000));
        const timer = setTimeout(
          () =>
            entry.settle(
              {
                behavior: "deny",
                message: `Nobody answered this permission request within ${minutes} min; it was denied. Continue without it.`,
              },
              "timeout",
            ),
          timeoutMs,
        );
        timer.unref();
        const onAbort = () => entry.settle({ behavior: "deny", message: "The session is ending." }, "aborted");
        opts.signal.addEventListener("abort", onAbort, { once: true });
        let forSession = this.waiting.get(sessionId);
        if (!forSession) this.waiting.set(sessionId, (forSession = new Map()));
        forSession.set(requestId, entry);
        this.note(sessionId, "workdeck/permission_requested", {
          requestId,
          toolName,
          input,
          rule: entry.rule,
          reason: entry.reason,
          askedAt: entry.askedAt,
          expiresAt: entry.expiresAt,
        });
      });
  }

  list(sessionId: number): PendingPermission[] {
    return [...(this.waiting.get(sessionId)?.values() ?? [])].map(({ suggestions: _s, settle: _t, ...p }) => p);
  }

  answer(raw: AnswerPermissionInput): { ok: true } {
    const input = AnswerPermissionInputSchema.parse(raw);
    const entry = this.waiting.get(input.id)?.get(input.requestId);
    if (!entry) throw notWaiting(input.id, input.requestId);
    if (!input.allow) {
      entry.settle({ behavior: "deny", message: input.message || "The user denied this tool use." }, "user");
      return { ok: true };
    }
    // "Always" = the rule for the rest of this session only, never written to the user's settings.
    const updatedPermissions = input.always ? sessionRules(entry.toolName, entry.suggestions) : undefined;
    entry.settle(
      { behavior: "allow", updatedInput: entry.input, ...(updatedPermissions ? { updatedPermissions } : {}) },
      input.always ? "user_always" : "user",
    );
    return { ok: true };
  }

  /** The run ended: whatever still waits is moot. */
  clear(sessionId: number): void {
    for (const e of [...(this.waiting.get(sessionId)?.values() ?? [])])
      e.settle({ behavior: "deny", message: "The session ended." }, "run_ended");
    this.waiting.delete(sessionId);
  }
}

export function notWaiting(id: number, requestId: string): AppError {
  return new AppError(
    "NOT_FOUND",
    `Session ${id} is not waiting on permission request "${requestId}" (answered, timed out or the run ended)`,
    "no_permission_request",
  );
}

/** The suggested allow rules, kept for this session only; the tool itself when Claude Code suggests none. */
function sessionRules(toolName: string, suggestions: PermissionUpdate[]): PermissionUpdate[] {
  const rules = suggestions
    .filter((s) => s.type === "addRules" && s.behavior === "allow")
    .map((s) => ({ ...s, destination: "session" as const }));
  return rules.length ? rules : [{ type: "addRules", rules: [{ toolName }], behavior: "allow", destination: "session" }];
}

function ruleText(toolName: string, suggestions: PermissionUpdate[]): string {
  const rules = sessionRules(toolName, suggestions).flatMap((s) => (s.type === "addRules" ? s.rules : []));
  return rules.map((r) => (r.ruleContent ? `${r.toolName}(${r.ruleContent})` : r.toolName)).join(", ");
}

/**
 * Running Workdeck sessions with a permission request nobody answered yet ("needs you"), from
 * their stored events through the SQL port: the running sessions' permission notes, requested
 * without an answer for the same request, paired here (no JSON in SQL).
 */
export async function waitingOnPermission(store: SqlStore): Promise<Set<number>> {
  const rows = await store.all<{ session_id: number | string; type: string; payload: string }>(
    sql`SELECT e.session_id, e.type, e.payload FROM session_events e JOIN sessions s ON s.id = e.session_id
        WHERE s.status = 'running' AND e.type IN ('workdeck/permission_requested', 'workdeck/permission_answered')
        ORDER BY e.session_id, e.seq`,
  );
  const open = new Map<number, Set<string>>();
  for (const r of rows) {
    const id = Number(r.session_id);
    const requestId = String((JSON.parse(r.payload) as { requestId?: unknown }).requestId);
    const asked = open.get(id) ?? open.set(id, new Set()).get(id)!;
    if (r.type === "workdeck/permission_requested") asked.add(requestId);
    else asked.delete(requestId);
  }
  return new Set([...open].filter(([, asked]) => asked.size > 0).map(([id]) => id));
}

/**
 * The requests the session's current run waits on, from the notes stored on any instance (issue
 * 14): asked since its run started, not answered (by the run, or by an answer note another instance
 * or the UI stored for the run's holder: its own process or a worker), not expired. What an instance
 * that does not hold the run lists, and what an answer given there is checked against.
 */
export async function storedPendingPermissions(store: SqlStore, id: number, now = Date.now()): Promise<PendingPermission[]> {
  const notes = await store.all<{ type: string; payload: string }>(
    sql`SELECT type, payload FROM session_events WHERE session_id = ${id}
          AND type IN ('workdeck/permission_requested', 'workdeck/permission_answered', 'workdeck/permission_answer')
          AND seq > COALESCE((SELECT MAX(seq) FROM session_events WHERE session_id = ${id} AND type = 'workdeck/run_started'), 0)
        ORDER BY seq`,
  );
  const open = new Map<string, PendingPermission>();
  for (const n of notes) {
    const p = JSON.parse(n.payload) as PendingPermission & { expiresAt: number };
    if (n.type !== "workdeck/permission_requested") open.delete(String(p.requestId));
    else
      open.set(p.requestId, {
        requestId: p.requestId,
        toolName: p.toolName,
        input: p.input,
        rule: p.rule,
        reason: p.reason,
        askedAt: p.askedAt ?? now,
        expiresAt: p.expiresAt,
      });
  }
  return [...open.values()].filter((p) => p.expiresAt > now);
}
