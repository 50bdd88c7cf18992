import {
  ClaudeItemInputSchema,
  DeleteClaudeItemInputSchema,
  ProjectInputSchema,
  SaveSkillInputSchema,
  SaveSubagentInputSchema,
} from "@/lib/schemas/claude-config";
import { createTRPCRouter, publicProcedure } from "../trpc/init";
import * as claude from "./service";

/** A project's Claude Code sub-agents and skills (files under .claude/); saves and deletes name the version they read. */
export const claudeConfigRouter = createTRPCRouter({
  listAgents: publicProcedure.input(ProjectInputSchema).query(({ ctx, input }) => claude.listSubagents(ctx.runtime, input)),
  getAgent: publicProcedure.input(ClaudeItemInputSchema).query(({ ctx, input }) => claude.getSubagent(ctx.runtime, input)),
  saveAgent: publicProcedure.input(SaveSubagentInputSchema).mutation(({ ctx, input }) => claude.saveSubagent(ctx.runtime, input)),
  deleteAgent: publicProcedure.input(DeleteClaudeItemInputSchema).mutation(({ ctx, input }) => claude.deleteSubagent(ctx.runtime, input)),
  listSkills: publicProcedure.input(ProjectInputSchema).query(({ ctx, input }) => claude.listSkills(ctx.runtime, input)),
  getSkill: publicProcedure.input(ClaudeItemInputSchema).query(({ ctx, input }) => claude.getSkill(ctx.runtime, input)),
  saveSkill: publicProcedure.input(SaveSkillInputSchema).mutation(({ ctx, input }) => claude.saveSkill(ctx.runtime, input)),
  deleteSkill: publicProcedure.input(DeleteClaudeItemInputSchema).mutation(({ ctx, input }) => claude.deleteSkill(ctx.runtime, input)),
});
