import { cookies } from "next/headers";
import type { ReactNode } from "react";
import { AppShell } from "@/app/_components/shell/app-shell";
import { SelectedProjectProvider } from "@/app/_components/shell/selected-project";
import { TRPCReactProvider } from "@/lib/trpc/react";
import { getQueryClient, HydrateClient, trpc } from "@/lib/trpc/server";
import { PROJECT_COOKIE } from "@/lib/url-state";
import { getRuntime } from "@/server/runtime";

/** Every dashboard tab: the shell, the project list, the remembered project. */
export default async function DashboardLayout({ children }: { children: ReactNode }) {
  // Cookies first: they make the layout dynamic, so `next build` never asks for the runtime.
  const cookieProject = (await cookies()).get(PROJECT_COOKIE)?.value ?? null;
  const runtime = await getRuntime();
  // The tab's event stream starts here, read early so what is published while the page renders still arrives.
  const since = await runtime.bus.latestId();
  await getQueryClient().prefetchQuery(trpc.projects.list.queryOptions());
  // With a token, browsers hold a login session: offer to end it.
  const signedIn = Boolean(runtime.env.token);
  return (
    <TRPCReactProvider>
      <HydrateClient>
        <SelectedProjectProvider cookieProject={cookieProject}>
          <AppShell signedIn={signedIn} since={since}>
            {children}
          </AppShell>
        </SelectedProjectProvider>
      </HydrateClient>
    </TRPCReactProvider>
  );
}
