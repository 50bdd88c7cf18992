import type { Metadata } from "next";
import { SpecsBoard } from "@/app/_components/specs/specs-board";
import { getQueryClient, HydrateClient, selectedProjectFor, trpc } from "@/lib/trpc/server";
import { listInput, paramsFromRecord, PROJECT_PARAM } from "@/lib/url-state";

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

export async function generateMetadata({ searchParams }: Props): Promise<Metadata> {
  const { name } = await selectedProjectFor(paramsFromRecord(await searchParams).get(PROJECT_PARAM));
  return { title: name ? `Specs · ${name}` : "Specs" };
}

export default async function SpecsPage({ searchParams }: Props) {
  const { slug } = await selectedProjectFor(paramsFromRecord(await searchParams).get(PROJECT_PARAM));
  const queryClient = getQueryClient();
  // Awaited: the reads are served from the in-memory cache, and a page that
  // arrives complete has no skeleton flash and no layout shift.
  await Promise.all([
    queryClient.prefetchQuery(trpc.openspec.listChanges.queryOptions(listInput(slug))),
    queryClient.prefetchQuery(trpc.openspec.listSpecs.queryOptions(listInput(slug))),
  ]);
  return (
    <HydrateClient>
      <SpecsBoard />
    </HydrateClient>
  );
}
