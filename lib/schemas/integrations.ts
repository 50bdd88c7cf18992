import { z } from "zod";
import { ProjectSlugSchema } from "./common";

/**
 * Work that arrives by itself (issue 15): the config of the inbound webhooks, the Railway poller
 * and the automations, and the shapes the deploys views read. Secrets never appear here: the
 * config names the environment variables that hold them.
 */

const EnvNameSchema = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "an environment variable name");

/** `projects[].repository`: "owner/name" on GitHub, "group/subgroup/name" on GitLab. */
export const RepositorySchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/, 'a repository is "owner/name" (GitLab: "group/subgroup/name")')
  .max(300);

/** `projects[].railway`: which Railway project's deployments belong here (and, optionally, only these services, by id or name). */
export const ProjectRailwaySchema = z.strictObject({
  projectId: z.string().min(1).max(100),
  services: z.array(z.string().min(1).max(100)).optional(),
});

/** `integrations` in projects.config.ts. */
export const IntegrationsConfigSchema = z.strictObject({
  github: z.strictObject({ webhookSecretEnv: EnvNameSchema }).optional(),
  gitlab: z.strictObject({ tokenEnv: EnvNameSchema }).optional(),
  railway: z
    .strictObject({
      /** The env var holding the secret path segment of POST /api/webhooks/railway/<secret> (Railway does not sign). */
      webhookSecretEnv: EnvNameSchema.optional(),
      /** The env var holding a Railway API token: deployments and build logs are polled with it. */
      tokenEnv: EnvNameSchema.optional(),
      /** Poll interval; default 60. */
      pollSeconds: z.number().int().min(5).max(3600).optional(),
      /** Railway's public GraphQL endpoint (tests point it at a local fake). */
      apiUrl: z.string().url().optional(),
    })
    .optional(),
});
export type IntegrationsConfig = z.infer<typeof IntegrationsConfigSchema>;

export const AutomationTriggerSchema = z.enum(["deploy_failed", "ci_failed", "failure_persistent"]);
export type AutomationTrigger = z.infer<typeof AutomationTriggerSchema>;

/** One rule of `automations`. */
export const AutomationRuleSchema = z.strictObject({
  on: AutomationTriggerSchema,
  /** Only this project's items (default: every project). */
  project: z.string().max(63).optional(),
  action: z.enum(["launch_session", "notify"]),
  /** Instructions put before the evidence in the remediation prompt. */
  prompt: z.string().min(1).max(20_000).optional(),
  /** Sessions this rule's project may get from automations per hour (a flapping pipeline must not start fifty agents). Default 3. */
  maxSessionsPerHour: z.number().int().min(1).max(100).optional(),
});
export type AutomationRule = z.infer<typeof AutomationRuleSchema>;

export const AUTOMATION_DEFAULT_PER_HOUR = 3;

export const IntegrationKindSchema = z.enum(["ci", "review", "deploy"]);
export type IntegrationKind = z.infer<typeof IntegrationKindSchema>;

/** A `ci`, `review` or `deploy` item as the deploys page shows it. */
export const IntegrationItemSchema = z.object({
  id: z.number().int(),
  kind: IntegrationKindSchema,
  projectSlug: z.string(),
  provider: z.string(),
  status: z.enum(["open", "resolved"]),
  title: z.string(),
  detail: z.string(),
  url: z.string().nullable(),
  branch: z.string().nullable(),
  commitSha: z.string().nullable(),
  evidence: z.string(),
  occurrences: z.number().int(),
  firstSeenAt: z.date(),
  lastSeenAt: z.date(),
  resolvedAt: z.date().nullable(),
  sessionId: z.number().int().nullable(),
});
export type IntegrationItem = z.infer<typeof IntegrationItemSchema>;

export const DeploySchema = z.object({
  id: z.number().int(),
  projectSlug: z.string(),
  deploymentId: z.string(),
  serviceName: z.string().nullable(),
  environmentName: z.string().nullable(),
  status: z.string(),
  commitSha: z.string().nullable(),
  commitMessage: z.string().nullable(),
  branch: z.string().nullable(),
  startedAt: z.date(),
  finishedAt: z.date().nullable(),
  /** finished - started, when finished. */
  durationMs: z.number().nullable(),
});
export type Deploy = z.infer<typeof DeploySchema>;

export const DeployTimelineInputSchema = z.object({
  projectId: ProjectSlugSchema.optional(),
  limit: z.number().int().min(1).max(200).optional(),
});
export const IntegrationItemsInputSchema = z.object({
  projectId: ProjectSlugSchema.optional(),
  kinds: z.array(IntegrationKindSchema).optional(),
  includeResolved: z.boolean().optional(),
});

export const AutomationRunSchema = z.object({
  id: z.number().int(),
  itemKey: z.string(),
  trigger: z.string(),
  ruleIndex: z.number().int(),
  action: z.string(),
  projectSlug: z.string(),
  status: z.string(),
  reason: z.string().nullable(),
  sessionId: z.number().int().nullable(),
  createdAt: z.date(),
});
export type AutomationRun = z.infer<typeof AutomationRunSchema>;

export const deploysHref = (projectSlug: string, itemId?: number) =>
  `/deploys?project=${encodeURIComponent(projectSlug)}${itemId ? `#item-${itemId}` : ""}`;
