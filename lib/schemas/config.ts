import { z } from "zod";
import { ProjectSlugSchema } from "./common";
import { AutomationRuleSchema, IntegrationsConfigSchema, ProjectRailwaySchema, RepositorySchema } from "./integrations";
import { ProjectNotificationsSchema, SlackConfigSchema } from "./notifications";

/**
 * The shape of `projects.config.ts`. Objects are strict so a typo
 * ("projets") is reported by name instead of silently ignored.
 */
export { ProjectSlugSchema };

/** Options of the Claude Code sessions Workdeck launches: `claude.defaults`, and per project `projects[].claude` (which wins). */
export const ClaudeDefaultsSchema = z.strictObject({
  model: z.string().optional(),
  fallbackModel: z.string().optional(),
  permissionMode: z.enum(["default", "acceptEdits", "bypassPermissions", "plan"]).optional(),
  allowedTools: z.array(z.string()).optional(),
  maxTurns: z.number().int().positive().optional(),
  maxBudgetUsd: z.number().positive().optional(),
  timeoutMinutes: z.number().positive().optional(),
  worktrees: z.boolean().optional(),
  mcpServers: z.record(z.string(), z.unknown()).optional(),
});

export const ProjectConfigSchema = z.strictObject({
  slug: ProjectSlugSchema,
  name: z.string().min(1).max(120).optional(),
  path: z.string().min(1),
  /** Folder holding `openspec/`, relative to `path`; defaults to `path` itself. */
  openspecPath: z.string().min(1).optional(),
  /** Where this project's notifications go (issue 6), over `notifications`. */
  notifications: ProjectNotificationsSchema.optional(),
  /** Session options for this project, over `claude.defaults` (per-launch overrides win over both). */
  claude: ClaudeDefaultsSchema.optional(),
  /** GitHub/GitLab webhooks map to this project by it (issue 15). */
  repository: RepositorySchema.optional(),
  /** Railway deployments map to this project by it (issue 15). */
  railway: ProjectRailwaySchema.optional(),
});

export const ClaudeAccountConfigSchema = z.strictObject({
  id: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/,
      "an account id is 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit",
    ),
  configDir: z.string().min(1),
  /** Name of the environment variable holding a `claude setup-token` OAuth token; never the token itself. */
  oauthTokenEnv: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, "an environment variable name")
    .optional(),
  /** "worker": only a `workdeck worker` holding this account runs its sessions, never the server itself (issue 14). */
  runsOn: z.enum(["server", "worker"]).optional(),
  /** At most this many of this account's sessions run at once, counted across every instance and worker on the database (issue 14). Unset = no limit of its own. */
  maxConcurrent: z.number().int().positive().max(64).optional(),
});

export const WorkdeckConfigSchema = z.strictObject({
  scan: z.array(z.string().min(1)).optional(),
  rescanMinutes: z
    .number()
    .positive()
    .max(24 * 60)
    .optional(),
  /**
   * Opens a failing line in your editor from the failure page (issue 13): a URL template with
   * {path} (absolute, in the project's checkout), {line} and {column}, e.g.
   * "vscode://file/{path}:{line}:{column}" or "idea://open?file={path}&line={line}". Unset: no link.
   */
  editorUrl: z
    .string()
    .max(500)
    .regex(/\{path\}/, "editorUrl must contain {path}")
    .refine((v) => !/^\s*(javascript|data|vbscript):/i.test(v), "editorUrl must not be a script URL")
    .optional(),
  projects: z.array(ProjectConfigSchema).optional(),
  /** The Errors tab (issue 13). */
  errors: z
    .strictObject({
      /** The flakiness rate per test is over the project's last this many reports. Default 20, at most 100 (what is kept per test). */
      flakinessRuns: z.number().int("errors.flakinessRuns is a whole number of runs").min(1).max(100).optional(),
    })
    .optional(),
  claude: z
    .strictObject({
      maxConcurrent: z.number().int().positive().max(64).optional(),
      accounts: z
        .array(ClaudeAccountConfigSchema)
        .superRefine((accounts, ctx) => {
          // An id is the account's row of state and, on PostgreSQL, its session queue: two entries would share both.
          const seen = new Set<string>();
          accounts.forEach((a, i) => {
            if (seen.has(a.id))
              ctx.addIssue({
                code: "custom",
                path: [i, "id"],
                message: `account "${a.id}" is listed twice: each account needs an id of its own`,
              });
            seen.add(a.id);
          });
        })
        .optional(),
      defaults: ClaudeDefaultsSchema.optional(),
      /** Worktrees of sessions that finished more than this many days ago are removed (uncommitted work committed to the branch first; the branch stays). Unset = kept. */
      worktreeRetentionDays: z.number().positive().max(3650).optional(),
    })
    .optional(),
  /** Agent activity from Claude Code hooks (issue 5). */
  agents: z
    .strictObject({
      /** No hook event for this long shows "idle for N min"; a Stop nothing followed for this long ends the session. Default 5. */
      idleMinutes: z
        .number()
        .positive()
        .max(24 * 60)
        .optional(),
      /** A running session with no stream message or hook event for this long is "stuck" (issue 17: board, All Work, Slack). Default 10. */
      stuckMinutes: z
        .number()
        .positive()
        .max(24 * 60)
        .optional(),
    })
    .optional(),
  /** How long hook events and bus events are kept (issue 10 item 8); the server prunes older ones hourly. */
  retention: z
    .strictObject({
      /** Days; default 30. */
      days: z.number().int("retention.days is a whole number of days").positive().max(3650).optional(),
    })
    .optional(),
  notifications: z
    .strictObject({
      slack: SlackConfigSchema.optional(),
      /** The dashboard's address as people reach it, for links in messages (default http://<host>:<port>). */
      baseUrl: z.string().url().optional(),
    })
    .optional(),
  /** Inbound webhooks and the Railway poller (issue 15). */
  integrations: IntegrationsConfigSchema.optional(),
  /** What a failed deploy, a failed CI run or a persistent failure starts (issue 15). */
  automations: z.array(AutomationRuleSchema).max(50).optional(),
});

export type WorkdeckConfig = z.infer<typeof WorkdeckConfigSchema>;
export type ProjectConfig = z.infer<typeof ProjectConfigSchema>;

/** Formats the first few Zod issues as "field.path: message" lines. */
export function describeConfigIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const where = issue.path.length ? issue.path.map(String).join(".") : "(root)";
      if (issue.code === "unrecognized_keys") {
        const keys = issue.keys.map((k) => (issue.path.length ? `${where}.${k}` : k)).join(", ");
        return `${keys}: unknown field`;
      }
      return `${where}: ${issue.message}`;
    })
    .join("\n");
}
