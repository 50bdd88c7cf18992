import type { Metadata } from "next";
import { AskView } from "@/app/_components/ask/ask-view";
import { PageHeader } from "@/app/_components/shell/page-header";
import { getQueryClient, HydrateClient, selectedProjectFor, trpc } from "@/lib/trpc/server";
import { paramsFromRecord, PROJECT_PARAM } from "@/lib/url-state";

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

export const metadata: Metadata = { title: "Ask" };

export default async function AskPage({ searchParams }: Props) {
  const params = paramsFromRecord(await searchParams);
  const { slug } = await selectedProjectFor(params.get(PROJECT_PARAM));
  const raw = params.get("session") ?? "";
  const sessionId = /^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : null;
  const queryClient = getQueryClient();
  await Promise.all([
    queryClient.prefetchQuery(trpc.ask.list.queryOptions(slug ? { projectId: slug } : {})),
    ...(sessionId
      ? [
          queryClient.prefetchQuery(trpc.sessions.get.queryOptions({ id: sessionId })),
          queryClient.prefetchQuery(trpc.sessions.events.queryOptions({ id: sessionId })),
        ]
      : []),
  ]);
  return (
    <HydrateClient>
      <PageHeader
        section="Ask"
        sectionHref="/ask"
        title="Ask"
        subtitle="Ask a Claude Code session that has Workdeck's tools: what it files or creates appears in the other tabs as it happens."
      />
      <AskView sessionId={sessionId} />
    </HydrateClient>
  );
}
