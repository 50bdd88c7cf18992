import type { Metadata } from "next";
import { AccountsBanner, AccountsPanel } from "@/app/_components/sessions/accounts-panel";
import { agentInput } from "@/app/_components/agents/agents-format";
import { AgentsPanel } from "@/app/_components/agents/agents-panel";
import { LaunchSessionButton } from "@/app/_components/sessions/launch-session-button";
import { PageHeader } from "@/app/_components/shell/page-header";
import { SessionCosts } from "@/app/_components/sessions/session-costs";
import { readStatusFilter, sessionsListInput } from "@/app/_components/sessions/session-format";
import { SessionList } from "@/app/_components/sessions/session-list";
import { Section } from "@/app/_components/ui/ui";
import { getQueryClient, HydrateClient, selectedProjectFor, trpc } from "@/lib/trpc/server";
import { paramsFromRecord, PROJECT_PARAM } from "@/lib/url-state";

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

export async function generateMetadata({ searchParams }: Props): Promise<Metadata> {
  const { name } = await selectedProjectFor(paramsFromRecord(await searchParams).get(PROJECT_PARAM));
  return { title: name ? `Sessions · ${name}` : "Sessions" };
}

export default async function SessionsPage({ searchParams }: Props) {
  const params = paramsFromRecord(await searchParams);
  const { slug } = await selectedProjectFor(params.get(PROJECT_PARAM));
  const queryClient = getQueryClient();
  await Promise.all([
    queryClient.prefetchQuery(trpc.agents.listActive.queryOptions(agentInput(slug))),
    queryClient.prefetchQuery(trpc.sessions.list.queryOptions(sessionsListInput(slug, readStatusFilter(params)))),
    queryClient.prefetchQuery(trpc.accounts.list.queryOptions()),
  ]);
  return (
    <HydrateClient>
      <PageHeader
        section="Sessions"
        sectionHref="/sessions"
        title="Sessions"
        subtitle="Claude Code sessions Workdeck launched, their cost and accounts, and every agent reporting through hooks, live."
        actions={<LaunchSessionButton projectId={slug} />}
      />
      <AccountsBanner />
      <div className="space-y-8">
        <Section id="launched" title="Launched sessions">
          <SessionList />
        </Section>
        <SessionCosts />
        <AccountsPanel />
        <AgentsPanel />
      </div>
    </HydrateClient>
  );
}
