/**
 * Human actions on failure groups: a triage decision, the remediation session, and re-running
 * the classification rules. Each announces the group on the bus (errors.triaged / failureUpdated).
 *
 * Decisions, sessions and links go through the SQL port (issue 14): the change and its event are
 * one transaction, the event emitted after the commit. Re-classification writes groups with
 * ingest's own steps (groups.ts), run through the port under the project's groups lock.
 */

/** What a human action needs: the port (or a SQLite connection to make one) and the bus. */
export type TriageDeps = StoreDeps & { bus: EventBus; config?: { config: { errors?: { flakinessRuns?: number } } } };
import type { TestClassification } from "@workdeck/error-classifier";
import { sql } from "drizzle-orm";
import { AppError } from "../app-error";
import { runOnStore, transaction } from "../db/sql-steps";
import type { SqlStore } from "../db/sql-store";
import type { EventBus } from "../events/bus";
import { groupsLock, reclassifySteps } from "./groups";
import { errorsStore, groupRow, LIST_MESSAGE_LIMIT, readGroup, type StoreDeps } from "./listing";
import { AssignSessionInputSchema, TriageFailureInputSchema, type FailureGroup, type TriageFailureInput } from "@/lib/schemas/errors";

/**
 * A person's decision. It is kept through every re-classification; when it differs from the
 * suggestion, that suggestion is recorded (`overriddenSuggestion`) and a reason is required.
 * `pending` hands the group back to the engine.
 */
export async function triageFailure(deps: TriageDeps, raw: TriageFailureInput): Promise<FailureGroup> {
  const input = TriageFailureInputSchema.parse(raw);
  const rationale = input.rationale?.trim() || null;
  return changeAndPublish(deps, input.failureId, async (tx) => {
    const before = await groupRow({ sqlStore: tx }, input.failureId);
    if (input.decision !== "pending" && input.decision !== before.suggested_decision && !rationale) {
      throw new AppError(
        "BAD_REQUEST",
        `Say why you decide "${input.decision}" against the suggested "${before.suggested_decision}" (rationale is required).`,
      );
    }
    const now = Date.now();
    const priority = input.priority ?? null;
    if (input.decision === "pending") {
      await tx.run(
        sql`UPDATE error_triage SET decision = 'pending', reviewed_by_human = 0, reviewed_at = NULL, overridden_suggestion = NULL,
              human_rationale = ${rationale}, priority = coalesce(${priority}, suggested_priority), updated_at = ${now}
            WHERE test_failure_id = ${input.failureId}`,
      );
    } else {
      const overridden = input.decision === before.suggested_decision ? null : before.suggested_decision;
      await tx.run(
        sql`UPDATE error_triage SET decision = ${input.decision}, reviewed_by_human = 1, reviewed_at = ${now}, overridden_suggestion = ${overridden},
              human_rationale = ${rationale}, priority = coalesce(${priority}, priority), updated_at = ${now}
            WHERE test_failure_id = ${input.failureId}`,
      );
    }
  });
}

/** Links a remediation session to the group (null unlinks). */
export async function assignSession(deps: TriageDeps, raw: { failureId: number; sessionId: number | null }): Promise<FailureGroup> {
  const input = AssignSessionInputSchema.parse(raw);
  return changeAndPublish(deps, input.failureId, async (tx) => {
    await groupRow({ sqlStore: tx }, input.failureId);
    // assigned_session_id references sessions.id (0004_sessions): name the missing session instead of an FK error.
    if (input.sessionId !== null && !(await tx.get(sql`SELECT 1 AS one FROM sessions WHERE id = ${input.sessionId}`))) {
      throw new AppError("NOT_FOUND", `No session with id ${input.sessionId}`);
    }
    await tx.run(
      sql`UPDATE error_triage SET assigned_session_id = ${input.sessionId}, updated_at = ${Date.now()} WHERE test_failure_id = ${input.failureId}`,
    );
  });
}

/** Announces the group's triage as it stands (after a change made elsewhere). */
export function publishTriaged(deps: TriageDeps, failureId: number): Promise<FailureGroup> {
  return changeAndPublish(deps, failureId, async () => {});
}

/**
 * A change to a group's triage and its `errors.triaged` event, in one transaction; the event is
 * emitted once it has committed. Returns the group as the list shows it.
 */
export async function changeAndPublish(
  deps: TriageDeps,
  failureId: number,
  change: (tx: SqlStore) => Promise<void>,
): Promise<FailureGroup> {
  const { group, event } = await errorsStore(deps).transaction(async (tx) => {
    await change(tx);
    const group = await readGroup({ ...deps, sqlStore: tx }, failureId, LIST_MESSAGE_LIMIT);
    const event = await deps.bus.record(tx, {
      type: "errors.triaged",
      projectSlug: group.projectSlug,
      failureId,
      decision: group.decision,
      priority: group.priority,
      reviewedByHuman: group.reviewedByHuman,
      assignedSessionId: group.assignedSessionId,
      specChangeId: group.specChangeId,
    });
    return { group, event };
  });
  await deps.bus.recordedCommitted([event]);
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
export async function classifyFailure(deps: TriageDeps, input: { failureId: number }): Promise<ClassifyFailureResult> {
  const before = await groupRow(deps, input.failureId);
  const outcome = await runOnStore(
    errorsStore(deps),
    transaction(() => reclassifySteps(before.project_slug, [before.test_case_id]), { exclusive: groupsLock(before.project_slug) }),
  );
  const c = outcome.classifications.get(before.test_case_id);
  if (!c) throw new AppError("UNPROCESSABLE", `Test case ${before.test_case_id} has no failure in its history any more.`);
  const changed = [...outcome.newIds, ...outcome.updatedIds];
  if (changed.length > 0) {
    await deps.bus.publishAsync({
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
    failure: await readGroup(deps, input.failureId, LIST_MESSAGE_LIMIT),
    classification: { ...rest, fingerprint: fingerprint.hash },
    currentGroup: fingerprint.hash === before.fingerprint,
  };
}
