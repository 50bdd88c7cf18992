import { tracked } from "@trpc/server";
import { z } from "zod";
import { AddSpecDeltaInputSchema, ChangeRefInputSchema, CreateProposalInputSchema, ListChangesInputSchema, ListSpecsInputSchema, SpecRefInputSchema } from "@/lib/schemas/openspec";
import { SubscribeInputSchema } from "@/lib/schemas/common";
import { createTRPCRouter, publicProcedure } from "../trpc/init";
import { addSpecDelta } from "./deltas";

const projectItem = ChangeRefInputSchema;

export const openspecRouter = createTRPCRouter({
  listChanges: publicProcedure
    .input(ListChangesInputSchema.optional())
    .query(({ ctx, input }) => ctx.runtime.openspec.listChanges(input ?? {})),

  listSpecs: publicProcedure
    .input(ListSpecsInputSchema.optional())
    .query(({ ctx, input }) => ctx.runtime.openspec.listSpecs(input ?? {})),

  showChange: publicProcedure.input(projectItem).query(({ ctx, input }) => ctx.runtime.openspec.showChange(input)),

  showSpec: publicProcedure
    .input(SpecRefInputSchema)
    .query(({ ctx, input }) => ctx.runtime.openspec.showSpec(input)),

  validateChange: publicProcedure
    .input(projectItem.extend({ strict: z.boolean().optional() }))
    .query(({ ctx, input }) => ctx.runtime.openspec.validateChange(input)),

  previewArchive: publicProcedure.input(projectItem).query(({ ctx, input }) => ctx.runtime.openspec.previewArchive(input)),

  createProposal: publicProcedure.input(CreateProposalInputSchema).mutation(({ ctx, input }) => ctx.runtime.openspec.createProposal(input)),

  /** Adds specs/<capability>/spec.md (ADDED requirements with scenarios) to a change; never overwrites one. */
  addSpecDelta: publicProcedure.input(AddSpecDeltaInputSchema).mutation(({ ctx, input }) => addSpecDelta(ctx.runtime, input)),

  archiveChange: publicProcedure
    .input(projectItem.extend({ skipSpecs: z.boolean().optional() }))
    .mutation(({ ctx, input }) => ctx.runtime.openspec.archiveChange(input)),

  /** Live changes to OpenSpec content; resumes after `lastEventId` without gaps. */
  subscribe: publicProcedure
    .input(SubscribeInputSchema.optional())
    .subscription(async function* ({ ctx, input, signal }) {
      const stream = ctx.runtime.bus.stream({
        filter: { projectSlug: input?.projectId, types: ["openspec.changed", "openspec.proposalCreated", "openspec.archived", "projects.changed"] },
        lastEventId: input?.lastEventId ?? null,
        signal,
      });
      for await (const event of stream) yield tracked(String(event.id), event);
    }),
});
