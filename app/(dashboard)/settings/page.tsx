import type { Metadata } from "next";
import { SettingsView } from "@/app/_components/settings/settings-view";
import { getQueryClient, HydrateClient, trpc } from "@/lib/trpc/server";

export const metadata: Metadata = { title: "Settings" };

export default async function SettingsPage() {
  const queryClient = getQueryClient();
  await Promise.all([
    queryClient.prefetchQuery(trpc.settings.get.queryOptions()),
    queryClient.prefetchQuery(trpc.accounts.list.queryOptions()),
  ]);
  return (
    <HydrateClient>
      <SettingsView />
    </HydrateClient>
  );
}
