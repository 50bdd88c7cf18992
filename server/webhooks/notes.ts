import { sql } from "drizzle-orm";
import type { SqlStore } from "../db/sql-store";
import { escapeMrkdwn, type MessageInput } from "../notifications/blocks";
import type { AutomationRunRow, DeployRow, IntegrationItemRow } from "./service";
import { deploysHref } from "@/lib/schemas/integrations";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import type { NotificationKind } from "@/lib/schemas/notifications";

/**
 * Slack messages for deploys, CI runs and automations (issue 15), built by the notifications
 * worker like its own: the project's channel, Block Kit, a button back to Workdeck and a link to
 * the run or deployment on the provider's site.
 */

export type IntegrationNote = {
  kind: NotificationKind;
  projectSlug: string | null;
  dedupeKey: string;
  message: Omit<MessageInput, "kind" | "project">;
};

const TAIL_LINES = 12;

export async function integrationNotes(deps: { sqlStore: SqlStore; baseUrl: string }, e: WorkdeckEvent): Promise<IntegrationNote[]> {
  const link = (p: string) => `${deps.baseUrl}${p}`;
  if (e.type === "integrations.changed") {
    if (e.kind === "deploy" && e.deployId !== null) {
      const d = await deps.sqlStore.get<DeployRow & { log_tail: string | null }>(
        sql`SELECT id, project_slug, deployment_id, service_name, environment_name, status, commit_sha, commit_message, branch, started_at, finished_at, log_tail
            FROM deploys WHERE id = ${e.deployId}`,
      );
      if (!d) return [];
      const failed = d.status === "FAILED" || d.status === "CRASHED";
      if (!failed && d.status !== "SUCCESS") return [];
      // A failure is told when its item opens (or reopens); a success every time a deploy lands.
      if (failed && e.change !== "opened" && e.change !== "reopened") return [];
      const where = `${d.service_name ?? "service"}${d.environment_name ? ` (${d.environment_name})` : ""}`;
      const seconds = d.finished_at ? Math.round((d.finished_at - d.started_at) / 1000) : null;
      const tail = d.log_tail ? d.log_tail.split("\n").slice(-TAIL_LINES).join("\n") : null;
      return [
        {
          kind: failed ? "deploy_failed" : "deploy_succeeded",
          projectSlug: e.projectSlug,
          dedupeKey: `${failed ? "deploy_failed" : "deploy_succeeded"}:${d.deployment_id}`,
          message: {
            title: failed ? `Deploy ${d.status === "CRASHED" ? "crashed" : "failed"}: ${where}` : `Deployed: ${where}`,
            body: [
              d.commit_sha
                ? `\`${escapeMrkdwn(d.commit_sha.slice(0, 7))}\` ${escapeMrkdwn((d.commit_message ?? "").split("\n")[0] ?? "")}`
                : `Deployment \`${escapeMrkdwn(d.deployment_id)}\``,
              tail ? `\`\`\`${escapeMrkdwn(tail.slice(-1500))}\`\`\`` : null,
            ]
              .filter(Boolean)
              .join("\n"),
            fields: [
              ["Status", d.status],
              ...(d.branch ? ([["Branch", escapeMrkdwn(d.branch)]] as [string, string][]) : []),
              ...(seconds !== null ? ([["Duration", `${seconds} s`]] as [string, string][]) : []),
            ],
            link: link(deploysHref(e.projectSlug, e.itemId ?? undefined)),
          },
        },
      ];
    }
    if (e.kind === "ci" && e.itemId !== null && e.change !== "updated" && e.change !== "none") {
      const i = await deps.sqlStore.get<
        Pick<IntegrationItemRow, "id" | "title" | "detail" | "url" | "branch" | "commit_sha" | "evidence" | "occurrences">
      >(sql`SELECT id, title, detail, url, branch, commit_sha, evidence, occurrences FROM integration_items WHERE id = ${e.itemId}`);
      if (!i) return [];
      const fixed = e.change === "resolved";
      return [
        {
          kind: fixed ? "ci_fixed" : "ci_failed",
          projectSlug: e.projectSlug,
          dedupeKey: `${fixed ? "ci_fixed" : "ci_failed"}:${i.id}:${i.occurrences}`,
          message: {
            title: fixed ? i.title.replace(/^CI failed: /, "CI passes again: ") : i.title,
            body: `${escapeMrkdwn(i.evidence.split("\n").slice(0, 6).join("\n"))}${i.url ? `\n<${i.url}|Open the run>` : ""}`,
            fields: [
              ["Conclusion", escapeMrkdwn(i.detail)],
              ...(i.commit_sha ? ([["Commit", `\`${i.commit_sha.slice(0, 7)}\``]] as [string, string][]) : []),
              ...(i.occurrences > 1 && !fixed ? ([["Times", String(i.occurrences)]] as [string, string][]) : []),
            ],
            link: link(deploysHref(e.projectSlug, i.id)),
          },
        },
      ];
    }
    return [];
  }
  if (e.type === "automations.ran") {
    const r = await deps.sqlStore.get<
      Pick<AutomationRunRow, "id" | "item_key" | "trigger" | "action" | "status" | "reason" | "session_id">
    >(sql`SELECT id, item_key, trigger, action, status, reason, session_id FROM automation_runs WHERE id = ${e.runId}`);
    if (!r || (r.status !== "launched" && r.status !== "notified" && r.status !== "rate_limited")) return [];
    const itemId = Number(r.item_key.split(":")[1]);
    const href = r.session_id
      ? `/sessions/${r.session_id}`
      : r.item_key.startsWith("failure:")
        ? `/errors/${itemId}`
        : deploysHref(e.projectSlug, itemId);
    const title =
      r.status === "launched"
        ? `Remediation session #${r.session_id} started`
        : r.status === "notified"
          ? `Automation: ${r.trigger.replace(/_/g, " ")}`
          : `Automation held back: ${r.trigger.replace(/_/g, " ")}`;
    return [
      {
        kind: "automation",
        projectSlug: e.projectSlug,
        dedupeKey: `automation:${r.id}`,
        message: {
          title,
          body: escapeMrkdwn(r.reason ?? `For ${r.item_key}, by the ${r.trigger} rule.`),
          fields: [
            ["Rule", r.trigger],
            ["Action", r.action.replace(/_/g, " ")],
          ],
          link: link(href),
        },
      },
    ];
  }
  return [];
}
