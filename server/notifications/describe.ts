/**
 * What an event means to a person (issue 6): which bus events are worth a Slack message, and the
 * message each becomes. Pure over the event and a read of the rows it names.
 */
import { sql } from "drizzle-orm";
import type { SqlStore } from "../db/sql-store";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import type { NotificationKind } from "@/lib/schemas/notifications";
import { escapeMrkdwn, type MessageInput } from "./blocks";
import { integrationNotes } from "../webhooks/notes";

const INTERESTING = new Set([
  "errors.failureNew",
  "errors.failureUpdated",
  "sessions.updated",
  "agents.needsYou",
  "sessions.event",
  "integrations.changed",
  "automations.ran",
  "sessions.health",
]);

export function interesting(e: WorkdeckEvent): boolean {
  if (!INTERESTING.has(e.type)) return false;
  if (e.type === "sessions.event") return e.eventType === "workdeck/account_parked" || e.eventType === "workdeck/permission_requested";
  if (e.type === "sessions.updated") return ["completed", "failed", "crashed"].includes(e.status);
  // Agent health (issue 17): getting stuck and getting over it; a failure already has session_failed.
  if (e.type === "sessions.health") return e.health === "stuck" || e.previous === "stuck";
  return true;
}

export type Note = {
  kind: NotificationKind;
  projectSlug: string | null;
  dedupeKey: string;
  message: Omit<MessageInput, "kind" | "project">;
};

const money = (n: number) => `$${n.toFixed(2)}`;

