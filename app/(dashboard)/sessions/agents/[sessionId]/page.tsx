import type { Metadata } from "next";
import { AgentTimeline } from "@/app/_components/agents/agent-timeline";
import { getQueryClient, HydrateClient, trpc } from "@/lib/trpc/server";

type Props = { params: Promise<{ sessionId: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { sessionId } = await params;
  return { title: `Agent ${decodeURIComponent(sessionId).slice(0, 8)} · Sessions` };
}

export default async function AgentPage({ params }: Props) {
  const sessionId = decodeURIComponent((await params).sessionId);
  const queryClient = getQueryClient();
  // A missing session renders the page's error state, not a crash.
  await Promise.all([
    queryClient.prefetchQuery(trpc.agents.getActivity.queryOptions({ sessionId })),
    queryClient.prefetchQuery(trpc.agents.getMetrics.queryOptions({ sessionId })),
  ]);
  return (
    <HydrateClient>
      <AgentTimeline sessionId={sessionId} />
    </HydrateClient>
  );
}
