"use client";

import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import type { Project } from "@/lib/schemas/project";
import { useQuery, useTRPC } from "@/lib/trpc/react";
import { PROJECT_COOKIE, PROJECT_PARAM, resolveProject } from "@/lib/url-state";

type CookieState = { cookieProject: string | null; setCookieProject(slug: string | null): void };

const CookieContext = createContext<CookieState | null>(null);

function writeCookie(slug: string | null) {
  // Readable by the server (not HttpOnly): it only picks a view, it grants nothing.
  document.cookie = slug
    ? `${PROJECT_COOKIE}=${encodeURIComponent(slug)}; Path=/; Max-Age=${60 * 60 * 24 * 365}; SameSite=Lax`
    : `${PROJECT_COOKIE}=; Path=/; Max-Age=0; SameSite=Lax`;
}

/** Holds the remembered project (from the cookie the server read) for the client. */
export function SelectedProjectProvider({ cookieProject: initial, children }: { cookieProject: string | null; children: ReactNode }) {
  const [cookieProject, setState] = useState(initial);
  const setCookieProject = useCallback((slug: string | null) => {
    writeCookie(slug);
    setState(slug);
  }, []);
  const searchParams = useSearchParams();
  const fromUrl = searchParams.get(PROJECT_PARAM);

  // A shared link with ?project= becomes the remembered choice, so the next
  // visit without the parameter shows the same project.
  useEffect(() => {
    if (fromUrl && fromUrl !== cookieProject) setCookieProject(fromUrl);
  }, [fromUrl, cookieProject, setCookieProject]);

  const value = useMemo(() => ({ cookieProject, setCookieProject }), [cookieProject, setCookieProject]);
  return <CookieContext.Provider value={value}>{children}</CookieContext.Provider>;
}

export type SelectedProject = {
  /** null means "All projects". */
  slug: string | null;
  project: Project | null;
  projects: Project[];
  warnings: string[];
  projectsLoaded: boolean;
  select(slug: string | null): void;
  nameOf(slug: string): string;
};

export function useSelectedProject(): SelectedProject {
  const cookie = useContext(CookieContext);
  if (!cookie) throw new Error("useSelectedProject needs <SelectedProjectProvider>");
  const trpc = useTRPC();
  const { data } = useQuery(trpc.projects.list.queryOptions());
  const searchParams = useSearchParams();
  const pathname = usePathname();
  const router = useRouter();
  const projects = useMemo(() => data?.projects ?? [], [data]);
  const slug = resolveProject(
    searchParams.get(PROJECT_PARAM),
    cookie.cookieProject,
    projects.map((p) => p.slug),
  );

  const select = useCallback(
    (next: string | null) => {
      cookie.setCookieProject(next);
      // Detail pages belong to one project: switching goes back to the list.
      const specsDetail = /^\/specs\/(?!new$)[^/]+\//.test(pathname);
      const errorsDetail = /^\/errors\/[^/]+/.test(pathname);
      const agentDetail = /^\/sessions\/agents\//.test(pathname);
      const onDetail = specsDetail || errorsDetail || agentDetail;
      const params = new URLSearchParams(onDetail ? "" : searchParams.toString());
      if (next) params.set(PROJECT_PARAM, next);
      else params.delete(PROJECT_PARAM);
      const query = params.toString();
      router.push(`${errorsDetail ? "/errors" : specsDetail ? "/specs" : agentDetail ? "/sessions" : pathname}${query ? `?${query}` : ""}`);
    },
    [cookie, pathname, router, searchParams],
  );

  const nameOf = useCallback((s: string) => projects.find((p) => p.slug === s)?.name ?? s, [projects]);

  return {
    slug,
    project: projects.find((p) => p.slug === slug) ?? null,
    projects,
    warnings: data?.warnings ?? [],
    projectsLoaded: Boolean(data),
    select,
    nameOf,
  };
}
