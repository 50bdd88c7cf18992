import { sql } from "drizzle-orm";
import type { LoadedConfig } from "../config";
import type { SqlStore } from "../db/sql-store";
import type { EventBus } from "../events/bus";
import type { WorkdeckEvent, WorkdeckEventInput } from "@/lib/schemas/events";
import { FAILED_DEPLOY, TERMINAL_DEPLOY, type CiEvent, type DeployEvent, type Normalized, type ReviewEvent } from "./normalize";

/**
 * Applies one understood delivery: the delivery row (unique per source + id, so a replay stores
 * nothing), the work item of its subject (opened, reopened, updated or resolved) and the deploy
 * of the timeline, with their bus event, in one exclusive transaction on either dialect (issue 14);
 * the event reaches listeners after it commits.
 */

export type StoreDeps = { sqlStore: SqlStore; bus: Pick<EventBus, "record" | "recordedCommitted"> };

export type Delivery = { source: "github" | "gitlab" | "railway" | "railway_poll"; deliveryId: string; event: string };

export type Links = { changeId?: string; failureId?: number; sessionId?: number };

export type Applied = {
  duplicate: boolean;
  itemId: number | null;
  change: "opened" | "reopened" | "updated" | "resolved" | "none";
  deployId: number | null;
};

const PRIORITY = { ci: 4, review: 3, deploy: 5 } as const;

/**
 * Item and deploy writes read a row, then insert or update it: two deliveries of one subject (two
 * processes, or a webhook and the poller) take turns on this key.
 */
const APPLY_LOCK = "webhooks:apply";

export async function applyDelivery(
  deps: StoreDeps,
  projectSlug: string,
  delivery: Delivery,
  n: Normalized,
  links: Links = {},
): Promise<Applied> {
  const { applied, event } = await deps.sqlStore.transaction(
    async (tx) => {
      const now = Date.now();
      const stored = await tx.run(
        sql`INSERT INTO webhook_deliveries (source, delivery_id, event, project_slug, received_at)
            VALUES (${delivery.source}, ${delivery.deliveryId}, ${delivery.event}, ${projectSlug}, ${now})
            ON CONFLICT (source, delivery_id) DO NOTHING`,
      );
      if (!stored.changes)
        return { applied: { duplicate: true, itemId: null, change: "none", deployId: null } satisfies Applied, event: null };
      let result: Omit<Applied, "duplicate">;
      if (n.kind === "ci") result = { ...(await applyCi(tx, projectSlug, n, now)), deployId: null };
      else if (n.kind === "review") result = { ...(await applyReview(tx, projectSlug, n, links, now)), deployId: null };
      else result = await applyDeploy(tx, projectSlug, n, now);
      const event =
        result.change !== "none" || result.deployId !== null
          ? await deps.bus.record(tx, {
              type: "integrations.changed",
              projectSlug,
              kind: n.kind,
              itemId: result.itemId,
              change: result.change,
              deployId: result.deployId,
            } satisfies WorkdeckEventInput)
          : null;
      return { applied: { duplicate: false, ...result } satisfies Applied, event };
    },
    { exclusive: APPLY_LOCK },
  );
  // After the commit: no listener sees a change a rollback undid.
  if (event) await deps.bus.recordedCommitted([event]);
  return applied;
}

type ItemChange = { itemId: number | null; change: Applied["change"] };

type ItemInput = {
  kind: "ci" | "review" | "deploy";
  provider: string;
  subjectKey: string;
  title: string;
  detail: string;
  url: string | null;
  branch: string | null;
  commitSha: string | null;
  evidence: string;
  refs: Links | null;
};

/** A failing subject opens (or reopens) its item; a passing one resolves it, if open. */
async function upsertItem(
  tx: SqlStore,
  projectSlug: string,
  failing: boolean,
  it: ItemInput,
  now: number,
  countOccurrence = true,
): Promise<ItemChange> {
  const existing = await tx.get<{ id: number; status: string }>(
    sql`SELECT id, status FROM integration_items WHERE subject_key = ${it.subjectKey}`,
  );
  if (!failing) {
    if (!existing || existing.status !== "open") return { itemId: existing?.id ?? null, change: "none" };
    await tx.run(
      sql`UPDATE integration_items SET status = 'resolved', resolved_at = ${now}, last_seen_at = ${now}, detail = ${it.detail},
          url = COALESCE(${it.url}, url), commit_sha = COALESCE(${it.commitSha}, commit_sha) WHERE id = ${existing.id}`,
    );
    return { itemId: existing.id, change: "resolved" };
  }
  const refs = it.refs ? JSON.stringify(it.refs) : null;
  if (!existing) {
    const { row } = await tx.run<{ id: number }>(
      sql`INSERT INTO integration_items (kind, project_slug, provider, subject_key, status, title, detail, url, branch, commit_sha, evidence, refs, occurrences, priority, first_seen_at, last_seen_at)
          VALUES (${it.kind}, ${projectSlug}, ${it.provider}, ${it.subjectKey}, 'open', ${it.title}, ${it.detail}, ${it.url}, ${it.branch},
                  ${it.commitSha}, ${it.evidence}, ${refs}, 1, ${PRIORITY[it.kind]}, ${now}, ${now})
          RETURNING id`,
    );
    return { itemId: row!.id, change: "opened" };
  }
  await tx.run(
    sql`UPDATE integration_items SET status = 'open', resolved_at = NULL, title = ${it.title}, detail = ${it.detail}, url = ${it.url},
        branch = ${it.branch}, commit_sha = ${it.commitSha}, evidence = ${it.evidence}, refs = COALESCE(${refs}, refs),
        occurrences = occurrences + ${countOccurrence ? 1 : 0}, last_seen_at = ${now} WHERE id = ${existing.id}`,
  );
  return { itemId: existing.id, change: existing.status === "open" ? "updated" : "reopened" };
}

