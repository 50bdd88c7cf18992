import type { Metadata } from "next";
import { ChangeView } from "@/app/_components/specs/change-view";
import { getQueryClient, HydrateClient, projectName, trpc } from "@/lib/trpc/server";
import { decodeSegment } from "@/lib/url-state";

type Props = { params: Promise<{ project: string; changeId: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { project, changeId } = await params;
  return { title: `${decodeSegment(changeId)} · ${await projectName(decodeSegment(project))}` };
}

export default async function ChangePage({ params }: Props) {
  const raw = await params;
  const projectId = decodeSegment(raw.project);
  const changeId = decodeSegment(raw.changeId);
  await getQueryClient().prefetchQuery(trpc.openspec.showChange.queryOptions({ projectId, changeId }));
  return (
    <HydrateClient>
      <ChangeView projectId={projectId} changeId={changeId} />
    </HydrateClient>
  );
}
