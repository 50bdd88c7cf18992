"use client";

import { useUrlFilters } from "../ui/filter-controls";
import { readWorkFilters, writeWorkFilters, type WorkFilters } from "./work-url-state";

/** All Work's filters, read from and written to the URL (the board and its activity timeline share them). */
export function useWorkFilters() {
  return useUrlFilters<WorkFilters>(readWorkFilters, writeWorkFilters);
}
