"use client";

import { useEffect, useState, type RefObject } from "react";

/** What the first render (and the server's) assumes of the scroll element: about a screenful. */
const FIRST_VIEW_HEIGHT = 800;

/**
 * The rows of a fixed-height list that are in (or near) view of its scroll element, for lists of
 * thousands. Every row has one height, so nothing is measured: a window is arithmetic on
 * scrollTop (what @tanstack/react-virtual did here, for ~10 KB gzipped less; issue 12).
 */
export function useFixedRows({
  count,
  rowHeight,
  scrollRef,
  overscan = 8,
  paddingStart = 0,
}: {
  count: number;
  rowHeight: number;
  scrollRef: RefObject<HTMLElement | null>;
  overscan?: number;
  /** Space above the first row inside the scroll element (a sticky header). */
  paddingStart?: number;
}) {
  const [view, setView] = useState({ top: 0, height: FIRST_VIEW_HEIGHT });
  useEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const read = () =>
      setView((v) => (v.top === el.scrollTop && v.height === el.clientHeight ? v : { top: el.scrollTop, height: el.clientHeight }));
    read();
    el.addEventListener("scroll", read, { passive: true });
    const resize = new ResizeObserver(read);
    resize.observe(el);
    return () => {
      el.removeEventListener("scroll", read);
      resize.disconnect();
    };
  }, [scrollRef]);

  const first = Math.max(0, Math.floor((view.top - paddingStart) / rowHeight) - overscan);
  const last = Math.min(count - 1, Math.ceil((view.top + view.height - paddingStart) / rowHeight) + overscan);
  const rows: { index: number; start: number }[] = [];
  for (let index = first; index <= last; index++) rows.push({ index, start: paddingStart + index * rowHeight });

  return {
    totalSize: paddingStart + count * rowHeight,
    rows,
    /** Scrolls the least needed to show the row whole, below the `paddingStart` header. */
    scrollToIndex(index: number) {
      const el = scrollRef.current;
      if (!el) return;
      const top = paddingStart + index * rowHeight;
      if (top - paddingStart < el.scrollTop) el.scrollTop = top - paddingStart;
      else if (top + rowHeight > el.scrollTop + el.clientHeight) el.scrollTop = top + rowHeight - el.clientHeight;
    },
  };
}
