import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { SessionView } from "@/app/_components/sessions/session-view";
import { getQueryClient, HydrateClient, trpc } from "@/lib/trpc/server";

type Props = { params: Promise<{ id: string }> };

function parseId(raw: string): number | null {
  return /^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : null;
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const id = parseId((await params).id);
  return { title: id ? `Session ${id} · Sessions` : "Sessions" };
}

export default async function SessionPage({ params }: Props) {
  const id = parseId((await params).id);
  if (!id) notFound();
  const queryClient = getQueryClient();
  // A missing session renders the page's error state, not a crash.
  await Promise.all([
    queryClient.prefetchQuery(trpc.sessions.get.queryOptions({ id })),
    queryClient.prefetchQuery(trpc.sessions.events.queryOptions({ id })),
  ]);
  return (
    <HydrateClient>
      <SessionView id={id} />
    </HydrateClient>
  );
}
