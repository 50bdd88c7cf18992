import type { Metadata } from "next";
import { ChangeFileEditor } from "@/app/_components/change-editor/change-file-editor";
import { decodeSegment } from "@/lib/url-state";

type Props = { params: Promise<{ project: string; changeId: string }>; searchParams: Promise<{ file?: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { changeId } = await params;
  return { title: `Edit ${decodeSegment(changeId)}` };
}

/** The plain editor of a change's proposal, design, tasks and delta specs (issue 13). */
export default async function EditChangePage({ params, searchParams }: Props) {
  const raw = await params;
  const { file } = await searchParams;
  return (
    <ChangeFileEditor
      projectId={decodeSegment(raw.project)}
      changeId={decodeSegment(raw.changeId)}
      initialFile={typeof file === "string" ? file : undefined}
    />
  );
}
