import type { Metadata } from "next";
import { NotBuilt } from "@/app/_components/not-built";
import { selectedProjectFor } from "@/lib/trpc/server";
import { paramsFromRecord, PROJECT_PARAM } from "@/lib/url-state";

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

export async function generateMetadata({ searchParams }: Props): Promise<Metadata> {
  const { name } = await selectedProjectFor(paramsFromRecord(await searchParams).get(PROJECT_PARAM));
  return { title: name ? `Sessions · ${name}` : "Sessions" };
}

export default function SessionsPage() {
  return <NotBuilt title="Sessions" message="Sessions arrive with the Claude Code session runner — not built yet." />;
}
