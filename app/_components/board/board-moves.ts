import { isHolding } from "@/lib/schemas/dependencies";
import type { WorkItem, WorkStatus } from "@/lib/schemas/work";

/**
 * The board (issue 17): which column a work item sits in, and what moving it to another one
 * means. Pure, so the unit tests read the whole table and the drag and keyboard paths share it.
 */

export const BOARD_COLUMNS = [
  // A failed session needs a person as much as a waiting agent does.
  { id: "needs_you", label: "Needs you", statuses: ["needs_you", "failed"] },
  { id: "open", label: "Open", statuses: ["open"] },
  { id: "in_progress", label: "In progress", statuses: ["in_progress"] },
  { id: "done", label: "Done", statuses: ["done", "ignored"] },
] as const satisfies readonly { id: string; label: string; statuses: readonly WorkStatus[] }[];

export type ColumnId = (typeof BOARD_COLUMNS)[number]["id"];

export function columnOf(item: Pick<WorkItem, "status" | "type">): ColumnId {
  // A change whose tasks are all ticked is done but not archived: archiving it is up to a person.
  if (item.type === "change" && item.status === "done") return "needs_you";
  return BOARD_COLUMNS.find((c) => (c.statuses as readonly WorkStatus[]).includes(item.status))!.id;
}

export type MoveAction =
  | { kind: "launch"; projectId: string; workItem: { kind: "error"; failureId: number } | { kind: "spec"; changeId: string } }
  | { kind: "triage"; failureId: number; decision: "pending" | "ignore" }
  | { kind: "archive"; projectId: string; changeId: string }
  | { kind: "stop"; sessionId: number };

/** What a move does (`label` names it in the menu), a confirmation when it cannot be undone, or why it is refused. */
export type MovePlan =
  { ok: true; action: MoveAction; label: string; confirm: string | null; note: string | null } | { ok: false; reason: string };

const refuse = (reason: string): MovePlan => ({ ok: false, reason });

export function planMove(item: WorkItem, to: ColumnId): MovePlan {
  const from = columnOf(item);
  if (from === to) return refuse(`It is already in ${label(to)}.`);
  if (to === "needs_you") return refuse("Needs you is where agents waiting for a person appear; a move cannot put work there.");
  if (item.type === "agent") return refuse("An outside agent is answered in its own terminal; the board cannot move it.");
  // Webhook items (issue 15) follow their provider: a later success resolves them.
  if (item.type === "ci" || item.type === "review" || item.type === "deploy")
    return refuse("A CI run, review or deploy follows its provider: a later success or a merge resolves it.");
  const active =
    item.links.session && (item.links.session.status === "running" || item.links.session.status === "queued") ? item.links.session : null;
  const waiting = item.blockedBy.filter(isHolding);
  const note = waiting.length
    ? `The session waits for ${waiting.map((b) => b.label).join(", ")} and starts by itself once they are resolved.`
    : null;

  if (item.type === "failure") {
    const failureId = Number(item.key.slice("failure:".length));
    if (item.status === "done") return refuse("This failure is resolved: a passing report closed it, and a failing one reopens it.");
    if (to === "in_progress") {
      if (active) return refuse(`Session #${active.id} is already on it.`);
      return {
        ok: true,
        action: { kind: "launch", projectId: item.projectSlug!, workItem: { kind: "error", failureId } },
        label: "launch a remediation session",
        confirm: null,
        note,
      };
    }
    if (to === "done") {
      if (item.status === "ignored") return refuse("It is already ignored.");
      return {
        ok: true,
        action: { kind: "triage", failureId, decision: "ignore" },
        label: "ignore it",
        confirm: `Ignore failure #${failureId}? It leaves the queue, and sessions waiting for it are cancelled.`,
        note: null,
      };
    }
    // to open
    if (active) return refuse(`Session #${active.id} is working on it: stop that session first.`);
    if (item.status === "ignored")
      return {
        ok: true,
        action: { kind: "triage", failureId, decision: "pending" },
        label: "reopen it for triage",
        confirm: null,
        note: null,
      };
    return refuse("It is open once nothing works on it.");
  }

  if (item.type === "change") {
    const changeId = item.key.slice(item.key.indexOf("/") + 1);
    if (to === "in_progress") {
      if (active) return refuse(`Session #${active.id} is already implementing it.`);
      return {
        ok: true,
        action: { kind: "launch", projectId: item.projectSlug!, workItem: { kind: "spec", changeId } },
        label: "launch an implementation session",
        confirm: null,
        note,
      };
    }
    if (to === "done") {
      if (active) return refuse(`Session #${active.id} is still implementing it: let it finish or stop it first.`);
      return {
        ok: true,
        action: { kind: "archive", projectId: item.projectSlug!, changeId },
        label: "archive it",
        confirm: `Archive change ${changeId}? Its folder moves to changes/archive/ and its deltas merge into the specs.`,
        note: null,
      };
    }
    return refuse(
      active
        ? `Session #${active.id} is implementing it: stop that session first.`
        : "A change is open until a session works on it or it is archived.",
    );
  }

  // session
  const sessionId = Number(item.key.slice("session:".length));
  if (to === "done") {
    if (!active) return refuse("This session has already ended.");
    return {
      ok: true,
      action: { kind: "stop", sessionId },
      label: "stop it",
      confirm: `Stop session #${sessionId}? Its run is interrupted; it can be resumed later from its page.`,
      note: null,
    };
  }
  if (to === "in_progress") return refuse("A session that ended is resumed with a message, on its page.");
  return refuse("A session is never open: it runs, waits, or has ended.");
}

export function label(id: ColumnId): string {
  return BOARD_COLUMNS.find((c) => c.id === id)!.label;
}
