"use client";

import { usePathname, useSearchParams } from "next/navigation";
import { useId, useState, type ReactNode } from "react";

/**
 * The pieces every list's filter bar is built from (Specs, Errors, All Work), so the
 * three bars look, label and behave alike. Filters live in the query string.
 */

type UpdateFilters<F> = (patch: Partial<F>, mode?: "push" | "replace") => void;

/**
 * Filters write to the query string through the native History API, which
 * Next's router observes: the view is bookmarkable, yet typing in Search
 * does not ask the server to re-render the page on every key.
 */
export function useUrlFilters<F>(
  read: (params: URLSearchParams) => F,
  write: (params: URLSearchParams, patch: Partial<F>) => URLSearchParams,
): [F, UpdateFilters<F>] {
  const searchParams = useSearchParams();
  const pathname = usePathname();
  const filters = read(new URLSearchParams(searchParams.toString()));
  const update: UpdateFilters<F> = (patch, mode = "push") => {
    // The live location, not the hook's snapshot: two quick edits must not
    // overwrite each other while Next is still applying the first.
    const next = write(new URLSearchParams(window.location.search), patch).toString();
    const url = `${pathname}${next ? `?${next}` : ""}`;
    if (mode === "replace") window.history.replaceState(null, "", url);
    else window.history.pushState(null, "", url);
  };
  return [filters, update];
}

/**
 * A controlled input bound straight to the URL would snap back for a frame:
 * Next applies History API updates in a transition. Each control keeps a
 * local copy that changes at once, and re-syncs whenever the URL changes
 * (Back/Forward, Clear filters).
 */
export function useMirror<T>(fromUrl: T, key: string): [T, (next: T) => void] {
  const [local, setLocal] = useState(fromUrl);
  // Re-synced when the URL value's string form changes (arrays are new objects every render):
  // state adjusted during render, as React's docs advise, instead of an effect.
  const [syncedKey, setSyncedKey] = useState(key);
  if (syncedKey !== key) {
    setSyncedKey(key);
    setLocal(fromUrl);
  }
  return [local, setLocal];
}

/**
 * The fields a bar edits, mirrored locally (see useMirror). `cleared` names them and
 * holds what "Clear filters" resets them to; other URL filters are left alone.
 */
export function useFilterFields<F, K extends keyof F>(filters: F, update: UpdateFilters<F>, cleared: Pick<F, K>) {
  const keys = Object.keys(cleared) as K[];
  const fromUrl = pick(filters, keys);
  // One key per field's string form, so a change to any field re-syncs from the URL.
  const [local, setLocal] = useMirror(fromUrl, keys.map((k) => String(fromUrl[k] ?? "")).join("\n"));
  const set = <P extends K>(key: P, value: F[P], mode?: "push" | "replace") => {
    setLocal({ ...local, [key]: value });
    update({ [key]: value } as unknown as Partial<F>, mode);
  };
  const clear = () => {
    setLocal(cleared);
    update(cleared as unknown as Partial<F>);
  };
  const active = keys.some((k) => {
    const value: unknown = local[k];
    return Array.isArray(value) ? value.length > 0 : Boolean(value);
  });
  /** A chip group's `value` and `onChange` for one field: `<ChipGroup … {...chips("status")} />`. */
  const chips = <P extends K>(key: P) => ({ value: local[key], onChange: (next: F[P]) => set(key, next) });
  return { local, set, clear, active, chips };
}

/** The date range's bounds and setters, from a bar's `useFilterFields` that has `from` and `to`. */
export function dateRange({
  local,
  set,
}: {
  local: { from: string | null; to: string | null };
  set(key: "from" | "to", value: string | null): void;
}) {
  return { from: local.from, to: local.to, onFrom: (day: string | null) => set("from", day), onTo: (day: string | null) => set("to", day) };
}

function pick<F, K extends keyof F>(source: F, keys: readonly K[]): Pick<F, K> {
  const out = {} as Pick<F, K>;
  for (const k of keys) out[k] = source[k];
  return out;
}

const LABEL = "text-xs font-medium text-zinc-500 dark:text-zinc-400";
const FIELD = "h-8 rounded-md border border-zinc-300 bg-white px-2 text-sm dark:border-zinc-700 dark:bg-zinc-950";

/** The `role="search"` panel; Specs sits further above its list than Errors and All Work. */
export function FilterPanel({ margin = "mb-4", children }: { margin?: "mb-4" | "mb-6"; children: ReactNode }) {
  return (
    <div
      role="search"
      aria-label="Filters"
      className={`${margin} flex flex-wrap items-end gap-x-5 gap-y-3 rounded-lg border border-zinc-200 bg-zinc-50/60 px-3 py-2.5 dark:border-zinc-800 dark:bg-zinc-900/40`}
    >
      {children}
    </div>
  );
}

