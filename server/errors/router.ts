import { tracked } from "@trpc/server";
import * as errors from "./service";
import {
  AssignSessionInputSchema,
  CreateSpecProposalInputSchema,
  FailureIdInputSchema,
  LinkProposalInputSchema,
  ListFailuresInputSchema,
  ProposalDraftInputSchema,
  TriageFailureInputSchema,
} from "@/lib/schemas/errors";
import { ProjectFilterInputSchema, SubscribeInputSchema } from "@/lib/schemas/common";
import { createTRPCRouter, publicProcedure } from "../trpc/init";
import { failureEvidence } from "./attachments";

const failureId = FailureIdInputSchema;

export const errorsRouter = createTRPCRouter({
  listFailures: publicProcedure
    .input(ListFailuresInputSchema.optional())
    .query(({ ctx, input }) => errors.listFailures(ctx.runtime, input ?? {})),

  getFailure: publicProcedure.input(failureId).query(({ ctx, input }) => errors.getFailure(ctx.runtime, input)),

  triageFailure: publicProcedure.input(TriageFailureInputSchema).mutation(({ ctx, input }) => errors.triageFailure(ctx.runtime, input)),

  assignSession: publicProcedure.input(AssignSessionInputSchema).mutation(({ ctx, input }) => errors.assignSession(ctx.runtime, input)),

  classifyFailure: publicProcedure.input(failureId).mutation(({ ctx, input }) => errors.classifyFailure(ctx.runtime, input)),

  /** The report files of a failure's recent runs (by position, never by path), whether this server can serve each, and the failing line (with the editor link when configured). */
  evidence: publicProcedure.input(failureId).query(({ ctx, input }) => failureEvidence(ctx.runtime, input.failureId)),

  /** The New proposal form's fields pre-filled with the failure's evidence, and the /specs/new link that opens it. */
  proposalDraft: publicProcedure.input(ProposalDraftInputSchema).query(({ ctx, input }) => errors.proposalDraft(ctx.runtime, input)),

  /** Creates the OpenSpec change from the draft (fields given replace the draft's) and links it (spec_change_id). */
  createSpecProposal: publicProcedure
    .input(CreateSpecProposalInputSchema)
    .mutation(({ ctx, input }) => errors.createSpecProposal(ctx.runtime, input)),

  /** Links an existing change of the failure's project to it (null unlinks). */
  linkProposal: publicProcedure.input(LinkProposalInputSchema).mutation(({ ctx, input }) => errors.linkProposal(ctx.runtime, input)),

  stats: publicProcedure.input(ProjectFilterInputSchema.optional()).query(({ ctx, input }) => errors.stats(ctx.runtime, input ?? {})),

  /** New failures, updates and triage changes, live; resumes after `lastEventId` without gaps. */
  subscribe: publicProcedure.input(SubscribeInputSchema.optional()).subscription(async function* ({ ctx, input, signal }) {
    const stream = ctx.runtime.bus.stream({
      filter: {
        projectSlug: input?.projectId,
        types: ["errors.reportIngested", "errors.failureNew", "errors.failureUpdated", "errors.triaged", "projects.changed"],
      },
      lastEventId: input?.lastEventId ?? null,
      signal,
    });
    for await (const event of stream) yield tracked(String(event.id), event);
  }),
});
