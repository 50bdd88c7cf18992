import type { Metadata } from "next";
import { agentInput } from "@/app/_components/agents/agents-format";
import { AgentsPanel } from "@/app/_components/agents/agents-panel";
import { PageHeader } from "@/app/_components/shell/page-header";
import { getQueryClient, HydrateClient, selectedProjectFor, trpc } from "@/lib/trpc/server";
import { paramsFromRecord, PROJECT_PARAM } from "@/lib/url-state";

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

export async function generateMetadata({ searchParams }: Props): Promise<Metadata> {
  const { name } = await selectedProjectFor(paramsFromRecord(await searchParams).get(PROJECT_PARAM));
  return { title: name ? `Agents · ${name}` : "Agents" };
}

/** The Agents panel in its own place in the navigation (issue 13): every agent reporting through hooks, live. */
export default async function AgentsPage({ searchParams }: Props) {
  const { slug } = await selectedProjectFor(paramsFromRecord(await searchParams).get(PROJECT_PARAM));
  await getQueryClient().prefetchQuery(trpc.agents.listActive.queryOptions(agentInput(slug)));
  return (
    <HydrateClient>
      <PageHeader
        section="Agents"
        sectionHref="/agents"
        title="Agents"
        subtitle="Claude Code sessions reporting through hooks, in any terminal or launched here: what each is doing, and who waits for you."
      />
      <AgentsPanel />
    </HydrateClient>
  );
}