export function SearchField({ value, placeholder, onChange }: { value: string; placeholder: string; onChange(next: string): void }) {
  const id = useId();
  return (
    <div className="flex min-w-56 flex-1 flex-col gap-1">
      <label htmlFor={id} className={LABEL}>
        Search
      </label>
      <input
        id={id}
        type="search"
        value={value}
        placeholder={placeholder}
        onChange={(e) => onChange(e.target.value)}
        className={`${FIELD} px-2.5`}
      />
    </div>
  );
}

/** Chip looks as each bar had them: All Work's toggles are plainer (no hover, no accent, free height). */
const CHIP_LOOK = {
  chip: {
    row: "h-8",
    on: "border-zinc-400 bg-white text-zinc-900 dark:border-zinc-500 dark:bg-zinc-900 dark:text-zinc-100",
    off: "border-zinc-300 bg-white text-zinc-600 hover:bg-zinc-100 dark:border-zinc-700 dark:bg-zinc-950 dark:text-zinc-400 dark:hover:bg-zinc-800",
    box: "size-3.5 accent-zinc-900 dark:accent-zinc-100",
  },
  toggle: {
    row: "",
    on: "border-zinc-400 bg-white dark:border-zinc-500 dark:bg-zinc-900",
    off: "border-zinc-300 bg-white text-zinc-600 dark:border-zinc-700 dark:bg-zinc-950 dark:text-zinc-400",
    box: "size-3.5",
  },
} as const;

/** A group of checkboxes whose checked values live in one URL parameter, kept in `options` order. */
export function ChipGroup<T extends string>({
  legend,
  options,
  labels,
  value,
  onChange,
  look = "chip",
  wrap = true,
}: {
  legend: string;
  options: readonly T[];
  labels: Record<T, string>;
  value: readonly T[];
  onChange(next: T[]): void;
  look?: keyof typeof CHIP_LOOK;
  /** Specs' three chips never wrap; the longer groups may. */
  wrap?: boolean;
}) {
  const style = CHIP_LOOK[look];
  return (
    <fieldset className="flex flex-col gap-1">
      <legend className={`mb-1 ${LABEL}`}>{legend}</legend>
      <div className={["flex", style.row, wrap ? "flex-wrap" : "", "items-center gap-1"].filter(Boolean).join(" ")}>
        {options.map((option) => {
          const on = value.includes(option);
          return (
            <label
              key={option}
              className={`flex h-7 cursor-pointer select-none items-center gap-1.5 rounded-md border px-2 text-sm ${on ? style.on : style.off}`}
            >
              <input
                type="checkbox"
                className={style.box}
                checked={on}
                onChange={() => onChange(on ? value.filter((v) => v !== option) : options.filter((o) => o === option || value.includes(o)))}
              />
              {labels[option]}
            </label>
          );
        })}
      </div>
    </fieldset>
  );
}

/** "<label> from" / "<label> to" day inputs; each bounds the other so the range cannot invert. */
export function DateRangeFields({
  label,
  from,
  to,
  onFrom,
  onTo,
}: {
  label: string;
  from: string | null;
  to: string | null;
  onFrom(next: string | null): void;
  onTo(next: string | null): void;
}) {
  return (
    <>
      <DayField label={`${label} from`} value={from} max={to} onChange={onFrom} />
      <DayField label={`${label} to`} value={to} min={from} onChange={onTo} />
    </>
  );
}

function DayField({
  label,
  value,
  min,
  max,
  onChange,
}: {
  label: string;
  value: string | null;
  min?: string | null;
  max?: string | null;
  onChange(next: string | null): void;
}) {
  const id = useId();
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className={LABEL}>
        {label}
      </label>
      {/* An emptied date input reports "", which means "no bound". */}
      <input
        id={id}
        type="date"
        value={value ?? ""}
        min={min ?? undefined}
        max={max ?? undefined}
        onChange={(e) => onChange(e.target.value || null)}
        className={FIELD}
      />
    </div>
  );
}

/** Shown only while some field is set, so an unfiltered bar stays quiet. */
export function ClearFiltersButton({ active, onClear }: { active: boolean; onClear(): void }) {
  if (!active) return null;
  return (
    <button
      type="button"
      onClick={onClear}
      className="h-8 rounded-md px-2 text-sm text-zinc-600 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800"
    >
      Clear filters
    </button>
  );
}
