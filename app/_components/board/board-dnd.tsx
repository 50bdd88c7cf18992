"use client";

import { DndContext, PointerSensor, useDraggable, useDroppable, useSensor, useSensors, type DragEndEvent } from "@dnd-kit/core";
import type { MouseEvent, ReactNode } from "react";
import type { WorkItem } from "@/lib/schemas/work";
import type { DragLayer } from "./board-columns";
import type { ColumnId } from "./board-moves";

/**
 * Dragging cards between columns with @dnd-kit, loaded after the board paints (it is only needed
 * once a pointer picks a card up). Pointer only: the keyboard has its own path (arrows and the
 * move menu), which says what a move does before it happens.
 */
/**
 * The card follows the pointer, so the button comes up over its own link: that click is the end of
 * a drag, not a request to open the item. Set while a drag runs and for the click that ends it.
 */
let dragging = false;

function Root({ children, items, onDrop }: { children: ReactNode; items: WorkItem[]; onDrop(item: WorkItem, to: ColumnId): void }) {
  // A few pixels of travel before a drag starts, so a click on a card's link still follows it.
  const sensors = useSensors(useSensor(PointerSensor, { activationConstraint: { distance: 6 } }));
  function onDragEnd(e: DragEndEvent) {
    setTimeout(() => (dragging = false), 0);
    const item = items.find((i) => i.key === e.active.id);
    if (item && e.over) onDrop(item, e.over.id as ColumnId);
  }
  return (
    <DndContext
      sensors={sensors}
      onDragStart={() => (dragging = true)}
      onDragCancel={() => setTimeout(() => (dragging = false), 0)}
      onDragEnd={onDragEnd}
      accessibility={{
        screenReaderInstructions: { draggable: "Drag with a pointer, or focus the card and press Enter for the move menu." },
      }}
    >
      {children}
    </DndContext>
  );
}

function useCardDrag(key: string) {
  const { setNodeRef, listeners, transform, isDragging } = useDraggable({ id: key });
  return {
    ref: setNodeRef,
    listeners: {
      ...listeners,
      onClickCapture(e: MouseEvent) {
        if (!dragging) return;
        e.preventDefault();
        e.stopPropagation();
      },
    },
    style: transform ? { transform: `translate3d(${transform.x}px, ${transform.y}px, 0)`, zIndex: 20, position: "relative" as const } : {},
    dragging: isDragging,
  };
}

function useColumnDrop(id: ColumnId) {
  const { setNodeRef, isOver } = useDroppable({ id });
  return { ref: setNodeRef, over: isOver };
}

export const dragLayer: DragLayer = { Root, useCardDrag, useColumnDrop };
