"use client";

import { DECISIONS, FAILURE_STATUSES, PATTERNS } from "@/lib/schemas/values";
import { DECISION_LABEL, PATTERN_LABEL, STATUS_LABEL } from "./errors-badges";
import { readErrorsFilters, writeErrorsFilters, type ErrorsFilters } from "./errors-url-state";
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

/** Same mechanics as the Specs filters (see useUrlFilters). */
export function useErrorsFilters() {
  return useUrlFilters<ErrorsFilters>(readErrorsFilters, writeErrorsFilters);
}

export function ErrorsFilterBar() {
  const [filters, update] = useErrorsFilters();
  const { local, set, clear, active, chips } = useFilterFields(filters, update, {
    q: "",
    pattern: [],
    decision: [],
    status: [],
    from: null,
    to: null,
  });
  return (
    <FilterPanel>
      <SearchField value={local.q} placeholder="Test title, file, message…" onChange={(q) => set("q", q, "replace")} />
      <ChipGroup legend="Pattern" options={PATTERNS} labels={PATTERN_LABEL} {...chips("pattern")} />
      <ChipGroup legend="Decision" options={DECISIONS} labels={DECISION_LABEL} {...chips("decision")} />
      <ChipGroup legend="Status" options={FAILURE_STATUSES} labels={STATUS_LABEL} {...chips("status")} />
      <DateRangeFields label="Last seen" {...dateRange({ local, set })} />
      <ClearFiltersButton active={active} onClear={clear} />
    </FilterPanel>
  );
}
