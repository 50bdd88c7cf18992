import type { Metadata } from "next";
import { SpecView } from "@/app/_components/specs/spec-view";
import { getQueryClient, HydrateClient, projectName, trpc } from "@/lib/trpc/server";
import { decodeSegment } from "@/lib/url-state";

/** Spec ids nest ("payments/refunds"), so the id is a catch-all of segments. */
type Props = { params: Promise<{ project: string; specId: string[] }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { project, specId } = await params;
  return { title: `${specId.map(decodeSegment).join("/")} · ${await projectName(decodeSegment(project))}` };
}

export default async function SpecPage({ params }: Props) {
  const raw = await params;
  const projectId = decodeSegment(raw.project);
  const specId = raw.specId.map(decodeSegment).join("/");
  await getQueryClient().prefetchQuery(trpc.openspec.showSpec.queryOptions({ projectId, specId }));
  return (
    <HydrateClient>
      <SpecView projectId={projectId} specId={specId} />
    </HydrateClient>
  );
}
