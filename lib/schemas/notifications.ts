import { z } from "zod";

/**
 * Notifications (issue 6): which Workdeck events reach Slack, and the record of each delivery.
 * Secrets never appear here: the config names the environment variables that hold them.
 */

export const NotificationKindSchema = z.enum([
  "failure_persistent",
  "session_finished",
  "session_failed",
  "session_needs_you",
  "account_limited",
  "ci_failed",
  "ci_fixed",
  "deploy_failed",
  "deploy_succeeded",
  "automation",
  "session_stuck",
]);
export type NotificationKind = z.infer<typeof NotificationKindSchema>;

export const NOTIFICATION_KIND_LABEL: Record<NotificationKind, string> = {
  failure_persistent: "A failure became persistent",
  session_finished: "A session finished",
  session_failed: "A session failed",
  session_needs_you: "A session needs you",
  account_limited: "An account hit its usage limit",
  ci_failed: "A CI run failed",
  ci_fixed: "CI passes again",
  deploy_failed: "A deploy failed",
  deploy_succeeded: "A deploy succeeded",
  automation: "An automation acted",
  session_stuck: "A running session got stuck (or recovered)",
};

const EnvNameSchema = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "an environment variable name");

/** `notifications.slack` in projects.config.ts. */
export const SlackConfigSchema = z.strictObject({
  /** The env var holding an incoming-webhook URL. */
  webhookUrlEnv: EnvNameSchema.optional(),
  /** The env var holding a bot token (xoxb-…); with `channel`, messages also go through chat.postMessage. */
  botTokenEnv: EnvNameSchema.optional(),
  channel: z.string().min(1).max(80).optional(),
  /** Which events are sent (default: all). */
  events: z.array(NotificationKindSchema).optional(),
});
export type SlackConfig = z.infer<typeof SlackConfigSchema>;

/** `projects[].notifications`: a project's own routing, over the global one. */
export const ProjectNotificationsSchema = z.strictObject({
  slack: z
    .strictObject({
      /** false: nothing from this project goes to Slack. */
      enabled: z.boolean().optional(),
      /** This project's events (replaces the global list). */
      events: z.array(NotificationKindSchema).optional(),
      /** Another webhook for this project (e.g. the team's channel). */
      webhookUrlEnv: EnvNameSchema.optional(),
      /** Another channel for the bot target (e.g. a QA channel). */
      channel: z.string().min(1).max(80).optional(),
    })
    .optional(),
});
export type ProjectNotifications = z.infer<typeof ProjectNotificationsSchema>;

export const NotificationTargetKindSchema = z.enum(["webhook", "bot"]);
export type NotificationTargetKind = z.infer<typeof NotificationTargetKindSchema>;

/** A place messages can go, as the settings page lists it (never the secret itself). */
export const NotificationTargetSchema = z.object({
  /** `webhook:<ENV>` or `bot:<ENV>:<channel>`. */
  id: z.string(),
  kind: NotificationTargetKindSchema,
  /** The env var that holds the URL or token. */
  env: z.string(),
  /** Whether that env var is set in the server's environment. */
  configured: z.boolean(),
  channel: z.string().nullable(),
  /** Projects routed here ("*" = every project without its own target). */
  projects: z.array(z.string()),
  events: z.array(NotificationKindSchema),
});
export type NotificationTarget = z.infer<typeof NotificationTargetSchema>;

export const DeliveryStatusSchema = z.enum(["pending", "sent", "failed"]);
export type DeliveryStatus = z.infer<typeof DeliveryStatusSchema>;

export const NotificationDeliverySchema = z.object({
  id: z.number().int(),
  kind: z.string(),
  projectSlug: z.string().nullable(),
  target: z.string(),
  status: DeliveryStatusSchema,
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  text: z.string(),
  createdAt: z.date(),
  sentAt: z.date().nullable(),
});
export type NotificationDelivery = z.infer<typeof NotificationDeliverySchema>;

export const SendTestInputSchema = z.object({ targetId: z.string().max(300).optional() });
