"use client";

import { useId } from "react";
import { DecisionSchema, FailureStatusSchema, PatternSchema } from "@/lib/schemas/errors";
import { DECISION_LABEL, PATTERN_LABEL, STATUS_LABEL } from "./errors-badges";
import { readErrorsFilters, writeErrorsFilters, type ErrorsFilters } from "./errors-url-state";
import { useMirror, useUrlFilters } from "./filter-bar";

/** Same mechanics as the Specs filters (see useUrlFilters). */
export function useErrorsFilters() {
  return useUrlFilters<ErrorsFilters>(readErrorsFilters, writeErrorsFilters);
}

const CHIP = "flex h-7 cursor-pointer select-none items-center gap-1.5 rounded-md border px-2 text-sm";
const CHIP_ON = "border-zinc-400 bg-white text-zinc-900 dark:border-zinc-500 dark:bg-zinc-900 dark:text-zinc-100";
const CHIP_OFF = "border-zinc-300 bg-white text-zinc-600 hover:bg-zinc-100 dark:border-zinc-700 dark:bg-zinc-950 dark:text-zinc-400 dark:hover:bg-zinc-800";
const LABEL = "text-xs font-medium text-zinc-500 dark:text-zinc-400";
const FIELD = "h-8 rounded-md border border-zinc-300 bg-white px-2 text-sm dark:border-zinc-700 dark:bg-zinc-950";

/** A group of checkboxes whose checked values live in one URL parameter. */
function Chips<T extends string>({ legend, options, labels, checked, onChange }: { legend: string; options: readonly T[]; labels: Record<T, string>; checked: T[]; onChange(next: T[]): void }) {
  return (
    <fieldset className="flex flex-col gap-1">
      <legend className={`mb-1 ${LABEL}`}>{legend}</legend>
      <div className="flex h-8 flex-wrap items-center gap-1">
        {options.map((option) => {
          const on = checked.includes(option);
          return (
            <label key={option} className={`${CHIP} ${on ? CHIP_ON : CHIP_OFF}`}>
              <input
                type="checkbox"
                className="size-3.5 accent-zinc-900 dark:accent-zinc-100"
                checked={on}
                onChange={() => onChange(on ? checked.filter((c) => c !== option) : options.filter((o) => o === option || checked.includes(o)))}
              />
              {labels[option]}
            </label>
          );
        })}
      </div>
    </fieldset>
  );
}

export function ErrorsFilterBar() {
  const [filters, update] = useErrorsFilters();
  const id = useId();
  const [text, setText] = useMirror(filters.q, filters.q);
  const [pattern, setPattern] = useMirror(filters.pattern, filters.pattern.join(","));
  const [decision, setDecision] = useMirror(filters.decision, filters.decision.join(","));
  const [status, setStatus] = useMirror(filters.status, filters.status.join(","));
  const [from, setFrom] = useMirror(filters.from, filters.from ?? "");
  const [to, setTo] = useMirror(filters.to, filters.to ?? "");
  const active = pattern.length > 0 || decision.length > 0 || status.length > 0 || Boolean(from || to || text);

  return (
    <div role="search" aria-label="Filters" className="mb-4 flex flex-wrap items-end gap-x-5 gap-y-3 rounded-lg border border-zinc-200 bg-zinc-50/60 px-3 py-2.5 dark:border-zinc-800 dark:bg-zinc-900/40">
      <div className="flex min-w-56 flex-1 flex-col gap-1">
        <label htmlFor={`${id}-q`} className={LABEL}>
          Search
        </label>
        <input
          id={`${id}-q`}
          type="search"
          value={text}
          placeholder="Test title, file, message…"
          onChange={(e) => {
            setText(e.target.value);
            update({ q: e.target.value }, "replace");
          }}
          className={`${FIELD} px-2.5`}
        />
      </div>
      <Chips legend="Pattern" options={PatternSchema.options} labels={PATTERN_LABEL} checked={pattern} onChange={(next) => (setPattern(next), update({ pattern: next }))} />
      <Chips legend="Decision" options={DecisionSchema.options} labels={DECISION_LABEL} checked={decision} onChange={(next) => (setDecision(next), update({ decision: next }))} />
      <Chips legend="Status" options={FailureStatusSchema.options} labels={STATUS_LABEL} checked={status} onChange={(next) => (setStatus(next), update({ status: next }))} />
      <div className="flex flex-col gap-1">
        <label htmlFor={`${id}-from`} className={LABEL}>
          Last seen from
        </label>
        <input
          id={`${id}-from`}
          type="date"
          value={from ?? ""}
          max={to ?? undefined}
          onChange={(e) => {
            setFrom(e.target.value || null);
            update({ from: e.target.value || null });
          }}
          className={FIELD}
        />
      </div>
      <div className="flex flex-col gap-1">
        <label htmlFor={`${id}-to`} className={LABEL}>
          Last seen to
        </label>
        <input
          id={`${id}-to`}
          type="date"
          value={to ?? ""}
          min={from ?? undefined}
          onChange={(e) => {
            setTo(e.target.value || null);
            update({ to: e.target.value || null });
          }}
          className={FIELD}
        />
      </div>
      {active ? (
        <button
          type="button"
          onClick={() => {
            setText("");
            setPattern([]);
            setDecision([]);
            setStatus([]);
            setFrom(null);
            setTo(null);
            update({ pattern: [], decision: [], status: [], q: "", from: null, to: null });
          }}
          className="h-8 rounded-md px-2 text-sm text-zinc-600 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800"
        >
          Clear filters
        </button>
      ) : null}
    </div>
  );
}
