import { cookies } from "next/headers";
import type { ReactNode } from "react";
import { AppShell } from "@/app/_components/app-shell";
import { SelectedProjectProvider } from "@/app/_components/selected-project";
import { getQueryClient, HydrateClient, trpc } from "@/lib/trpc/server";
import { PROJECT_COOKIE } from "@/lib/url-state";

/** Every dashboard tab: the shell, the project list, the remembered project. */
export default async function DashboardLayout({ children }: { children: ReactNode }) {
  const cookieProject = (await cookies()).get(PROJECT_COOKIE)?.value ?? null;
  await getQueryClient().prefetchQuery(trpc.projects.list.queryOptions());
  return (
    <HydrateClient>
      <SelectedProjectProvider cookieProject={cookieProject}>
        <AppShell>{children}</AppShell>
      </SelectedProjectProvider>
    </HydrateClient>
  );
}
