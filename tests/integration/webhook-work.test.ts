/**
 * CI runs, reviews and deploys as work (issue 15): what the webhooks store joins All Work, its
 * counts and its timeline, and reaches the project's Slack channel as Block Kit messages with a
 * link back to Workdeck; a later success resolves the item like a passing report resolves a failure.
 */
import type { ActionsBlock, HeaderBlock, SectionBlock } from "@slack/types";
import { afterEach, describe, expect, it } from "vitest";
import { stopRuntime } from "@/server/runtime-boot";
import { checkMessage } from "@/server/notifications/blocks";
import { NotificationService } from "@/server/notifications/service";
import { activity, invalidateWork, listAll, stats } from "@/server/work/service";
import { workflowRunCompleted } from "../fixtures/webhooks/github";
import { deploymentEvent } from "../fixtures/webhooks/railway";
import { startFakeSlack } from "../support/fake-slack";
import { closeWebhookServers, sendGithub, sendRailway, startWebhookServer } from "../support/webhook-server";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await closeWebhookServers();
  await stopRuntime();
});

const at = (n: number) => new Date(Date.UTC(2026, 11, 4, 10, n)).toISOString();

describe("All Work", () => {
  it("a failed CI run is an open ci item with its evidence link, on the timeline; the next success makes it done", async () => {
    const s = await startWebhookServer();
    await sendGithub(s.url, "workflow_run", workflowRunCompleted({ conclusion: "failure", branch: "main" }));
    const [ci] = (await listAll(s.runtime, { projectId: "billing-api" })).filter((i) => i.type === "ci");
    expect(ci).toMatchObject({
      type: "ci",
      status: "open",
      title: "CI failed: CI on main",
      projectSlug: "billing-api",
      priority: 4,
      tag: "github",
    });
    expect(ci!.href).toMatch(/^\/deploys\?project=billing-api#item-\d+$/);
    expect((await stats(s.runtime, { projectId: "billing-api" })).byType.ci).toBe(1);
    expect(await activity(s.runtime, { types: ["ci"] })).toEqual([
      expect.objectContaining({ kind: "ci", text: "CI failed: CI on main", projectSlug: "billing-api" }),
    ]);

    await sendGithub(s.url, "workflow_run", workflowRunCompleted({ conclusion: "success", branch: "main" }));
    invalidateWork(s.runtime);
    const [after] = (await listAll(s.runtime, { projectId: "billing-api" })).filter((i) => i.type === "ci");
    expect(after).toMatchObject({ key: ci!.key, status: "done", detail: "resolved" });
    expect((await activity(s.runtime, { types: ["ci"] }))[0]).toMatchObject({ text: "Resolved by a later success: CI failed: CI on main" });
  });

  it("a crashed deploy is a deploy item of priority 5 that a filter by type finds", async () => {
    const s = await startWebhookServer();
    await sendRailway(s.url, deploymentEvent({ type: "Deployment.crashed", deploymentId: "dep-c", timestamp: at(1) }));
    const items = await listAll(s.runtime, { filter: { types: ["deploy"] } });
    expect(items).toEqual([
      expect.objectContaining({
        type: "deploy",
        status: "open",
        priority: 5,
        title: "Deploy crashed: api (production)",
        detail: "CRASHED",
      }),
    ]);
  });
});

describe("Slack", () => {
  it("a failed deploy and the next successful one reach the project's channel as Block Kit messages linking back", async () => {
    const slack = await startFakeSlack();
    closers.push(slack.close);
    const s = await startWebhookServer({ config: { notifications: { slack: { webhookUrlEnv: "SLACK_HOOK" } } } });
    const notifications = new NotificationService({
      sqlStore: s.runtime.sqlStore,
      bus: s.runtime.bus,
      config: s.runtime.config,
      log: s.runtime.log,
      readSecret: (name) => (name === "SLACK_HOOK" ? `${slack.url}/hooks/T1/QA/secret` : undefined),
      baseUrl: "http://workdeck.test",
      retry: { maxAttempts: 1 },
    }).start();
    closers.push(() => notifications.close());

    await sendRailway(s.url, deploymentEvent({ type: "Deployment.building", deploymentId: "dep-1", timestamp: at(0) }));
    await sendRailway(
      s.url,
      deploymentEvent({
        type: "Deployment.failed",
        deploymentId: "dep-1",
        commitHash: "0123456789abcdef",
        commitMessage: "Break the build",
        timestamp: at(2),
      }),
    );
    await sendRailway(s.url, deploymentEvent({ type: "Deployment.deployed", deploymentId: "dep-2", timestamp: at(9) }));
    await sendGithub(s.url, "workflow_run", workflowRunCompleted({ conclusion: "failure" }));
    await notifications.idle();

    const titles = slack.received.map((r) => (r.body.blocks[0] as HeaderBlock).text.text);
    expect(titles).toEqual([
      ":boom: Deploy failed: api (production)",
      ":rocket: Deployed: api (production)",
      ":rotating_light: CI failed: CI on main",
    ]);
    for (const r of slack.received) {
      expect(r.path).toBe("/hooks/T1/QA/secret");
      expect(checkMessage(r.body)).toEqual([]);
      const button = (r.body.blocks.find((b) => b.type === "actions") as ActionsBlock).elements[0] as { url: string };
      expect(button.url).toMatch(/^http:\/\/workdeck\.test\/deploys\?project=billing-api/);
    }
    expect((slack.received[0]!.body.blocks[1] as SectionBlock).text!.text).toContain("`0123456` Break the build");
    expect((slack.received[2]!.body.blocks[1] as SectionBlock).text!.text).toContain("|Open the run>");
  });
});
