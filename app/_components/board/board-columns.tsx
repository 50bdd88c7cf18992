"use client";

import { useEffect, useMemo, useRef, useState, type ComponentType, type KeyboardEvent, type ReactNode } from "react";
import type { WorkItem } from "@/lib/schemas/work";
import { Button, buttonClass } from "../ui/ui";
import { BoardCard, type CardDrag } from "./board-card";
import { BOARD_COLUMNS, columnOf, label, planMove, type ColumnId } from "./board-moves";
import { useBoardMove } from "./use-board-move";

/** What the drag layer (board-dnd.tsx, lazy) plugs in; without it the board is keyboard and menu only. */
export type DragLayer = {
  Root: ComponentType<{ children: ReactNode; items: WorkItem[]; onDrop(item: WorkItem, to: ColumnId): void }>;
  useCardDrag(key: string): CardDrag;
  useColumnDrop(id: ColumnId): { ref: (el: HTMLElement | null) => void; over: boolean };
};

const CONFIRM_BUTTON = { archive: "Archive", triage: "Ignore", stop: "Stop", launch: "Launch session" } as const;

/** Cards per column, rendered in full up to this many; the rest are counted (the list view has them all). */
const COLUMN_LIMIT = 200;

export function BoardColumns({
  items,
  nameOf,
  showProject,
  dnd,
}: {
  items: WorkItem[];
  nameOf(slug: string): string;
  showProject: boolean;
  dnd: DragLayer | null;
}) {
  const moves = useBoardMove();
  const columns = useMemo(() => {
    const by = new Map<ColumnId, WorkItem[]>(BOARD_COLUMNS.map((c) => [c.id, []]));
    for (const item of items) by.get(columnOf(item))!.push(item);
    return by;
  }, [items]);
  const [focusKey, setFocusKey] = useState<string | null>(null);
  const [menuFor, setMenuFor] = useState<string | null>(null);
  const boardRef = useRef<HTMLDivElement>(null);
  const byKey = useMemo(() => new Map(items.map((i) => [i.key, i])), [items]);
  const tabbableKey =
    focusKey && byKey.has(focusKey) ? focusKey : (BOARD_COLUMNS.map((c) => columns.get(c.id)![0]).find(Boolean)?.key ?? null);

  // A card moved from the keyboard lands in another column after the refetch (a new element, so
  // the focus fell to the page): put it back on the card, unless a dialog or a field has it.
  const keyboardUsed = useRef(false);
  useEffect(() => {
    if (!keyboardUsed.current || !focusKey || menuFor) return;
    const active = document.activeElement;
    if (active && active !== document.body && !(active instanceof HTMLElement && active.dataset.testid === "board-card")) return;
    const el = boardRef.current?.querySelector<HTMLElement>(`[data-testid="board-card"][data-key="${CSS.escape(focusKey)}"]`);
    if (el && active !== el) el.focus();
  }, [items, focusKey, menuFor]);

  function focusCard(key: string) {
    setFocusKey(key);
    boardRef.current?.querySelector<HTMLElement>(`[data-testid="board-card"][data-key="${CSS.escape(key)}"]`)?.focus();
  }

  function onCardKey(item: WorkItem, e: KeyboardEvent<HTMLLIElement>) {
    if (e.target !== e.currentTarget) return;
    const col = BOARD_COLUMNS.findIndex((c) => c.id === columnOf(item));
    const list = columns.get(BOARD_COLUMNS[col]!.id)!.slice(0, COLUMN_LIMIT);
    const row = list.findIndex((i) => i.key === item.key);
    let next: WorkItem | undefined;
    keyboardUsed.current = true;
    if (e.key === "ArrowDown") next = list[row + 1];
    else if (e.key === "ArrowUp") next = list[row - 1];
    else if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
      const step = e.key === "ArrowLeft" ? -1 : 1;
      for (let c = col + step; c >= 0 && c < BOARD_COLUMNS.length && !next; c += step) {
        const other = columns.get(BOARD_COLUMNS[c]!.id)!;
        next = other[Math.min(row, other.length - 1)];
      }
    } else if (e.key === "Enter" || e.key === "m" || e.key === "M") {
      e.preventDefault();
      setMenuFor(item.key);
      return;
    } else return;
    e.preventDefault();
    if (next) focusCard(next.key);
  }

  const Root = dnd?.Root ?? PlainRoot;
  return (
    <div ref={boardRef}>
      <p id="board-keys" className="sr-only">
        Arrow keys move between cards; Enter or M opens the move menu.
      </p>
      <MoveStatus moves={moves} />
      <Root items={items} onDrop={(item, to) => moves.move(item, to)}>
        <div className="grid gap-3 md:grid-cols-4">
          {BOARD_COLUMNS.map((c) => {
            const list = columns.get(c.id)!;
            return (
              <Column key={c.id} id={c.id} count={list.length} dnd={dnd}>
                {list.slice(0, COLUMN_LIMIT).map((item) => (
                  <CardSlot
                    key={item.key}
                    item={item}
                    dnd={dnd}
                    projectName={showProject && item.projectSlug ? nameOf(item.projectSlug) : null}
                    tabbable={item.key === tabbableKey}
                    onFocus={() => setFocusKey(item.key)}
                    onKeyDown={(e) => onCardKey(item, e)}
                    menu={
                      menuFor === item.key ? (
                        <MoveMenu
                          item={item}
                          onChoose={(to) => {
                            setMenuFor(null);
                            focusCard(item.key);
                            moves.move(item, to);
                          }}
                          onClose={() => {
                            setMenuFor(null);
                            focusCard(item.key);
                          }}
                        />
                      ) : null
                    }
                  />
                ))}
                {list.length > COLUMN_LIMIT ? (
                  <li className="px-1 text-xs text-zinc-500">
                    and {list.length - COLUMN_LIMIT} more: narrow the filters, or see All Work.
                  </li>
                ) : null}
              </Column>
            );
          })}
        </div>
      </Root>
    </div>
  );
}

