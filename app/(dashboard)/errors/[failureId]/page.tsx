import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { FailureView } from "@/app/_components/errors/failure-view";
import { getQueryClient, HydrateClient, trpc } from "@/lib/trpc/server";

type Props = { params: Promise<{ failureId: string }> };

function parseId(raw: string): number | null {
  return /^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : null;
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const failureId = parseId((await params).failureId);
  if (!failureId) return { title: "Errors" };
  try {
    const failure = await getQueryClient().fetchQuery(trpc.errors.getFailure.queryOptions({ failureId }));
    return { title: `${failure.titlePath.at(-1) ?? failure.file} · Errors` };
  } catch {
    return { title: `Failure ${failureId} · Errors` };
  }
}

export default async function FailurePage({ params }: Props) {
  const failureId = parseId((await params).failureId);
  if (!failureId) notFound();
  await getQueryClient().prefetchQuery(trpc.errors.getFailure.queryOptions({ failureId }));
  return (
    <HydrateClient>
      <FailureView failureId={failureId} />
    </HydrateClient>
  );
}
