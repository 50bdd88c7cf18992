import type { Metadata } from "next";
import { ErrorsBoard } from "@/app/_components/errors/errors-board";
import { listFailuresInput, readErrorsFilters, statsInput } from "@/app/_components/errors/errors-url-state";
import { getQueryClient, HydrateClient, selectedProjectFor, trpc } from "@/lib/trpc/server";
import { paramsFromRecord, PROJECT_PARAM } from "@/lib/url-state";

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

/**
 * Above this many rows only the first ones are embedded in the HTML:
 * dehydrating thousands of groups would make the first byte wait on megabytes
 * of JSON, while the browser fetches them as fast over the stream link.
 */
const SSR_ROW_LIMIT = 500;

export async function generateMetadata({ searchParams }: Props): Promise<Metadata> {
  const { name } = await selectedProjectFor(paramsFromRecord(await searchParams).get(PROJECT_PARAM));
  return { title: name ? `Errors · ${name}` : "Errors" };
}

export default async function ErrorsPage({ searchParams }: Props) {
  const params = paramsFromRecord(await searchParams);
  const { slug } = await selectedProjectFor(params.get(PROJECT_PARAM));
  const queryClient = getQueryClient();
  const listOptions = trpc.errors.listFailures.queryOptions(listFailuresInput(slug, readErrorsFilters(params)));
  const [rows] = await Promise.all([
    queryClient.fetchQuery(listOptions).catch(() => null),
    queryClient.prefetchQuery(trpc.errors.stats.queryOptions(statsInput(slug))),
  ]);
  // A long list is embedded only in part: the first rows paint at once, and
  // the query is marked stale (updatedAt 0) so the browser fetches the rest
  // right after hydration instead of shipping megabytes of HTML.
  if (rows && rows.length > SSR_ROW_LIMIT) queryClient.setQueryData(listOptions.queryKey, rows.slice(0, SSR_ROW_LIMIT), { updatedAt: 0 });
  return (
    <HydrateClient>
      <ErrorsBoard />
    </HydrateClient>
  );
}
