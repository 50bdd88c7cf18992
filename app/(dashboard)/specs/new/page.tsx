import type { Metadata } from "next";
import { ProposalForm, type ProposalPrefill } from "@/app/_components/specs/proposal-form";
import { paramsFromRecord } from "@/lib/url-state";

export const metadata: Metadata = { title: "New proposal" };

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

/**
 * Pre-fill comes from the query string (?title=&description=&whatChanges=
 * &impact=&tasks=&changeId=&project=, and &failureId= to link the
 * created change back to that failure), so other screens (a failure that
 * needs a spec) can open the form filled in with a plain link.
 */
export default async function NewProposalPage({ searchParams }: Props) {
  const params = paramsFromRecord(await searchParams);
  const pick = (...names: string[]) =>
    names
      .map((n) => params.get(n))
      .find((v) => v != null)
      ?.slice(0, 10_000) ?? undefined;
  const prefill: ProposalPrefill = {
    projectId: pick("project"),
    title: pick("title"),
    description: pick("description", "why"),
    whatChanges: pick("whatChanges", "what"),
    impact: pick("impact"),
    tasks: pick("tasks"),
    changeId: pick("changeId", "id"),
  };
  const failureId = params.get("failureId");
  if (failureId && /^[1-9]\d{0,15}$/.test(failureId)) prefill.failureId = Number(failureId);
  return <ProposalForm prefill={prefill} />;
}
