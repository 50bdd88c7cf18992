import { z } from "zod";

/**
 * Events on the one bus. Watchers, writers and (later) ingest and the session
 * runner publish these; subscriptions forward them to the browser, which
 * invalidates the matching React Query caches.
 */
export const OpenSpecChangedEventSchema = z.object({
  type: z.literal("openspec.changed"),
  projectSlug: z.string(),
  /** Which items the file change touched; "*" when a whole tree was re-read. */
  changeIds: z.array(z.string()),
  specIds: z.array(z.string()),
  paths: z.array(z.string()),
});

export const OpenSpecProposalCreatedEventSchema = z.object({
  type: z.literal("openspec.proposalCreated"),
  projectSlug: z.string(),
  changeId: z.string(),
  title: z.string(),
});

export const OpenSpecArchivedEventSchema = z.object({
  type: z.literal("openspec.archived"),
  projectSlug: z.string(),
  changeId: z.string(),
  archivedAs: z.string(),
});

export const ProjectsChangedEventSchema = z.object({
  type: z.literal("projects.changed"),
  projectSlug: z.null(),
  slugs: z.array(z.string()),
});

export const WorkdeckEventSchema = z.discriminatedUnion("type", [
  OpenSpecChangedEventSchema,
  OpenSpecProposalCreatedEventSchema,
  OpenSpecArchivedEventSchema,
  ProjectsChangedEventSchema,
]);

export type WorkdeckEventInput = z.infer<typeof WorkdeckEventSchema>;
export type WorkdeckEvent = WorkdeckEventInput & { id: number; at: number };
export type WorkdeckEventType = WorkdeckEvent["type"];
