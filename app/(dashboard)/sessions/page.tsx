import type { Metadata } from "next";
import { agentInput } from "@/app/_components/agents-format";
import { AgentsPanel } from "@/app/_components/agents-panel";
import { PageHeader } from "@/app/_components/page-header";
import { getQueryClient, HydrateClient, selectedProjectFor, trpc } from "@/lib/trpc/server";
import { paramsFromRecord, PROJECT_PARAM } from "@/lib/url-state";

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

export async function generateMetadata({ searchParams }: Props): Promise<Metadata> {
  const { name } = await selectedProjectFor(paramsFromRecord(await searchParams).get(PROJECT_PARAM));
  return { title: name ? `Sessions · ${name}` : "Sessions" };
}

export default async function SessionsPage({ searchParams }: Props) {
  const { slug } = await selectedProjectFor(paramsFromRecord(await searchParams).get(PROJECT_PARAM));
  await getQueryClient().prefetchQuery(trpc.agents.listActive.queryOptions(agentInput(slug)));
  return (
    <HydrateClient>
      <PageHeader section="Sessions" sectionHref="/sessions" title="Sessions" subtitle="Claude Code agents on this machine, from their hook events, live." />
      <div className="space-y-8">
        <AgentsPanel />
        <div className="rounded-lg border border-dashed border-zinc-300 px-6 py-6 text-center dark:border-zinc-700">
          <p className="text-sm font-medium">Launching sessions from Workdeck arrives with issue 4 (the Claude Code session runner) — not built yet.</p>
          <p className="mt-1 text-sm text-zinc-500 dark:text-zinc-400">Until then, agents you start yourself show up above once their hooks are installed.</p>
        </div>
      </div>
    </HydrateClient>
  );
}
