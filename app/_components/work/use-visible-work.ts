"use client";

import { useDeferredValue, useMemo } from "react";
import { localDay } from "@/lib/format";
import type { WorkItem } from "@/lib/schemas/work";
import { useQuery, useTRPC } from "@/lib/trpc/react";
import { useFuse } from "../ui/use-fuse";
import { useWorkFilters } from "./use-work-filters";
import { listAllInput } from "./work-url-state";

/** Fuzzy, typo-tolerant; `ignoreLocation` so a word deep in a title still matches. */
const FUSE_OPTIONS = { threshold: 0.35, ignoreLocation: true, keys: [{ name: "title", weight: 2 }, "detail", "projectSlug", "key"] };

/**
 * All Work's items for the URL filters (All Work and the board share one link): the server filters
 * by project, status and type; the day range and the fuzzy search run here, on the loaded list.
 */
export function useVisibleWorkItems(slug: string | null) {
  const trpc = useTRPC();
  const [filters] = useWorkFilters();
  const list = useQuery(trpc.work.listAll.queryOptions(listAllInput(slug, filters)));
  const q = useDeferredValue(filters.q);
  const Fuse = useFuse(Boolean(filters.q.trim()));
  const fuse = useMemo(() => (list.data && Fuse ? new Fuse(list.data, FUSE_OPTIONS) : null), [list.data, Fuse]);
  const visible = useMemo(() => {
    let rows: WorkItem[] = list.data ?? [];
    if (filters.from) rows = rows.filter((r) => localDay(r.updatedAt) >= filters.from!);
    if (filters.to) rows = rows.filter((r) => localDay(r.updatedAt) <= filters.to!);
    if (fuse && q.trim()) {
      const hits = new Set(fuse.search(q.trim()).map((r) => r.item));
      rows = rows.filter((r) => hits.has(r));
    }
    return rows;
  }, [list.data, filters.from, filters.to, fuse, q]);
  return { list, visible };
}