export async function describe(deps: { sqlStore: SqlStore; baseUrl: string }, e: WorkdeckEvent): Promise<Note[]> {
  const store = deps.sqlStore;
  const link = (p: string) => `${deps.baseUrl}${p}`;
  switch (e.type) {
    case "errors.failureNew":
    case "errors.failureUpdated": {
      if (e.failureIds.length === 0) return [];
      const rows = await store.all<{
        id: number;
        project_slug: string;
        file: string;
        title_path: string;
        project_name: string;
        consecutive_failures: number;
        msg: string;
        priority: number;
        decision: string;
      }>(
        sql`SELECT f.id, f.project_slug, c.file, c.title_path, c.project_name, f.consecutive_failures, substr(f.last_message, 1, 400) AS msg,
                   t.priority, t.decision
            FROM test_failures f JOIN test_cases c ON c.id = f.test_case_id JOIN error_triage t ON t.test_failure_id = f.id
            WHERE f.id IN ${e.failureIds} AND f.pattern = 'persistent' AND f.resolved_at IS NULL`,
      );
      return rows.map((r) => {
        const title = (JSON.parse(r.title_path) as string[]).join(" › ");
        return {
          kind: "failure_persistent",
          projectSlug: r.project_slug,
          dedupeKey: `failure_persistent:${r.id}`,
          message: {
            title: `Persistent failure: ${title}`,
            body: `\`${escapeMrkdwn(r.file)}\`${r.project_name ? ` [${escapeMrkdwn(r.project_name)}]` : ""} failed ${r.consecutive_failures} runs in a row.\n>${escapeMrkdwn(r.msg.split("\n")[0] ?? "")}`,
            fields: [
              ["Priority", String(r.priority)],
              ["Decision", r.decision.replace(/_/g, " ")],
            ],
            link: link(`/errors/${r.id}`),
          },
        } satisfies Note;
      });
    }
    case "sessions.updated": {
      const s = await store.get<{
        id: number;
        project_slug: string;
        session_type: string;
        work_item_kind: string | null;
        work_item_ref: string | null;
        status: string;
        cost_usd: number;
        num_turns: number;
        exit_reason: string | null;
        exit_message: string | null;
        ended_at: number | null;
        started_at: number | null;
        account_id: string | null;
      }>(
        sql`SELECT id, project_slug, session_type, work_item_kind, work_item_ref, status, cost_usd, num_turns, exit_reason,
                   substr(exit_message, 1, 500) AS exit_message, ended_at, started_at, account_id
            FROM sessions WHERE id = ${e.sessionId}`,
      );
      if (!s || s.status !== e.status) return [];
      const kind: NotificationKind = s.status === "completed" ? "session_finished" : "session_failed";
      const subject =
        s.work_item_kind === "spec"
          ? `implementing ${s.work_item_ref}`
          : s.work_item_kind === "error"
            ? `fixing failure #${s.work_item_ref}`
            : s.session_type;
      const minutes = s.started_at && s.ended_at ? Math.max(1, Math.round((s.ended_at - s.started_at) / 60_000)) : null;
      return [
        {
          kind,
          projectSlug: s.project_slug,
          dedupeKey: `${kind}:${s.id}:${s.ended_at ?? 0}`,
          message: {
            title: `Session #${s.id} ${s.status === "completed" ? "finished" : s.status}`,
            body: `${escapeMrkdwn(subject)}${s.exit_message && s.status !== "completed" ? `\n>${escapeMrkdwn(s.exit_message.split("\n")[0] ?? "")}` : ""}`,
            fields: [
              ["Cost", money(s.cost_usd)],
              ["Turns", String(s.num_turns)],
              ...(minutes ? ([["Duration", `${minutes} min`]] as [string, string][]) : []),
              ...(s.exit_reason ? ([["Outcome", s.exit_reason]] as [string, string][]) : []),
              ...(s.account_id ? ([["Account", s.account_id]] as [string, string][]) : []),
            ],
            link: link(`/sessions/${s.id}`),
          },
        },
      ];
    }
    case "agents.needsYou": {
      const agent = await store.get<{ workdeck_session_id: number | null; cwd: string | null }>(
        sql`SELECT workdeck_session_id, cwd FROM agent_sessions WHERE session_id = ${e.sessionId}`,
      );
      const href = agent?.workdeck_session_id
        ? `/sessions/${agent.workdeck_session_id}`
        : `/sessions/agents/${encodeURIComponent(e.sessionId)}`;
      return [
        {
          kind: "session_needs_you",
          projectSlug: e.projectSlug,
          dedupeKey: `session_needs_you:${e.id}`,
          message: {
            title: agent?.workdeck_session_id ? `Session #${agent.workdeck_session_id} needs you` : "A Claude Code session needs you",
            body: escapeMrkdwn(e.reason ?? "It is waiting for a permission or for input."),
            fields: agent?.cwd ? [["Folder", `\`${escapeMrkdwn(agent.cwd)}\``]] : [],
            link: link(href),
          },
        },
      ];
    }
    case "sessions.event": {
      const row = await store.get<{ payload: string }>(
        sql`SELECT payload FROM session_events WHERE session_id = ${e.sessionId} AND seq = ${e.seq}`,
      );
      if (e.eventType === "workdeck/permission_requested")
        return permissionNote(e, row ? (JSON.parse(row.payload) as PermissionAsk) : {}, link);
      const p = row ? (JSON.parse(row.payload) as { accountId?: string; until?: string; limitType?: string | null }) : {};
      return [
        {
          kind: "account_limited",
          projectSlug: e.projectSlug,
          dedupeKey: `account_limited:${p.accountId ?? "?"}:${p.until ?? e.id}`,
          message: {
            title: `Account ${p.accountId ?? "?"} hit its usage limit`,
            body: `Parked${p.until ? ` until ${p.until.slice(0, 16).replace("T", " ")} UTC` : ""}; session #${e.sessionId} continues on another account when one is free.`,
            fields: p.limitType ? [["Limit", p.limitType]] : [],
            link: link("/settings"),
          },
        },
      ];
    }
    case "sessions.health": {
      const minutes = Math.max(1, Math.round((e.at - e.lastProgressAt) / 60_000));
      const stuck = e.health === "stuck";
      return [
        {
          kind: "session_stuck",
          projectSlug: e.projectSlug,
          // One message per episode, even from a restarted server: the episode is its last progress.
          dedupeKey: `session_stuck:${e.sessionId}:${e.health}:${e.lastProgressAt}`,
          message: {
            title: stuck ? `Session #${e.sessionId} looks stuck` : `Session #${e.sessionId} is moving again`,
            body: stuck ? `No stream message or hook event for ${minutes} min while running.` : `It was stuck; now ${e.health}.`,
            fields: [["Health", e.health]],
            link: link(`/sessions/${e.sessionId}`),
          },
        },
      ];
    }
    case "integrations.changed":
    case "automations.ran":
      // Deploys, CI runs and automations (issue 15), read through the SQL port; this worker is
      // still on SQLite (issue 14), so it hands over its own connection's store.
      return integrationNotes(deps, e);
    default:
      return [];
  }
}

type PermissionAsk = { requestId?: string; toolName?: string; rule?: string; input?: Record<string, unknown> };

/** A launched session waits on a tool permission (issue 11): answered on its page. */
function permissionNote(e: Extract<WorkdeckEvent, { type: "sessions.event" }>, p: PermissionAsk, link: (p: string) => string): Note[] {
  const command =
    typeof p.input?.command === "string" ? p.input.command : typeof p.input?.file_path === "string" ? p.input.file_path : null;
  return [
    {
      kind: "session_needs_you",
      projectSlug: e.projectSlug,
      dedupeKey: `session_needs_you:${e.sessionId}:${p.requestId ?? e.id}`,
      message: {
        title: `Session #${e.sessionId} needs you`,
        body: `It asks permission to use ${escapeMrkdwn(p.toolName ?? "a tool")}${command ? `: \`${escapeMrkdwn(command.slice(0, 300))}\`` : ""}.`,
        fields: p.rule ? [["Allow always adds", `\`${escapeMrkdwn(p.rule)}\``]] : [],
        link: link(`/sessions/${e.sessionId}`),
      },
    },
  ];
}
