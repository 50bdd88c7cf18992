import type { Metadata } from "next";
import { NotBuilt } from "@/app/_components/not-built";
import { selectedProjectFor } from "@/lib/trpc/server";
import { paramsFromRecord, PROJECT_PARAM } from "@/lib/url-state";

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

export async function generateMetadata({ searchParams }: Props): Promise<Metadata> {
  const { name } = await selectedProjectFor(paramsFromRecord(await searchParams).get(PROJECT_PARAM));
  return { title: name ? `Errors · ${name}` : "Errors" };
}

export default function ErrorsPage() {
  return <NotBuilt title="Errors" message="Errors arrive with Playwright report ingest — not built yet." />;
}