function PlainRoot({ children }: { children: ReactNode }) {
  return <>{children}</>;
}

function Column({ id, count, dnd, children }: { id: ColumnId; count: number; dnd: DragLayer | null; children: ReactNode }) {
  const drop = dnd?.useColumnDrop(id);
  return (
    <section
      ref={drop?.ref}
      aria-label={label(id)}
      data-testid={`board-column-${id}`}
      className={`min-h-40 rounded-lg border p-2 ${drop?.over ? "border-blue-400 bg-blue-50/50 dark:bg-blue-950/30" : "border-zinc-200 bg-zinc-50 dark:border-zinc-800 dark:bg-zinc-950"}`}
    >
      <h2 className="mb-2 flex items-center justify-between px-1 text-xs font-semibold uppercase tracking-wide text-zinc-500">
        {label(id)} <span className="tabular-nums">{count}</span>
      </h2>
      <ul className="space-y-2">{children}</ul>
    </section>
  );
}

function CardSlot({
  item,
  dnd,
  menu,
  ...rest
}: {
  item: WorkItem;
  dnd: DragLayer | null;
  menu: ReactNode;
  projectName: string | null;
  tabbable: boolean;
  onFocus(): void;
  onKeyDown(e: KeyboardEvent<HTMLLIElement>): void;
}) {
  const Dragged = dnd ? DraggableCard : null;
  return (
    <>
      {Dragged && dnd ? <Dragged item={item} dnd={dnd} {...rest} /> : <BoardCard item={item} {...rest} />}
      {menu ? <li className="list-none">{menu}</li> : null}
    </>
  );
}

