import { z } from "zod";
import { ProjectSlugSchema } from "./config";

/** The Ask page (issue 16): questions to a Claude Code session that has Workdeck's MCP server. */
export const AskStartInputSchema = z.object({ projectId: ProjectSlugSchema, text: z.string().trim().min(1, "Ask something").max(20_000) });
export type AskStartInput = z.infer<typeof AskStartInputSchema>;

export const AskListInputSchema = z.object({ projectId: ProjectSlugSchema.optional() });

export type AskConversation = { id: number; projectSlug: string; status: string; question: string; createdAt: Date; costUsd: number };