function applyCi(tx: SqlStore, projectSlug: string, n: CiEvent, now: number): Promise<ItemChange> {
  const branch = n.branch ?? "(no branch)";
  return upsertItem(
    tx,
    projectSlug,
    n.outcome === "failed",
    {
      kind: "ci",
      provider: n.provider,
      subjectKey: `ci:${n.provider}:${n.repository.toLowerCase()}:${n.workflow}:${branch}`,
      title: `CI failed: ${n.workflow} on ${branch}`,
      detail: n.conclusion,
      url: n.url,
      branch: n.branch,
      commitSha: n.commitSha,
      evidence: n.evidence,
      refs: null,
    },
    now,
  );
}

function applyReview(tx: SqlStore, projectSlug: string, n: ReviewEvent, links: Links, now: number): Promise<ItemChange> {
  const sep = n.provider === "gitlab" ? "!" : "#";
  const open = n.action === "open" || n.action === "update";
  return upsertItem(
    tx,
    projectSlug,
    open,
    {
      kind: "review",
      provider: n.provider,
      subjectKey: `review:${n.provider}:${n.repository.toLowerCase()}${sep}${n.number}`,
      title: `Review ${sep}${n.number}: ${n.title}`.slice(0, 300),
      detail: n.action === "merge" ? "merged" : n.action === "close" ? "closed" : n.action === "open" ? "opened" : "updated",
      url: n.url,
      branch: n.branch,
      commitSha: n.commitSha,
      evidence: [n.title, n.body.slice(0, 4000)].filter(Boolean).join("\n\n"),
      refs: links,
    },
    now,
    false,
  );
}

/** `column = value`, or `column IS NULL` for a null value (portable; `IS ?` is SQLite's alone). */
function same(column: string, value: string | null) {
  return value === null ? sql`${sql.raw(column)} IS NULL` : sql`${sql.raw(column)} = ${value}`;
}

async function applyDeploy(
  tx: SqlStore,
  projectSlug: string,
  n: DeployEvent,
  now: number,
): Promise<ItemChange & { deployId: number | null }> {
  const terminal = TERMINAL_DEPLOY.has(n.status);
  const prior = await tx.get<{ id: number; status: string; updated_at: number }>(
    sql`SELECT id, status, updated_at FROM deploys WHERE provider = ${n.provider} AND deployment_id = ${n.deploymentId}`,
  );
  let deployId: number;
  if (!prior) {
    const { row } = await tx.run<{ id: number }>(
      sql`INSERT INTO deploys (project_slug, provider, deployment_id, service_id, service_name, environment_name, status, commit_sha, commit_message, branch, started_at, finished_at, updated_at, log_tail)
          VALUES (${projectSlug}, ${n.provider}, ${n.deploymentId}, ${n.serviceId}, ${n.serviceName}, ${n.environmentName}, ${n.status},
                  ${n.commitSha}, ${n.commitMessage}, ${n.branch}, ${n.startedAt ?? n.at}, ${terminal ? n.at : null}, ${n.at}, ${n.logTail})
          RETURNING id`,
    );
    deployId = row!.id;
  } else {
    // Deliveries can arrive out of order: a BUILDING after the SUCCESS it preceded changes nothing.
    if (TERMINAL_DEPLOY.has(prior.status) && !terminal) return { itemId: null, change: "none", deployId: null };
    if (prior.status === n.status && !n.logTail) return { itemId: null, change: "none", deployId: null };
    const at = Math.max(n.at, prior.updated_at);
    await tx.run(
      sql`UPDATE deploys SET status = ${n.status}, finished_at = ${terminal ? sql`COALESCE(finished_at, ${at})` : sql`finished_at`}, updated_at = ${at},
          commit_sha = COALESCE(${n.commitSha}, commit_sha), commit_message = COALESCE(${n.commitMessage}, commit_message), branch = COALESCE(${n.branch}, branch),
          service_name = COALESCE(${n.serviceName}, service_name), environment_name = COALESCE(${n.environmentName}, environment_name),
          log_tail = COALESCE(${n.logTail}, log_tail) WHERE id = ${prior.id}`,
    );
    deployId = prior.id;
  }
  if (!terminal || n.status === "REMOVED" || n.status === "SKIPPED") return { itemId: null, change: "none", deployId };
  // Only the newest deployment of a service speaks for it: an older one failing late reopens nothing.
  const newer = await tx.get(
    sql`SELECT 1 AS newer FROM deploys WHERE project_slug = ${projectSlug} AND provider = ${n.provider} AND ${same("service_id", n.serviceId)}
        AND ${same("environment_name", n.environmentName)} AND started_at > (SELECT started_at FROM deploys WHERE id = ${deployId}) LIMIT 1`,
  );
  if (newer) return { itemId: null, change: "none", deployId };
  const service = n.serviceName ?? n.serviceId ?? "service";
  const where = n.environmentName ? ` (${n.environmentName})` : "";
  const row = await tx.get<{ log_tail: string | null }>(sql`SELECT log_tail FROM deploys WHERE id = ${deployId}`);
  const item = await upsertItem(
    tx,
    projectSlug,
    FAILED_DEPLOY.has(n.status),
    {
      kind: "deploy",
      provider: n.provider,
      subjectKey: `deploy:${n.provider}:${n.serviceId ?? service}:${n.environmentId ?? n.environmentName ?? ""}`,
      title: `Deploy ${n.status === "CRASHED" ? "crashed" : "failed"}: ${service}${where}`,
      detail: n.status,
      url: null,
      branch: n.branch,
      commitSha: n.commitSha,
      evidence: deployEvidence(n, row?.log_tail ?? null),
      refs: null,
    },
    now,
  );
  return { ...item, deployId };
}

