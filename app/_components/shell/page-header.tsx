"use client";

import Link from "@/app/_components/ui/link";
import type { ReactNode } from "react";
import { PROJECT_PARAM } from "@/lib/url-state";
import { useSelectedProject } from "./selected-project";

export type Crumb = { label: string; href?: string };

/**
 * Breadcrumbs (project › section › item) plus the page heading and actions.
 * `projectSlug` names the page's own project (detail pages); otherwise the
 * selected one is shown.
 */
export function PageHeader({
  section,
  sectionHref,
  projectSlug,
  crumbs = [],
  title,
  subtitle,
  actions,
}: {
  section: string;
  sectionHref: string;
  projectSlug?: string;
  crumbs?: Crumb[];
  title: ReactNode;
  subtitle?: ReactNode;
  actions?: ReactNode;
}) {
  const { slug, nameOf } = useSelectedProject();
  const project = projectSlug ?? slug;
  const trail: Crumb[] = [
    project
      ? { label: nameOf(project), href: `${sectionHref}?${PROJECT_PARAM}=${encodeURIComponent(project)}` }
      : { label: "All projects" },
    { label: section, href: project ? `${sectionHref}?${PROJECT_PARAM}=${encodeURIComponent(project)}` : sectionHref },
    ...crumbs,
  ];
  return (
    <div className="mb-6 space-y-2">
      <nav aria-label="Breadcrumb">
        <ol className="flex flex-wrap items-center gap-1 text-xs text-zinc-500 dark:text-zinc-400">
          {trail.map((c, i) => {
            const last = i === trail.length - 1;
            return (
              <li key={`${c.label}-${i}`} className="flex items-center gap-1">
                {c.href && !last ? (
                  <Link href={c.href} className="hover:text-zinc-900 hover:underline dark:hover:text-zinc-100">
                    {c.label}
                  </Link>
                ) : (
                  <span aria-current={last ? "page" : undefined} className={last ? "text-zinc-700 dark:text-zinc-300" : undefined}>
                    {c.label}
                  </span>
                )}
                {!last ? <span aria-hidden>›</span> : null}
              </li>
            );
          })}
        </ol>
      </nav>
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <h1 className="truncate text-xl font-semibold tracking-tight">{title}</h1>
          {subtitle ? <div className="mt-1 text-sm text-zinc-500 dark:text-zinc-400">{subtitle}</div> : null}
        </div>
        {actions ? <div className="flex shrink-0 items-center gap-2">{actions}</div> : null}
      </div>
    </div>
  );
}
