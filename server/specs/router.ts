import { tracked } from "@trpc/server";
import { z } from "zod";
import {
  AddSpecDeltaInputSchema,
  ChangeRefInputSchema,
  CreateProposalInputSchema,
  ListChangesInputSchema,
  ListSpecsInputSchema,
  ReadChangeFileInputSchema,
  SetTaskDoneInputSchema,
  SpecRefInputSchema,
  WriteChangeFileInputSchema,
} from "@/lib/schemas/openspec";
import { ProjectSlugSchema, SubscribeInputSchema } from "@/lib/schemas/common";
import { createTRPCRouter, publicProcedure } from "../trpc/init";
import { addSpecDelta } from "./deltas";
import { specRequirements, validateProposal } from "./drafts";
import { readChangeFile, setTaskDone, writeChangeFile } from "./editor";

const projectItem = ChangeRefInputSchema;

export const openspecRouter = createTRPCRouter({
  listChanges: publicProcedure
    .input(ListChangesInputSchema.optional())
    .query(({ ctx, input }) => ctx.runtime.openspec.listChanges(input ?? {})),

  listSpecs: publicProcedure.input(ListSpecsInputSchema.optional()).query(({ ctx, input }) => ctx.runtime.openspec.listSpecs(input ?? {})),

  showChange: publicProcedure.input(projectItem).query(({ ctx, input }) => ctx.runtime.openspec.showChange(input)),

  showSpec: publicProcedure.input(SpecRefInputSchema).query(({ ctx, input }) => ctx.runtime.openspec.showSpec(input)),

  validateChange: publicProcedure
    .input(projectItem.extend({ strict: z.boolean().optional() }))
    .query(({ ctx, input }) => ctx.runtime.openspec.validateChange(input)),

  previewArchive: publicProcedure.input(projectItem).query(({ ctx, input }) => ctx.runtime.openspec.previewArchive(input)),

  createProposal: publicProcedure.input(CreateProposalInputSchema).mutation(({ ctx, input }) => ctx.runtime.openspec.createProposal(input)),

  /** The form's live check: what `validate` would say of the change this draft creates (field errors as issues). */
  validateProposal: publicProcedure
    .input(z.looseObject({ projectId: ProjectSlugSchema }))
    .query(({ ctx, input }) => validateProposal(ctx.runtime, input)),

  /** A main spec's requirements as a MODIFIED delta restates them (the form prefills from it). */
  specRequirements: publicProcedure.input(SpecRefInputSchema).query(({ ctx, input }) => specRequirements(ctx.runtime, input)),

  /** One editable file of a change (proposal.md, design.md, tasks.md, specs/<cap>/spec.md) with its version token. */
  readChangeFile: publicProcedure.input(ReadChangeFileInputSchema).query(({ ctx, input }) => readChangeFile(ctx.runtime, input)),

  /** Writes it under the OpenSpec lock; 409 when it changed on disk since `version` was read. */
  writeChangeFile: publicProcedure.input(WriteChangeFileInputSchema).mutation(({ ctx, input }) => writeChangeFile(ctx.runtime, input)),

  /** Ticks or unticks one task of tasks.md (by line and text, 409 when tasks.md moved on). */
  setTaskDone: publicProcedure.input(SetTaskDoneInputSchema).mutation(({ ctx, input }) => setTaskDone(ctx.runtime, input)),

  /** Adds specs/<capability>/spec.md (ADDED requirements with scenarios) to a change; never overwrites one. */
  addSpecDelta: publicProcedure.input(AddSpecDeltaInputSchema).mutation(({ ctx, input }) => addSpecDelta(ctx.runtime, input)),

  archiveChange: publicProcedure
    .input(projectItem.extend({ skipSpecs: z.boolean().optional() }))
    .mutation(({ ctx, input }) => ctx.runtime.openspec.archiveChange(input)),

  /** Live changes to OpenSpec content; resumes after `lastEventId` without gaps. */
  subscribe: publicProcedure.input(SubscribeInputSchema.optional()).subscription(async function* ({ ctx, input, signal }) {
    const stream = ctx.runtime.bus.stream({
      filter: {
        projectSlug: input?.projectId,
        types: ["openspec.changed", "openspec.proposalCreated", "openspec.archived", "projects.changed"],
      },
      lastEventId: input?.lastEventId ?? null,
      signal,
    });
    for await (const event of stream) yield tracked(String(event.id), event);
  }),
});
