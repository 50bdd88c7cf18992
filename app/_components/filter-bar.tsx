"use client";

import { usePathname, useSearchParams } from "next/navigation";
import { useEffect, useId, useState } from "react";
import { ChangeGroupSchema, type ChangeGroup } from "@/lib/schemas/openspec";
import { readFilters, writeFilters, type SpecsFilters } from "@/lib/url-state";

const GROUP_LABEL: Record<ChangeGroup, string> = { draft: "Draft", active: "Active", completed: "Completed" };

/**
 * Filters write to the query string through the native History API, which
 * Next's router observes: the view is bookmarkable, yet typing in Search
 * does not ask the server to re-render the page on every key.
 */
export function useUrlFilters<F>(
  read: (params: URLSearchParams) => F,
  write: (params: URLSearchParams, patch: Partial<F>) => URLSearchParams,
): [F, (patch: Partial<F>, mode?: "push" | "replace") => void] {
  const searchParams = useSearchParams();
  const pathname = usePathname();
  const filters = read(new URLSearchParams(searchParams.toString()));
  const update = (patch: Partial<F>, mode: "push" | "replace" = "push") => {
    // The live location, not the hook's snapshot: two quick edits must not
    // overwrite each other while Next is still applying the first.
    const next = write(new URLSearchParams(window.location.search), patch).toString();
    const url = `${pathname}${next ? `?${next}` : ""}`;
    if (mode === "replace") window.history.replaceState(null, "", url);
    else window.history.pushState(null, "", url);
  };
  return [filters, update];
}

export function useSpecsFilters() {
  return useUrlFilters<SpecsFilters>(readFilters, writeFilters);
}

/**
 * A controlled input bound straight to the URL would snap back for a frame:
 * Next applies History API updates in a transition. Each control keeps a
 * local copy that changes at once, and re-syncs whenever the URL changes
 * (Back/Forward, Clear filters).
 */
export function useMirror<T>(fromUrl: T, key: string): [T, (next: T) => void] {
  const [local, setLocal] = useState(fromUrl);
  // Keyed on the URL value's string form: arrays are new objects every render.
  useEffect(() => setLocal(fromUrl), [key]);
  return [local, setLocal];
}

export function FilterBar() {
  const [filters, update] = useSpecsFilters();
  const id = useId();
  const [text, setText] = useMirror(filters.q, filters.q);
  const [status, setStatus] = useMirror(filters.status, filters.status.join(","));
  const [from, setFrom] = useMirror(filters.from, filters.from ?? "");
  const [to, setTo] = useMirror(filters.to, filters.to ?? "");

  const toggle = (group: ChangeGroup) => {
    const set = new Set(status);
    if (set.has(group)) set.delete(group);
    else set.add(group);
    const next = ChangeGroupSchema.options.filter((g) => set.has(g));
    setStatus(next);
    update({ status: next });
  };
  const active = status.length > 0 || from || to || text;

  return (
    <div role="search" aria-label="Filters" className="mb-6 flex flex-wrap items-end gap-x-5 gap-y-3 rounded-lg border border-zinc-200 bg-zinc-50/60 px-3 py-2.5 dark:border-zinc-800 dark:bg-zinc-900/40">
      <div className="flex min-w-56 flex-1 flex-col gap-1">
        <label htmlFor={`${id}-q`} className="text-xs font-medium text-zinc-500 dark:text-zinc-400">
          Search
        </label>
        <input
          id={`${id}-q`}
          type="search"
          value={text}
          placeholder="Change or spec id, title…"
          onChange={(e) => {
            setText(e.target.value);
            update({ q: e.target.value }, "replace");
          }}
          className="h-8 rounded-md border border-zinc-300 bg-white px-2.5 text-sm dark:border-zinc-700 dark:bg-zinc-950"
        />
      </div>
      <fieldset className="flex flex-col gap-1">
        <legend className="mb-1 text-xs font-medium text-zinc-500 dark:text-zinc-400">Status</legend>
        <div className="flex h-8 items-center gap-1">
          {ChangeGroupSchema.options.map((group) => {
            const checked = status.includes(group);
            return (
              <label
                key={group}
                className={`flex h-7 cursor-pointer select-none items-center gap-1.5 rounded-md border px-2 text-sm ${
                  checked
                    ? "border-zinc-400 bg-white text-zinc-900 dark:border-zinc-500 dark:bg-zinc-900 dark:text-zinc-100"
                    : "border-zinc-300 bg-white text-zinc-600 hover:bg-zinc-100 dark:border-zinc-700 dark:bg-zinc-950 dark:text-zinc-400 dark:hover:bg-zinc-800"
                }`}
              >
                <input type="checkbox" className="size-3.5 accent-zinc-900 dark:accent-zinc-100" checked={checked} onChange={() => toggle(group)} />
                {GROUP_LABEL[group]}
              </label>
            );
          })}
        </div>
      </fieldset>
      <div className="flex flex-col gap-1">
        <label htmlFor={`${id}-from`} className="text-xs font-medium text-zinc-500 dark:text-zinc-400">
          Modified from
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
          className="h-8 rounded-md border border-zinc-300 bg-white px-2 text-sm dark:border-zinc-700 dark:bg-zinc-950"
        />
      </div>
      <div className="flex flex-col gap-1">
        <label htmlFor={`${id}-to`} className="text-xs font-medium text-zinc-500 dark:text-zinc-400">
          Modified to
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
          className="h-8 rounded-md border border-zinc-300 bg-white px-2 text-sm dark:border-zinc-700 dark:bg-zinc-950"
        />
      </div>
      {active ? (
        <button
          type="button"
          onClick={() => {
            setText("");
            setStatus([]);
            setFrom(null);
            setTo(null);
            update({ status: [], from: null, to: null, q: "" });
          }}
          className="h-8 rounded-md px-2 text-sm text-zinc-600 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800"
        >
          Clear filters
        </button>
      ) : null}
    </div>
  );
}