export function deployEvidence(
  n: Pick<DeployEvent, "deploymentId" | "status" | "serviceName" | "environmentName" | "commitSha" | "commitMessage" | "branch">,
  logTail: string | null,
): string {
  return [
    `Railway deployment ${n.deploymentId} of ${n.serviceName ?? "a service"}${n.environmentName ? ` in ${n.environmentName}` : ""}: ${n.status}.`,
    n.commitSha
      ? `Commit ${n.commitSha.slice(0, 12)}${n.branch ? ` on ${n.branch}` : ""}${n.commitMessage ? `: ${n.commitMessage.split("\n")[0]}` : ""}`
      : null,
    logTail ? `Log tail:\n${logTail}` : null,
  ]
    .filter(Boolean)
    .join("\n");
}

/** A log tail fetched after the delivery (Railway poller): stored on the deploy and, if it is the open item's deployment, in its evidence. */
export async function attachLogTail(deps: StoreDeps, projectSlug: string, deploymentId: string, logTail: string): Promise<void> {
  const event = await deps.sqlStore.transaction(
    async (tx): Promise<WorkdeckEvent | null> => {
      const d = await tx.get<{
        id: number;
        status: string;
        service_name: string | null;
        environment_name: string | null;
        commit_sha: string | null;
        commit_message: string | null;
        branch: string | null;
        log_tail: string | null;
      }>(
        sql`SELECT id, status, service_name, environment_name, commit_sha, commit_message, branch, log_tail
            FROM deploys WHERE provider = 'railway' AND deployment_id = ${deploymentId}`,
      );
      if (!d || d.log_tail === logTail) return null;
      await tx.run(sql`UPDATE deploys SET log_tail = ${logTail} WHERE id = ${d.id}`);
      // The item whose evidence names this deployment (a prefix match, not LIKE: an id may hold % or _).
      const prefix = `Railway deployment ${deploymentId} `;
      const item = await tx.get<{ id: number }>(
        sql`SELECT id FROM integration_items WHERE kind = 'deploy' AND project_slug = ${projectSlug} AND status = 'open'
            AND substr(evidence, 1, ${prefix.length}) = ${prefix}`,
      );
      if (item) {
        const evidence = deployEvidence(
          {
            deploymentId,
            status: d.status,
            serviceName: d.service_name,
            environmentName: d.environment_name,
            commitSha: d.commit_sha,
            commitMessage: d.commit_message,
            branch: d.branch,
          },
          logTail,
        );
        await tx.run(sql`UPDATE integration_items SET evidence = ${evidence} WHERE id = ${item.id}`);
      }
      return deps.bus.record(tx, {
        type: "integrations.changed",
        projectSlug,
        kind: "deploy",
        itemId: item?.id ?? null,
        change: item ? "updated" : "none",
        deployId: d.id,
      });
    },
    { exclusive: APPLY_LOCK },
  );
  if (event) await deps.bus.recordedCommitted([event]);
}

/** The configured project a repository or Railway project belongs to. */
export function projectFor(config: LoadedConfig, n: Normalized): string | null {
  for (const p of config.config.projects ?? []) {
    if (n.kind === "deploy") {
      if (p.railway?.projectId !== n.railwayProjectId) continue;
      const services = p.railway.services;
      if (services && !services.some((s) => s === n.serviceId || s === n.serviceName)) continue;
      return p.slug;
    }
    if (p.repository && p.repository.toLowerCase() === n.repository.toLowerCase()) return p.slug;
  }
  return null;
}
