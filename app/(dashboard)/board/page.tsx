import type { Metadata } from "next";
import { BoardPage } from "@/app/_components/board/board-page";
import { listAllInput, readWorkFilters } from "@/app/_components/work/work-url-state";
import { getQueryClient, HydrateClient, selectedProjectFor, trpc } from "@/lib/trpc/server";
import { paramsFromRecord, PROJECT_PARAM } from "@/lib/url-state";

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

/** Like All Work: past this many items only the first ones are embedded; the browser fetches the rest. */
const SSR_ITEM_LIMIT = 500;

export async function generateMetadata({ searchParams }: Props): Promise<Metadata> {
  const { name } = await selectedProjectFor(paramsFromRecord(await searchParams).get(PROJECT_PARAM));
  return { title: name ? `Board · ${name}` : "Board" };
}

export default async function Board({ searchParams }: Props) {
  const params = paramsFromRecord(await searchParams);
  const { slug } = await selectedProjectFor(params.get(PROJECT_PARAM));
  const queryClient = getQueryClient();
  const listOptions = trpc.work.listAll.queryOptions(listAllInput(slug, readWorkFilters(params)));
  const items = await queryClient.fetchQuery(listOptions).catch(() => null);
  if (items && items.length > SSR_ITEM_LIMIT)
    queryClient.setQueryData(listOptions.queryKey, items.slice(0, SSR_ITEM_LIMIT), { updatedAt: 0 });
  return (
    <HydrateClient>
      <BoardPage />
    </HydrateClient>
  );
}
