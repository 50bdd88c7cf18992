"use client";

import { useTRPCClient } from "@/lib/trpc/react";
import type { FailureDetail, FailureGroup } from "@/lib/schemas/errors";
import type { RunMark } from "./sparkline";

/**
 * Proposal drafts and links, and the per-row run marks, arrived in the errors
 * router while this UI was being built. These helpers keep the one place that
 * calls them: a draft falls back to one built here if the server has none.
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

export function useOptionalErrorsApi() {
  const client = useTRPCClient();
  return {
    async proposalDraft(failureId: number): Promise<ProposalDraft | null> {
      return client.errors.proposalDraft.query({ failureId });
    },
    /** Links a created change to the failure. */
    async linkProposal(failureId: number, changeId: string): Promise<boolean> {
      await client.errors.linkProposal.mutate({ failureId, changeId });
      return true;
    },
  };
}

/** `recentRuns` on a list row (last 20 runs, oldest first); null when there is nothing to draw. */
export function recentRunsOf(row: FailureGroup): RunMark[] | null {
  return row.recentRuns.length ? row.recentRuns : null;
}

/**
 * A draft built from the failure itself, used when the server returns no
 * draft: the test, the error and the engine's rationale are
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
  return row.runErrorKind;
}
