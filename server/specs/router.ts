import { tracked } from "@trpc/server";
import { z } from "zod";
import { ChangeGroupSchema, CreateProposalInputSchema } from "@/lib/schemas/openspec";
import { createTRPCRouter, publicProcedure } from "../trpc/init";

const projectItem = z.object({ projectId: z.string().min(1).max(63), changeId: z.string().min(1).max(200) });

export const openspecRouter = createTRPCRouter({
  listChanges: publicProcedure
    .input(z.object({ projectId: z.string().max(63).optional(), status: z.array(ChangeGroupSchema).optional() }).optional())
    .query(({ ctx, input }) => ctx.runtime.openspec.listChanges(input ?? {})),

  listSpecs: publicProcedure
    .input(z.object({ projectId: z.string().max(63).optional() }).optional())
    .query(({ ctx, input }) => ctx.runtime.openspec.listSpecs(input ?? {})),

  showChange: publicProcedure.input(projectItem).query(({ ctx, input }) => ctx.runtime.openspec.showChange(input)),

  showSpec: publicProcedure
    .input(z.object({ projectId: z.string().min(1).max(63), specId: z.string().min(1).max(400) }))
    .query(({ ctx, input }) => ctx.runtime.openspec.showSpec(input)),

  validateChange: publicProcedure
    .input(projectItem.extend({ strict: z.boolean().optional() }))
    .query(({ ctx, input }) => ctx.runtime.openspec.validateChange(input)),

  previewArchive: publicProcedure.input(projectItem).query(({ ctx, input }) => ctx.runtime.openspec.previewArchive(input)),

  createProposal: publicProcedure.input(CreateProposalInputSchema).mutation(({ ctx, input }) => ctx.runtime.openspec.createProposal(input)),

  archiveChange: publicProcedure
    .input(projectItem.extend({ skipSpecs: z.boolean().optional() }))
    .mutation(({ ctx, input }) => ctx.runtime.openspec.archiveChange(input)),

  /** Live changes to OpenSpec content; resumes after `lastEventId` without gaps. */
  subscribe: publicProcedure
    .input(z.object({ projectId: z.string().max(63).optional(), lastEventId: z.coerce.number().int().nullish() }).optional())
    .subscription(async function* ({ ctx, input, signal }) {
      const stream = ctx.runtime.bus.stream({
        filter: { projectSlug: input?.projectId, types: ["openspec.changed", "openspec.proposalCreated", "openspec.archived", "projects.changed"] },
        lastEventId: input?.lastEventId ?? null,
        signal,
      });
      for await (const event of stream) yield tracked(String(event.id), event);
    }),
});
