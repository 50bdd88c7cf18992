import type { Metadata } from "next";
import { NotBuilt } from "@/app/_components/not-built";
import { selectedProjectFor } from "@/lib/trpc/server";
import { paramsFromRecord, PROJECT_PARAM } from "@/lib/url-state";

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

export async function generateMetadata({ searchParams }: Props): Promise<Metadata> {
  const { name } = await selectedProjectFor(paramsFromRecord(await searchParams).get(PROJECT_PARAM));
  return { title: name ? `All Work · ${name}` : "All Work" };
}

export default function WorkPage() {
  return <NotBuilt title="All Work" message="All Work combines specs, errors and sessions into one queue — not built yet. The Specs tab is live." />;
}
