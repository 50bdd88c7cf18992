import type { LoadedConfig } from "../config";
import type { Db } from "../db/client";
import type { EventBus } from "../events/bus";
import type { WorkdeckEvent, WorkdeckEventInput } from "@/lib/schemas/events";
import { FAILED_DEPLOY, TERMINAL_DEPLOY, type CiEvent, type DeployEvent, type Normalized, type ReviewEvent } from "./normalize";

/**
 * Applies one understood delivery: the delivery row (unique per source + id, so a replay stores
 * nothing), the work item of its subject (opened, reopened, updated or resolved) and the deploy
 * of the timeline, with their bus events, in one transaction; the events reach listeners after
 * it commits.
 */

export type StoreDeps = { db: Db; bus: EventBus };

export type Delivery = { source: "github" | "gitlab" | "railway" | "railway_poll"; deliveryId: string; event: string };

export type Links = { changeId?: string; failureId?: number; sessionId?: number };

export type Applied = {
  duplicate: boolean;
  itemId: number | null;
  change: "opened" | "reopened" | "updated" | "resolved" | "none";
  deployId: number | null;
};

const PRIORITY = { ci: 4, review: 3, deploy: 5 } as const;

export function applyDelivery(deps: StoreDeps, projectSlug: string, delivery: Delivery, n: Normalized, links: Links = {}): Applied {
  const sqlite = deps.db.$client;
  const events: WorkdeckEvent[] = [];
  const run = sqlite.transaction((): Applied => {
    const now = Date.now();
    const stored = sqlite
      .prepare(
        "INSERT INTO webhook_deliveries (source, delivery_id, event, project_slug, received_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (source, delivery_id) DO NOTHING",
      )
      .run(delivery.source, delivery.deliveryId, delivery.event, projectSlug, now);
    if (!stored.changes) return { duplicate: true, itemId: null, change: "none", deployId: null };
    let result: Omit<Applied, "duplicate">;
    if (n.kind === "ci") result = { ...applyCi(deps, projectSlug, n, now), deployId: null };
    else if (n.kind === "review") result = { ...applyReview(deps, projectSlug, n, links, now), deployId: null };
    else result = applyDeploy(deps, projectSlug, n, now);
    if (result.change !== "none" || result.deployId !== null) {
      events.push(
        deps.bus.append({
          type: "integrations.changed",
          projectSlug,
          kind: n.kind,
          itemId: result.itemId,
          change: result.change,
          deployId: result.deployId,
        } satisfies WorkdeckEventInput),
      );
    }
    return { duplicate: false, ...result };
  });
  const applied = run.immediate();
  for (const e of events) deps.bus.emitCommitted(e);
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
function upsertItem(
  deps: StoreDeps,
  projectSlug: string,
  failing: boolean,
  it: ItemInput,
  now: number,
  countOccurrence = true,
): ItemChange {
  const sqlite = deps.db.$client;
  const existing = sqlite.prepare("SELECT id, status FROM integration_items WHERE subject_key = ?").get(it.subjectKey) as
    { id: number; status: string } | undefined;
  if (!failing) {
    if (!existing || existing.status !== "open") return { itemId: existing?.id ?? null, change: "none" };
    sqlite
      .prepare(
        "UPDATE integration_items SET status = 'resolved', resolved_at = ?, last_seen_at = ?, detail = ?, url = COALESCE(?, url), commit_sha = COALESCE(?, commit_sha) WHERE id = ?",
      )
      .run(now, now, it.detail, it.url, it.commitSha, existing.id);
    return { itemId: existing.id, change: "resolved" };
  }
  const refs = it.refs ? JSON.stringify(it.refs) : null;
  if (!existing) {
    const info = sqlite
      .prepare(
        `INSERT INTO integration_items (kind, project_slug, provider, subject_key, status, title, detail, url, branch, commit_sha, evidence, refs, occurrences, priority, first_seen_at, last_seen_at)
         VALUES (?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`,
      )
      .run(
        it.kind,
        projectSlug,
        it.provider,
        it.subjectKey,
        it.title,
        it.detail,
        it.url,
        it.branch,
        it.commitSha,
        it.evidence,
        refs,
        PRIORITY[it.kind],
        now,
        now,
      );
    return { itemId: Number(info.lastInsertRowid), change: "opened" };
  }
  sqlite
    .prepare(
      `UPDATE integration_items SET status = 'open', resolved_at = NULL, title = ?, detail = ?, url = ?, branch = ?, commit_sha = ?, evidence = ?, refs = COALESCE(?, refs),
       occurrences = occurrences + ?, last_seen_at = ? WHERE id = ?`,
    )
    .run(it.title, it.detail, it.url, it.branch, it.commitSha, it.evidence, refs, countOccurrence ? 1 : 0, now, existing.id);
  return { itemId: existing.id, change: existing.status === "open" ? "updated" : "reopened" };
}

function applyCi(deps: StoreDeps, projectSlug: string, n: CiEvent, now: number): ItemChange {
  const branch = n.branch ?? "(no branch)";
  return upsertItem(
    deps,
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

function applyReview(deps: StoreDeps, projectSlug: string, n: ReviewEvent, links: Links, now: number): ItemChange {
  const sep = n.provider === "gitlab" ? "!" : "#";
  const open = n.action === "open" || n.action === "update";
  return upsertItem(
    deps,
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

function applyDeploy(deps: StoreDeps, projectSlug: string, n: DeployEvent, now: number): ItemChange & { deployId: number | null } {
  const sqlite = deps.db.$client;
  const terminal = TERMINAL_DEPLOY.has(n.status);
  const prior = sqlite
    .prepare("SELECT id, status, updated_at FROM deploys WHERE provider = ? AND deployment_id = ?")
    .get(n.provider, n.deploymentId) as { id: number; status: string; updated_at: number } | undefined;
  let deployId: number;
  if (!prior) {
    const info = sqlite
      .prepare(
        `INSERT INTO deploys (project_slug, provider, deployment_id, service_id, service_name, environment_name, status, commit_sha, commit_message, branch, started_at, finished_at, updated_at, log_tail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        projectSlug,
        n.provider,
        n.deploymentId,
        n.serviceId,
        n.serviceName,
        n.environmentName,
        n.status,
        n.commitSha,
        n.commitMessage,
        n.branch,
        n.startedAt ?? n.at,
        terminal ? n.at : null,
        n.at,
        n.logTail,
      );
    deployId = Number(info.lastInsertRowid);
  } else {
    // Deliveries can arrive out of order: a BUILDING after the SUCCESS it preceded changes nothing.
    if (TERMINAL_DEPLOY.has(prior.status) && !terminal) return { itemId: null, change: "none", deployId: null };
    if (prior.status === n.status && !n.logTail) return { itemId: null, change: "none", deployId: null };
    sqlite
      .prepare(
        `UPDATE deploys SET status = ?, finished_at = CASE WHEN ? THEN COALESCE(finished_at, ?) ELSE finished_at END, updated_at = ?,
         commit_sha = COALESCE(?, commit_sha), commit_message = COALESCE(?, commit_message), branch = COALESCE(?, branch),
         service_name = COALESCE(?, service_name), environment_name = COALESCE(?, environment_name), log_tail = COALESCE(?, log_tail) WHERE id = ?`,
      )
      .run(
        n.status,
        terminal ? 1 : 0,
        Math.max(n.at, prior.updated_at),
        Math.max(n.at, prior.updated_at),
        n.commitSha,
        n.commitMessage,
        n.branch,
        n.serviceName,
        n.environmentName,
        n.logTail,
        prior.id,
      );
    deployId = prior.id;
  }
  if (!terminal || n.status === "REMOVED" || n.status === "SKIPPED") return { itemId: null, change: "none", deployId };
  // Only the newest deployment of a service speaks for it: an older one failing late reopens nothing.
  const newer = sqlite
    .prepare(
      "SELECT 1 FROM deploys WHERE project_slug = ? AND provider = ? AND service_id IS ? AND environment_name IS ? AND started_at > (SELECT started_at FROM deploys WHERE id = ?) LIMIT 1",
    )
    .get(projectSlug, n.provider, n.serviceId, n.environmentName, deployId);
  if (newer) return { itemId: null, change: "none", deployId };
  const service = n.serviceName ?? n.serviceId ?? "service";
  const where = n.environmentName ? ` (${n.environmentName})` : "";
  const row = sqlite.prepare("SELECT log_tail FROM deploys WHERE id = ?").get(deployId) as { log_tail: string | null };
  const item = upsertItem(
    deps,
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
      evidence: deployEvidence(n, row.log_tail),
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
export function attachLogTail(deps: StoreDeps, projectSlug: string, deploymentId: string, logTail: string): void {
  const sqlite = deps.db.$client;
  const events: WorkdeckEvent[] = [];
  sqlite
    .transaction(() => {
      const d = sqlite.prepare("SELECT * FROM deploys WHERE provider = 'railway' AND deployment_id = ?").get(deploymentId) as
        | {
            id: number;
            status: string;
            service_name: string | null;
            environment_name: string | null;
            commit_sha: string | null;
            commit_message: string | null;
            branch: string | null;
            log_tail: string | null;
          }
        | undefined;
      if (!d || d.log_tail === logTail) return;
      sqlite.prepare("UPDATE deploys SET log_tail = ? WHERE id = ?").run(logTail, d.id);
      const item = sqlite
        .prepare("SELECT id FROM integration_items WHERE kind = 'deploy' AND project_slug = ? AND status = 'open' AND evidence LIKE ?")
        .get(projectSlug, `Railway deployment ${deploymentId} %`) as { id: number } | undefined;
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
        sqlite.prepare("UPDATE integration_items SET evidence = ? WHERE id = ?").run(evidence, item.id);
      }
      events.push(
        deps.bus.append({
          type: "integrations.changed",
          projectSlug,
          kind: "deploy",
          itemId: item?.id ?? null,
          change: item ? "updated" : "none",
          deployId: d.id,
        }),
      );
    })
    .immediate();
  for (const e of events) deps.bus.emitCommitted(e);
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
