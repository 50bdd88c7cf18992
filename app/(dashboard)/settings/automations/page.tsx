import type { Metadata } from "next";
import { AutomationsView } from "@/app/_components/deploys/automations-view";
import { getQueryClient, HydrateClient, trpc } from "@/lib/trpc/server";

export const metadata: Metadata = { title: "Automations · Settings" };

export default async function AutomationsPage() {
  await getQueryClient().prefetchQuery(trpc.deploys.automations.queryOptions());
  return (
    <HydrateClient>
      <AutomationsView />
    </HydrateClient>
  );
}
