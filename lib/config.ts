import type { WorkdeckConfig } from "./schemas/config";

export type { WorkdeckConfig } from "./schemas/config";

/** Identity helper that gives `projects.config.ts` its types. */
export function defineConfig(config: WorkdeckConfig): WorkdeckConfig {
  return config;
}
