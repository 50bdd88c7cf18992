/**
 * Human actions on failure groups: a triage decision, the remediation session, and re-running
 * the classification rules. Each announces the group on the bus (errors.triaged / failureUpdated).
 */
import type { TestClassification } from "@workdeck/error-classifier";
import { AppError } from "../app-error";
import { reclassifyTestCases } from "./groups";
import type { ErrorsDeps } from "./ingest";
import { groupRow, LIST_MESSAGE_LIMIT, readGroup } from "./listing";
import { AssignSessionInputSchema, TriageFailureInputSchema, type FailureGroup, type TriageFailureInput } from "@/lib/schemas/errors";

/**
 * A person's decision. It is kept through every re-classification; when it differs from the
 * suggestion, that suggestion is recorded (`overriddenSuggestion`) and a reason is required.
 * `pending` hands the group back to the engine.
 */
export function triageFailure(deps: ErrorsDeps, raw: TriageFailureInput): FailureGroup {
  const input = TriageFailureInputSchema.parse(raw);
  const before = groupRow(deps, input.failureId);
  const rationale = input.rationale?.trim() || null;
  if (input.decision !== "pending" && input.decision !== before.suggested_decision && !rationale) {
    throw new AppError(
      "BAD_REQUEST",
      `Say why you decide "${input.decision}" against the suggested "${before.suggested_decision}" (rationale is required).`,
    );
  }
  const now = Date.now();
  if (input.decision === "pending") {
    deps.db.$client
      .prepare(
        `UPDATE error_triage SET decision = 'pending', reviewed_by_human = 0, reviewed_at = NULL, overridden_suggestion = NULL,
           human_rationale = ?, priority = coalesce(?, suggested_priority), updated_at = ? WHERE test_failure_id = ?`,
      )
      .run(rationale, input.priority ?? null, now, input.failureId);
  } else {
    deps.db.$client
      .prepare(
        `UPDATE error_triage SET decision = ?, reviewed_by_human = 1, reviewed_at = ?, overridden_suggestion = ?,
           human_rationale = ?, priority = coalesce(?, priority), updated_at = ? WHERE test_failure_id = ?`,
      )
      .run(
        input.decision,
        now,
        input.decision === before.suggested_decision ? null : before.suggested_decision,
        rationale,
        input.priority ?? null,
        now,
        input.failureId,
      );
  }
  return publishTriaged(deps, input.failureId);
}

/** Links a remediation session to the group (null unlinks). */
export function assignSession(deps: ErrorsDeps, raw: { failureId: number; sessionId: number | null }): FailureGroup {
  const input = AssignSessionInputSchema.parse(raw);
  groupRow(deps, input.failureId);
  // assigned_session_id references sessions.id (0004_sessions): name the missing session instead of an FK error.
  if (input.sessionId !== null && !deps.db.$client.prepare("SELECT 1 FROM sessions WHERE id = ?").get(input.sessionId)) {
    throw new AppError("NOT_FOUND", `No session with id ${input.sessionId}`);
  }
  deps.db.$client
    .prepare("UPDATE error_triage SET assigned_session_id = ?, updated_at = ? WHERE test_failure_id = ?")
    .run(input.sessionId, Date.now(), input.failureId);
  return publishTriaged(deps, input.failureId);
}

export function publishTriaged(deps: ErrorsDeps, failureId: number): FailureGroup {
  const group = readGroup(deps, failureId, LIST_MESSAGE_LIMIT);
  deps.bus.publish({
    type: "errors.triaged",
    projectSlug: group.projectSlug,
    failureId,
    decision: group.decision,
    priority: group.priority,
    reviewedByHuman: group.reviewedByHuman,
    assignedSessionId: group.assignedSessionId,
    specChangeId: group.specChangeId,
  });
  return group;
}

export type ClassifyFailureResult = {
  failure: FailureGroup;
  /** The engine's verdict for the test case, over its whole history (runs are the project's run numbers). */
  classification: Omit<TestClassification, "fingerprint"> & { fingerprint: string };
  /** False when the test now fails with another fingerprint: the verdict belongs to that group. */
  currentGroup: boolean;
};

/** Re-runs the rules for this group's test case, stores the result, and says why. */
export function classifyFailure(deps: ErrorsDeps, input: { failureId: number }): ClassifyFailureResult {
  const before = groupRow(deps, input.failureId);
  const sqlite = deps.db.$client;
  const outcome = sqlite.transaction(() => reclassifyTestCases(sqlite, before.project_slug, [before.test_case_id]))();
  const c = outcome.classifications.get(before.test_case_id);
  if (!c) throw new AppError("UNPROCESSABLE", `Test case ${before.test_case_id} has no failure in its history any more.`);
  const changed = [...outcome.newIds, ...outcome.updatedIds];
  if (changed.length > 0) {
    deps.bus.publish({
      type: "errors.failureUpdated",
      projectSlug: before.project_slug,
      reportId: null,
      failureIds: changed,
      count: changed.length,
      resolvedIds: outcome.resolvedIds,
    });
  }
  const { fingerprint, ...rest } = c;
  return {
    failure: readGroup(deps, input.failureId, LIST_MESSAGE_LIMIT),
    classification: { ...rest, fingerprint: fingerprint.hash },
    currentGroup: fingerprint.hash === before.fingerprint,
  };
}
