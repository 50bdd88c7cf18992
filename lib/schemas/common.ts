import { z } from "zod";
import { ProjectSlugSchema } from "./config";

/** Inputs every router shares (issue 18): one project's slug, a project filter, a live feed's cursor. */
export { ProjectSlugSchema };

/** `{ projectId? }`: one project, or every project when unset. */
export const ProjectFilterInputSchema = z.object({ projectId: ProjectSlugSchema.optional() });
export type ProjectFilterInput = z.infer<typeof ProjectFilterInputSchema>;

/** Every live feed (`subscribe`): one project or all, resuming after `lastEventId` (the bus id the client last saw) without gaps. */
export const SubscribeInputSchema = ProjectFilterInputSchema.extend({ lastEventId: z.coerce.number().int().nullish() });
export type SubscribeInput = z.infer<typeof SubscribeInputSchema>;
