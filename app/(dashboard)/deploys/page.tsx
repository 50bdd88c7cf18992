import type { Metadata } from "next";
import { DeploysView } from "@/app/_components/deploys/deploys-view";
import { getQueryClient, HydrateClient, selectedProjectFor, trpc } from "@/lib/trpc/server";
import { paramsFromRecord, PROJECT_PARAM } from "@/lib/url-state";

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

export const metadata: Metadata = { title: "Deploys" };

/** The deploy timeline and the ci/review/deploy items of the selected project (issue 15). */
export default async function DeploysPage({ searchParams }: Props) {
  const { slug } = await selectedProjectFor(paramsFromRecord(await searchParams).get(PROJECT_PARAM));
  const scope = slug ? { projectId: slug } : {};
  const queryClient = getQueryClient();
  await Promise.all([
    queryClient.prefetchQuery(trpc.deploys.timeline.queryOptions({ ...scope, limit: 20 })),
    queryClient.prefetchQuery(trpc.deploys.items.queryOptions({ ...scope, includeResolved: true })),
  ]);
  return (
    <HydrateClient>
      <DeploysView />
    </HydrateClient>
  );
}
