import { cookies } from "next/headers";
import type { ReactNode } from "react";
import { AppShell } from "@/app/_components/app-shell";
import { SelectedProjectProvider } from "@/app/_components/selected-project";
import { getQueryClient, HydrateClient, trpc } from "@/lib/trpc/server";
import { PROJECT_COOKIE } from "@/lib/url-state";
import { getRuntime } from "@/server/runtime";

/** Every dashboard tab: the shell, the project list, the remembered project. */
export default async function DashboardLayout({ children }: { children: ReactNode }) {
  const cookieProject = (await cookies()).get(PROJECT_COOKIE)?.value ?? null;
  await getQueryClient().prefetchQuery(trpc.projects.list.queryOptions());
  // With a token, browsers hold a login session: offer to end it.
  const signedIn = Boolean((await getRuntime()).env.token);
  return (
    <HydrateClient>
      <SelectedProjectProvider cookieProject={cookieProject}>
        <AppShell signedIn={signedIn}>{children}</AppShell>
      </SelectedProjectProvider>
    </HydrateClient>
  );
}
