import type { LoadedConfig } from "../config";
import { sql } from "drizzle-orm";
import type { SqlStore } from "../db/sql-store";
import type { EventBus } from "../events/bus";
import type { Logger } from "../logger";
import type { SessionRunner } from "../sessions/service";
import { AUTOMATION_DEFAULT_PER_HOUR, type AutomationRule, type AutomationTrigger } from "@/lib/schemas/integrations";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import { remediationPrompt } from "./prompt";

/**
 * Automations (issue 15): `automations: [{ on, project?, action, prompt? }]`. A failed deploy or
 * CI run (an item opened or reopened) or a failure that became persistent either notifies (an
 * `automations.ran` event the Slack worker turns into a message) or launches a remediation
 * session through the sessions service's public `start`, with a prompt built from the evidence.
 *
 * Each run is claimed in one exclusive transaction (SQLite: IMMEDIATE; PostgreSQL: an advisory
 * lock per project), unique per (event, rule, item), so two processes seeing the same event act once; the same transaction checks that no session of the
 * item is still queued or running and the project's launches of the last hour, so a flapping
 * pipeline cannot start fifty agents.
 */

export type AutomationDeps = {
  /** Either dialect (issue 14): everything here is portable SQL. */
  sqlStore: SqlStore;
  bus: EventBus;
  config: LoadedConfig;
  sessions: Pick<SessionRunner, "start" | "promptPreview">;
  log: Pick<Logger, "warn" | "error">;
  now?: () => number;
};

type Trigger = { trigger: AutomationTrigger; projectSlug: string; itemKey: string; eventId: number };

const HOUR = 3600_000;
/** DESIGN.md's triage rules: persistent = 5 or more consecutive failure runs. */
const PERSISTENT_RUNS = 5;