function DraggableCard({
  item,
  dnd,
  ...rest
}: {
  item: WorkItem;
  dnd: DragLayer;
  projectName: string | null;
  tabbable: boolean;
  onFocus(): void;
  onKeyDown(e: KeyboardEvent<HTMLLIElement>): void;
}) {
  const drag = dnd.useCardDrag(item.key);
  return <BoardCard item={item} drag={drag} {...rest} />;
}

/** The keyboard's way to move a card: one entry per other column, saying what the move would do. */
function MoveMenu({ item, onChoose, onClose }: { item: WorkItem; onChoose(to: ColumnId): void; onClose(): void }) {
  const ref = useRef<HTMLDivElement>(null);
  const current = columnOf(item);
  const targets = BOARD_COLUMNS.filter((c) => c.id !== current);
  useEffect(() => ref.current?.querySelector<HTMLElement>("[role=menuitem]")?.focus(), []);
  function onKey(e: KeyboardEvent<HTMLDivElement>) {
    e.stopPropagation();
    const entries = [...(ref.current?.querySelectorAll<HTMLElement>("[role=menuitem]") ?? [])];
    const at = entries.indexOf(document.activeElement as HTMLElement);
    if (e.key === "Escape") onClose();
    else if (e.key === "ArrowDown") entries[(at + 1) % entries.length]?.focus();
    else if (e.key === "ArrowUp") entries[(at - 1 + entries.length) % entries.length]?.focus();
    else return;
    e.preventDefault();
  }
  return (
    <div
      ref={ref}
      role="menu"
      aria-label={`Move ${item.title}`}
      onKeyDown={onKey}
      className="rounded-md border border-zinc-300 bg-white p-1 shadow-lg dark:border-zinc-700 dark:bg-zinc-900"
    >
      {targets.map((c) => {
        const plan = planMove(item, c.id);
        return (
          <button
            key={c.id}
            type="button"
            role="menuitem"
            tabIndex={-1}
            onClick={() => onChoose(c.id)}
            className="block w-full rounded px-2 py-1 text-left text-sm hover:bg-zinc-100 focus:bg-zinc-100 focus:outline-none dark:hover:bg-zinc-800 dark:focus:bg-zinc-800"
          >
            {c.label}: <span className={plan.ok ? "" : "text-zinc-500"}>{plan.ok ? plan.label : "not possible"}</span>
          </button>
        );
      })}
    </div>
  );
}

function MoveStatus({ moves }: { moves: ReturnType<typeof useBoardMove> }) {
  const { state } = moves;
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (state.kind === "confirm") confirmRef.current?.focus();
  }, [state]);
  if (state.kind === "confirm") {
    const button = state.plan.action.kind === "triage" ? "Ignore" : CONFIRM_BUTTON[state.plan.action.kind];
    return (
      <div
        role="alertdialog"
        aria-modal="false"
        aria-labelledby="board-confirm-text"
        className="mb-3 flex flex-wrap items-center gap-3 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm dark:border-amber-800 dark:bg-amber-950"
      >
        <p id="board-confirm-text" className="flex-1">
          {state.plan.confirm}
        </p>
        <Button variant="danger" onClick={moves.confirm} disabled={moves.pending}>
          {button}
        </Button>
        <button ref={confirmRef} type="button" className={buttonClass()} onClick={moves.dismiss}>
          Cancel
        </button>
      </div>
    );
  }
  if (state.kind === "message") {
    return (
      <div
        role={state.tone === "error" ? "alert" : "status"}
        className={`mb-3 flex items-center gap-3 rounded-md border p-2 text-sm ${state.tone === "error" ? "border-red-300 bg-red-50 text-red-800 dark:border-red-900 dark:bg-red-950 dark:text-red-200" : "border-zinc-200 bg-zinc-50 dark:border-zinc-800 dark:bg-zinc-900"}`}
      >
        <span className="flex-1" data-testid="board-message">
          {state.text}
        </span>
        <Button variant="ghost" onClick={moves.dismiss} aria-label="Dismiss">
          ×
        </Button>
      </div>
    );
  }
  return null;
}
