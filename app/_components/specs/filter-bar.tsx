"use client";

import type { ChangeGroup } from "@/lib/schemas/openspec";
import { CHANGE_GROUPS } from "@/lib/schemas/values";
import { readFilters, writeFilters, type SpecsFilters } from "@/lib/url-state";
import {
  ChipGroup,
  ClearFiltersButton,
  dateRange,
  DateRangeFields,
  FilterPanel,
  SearchField,
  useFilterFields,
  useUrlFilters,
} from "../ui/filter-controls";

// Re-exported: the URL-filter hooks lived here first.
export { useMirror, useUrlFilters } from "../ui/filter-controls";

const GROUP_LABEL: Record<ChangeGroup, string> = { draft: "Draft", active: "Active", completed: "Completed" };

export function useSpecsFilters() {
  return useUrlFilters<SpecsFilters>(readFilters, writeFilters);
}

export function FilterBar() {
  const [filters, update] = useSpecsFilters();
  const { local, set, clear, active, chips } = useFilterFields(filters, update, { q: "", status: [], from: null, to: null });
  return (
    <FilterPanel margin="mb-6">
      <SearchField value={local.q} placeholder="Change or spec id, title…" onChange={(q) => set("q", q, "replace")} />
      <ChipGroup legend="Status" options={CHANGE_GROUPS} labels={GROUP_LABEL} {...chips("status")} wrap={false} />
      <DateRangeFields label="Modified" {...dateRange({ local, set })} />
      <ClearFiltersButton active={active} onClear={clear} />
    </FilterPanel>
  );
}
