"use client";

import { WORK_STATUSES, WORK_TYPES } from "@/lib/schemas/values";
import {
  ChipGroup,
  ClearFiltersButton,
  dateRange,
  DateRangeFields,
  FilterPanel,
  SearchField,
  useFilterFields,
} from "../ui/filter-controls";
import { useWorkFilters } from "./use-work-filters";
import { WORK_STATUS_LABEL, WORK_TYPE_LABEL, type WorkFilters } from "./work-url-state";

type BarFields = Pick<WorkFilters, "q" | "type" | "status" | "from" | "to">;

/**
 * All Work's filters, which the board shares (a filtered board and list share one link). The board
 * has no "Updated" range, so there Clear leaves the range alone; the activity timeline's filter is
 * not part of this bar either way.
 */
export function WorkFilterBar({ dates = true }: { dates?: boolean }) {
  const [filters, update] = useWorkFilters();
  // Without the range, from/to stay out of `cleared`: Clear and "active" then leave them alone.
  const cleared = (dates ? { q: "", type: [], status: [], from: null, to: null } : { q: "", type: [], status: [] }) as BarFields;
  const { local, set, clear, active, chips } = useFilterFields(filters, update, cleared);
  return (
    <FilterPanel>
      <SearchField value={local.q} placeholder="Title, project, status…" onChange={(q) => set("q", q, "replace")} />
      <ChipGroup look="toggle" legend="Type" options={WORK_TYPES} labels={WORK_TYPE_LABEL} {...chips("type")} />
      <ChipGroup look="toggle" legend="Status" options={WORK_STATUSES} labels={WORK_STATUS_LABEL} {...chips("status")} />
      {dates && <DateRangeFields label="Updated" {...dateRange({ local, set })} />}
      <ClearFiltersButton active={active} onClear={clear} />
    </FilterPanel>
  );
}
