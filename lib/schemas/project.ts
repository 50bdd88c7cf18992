import { z } from "zod";

export const ProjectSchema = z.object({
  slug: z.string(),
  name: z.string(),
  /** The project's folder. */
  path: z.string(),
  /** The folder that holds `openspec/` (usually the same as path). */
  openspecRoot: z.string(),
  source: z.enum(["config", "scan", "demo"]),
  /** Why the project cannot be read right now, if it cannot. */
  problem: z.string().nullable(),
});

export type Project = z.infer<typeof ProjectSchema>;
