import { sql } from "drizzle-orm";
import type { LoadedConfig } from "../config";
import type { SqlStore } from "../db/sql-store";
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

/** A `deploys` row as the store returns it (the columns the timeline reads). */
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
export async function deployTimeline(deps: { sqlStore: SqlStore }, raw: z.input<typeof DeployTimelineInputSchema> = {}): Promise<Deploy[]> {
  const input = DeployTimelineInputSchema.parse(raw);
  const rows = await deps.sqlStore.all<DeployRow>(
    sql`SELECT id, project_slug, deployment_id, service_name, environment_name, status, commit_sha, commit_message, branch, started_at, finished_at
        FROM deploys ${input.projectId ? sql`WHERE project_slug = ${input.projectId}` : sql.empty()} ORDER BY started_at DESC, id DESC LIMIT ${input.limit ?? 20}`,
  );
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

/** An `integration_items` row as the store returns it, with the session an automation launched for it. */
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
export async function integrationItems(
  deps: { sqlStore: SqlStore },
  raw: z.input<typeof IntegrationItemsInputSchema> = {},
): Promise<IntegrationItem[]> {
  const input = IntegrationItemsInputSchema.parse(raw);
  const where = [sql`1 = 1`];
  if (input.projectId) where.push(sql`i.project_slug = ${input.projectId}`);
  if (input.kinds?.length) where.push(sql`i.kind IN ${input.kinds}`);
  if (!input.includeResolved) where.push(sql`i.status = 'open'`);
  const rows = await deps.sqlStore.all<IntegrationItemRow>(
    sql`SELECT i.id, i.kind, i.project_slug, i.provider, i.status, i.title, i.detail, i.url, i.branch, i.commit_sha, i.evidence, i.occurrences,
               i.first_seen_at, i.last_seen_at, i.resolved_at,
               (SELECT r.session_id FROM automation_runs r WHERE r.item_key = i.kind || ':' || i.id AND r.session_id IS NOT NULL ORDER BY r.id DESC LIMIT 1) AS session_id
        FROM integration_items i WHERE ${sql.join(where, sql` AND `)}
        ORDER BY CASE WHEN i.status = 'open' THEN 0 ELSE 1 END, i.last_seen_at DESC LIMIT 200`,
  );
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

/** An `automation_runs` row as the store returns it. */
export type AutomationRunRow = {
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
};

/** The Settings page's view: the rules as configured, which integrations are set up, the latest runs. */
export async function automationsView(deps: {
  sqlStore: SqlStore;
  config: LoadedConfig;
  readSecret(name: string): string | undefined;
}): Promise<AutomationsView> {
  const { config } = deps.config;
  const set = (env: string | undefined) => Boolean(env && deps.readSecret(env));
  const runs = await deps.sqlStore.all<AutomationRunRow>(
    sql`SELECT id, item_key, trigger, rule_index, action, project_slug, status, reason, session_id, created_at FROM automation_runs ORDER BY id DESC LIMIT 50`,
  );
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
