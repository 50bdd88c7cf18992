import { sql } from "drizzle-orm";
import type { LoadedConfig } from "../config";
import type { Logger } from "../logger";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import { deployFromRailway, FAILED_DEPLOY } from "../webhooks/normalize";
import { applyDelivery, attachLogTail, type StoreDeps } from "../webhooks/store";
import { RailwayApi } from "./railway-api";

/**
 * Deploy monitoring without webhooks (issue 15): with `integrations.railway.tokenEnv` set, each
 * project's latest Railway deployments are polled and go through the same store as webhook
 * deliveries (a status seen once is one delivery, `poll:<deployment>:<status>`, whichever process
 * polled). A failed deployment, polled or delivered, gets the tail of its build/deploy log.
 */

export type PollerDeps = StoreDeps & { config: LoadedConfig; log: Pick<Logger, "warn">; readSecret(name: string): string | undefined };

export class RailwayPoller {
  private readonly api: RailwayApi | null;

  constructor(private readonly deps: PollerDeps) {
    const railway = deps.config.config.integrations?.railway;
    const token = railway?.tokenEnv ? deps.readSecret(railway.tokenEnv) : undefined;
    this.api = token ? new RailwayApi(token, railway?.apiUrl) : null;
  }

  get enabled(): boolean {
    return this.api !== null;
  }

  get intervalMs(): number {
    return (this.deps.config.config.integrations?.railway?.pollSeconds ?? 60) * 1000;
  }

  /** One pass over every project with a Railway project id; returns the deliveries stored. */
  async pollOnce(): Promise<number> {
    if (!this.api) return 0;
    let stored = 0;
    for (const p of this.deps.config.config.projects ?? []) {
      if (!p.railway) continue;
      try {
        const project = await this.api.project(p.railway.projectId);
        // Oldest first, so the timeline and the items see them in the order they happened.
        for (const d of [...project.deployments].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt))) {
          const serviceName = d.serviceId ? (project.services.get(d.serviceId) ?? null) : null;
          const services = p.railway.services;
          if (services && !services.some((s) => s === d.serviceId || s === serviceName)) continue;
          const meta = (d.meta ?? {}) as { commitHash?: string; commitMessage?: string; branch?: string };
          const n = deployFromRailway({
            railwayProjectId: p.railway.projectId,
            serviceId: d.serviceId,
            serviceName,
            environmentId: d.environmentId,
            environmentName: d.environmentId ? (project.environments.get(d.environmentId) ?? null) : null,
            deploymentId: d.id,
            status: d.status,
            commitSha: meta.commitHash ?? null,
            commitMessage: meta.commitMessage ?? null,
            branch: meta.branch ?? null,
            at: Date.parse(d.updatedAt ?? d.createdAt),
            startedAt: Date.parse(d.createdAt),
            logTail: null,
          });
          const applied = await applyDelivery(
            this.deps,
            p.slug,
            { source: "railway_poll", deliveryId: `poll:${d.id}:${d.status}`, event: `Deployment.${d.status.toLowerCase()}` },
            n,
          );
          if (!applied.duplicate) stored++;
          if (!applied.duplicate && FAILED_DEPLOY.has(d.status)) await this.fetchLogs(p.slug, d.id);
        }
      } catch (err) {
        this.deps.log.warn({ err: err instanceof Error ? err.message : String(err), project: p.slug }, "Railway poll failed");
      }
    }
    return stored;
  }

  /** A failed deploy that arrived by webhook: its log tail, fetched once the item opened. */
  async onEvent(e: WorkdeckEvent): Promise<void> {
    if (
      !this.api ||
      e.type !== "integrations.changed" ||
      e.kind !== "deploy" ||
      (e.change !== "opened" && e.change !== "reopened") ||
      e.deployId === null
    )
      return;
    const row = await this.deps.sqlStore.get<{ deployment_id: string; log_tail: string | null }>(
      sql`SELECT deployment_id, log_tail FROM deploys WHERE id = ${e.deployId}`,
    );
    if (row && !row.log_tail) await this.fetchLogs(e.projectSlug, row.deployment_id);
  }

  private async fetchLogs(projectSlug: string, deploymentId: string): Promise<void> {
    try {
      const tail = await this.api!.logTail(deploymentId);
      if (tail) await attachLogTail(this.deps, projectSlug, deploymentId, tail);
    } catch (err) {
      this.deps.log.warn({ err: err instanceof Error ? err.message : String(err), deploymentId }, "Railway logs could not be read");
    }
  }
}
