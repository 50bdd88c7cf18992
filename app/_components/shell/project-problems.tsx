"use client";

import { useSelectedProject } from "./selected-project";

/** Projects that cannot be read say why, instead of silently showing nothing. */
export function ProjectProblems() {
  const { slug, projects, warnings } = useSelectedProject();
  const broken = projects.filter((p) => p.problem && (!slug || p.slug === slug));
  if (!broken.length && !warnings.length) return null;
  return (
    <div className="border-b border-amber-200 bg-amber-50 dark:border-amber-900/60 dark:bg-amber-950/40">
      <ul className="mx-auto max-w-7xl space-y-1 px-4 py-2 text-sm text-amber-900 dark:text-amber-200" role="alert">
        {broken.map((p) => (
          <li key={p.slug}>
            <span className="font-medium">{p.name}:</span> {p.problem}
          </li>
        ))}
        {warnings.map((w) => (
          <li key={w}>{w}</li>
        ))}
      </ul>
    </div>
  );
}