export class AutomationRunner {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly deps: AutomationDeps) {}

  /** Every rule that applies to the event, acted on; resolves when each launch has been answered. */
  async handle(event: WorkdeckEvent): Promise<void> {
    const rules = this.deps.config.config.automations ?? [];
    if (!rules.length) return;
    for (const t of await this.triggers(event)) {
      rules.forEach((rule, index) => {
        if (rule.on !== t.trigger || (rule.project && rule.project !== t.projectSlug)) return;
        const p = this.act(t, rule, index).catch((err) => this.deps.log.error({ err, itemKey: t.itemKey }, "automation failed"));
        this.pending.add(p);
        void p.finally(() => this.pending.delete(p));
      });
    }
    await this.idle();
  }

  async idle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  private async triggers(e: WorkdeckEvent): Promise<Trigger[]> {
    if (e.type === "integrations.changed") {
      if (e.itemId === null || (e.change !== "opened" && e.change !== "reopened") || e.kind === "review") return [];
      return [
        {
          trigger: e.kind === "ci" ? "ci_failed" : "deploy_failed",
          projectSlug: e.projectSlug,
          itemKey: `${e.kind}:${e.itemId}`,
          eventId: e.id,
        },
      ];
    }
    if ((e.type === "errors.failureNew" || e.type === "errors.failureUpdated") && e.failureIds.length) {
      // The report that made it persistent, not every later one of the same streak (a pass resets the count).
      const rows = await this.deps.sqlStore.all<{ id: number }>(
        sql`SELECT id FROM test_failures WHERE id IN ${e.failureIds} AND pattern = 'persistent' AND resolved_at IS NULL AND consecutive_failures = ${PERSISTENT_RUNS}`,
      );
      return rows.map((r) => ({
        trigger: "failure_persistent" as const,
        projectSlug: e.projectSlug,
        itemKey: `failure:${r.id}`,
        eventId: e.id,
      }));
    }
    return [];
  }

  private async act(t: Trigger, rule: AutomationRule, ruleIndex: number): Promise<void> {
    const claimed = await this.claim(t, rule, ruleIndex);
    if (!claimed) return;
    if (claimed.status !== "launching") {
      await this.publish(t.projectSlug, claimed.id);
      return;
    }
    try {
      const input = await this.launchInput(t, rule);
      const { id } = await this.deps.sessions.start(input);
      await this.finish(claimed.id, "launched", null, id);
    } catch (err) {
      await this.finish(claimed.id, "failed", err instanceof Error ? err.message.slice(0, 500) : String(err), null);
    }
    await this.publish(t.projectSlug, claimed.id);
  }

  /** The run row, or null when this (event, rule, item) was already handled (another process, a replayed event). */
  private claim(t: Trigger, rule: AutomationRule, ruleIndex: number): Promise<{ id: number; status: string } | null> {
    const now = this.deps.now?.() ?? Date.now();
    return this.deps.sqlStore.transaction(
      async (tx) => {
        const insert = async (status: string, reason: string | null) => {
          const { row } = await tx.run<{ id: number }>(
            sql`INSERT INTO automation_runs (item_key, trigger, rule_index, action, project_slug, status, reason, event_id, created_at)
                VALUES (${t.itemKey}, ${t.trigger}, ${ruleIndex}, ${rule.action}, ${t.projectSlug}, ${status}, ${reason}, ${t.eventId}, ${now})
                ON CONFLICT (event_id, rule_index, item_key) DO NOTHING RETURNING id`,
          );
          return row ? { id: row.id, status } : null;
        };
        if (rule.action === "notify") return insert("notified", null);
        const busy = await tx.get<{ session_id: number | null }>(
          sql`SELECT r.session_id, s.status FROM automation_runs r LEFT JOIN sessions s ON s.id = r.session_id
              WHERE r.item_key = ${t.itemKey} AND (r.status = 'launching' OR (r.status = 'launched' AND s.status IN ('queued', 'running'))) LIMIT 1`,
        );
        if (busy)
          return insert(
            "skipped",
            busy.session_id ? `Session #${busy.session_id} is already working on ${t.itemKey}` : `A session for ${t.itemKey} is starting`,
          );
        const limit = rule.maxSessionsPerHour ?? AUTOMATION_DEFAULT_PER_HOUR;
        const counted = await tx.get<{ n: number }>(
          sql`SELECT COUNT(*) AS n FROM automation_runs WHERE project_slug = ${t.projectSlug} AND action = 'launch_session'
              AND status IN ('launching', 'launched') AND created_at > ${now - HOUR}`,
        );
        const n = Number(counted?.n ?? 0);
        if (n >= limit) return insert("rate_limited", `${n} automated sessions in ${t.projectSlug} in the last hour (limit ${limit})`);
        return insert("launching", null);
      },
      // The busy check and the hourly count read, then insert: two claimers of one project must take turns.
      { exclusive: `automations:${t.projectSlug}` },
    );
  }

  private async launchInput(t: Trigger, rule: AutomationRule) {
    if (t.trigger === "failure_persistent") {
      const workItem = { kind: "error" as const, failureId: Number(t.itemKey.slice("failure:".length)) };
      if (!rule.prompt) return { projectId: t.projectSlug, workItem };
      // The rule's instructions before the evidence prompt the sessions service builds for the failure.
      const preview = await this.deps.sessions.promptPreview({ projectId: t.projectSlug, workItem });
      return { projectId: t.projectSlug, workItem, prompt: `${rule.prompt}\n\n${preview.prompt}` };
    }
    const itemId = Number(t.itemKey.split(":")[1]);
    const item = await this.deps.sqlStore.get<Parameters<typeof remediationPrompt>[0]>(
      sql`SELECT * FROM integration_items WHERE id = ${itemId}`,
    );
    if (!item) throw new Error(`No integration item ${itemId}`);
    return { projectId: t.projectSlug, prompt: remediationPrompt(item, rule.prompt), overrides: { priority: 5 } };
  }

  private async finish(runId: number, status: "launched" | "failed", reason: string | null, sessionId: number | null): Promise<void> {
    await this.deps.sqlStore.run(
      sql`UPDATE automation_runs SET status = ${status}, reason = ${reason}, session_id = ${sessionId} WHERE id = ${runId}`,
    );
  }

  private async publish(projectSlug: string, runId: number): Promise<void> {
    await this.deps.bus.publishAsync({ type: "automations.ran", projectSlug, runId });
  }
}
