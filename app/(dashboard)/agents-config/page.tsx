import type { Metadata } from "next";
import { AgentsConfigView } from "@/app/_components/agents-config/agents-config-view";
import { PageHeader } from "@/app/_components/shell/page-header";
import { getQueryClient, HydrateClient, selectedProjectFor, trpc } from "@/lib/trpc/server";
import { paramsFromRecord, PROJECT_PARAM } from "@/lib/url-state";

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

export async function generateMetadata({ searchParams }: Props): Promise<Metadata> {
  const { name } = await selectedProjectFor(paramsFromRecord(await searchParams).get(PROJECT_PARAM));
  return { title: name ? `Agents & skills · ${name}` : "Agents & skills" };
}

export default async function AgentsConfigPage({ searchParams }: Props) {
  const { slug } = await selectedProjectFor(paramsFromRecord(await searchParams).get(PROJECT_PARAM));
  const queryClient = getQueryClient();
  if (slug) {
    // A project whose .claude cannot be read still renders; the view shows the error.
    await Promise.all([
      queryClient.prefetchQuery(trpc.claudeConfig.listAgents.queryOptions({ projectId: slug })),
      queryClient.prefetchQuery(trpc.claudeConfig.listSkills.queryOptions({ projectId: slug })),
    ]);
  }
  return (
    <HydrateClient>
      <PageHeader
        section="Agents & skills"
        sectionHref="/agents-config"
        title="Agents & skills"
        subtitle="The project's Claude Code sub-agents and skills, as files in its .claude folder. Edits made elsewhere are never overwritten."
      />
      <AgentsConfigView />
    </HydrateClient>
  );
}
