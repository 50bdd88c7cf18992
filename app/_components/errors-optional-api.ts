"use client";

import { TRPCClientError } from "@trpc/client";
import { useTRPCClient } from "@/lib/trpc/react";
import type { FailureDetail, FailureGroup } from "@/lib/schemas/errors";
import type { RunMark } from "./sparkline";

/**
 * Procedures and fields that are being added to the errors router in
 * parallel with this UI (proposal drafts and links, recent-run marks). They
 * are reached through the untyped client proxy so the tab builds and works
 * before they land and picks them up as soon as they do; once the router
 * has them, these helpers can become plain typed calls.
 */

export type ProposalDraft = {
  projectId?: string;
  title?: string;
  description?: string;
  whatChanges?: string;
  impact?: string;
  /** One task per entry, or one per line. */
  tasks?: string[] | string;
  changeId?: string;
  /** The server's ready-made `/specs/new?…&failureId=` link (kept short enough for a URL). */
  href?: string;
};

type UntypedProcedure = { query(input: unknown): Promise<unknown>; mutate(input: unknown): Promise<unknown> };
type UntypedErrors = Record<string, UntypedProcedure>;

function errorsOf(client: unknown): UntypedErrors {
  return (client as { errors: UntypedErrors }).errors;
}

const isMissingProcedure = (error: unknown) => error instanceof TRPCClientError && error.data?.code === "NOT_FOUND" && /procedure/i.test(error.message);

export function useOptionalErrorsApi() {
  const client = useTRPCClient();
  return {
    /** The server's draft, or null when the server does not offer drafts yet. */
    async proposalDraft(failureId: number): Promise<ProposalDraft | null> {
      try {
        return (await errorsOf(client).proposalDraft!.query({ failureId })) as ProposalDraft;
      } catch (error) {
        if (isMissingProcedure(error)) return null;
        throw error;
      }
    },
    /** Links a created change to the failure; false when the server cannot link yet. */
    async linkProposal(failureId: number, changeId: string): Promise<boolean> {
      try {
        await errorsOf(client).linkProposal!.mutate({ failureId, changeId });
        return true;
      } catch (error) {
        if (isMissingProcedure(error)) return false;
        throw error;
      }
    },
  };
}

/** `recentRuns` on a list row (last 20 runs, oldest first), when the server sends it. */
export function recentRunsOf(row: FailureGroup): RunMark[] | null {
  const runs = (row as FailureGroup & { recentRuns?: RunMark[] }).recentRuns;
  return Array.isArray(runs) ? runs : null;
}

/**
 * A draft built from the failure itself, used when the server has no
 * `proposalDraft` yet: the test, the error and the engine's rationale are
 * the evidence a spec author needs.
 */
export function localProposalDraft(failure: FailureDetail): ProposalDraft {
  const test = failure.titlePath.join(" › ");
  const slugWords = failure.titlePath.at(-1)?.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 40) || `failure-${failure.id}`;
  return {
    projectId: failure.projectSlug,
    title: `Specify: ${failure.titlePath.at(-1) ?? test}`,
    changeId: `spec-${slugWords}`.replace(/-+$/, ""),
    description: `The test "${test}" (${failure.file}, ${failure.projectName}) fails: ${failure.rationale}`,
    whatChanges: `- Specify the behaviour "${test}" checks\n- Make ${failure.file} pass against the spec\n\nLast error:\n${failure.lastMessage.split("\n").slice(0, 6).join("\n")}`,
    impact: `Tests: ${failure.file} (${failure.projectName}); ${failure.occurrences} occurrence(s), pattern ${failure.pattern}.`,
    tasks: [`Write the spec for "${failure.titlePath.at(-1) ?? test}"`, "Implement it", `Make ${failure.file} pass`],
  };
}

/** Set on groups made from run-level errors (global setup/teardown, a spec file that does not load). */
export function runErrorKindOf(row: FailureGroup): string | null {
  const kind = (row as FailureGroup & { runErrorKind?: string | null }).runErrorKind;
  return typeof kind === "string" ? kind : null;
}
