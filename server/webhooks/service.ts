import type { LoadedConfig } from "../config";
import type { Db } from "../db/client";
import {
  AUTOMATION_DEFAULT_PER_HOUR,
  DeployTimelineInputSchema,
  IntegrationItemsInputSchema,
  type AutomationRule,
  type AutomationRun,
  type Deploy,
  type IntegrationItem,
} from "@/lib/schemas/integrations";
import type { z } from "zod";

/** Reads behind the deploys page and the automations settings (issue 15). */

/** A `deploys` row as SQLite returns it (the columns the timeline reads). */
export type DeployRow = {
  id: number;
  project_slug: string;
  deployment_id: string;
  service_name: string | null;
  environment_name: string | null;
  status: string;
  commit_sha: string | null;
  commit_message: string | null;
  branch: string | null;
  started_at: number;
  finished_at: number | null;
};

/** The last N deploys of a project (or of all), newest first. */
export function deployTimeline(deps: { db: Db }, raw: z.input<typeof DeployTimelineInputSchema> = {}): Deploy[] {
  const input = DeployTimelineInputSchema.parse(raw);
  const rows = deps.db.$client
    .prepare(
      `SELECT id, project_slug, deployment_id, service_name, environment_name, status, commit_sha, commit_message, branch, started_at, finished_at
       FROM deploys ${input.projectId ? "WHERE project_slug = ?" : ""} ORDER BY started_at DESC, id DESC LIMIT ?`,
    )
    .all(...(input.projectId ? [input.projectId] : []), input.limit ?? 20) as DeployRow[];
  return rows.map((r) => ({
    id: r.id,
    projectSlug: r.project_slug,
    deploymentId: r.deployment_id,
    serviceName: r.service_name,
    environmentName: r.environment_name,
    status: r.status,
    commitSha: r.commit_sha,
    commitMessage: r.commit_message,
    branch: r.branch,
    startedAt: new Date(r.started_at),
    finishedAt: r.finished_at === null ? null : new Date(r.finished_at),
    durationMs: r.finished_at === null ? null : r.finished_at - r.started_at,
  }));
}

/** An `integration_items` row as SQLite returns it, with the session an automation launched for it. */
export type IntegrationItemRow = {
  id: number;
  kind: IntegrationItem["kind"];
  project_slug: string;
  provider: string;
  status: "open" | "resolved";
  title: string;
  detail: string;
  url: string | null;
  branch: string | null;
  commit_sha: string | null;
  evidence: string;
  occurrences: number;
  first_seen_at: number;
  last_seen_at: number;
  resolved_at: number | null;
  session_id: number | null;
};

/** `ci`, `review` and `deploy` items with their evidence, open first. */
export function integrationItems(deps: { db: Db }, raw: z.input<typeof IntegrationItemsInputSchema> = {}): IntegrationItem[] {
  const input = IntegrationItemsInputSchema.parse(raw);
  const where: string[] = [];
  const params: unknown[] = [];
  if (input.projectId) {
    where.push("i.project_slug = ?");
    params.push(input.projectId);
  }
  if (input.kinds?.length) {
    where.push(`i.kind IN (${input.kinds.map(() => "?").join(",")})`);
    params.push(...input.kinds);
  }
  if (!input.includeResolved) where.push("i.status = 'open'");
  const rows = deps.db.$client
    .prepare(
      `SELECT i.*, (SELECT r.session_id FROM automation_runs r WHERE r.item_key = i.kind || ':' || i.id AND r.session_id IS NOT NULL ORDER BY r.id DESC LIMIT 1) AS session_id
       FROM integration_items i ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY i.status = 'open' DESC, i.last_seen_at DESC LIMIT 200`,
    )
    .all(...params) as IntegrationItemRow[];
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    projectSlug: r.project_slug,
    provider: r.provider,
    status: r.status,
    title: r.title,
    detail: r.detail,
    url: r.url,
    branch: r.branch,
    commitSha: r.commit_sha,
    evidence: r.evidence,
    occurrences: r.occurrences,
    firstSeenAt: new Date(r.first_seen_at),
    lastSeenAt: new Date(r.last_seen_at),
    resolvedAt: r.resolved_at === null ? null : new Date(r.resolved_at),
    sessionId: r.session_id,
  }));
}

export type AutomationsView = {
  rules: (AutomationRule & { index: number; perHour: number })[];
  integrations: { github: boolean; gitlab: boolean; railwayWebhook: boolean; railwayPolling: boolean };
  runs: AutomationRun[];
};

/** The Settings page's view: the rules as configured, which integrations are set up, the latest runs. */
export function automationsView(deps: { db: Db; config: LoadedConfig; readSecret(name: string): string | undefined }): AutomationsView {
  const { config } = deps.config;
  const set = (env: string | undefined) => Boolean(env && deps.readSecret(env));
  const runs = deps.db.$client
    .prepare(
      "SELECT id, item_key, trigger, rule_index, action, project_slug, status, reason, session_id, created_at FROM automation_runs ORDER BY id DESC LIMIT 50",
    )
    .all() as {
    id: number;
    item_key: string;
    trigger: string;
    rule_index: number;
    action: string;
    project_slug: string;
    status: string;
    reason: string | null;
    session_id: number | null;
    created_at: number;
  }[];
  return {
    rules: (config.automations ?? []).map((r, index) => ({ ...r, index, perHour: r.maxSessionsPerHour ?? AUTOMATION_DEFAULT_PER_HOUR })),
    integrations: {
      github: set(config.integrations?.github?.webhookSecretEnv),
      gitlab: set(config.integrations?.gitlab?.tokenEnv),
      railwayWebhook: set(config.integrations?.railway?.webhookSecretEnv),
      railwayPolling: set(config.integrations?.railway?.tokenEnv),
    },
    runs: runs.map((r) => ({
      id: r.id,
      itemKey: r.item_key,
      trigger: r.trigger,
      ruleIndex: r.rule_index,
      action: r.action,
      projectSlug: r.project_slug,
      status: r.status,
      reason: r.reason,
      sessionId: r.session_id,
      createdAt: new Date(r.created_at),
    })),
  };
}
