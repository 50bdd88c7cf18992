"use client";

import { useState } from "react";
import type { WorkItem } from "@/lib/schemas/work";
import { useQueryClient, useTRPC } from "@/lib/trpc/react";
import { useMutation } from "@/lib/trpc/use-mutation";
import { label, planMove, type ColumnId, type MoveAction, type MovePlan } from "./board-moves";

/** What the board says after a move: done (and what it did), refused (and why), or waiting for a yes. */
export type MoveState =
  | { kind: "idle" }
  | { kind: "confirm"; item: WorkItem; to: ColumnId; plan: Extract<MovePlan, { ok: true }> }
  | { kind: "message"; tone: "info" | "error"; text: string };

/** Plans a move (board-moves.ts) and carries it out with the procedure that means it. */
export function useBoardMove() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [state, setState] = useState<MoveState>({ kind: "idle" });
  const refresh = () => queryClient.invalidateQueries(trpc.work.pathFilter());
  const options = { onSettled: refresh };
  const start = useMutation(trpc.sessions.start.mutationOptions(options));
  const triage = useMutation(trpc.errors.triageFailure.mutationOptions(options));
  const archive = useMutation(trpc.openspec.archiveChange.mutationOptions(options));
  const stop = useMutation(trpc.sessions.stop.mutationOptions(options));
  const pending = start.isPending || triage.isPending || archive.isPending || stop.isPending;

  async function run(item: WorkItem, to: ColumnId, plan: Extract<MovePlan, { ok: true }>) {
    setState({ kind: "message", tone: "info", text: `Moving “${item.title}” to ${label(to)}…` });
    try {
      const done = await perform(plan.action);
      setState({ kind: "message", tone: "info", text: `${item.title}: ${done}.${plan.note ? ` ${plan.note}` : ""}` });
    } catch (err) {
      setState({ kind: "message", tone: "error", text: `Could not ${plan.label}: ${(err as Error).message}` });
    }
  }

  async function perform(action: MoveAction): Promise<string> {
    switch (action.kind) {
      case "launch": {
        const { id } = await start.mutateAsync({ projectId: action.projectId, workItem: action.workItem });
        return `session #${id} launched`;
      }
      case "triage":
        await triage.mutateAsync({ failureId: action.failureId, decision: action.decision });
        return action.decision === "ignore" ? "ignored" : "reopened for triage";
      case "archive":
        await archive.mutateAsync({ projectId: action.projectId, changeId: action.changeId });
        return "archived";
      case "stop":
        await stop.mutateAsync({ id: action.sessionId });
        return "stopped";
    }
  }

  return {
    state,
    pending,
    dismiss: () => setState({ kind: "idle" }),
    /** A drop or a menu choice: refused with the reason, confirmed first when destructive, or done. */
    move(item: WorkItem, to: ColumnId) {
      const plan = planMove(item, to);
      if (!plan.ok)
        return setState({ kind: "message", tone: "error", text: `Cannot move “${item.title}” to ${label(to)}: ${plan.reason}` });
      if (plan.confirm) return setState({ kind: "confirm", item, to, plan });
      void run(item, to, plan);
    },
    confirm() {
      if (state.kind === "confirm") void run(state.item, state.to, state.plan);
    },
  };
}
