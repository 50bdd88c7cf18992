import type { Metadata } from "next";
import { WorkBoard } from "@/app/_components/work/work-board";
import { activityInput, listAllInput, readWorkFilters } from "@/app/_components/work/work-url-state";
import { getQueryClient, HydrateClient, selectedProjectFor, trpc } from "@/lib/trpc/server";
import { paramsFromRecord, PROJECT_PARAM } from "@/lib/url-state";

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

/** Above this many items only the first ones are embedded in the HTML; the browser fetches the rest. */
const SSR_ROW_LIMIT = 500;

export async function generateMetadata({ searchParams }: Props): Promise<Metadata> {
  const { name } = await selectedProjectFor(paramsFromRecord(await searchParams).get(PROJECT_PARAM));
  return { title: name ? `All Work · ${name}` : "All Work" };
}

export default async function WorkPage({ searchParams }: Props) {
  const params = paramsFromRecord(await searchParams);
  const { slug } = await selectedProjectFor(params.get(PROJECT_PARAM));
  const filters = readWorkFilters(params);
  const queryClient = getQueryClient();
  const listOptions = trpc.work.listAll.queryOptions(listAllInput(slug, filters));
  const [rows] = await Promise.all([
    queryClient.fetchQuery(listOptions).catch(() => null),
    queryClient.prefetchQuery(trpc.work.stats.queryOptions(slug ? { projectId: slug } : {})),
    queryClient.prefetchQuery(trpc.work.activity.queryOptions({ ...activityInput(slug, filters.activity), limit: 50 })),
  ]);
  // A long list is embedded only in part: the first rows paint at once, and
  // the query is marked stale (updatedAt 0) so the browser fetches the rest
  // right after hydration instead of shipping megabytes of HTML.
  if (rows && rows.length > SSR_ROW_LIMIT) queryClient.setQueryData(listOptions.queryKey, rows.slice(0, SSR_ROW_LIMIT), { updatedAt: 0 });
  return (
    <HydrateClient>
      <WorkBoard />
    </HydrateClient>
  );
}
