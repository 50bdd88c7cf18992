"use client";

import Link from "@/app/_components/ui/link";
import type { CSSProperties, HTMLAttributes, KeyboardEvent, Ref } from "react";
import { isHolding } from "@/lib/schemas/dependencies";
import type { WorkItem } from "@/lib/schemas/work";
import { Badge } from "../ui/ui";
import { WORK_TYPE_LABEL, WORK_TYPE_TONE } from "../work/work-url-state";
import { priorityWord, statusWord } from "@/lib/format";

export type CardDrag = { ref: Ref<HTMLLIElement>; listeners: HTMLAttributes<HTMLLIElement>; style: CSSProperties; dragging: boolean };

/**
 * One work item on the board: type, title, project, priority, live state and what it waits for.
 * Focusable (one card at a time is in the tab order; arrows move between cards, Enter or M opens
 * the move menu); the drag layer (board-dnd.tsx, loaded later) adds a ref and pointer listeners.
 */
export function BoardCard({
  item,
  projectName,
  tabbable,
  onKeyDown,
  onFocus,
  drag,
}: {
  item: WorkItem;
  projectName: string | null;
  tabbable: boolean;
  onKeyDown(e: KeyboardEvent<HTMLLIElement>): void;
  onFocus(): void;
  drag?: CardDrag;
}) {
  const waiting = item.blockedBy.filter(isHolding);
  const health = item.health ?? null;
  return (
    <li
      ref={drag?.ref}
      {...drag?.listeners}
      style={drag?.style}
      data-testid="board-card"
      data-key={item.key}
      data-drag={drag ? "on" : undefined}
      tabIndex={tabbable ? 0 : -1}
      aria-label={item.title}
      aria-describedby="board-keys"
      onKeyDown={onKeyDown}
      onFocus={onFocus}
      className={`rounded-md border border-zinc-200 bg-white p-2.5 text-sm shadow-sm outline-none focus-visible:ring-2 focus-visible:ring-blue-500 dark:border-zinc-800 dark:bg-zinc-900 ${drag?.dragging ? "opacity-60" : ""} ${drag ? "cursor-grab touch-none" : ""}`}
    >
      <div className="mb-1 flex items-center gap-1.5">
        <Badge tone={WORK_TYPE_TONE[item.type] ?? "neutral"}>{WORK_TYPE_LABEL[item.type]}</Badge>
        <span className="text-xs tabular-nums text-zinc-500" title="Priority">
          {priorityWord(item.priority)}
        </span>
        {health ? (
          <span data-testid="board-health" className="ml-auto">
            <Badge tone={health === "stuck" || health === "failed" ? "red" : health === "idle" ? "amber" : "green"} title="Agent health">
              {statusWord(health)}
            </Badge>
          </span>
        ) : null}
      </div>
      {/* Not natively draggable: the browser's link drag would cancel the card's pointer drag. */}
      <Link href={item.href} tabIndex={-1} draggable={false} className="line-clamp-2 break-words font-medium hover:underline">
        {item.title}
      </Link>
      <p className="mt-1 truncate text-xs text-zinc-500 dark:text-zinc-400">
        <span data-testid="board-detail">{item.detail}</span>
        {projectName ? <span> · {projectName}</span> : null}
      </p>
      {waiting.length ? (
        <p data-testid="board-blockers" className="mt-1 text-xs text-amber-800 dark:text-amber-300">
          Waits for {waiting.map((b) => b.label).join(", ")}
        </p>
      ) : null}
    </li>
  );
}
