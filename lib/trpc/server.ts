import { dehydrate } from "@tanstack/react-query";
import { cookies } from "next/headers";
import { createTRPCOptionsProxy } from "@trpc/tanstack-react-query";
import { cache, createElement, type ReactNode } from "react";
import { getRuntime } from "@/server/runtime";
import { createContext } from "@/server/trpc/init";
import { appRouter, createCaller } from "@/server/trpc/root";
import { PROJECT_COOKIE, resolveProject } from "@/lib/url-state";
import { createQueryClient } from "./query-client";
import type { DehydratedQuery } from "./query-cache";
import { Hydrate } from "./react";

/**
 * Server components prefetch through the router directly (no HTTP hop) into
 * a per-request QueryClient, then hand the cache to the browser with
 * <HydrateClient>. This file imports the runtime, so it never reaches a
 * client bundle.
 */
export const getQueryClient = cache(createQueryClient);

const createServerContext = cache(async () => createContext(await getRuntime()));

export const trpc = createTRPCOptionsProxy({
  router: appRouter,
  ctx: createServerContext,
  queryClient: getQueryClient,
});

/** A direct caller for server-only needs (page titles, redirects). */
export async function serverCaller() {
  return createCaller(await createServerContext());
}

/** Hands the request's prefetched queries to the browser's cache: key, serialized data, when read. */
export function HydrateClient({ children }: { children: ReactNode }) {
  const queries: DehydratedQuery[] = dehydrate(getQueryClient())
    .queries.filter((q) => q.state.status === "success")
    .map((q) => [q.queryKey, q.state.data, q.state.dataUpdatedAt]);
  return createElement(Hydrate, { queries, children });
}

/**
 * The project a request shows: `?project=` wins over the remembered cookie;
 * unknown slugs fall back to "All projects". Also returns the display name
 * for titles. Never throws: a page still renders if the runtime is down.
 */
export async function selectedProjectFor(urlValue: string | null | undefined): Promise<{ slug: string | null; name: string | null }> {
  const cookieValue = (await cookies()).get(PROJECT_COOKIE)?.value;
  try {
    const { projects } = await getQueryClient().fetchQuery(trpc.projects.list.queryOptions());
    const slug = resolveProject(
      urlValue,
      cookieValue,
      projects.map((p) => p.slug),
    );
    return { slug, name: projects.find((p) => p.slug === slug)?.name ?? null };
  } catch {
    return { slug: null, name: null };
  }
}

/** A project's display name for titles, or the slug if it is unknown. */
export async function projectName(slug: string): Promise<string> {
  try {
    const { projects } = await getQueryClient().fetchQuery(trpc.projects.list.queryOptions());
    return projects.find((p) => p.slug === slug)?.name ?? slug;
  } catch {
    return slug;
  }
}
