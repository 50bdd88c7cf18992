import { z } from "zod";

/**
 * Inputs every router shares (issue 18): one project's slug, a project filter, a live feed's cursor.
 * A leaf module (zod only), so any schema file can use them without an import cycle.
 */

/** A project's id everywhere: its slug in the config (and what discovery derives from a folder name). */
export const ProjectSlugSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "a slug is lowercase letters, digits and hyphens (max 63), starting with a letter or digit");

/** `{ projectId? }`: one project, or every project when unset. */
export const ProjectFilterInputSchema = z.object({ projectId: ProjectSlugSchema.optional() });
export type ProjectFilterInput = z.infer<typeof ProjectFilterInputSchema>;

/** Every live feed (`subscribe`): one project or all, resuming after `lastEventId` (the bus id the client last saw) without gaps. */
export const SubscribeInputSchema = ProjectFilterInputSchema.extend({ lastEventId: z.coerce.number().int().nullish() });
export type SubscribeInput = z.infer<typeof SubscribeInputSchema>;
