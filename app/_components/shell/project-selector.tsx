"use client";

import { useSelectedProject } from "./selected-project";

/** A native select: a combobox to assistive technology, keyboard-friendly for free. */
export function ProjectSelector() {
  const { slug, projects, projectsLoaded, select } = useSelectedProject();
  return (
    <div className="flex items-center gap-2">
      <label htmlFor="project-selector" className="sr-only text-xs font-medium text-zinc-500 sm:not-sr-only dark:text-zinc-400">
        Project
      </label>
      <select
        id="project-selector"
        value={slug ?? ""}
        disabled={!projectsLoaded}
        onChange={(e) => select(e.target.value || null)}
        className="h-7 w-32 min-w-0 rounded-md sm:w-auto sm:min-w-40 border border-zinc-300 bg-white px-2 text-sm dark:border-zinc-700 dark:bg-zinc-900"
      >
        <option value="">All projects</option>
        {projects.map((p) => (
          <option key={p.slug} value={p.slug}>
            {p.name}
            {p.problem ? " (unavailable)" : ""}
          </option>
        ))}
      </select>
    </div>
  );
}
