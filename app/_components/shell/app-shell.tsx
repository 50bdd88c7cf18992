"use client";

import Link from "@/app/_components/ui/link";
import { usePathname } from "next/navigation";
import type { ReactNode } from "react";
import { PROJECT_PARAM } from "@/lib/url-state";
import { LiveEventsProvider, LiveUpdates } from "./live-updates";
import { OPEN_PALETTE_EVENT, PaletteLauncher } from "./palette-launcher";
import { ProjectProblems } from "./project-problems";
import { ProjectSelector } from "./project-selector";
import { useSelectedProject } from "./selected-project";

const TABS = [
  { label: "All Work", href: "/work" },
  { label: "Board", href: "/board" },
  { label: "Specs", href: "/specs" },
  { label: "Errors", href: "/errors" },
  { label: "Sessions", href: "/sessions" },
  { label: "Agents", href: "/agents" },
  { label: "Ask", href: "/ask" },
  { label: "Agents & skills", href: "/agents-config" },
  { label: "Deploys", href: "/deploys" },
] as const;

/** `since`: the event id the server render read up to, where the tab's one event stream starts. */
export function AppShell({ children, signedIn = false, since = null }: { children: ReactNode; signedIn?: boolean; since?: number | null }) {
  const pathname = usePathname();
  const { slug } = useSelectedProject();
  const suffix = slug ? `?${PROJECT_PARAM}=${encodeURIComponent(slug)}` : "";
  return (
    <LiveEventsProvider since={since}>
      <div className="flex min-h-screen flex-col">
        <a
          href="#main"
          className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-1.5 focus:text-sm dark:focus:bg-zinc-900"
        >
          Skip to content
        </a>
        <header className="sticky top-0 z-30 border-b border-zinc-200 bg-white/90 backdrop-blur dark:border-zinc-800 dark:bg-zinc-950/90">
          {/* Down to 360 px: brand and tools on one row, the tabs in their own sideways-scrolling row (issue 13). */}
          <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-6 px-3 sm:px-4 lg:h-12 lg:flex-nowrap">
            <Link href={`/work${suffix}`} className="flex h-12 items-center gap-2 text-sm font-semibold tracking-tight">
              <span
                aria-hidden
                className="grid size-5 place-items-center rounded bg-zinc-900 text-[10px] font-bold text-white dark:bg-zinc-100 dark:text-zinc-900"
              >
                W
              </span>
              Workdeck
            </Link>
            <nav
              aria-label="Sections"
              className="order-last -mx-3 flex h-10 w-[calc(100%+1.5rem)] items-stretch gap-1 overflow-x-auto px-2 [scrollbar-width:none] lg:order-none lg:mx-0 lg:h-full lg:w-auto lg:overflow-visible lg:px-0"
            >
              {TABS.map((tab) => {
                const active = pathname === tab.href || pathname.startsWith(`${tab.href}/`);
                return (
                  <Link
                    key={tab.href}
                    href={`${tab.href}${suffix}`}
                    aria-current={active ? "page" : undefined}
                    className={`-mb-px flex shrink-0 items-center whitespace-nowrap border-b-2 px-2.5 text-sm transition-colors ${
                      active
                        ? "border-zinc-900 font-medium text-zinc-900 dark:border-zinc-100 dark:text-zinc-100"
                        : "border-transparent text-zinc-500 hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-zinc-100"
                    }`}
                  >
                    {tab.label}
                  </Link>
                );
              })}
            </nav>
            <div className="ml-auto flex min-w-0 items-center gap-3 sm:gap-4">
              <button
                type="button"
                onClick={() => window.dispatchEvent(new Event(OPEN_PALETTE_EVENT))}
                aria-keyshortcuts="Control+K Meta+K"
                className="hidden h-7 items-center gap-2 rounded-md border border-zinc-300 px-2 text-xs text-zinc-500 hover:bg-zinc-50 sm:inline-flex dark:border-zinc-700 dark:hover:bg-zinc-900"
              >
                Jump to… <kbd className="font-sans">Ctrl K</kbd>
              </button>
              <LiveUpdates />
              <ProjectSelector />
              <Link
                href="/settings"
                aria-current={pathname.startsWith("/settings") ? "page" : undefined}
                className="text-sm text-zinc-500 hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-zinc-100"
              >
                Settings
              </Link>
              {signedIn ? (
                // A plain form: logout must work before hydration, and only as a POST.
                <form method="post" action="/api/logout">
                  <button type="submit" className="text-sm text-zinc-500 hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-zinc-100">
                    Log out
                  </button>
                </form>
              ) : null}
            </div>
          </div>
        </header>
        <ProjectProblems />
        <PaletteLauncher />
        <main id="main" className="mx-auto w-full min-w-0 max-w-7xl flex-1 px-3 py-4 sm:px-4 sm:py-6">
          {children}
        </main>
      </div>
    </LiveEventsProvider>
  );
}
