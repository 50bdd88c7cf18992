/**
 * Automations (issue 15): failure → item → automation → session, with the real Claude Code binary
 * against the local fake of the Messages API and the Slack fake receiving the messages. The
 * background (lock, bus listener, automations) is the one `workdeck serve` starts.
 */
import fs from "node:fs";
import path from "node:path";
import type { HeaderBlock } from "@slack/types";
import { afterEach, describe, expect, it, vi } from "vitest";
import { startBackground, type Background } from "@/server/automations/background";
import { ingestReport } from "@/server/errors/ingest";
import { NotificationService } from "@/server/notifications/service";
import { stopRuntime } from "@/server/runtime-boot";
import type { AutomationRunRow } from "@/server/webhooks/service";
import { workflowRunCompleted } from "../fixtures/webhooks/github";
import { deploymentEvent } from "../fixtures/webhooks/railway";
import { FakeAnthropic, mainAsking } from "../support/fake-anthropic";
import { FakeRailway } from "../support/fake-railway";
import { startFakeSlack } from "../support/fake-slack";
import { sharedPath } from "../support/shared";
import { closeWebhookServers, rows, sendGithub, sendRailway, startWebhookServer, type WebhookServer } from "../support/webhook-server";
import { fakeClaudeChildEnv } from "../support/claude-env";

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  await closeWebhookServers();
  await stopRuntime();
  vi.unstubAllEnvs();
});

const at = (n: number) => new Date(Date.UTC(2026, 11, 4, 10, n)).toISOString();

type Run = Pick<AutomationRunRow, "id" | "item_key" | "trigger" | "action" | "status" | "reason" | "session_id">;
const runs = (s: WebhookServer) => rows<Run>(s.runtime, "SELECT * FROM automation_runs ORDER BY id");

async function world(automations: unknown[], extra: { config?: Record<string, unknown>; secrets?: Record<string, string> } = {}) {
  const fake = await FakeAnthropic.start();
  closers.push(() => fake.close());
  const slack = await startFakeSlack();
  closers.push(slack.close);
  const home = fs.mkdtempSync(path.join(process.env.TMPDIR ?? "/tmp", "workdeck-automations-"));
  closers.push(async () => fs.rmSync(home, { recursive: true, force: true }));
  fs.mkdirSync(path.join(home, "claude-config"));
  // What the Claude child inherits (the runtime reads the environment once, at start).
  for (const [k, v] of Object.entries(fakeClaudeChildEnv(fake.url, home, "sk-ant-oat01-fake-automations"))) vi.stubEnv(k, v);
  const s = await startWebhookServer({
    sessions: true,
    config: {
      automations,
      claude: { defaults: { permissionMode: "acceptEdits", worktrees: false, timeoutMinutes: 3 } },
      notifications: { slack: { webhookUrlEnv: "SLACK_HOOK" } },
      ...extra.config,
    },
    secrets: extra.secrets,
  });
  const readSecret = (name: string) => (name === "SLACK_HOOK" ? `${slack.url}/hooks/T1/QA/secret` : s.secrets[name]);
  const background: Background = startBackground({ ...s.runtime, readSecret });
  closers.push(() => background.close());
  const notifications = new NotificationService({
    ...s.runtime,
    readSecret,
    baseUrl: "http://workdeck.test",
    retry: { maxAttempts: 1 },
  }).start();
  closers.push(() => notifications.close());
  return { fake, slack, s, background, notifications };
}

describe("launch_session", () => {
  it("a failed deploy launches one remediation session built from the evidence; it completes against the fake API and Slack hears of both", async () => {
    const { fake, slack, s, background, notifications } = await world([
      { on: "deploy_failed", action: "launch_session", prompt: "Fix the failed deploy." },
    ]);
    fake.when(mainAsking("Fix the failed deploy."), { kind: "text", text: "The Dockerfile copied the wrong folder; fixed it." });

    await sendRailway(
      s.url,
      deploymentEvent({ type: "Deployment.failed", deploymentId: "dep-77", commitMessage: "Move the build output", timestamp: at(4) }),
    );
    await vi.waitFor(() => expect(runs(s)).toEqual([expect.objectContaining({ trigger: "deploy_failed", status: "launched" })]), {
      timeout: 20_000,
    });
    await background.automations.idle();
    const sessionId = runs(s)[0]!.session_id!;
    const ended = await s.runtime.sessions.waitForEnd(sessionId, 150_000);
    expect(ended).toMatchObject({ status: "completed" });

    const asked = fake.mainRequests.find(mainAsking("Fix the failed deploy."));
    expect(asked).toBeDefined();
    const prompt = JSON.stringify(asked!.body);
    expect(prompt).toContain("Railway deployment dep-77 of api in production: FAILED.");
    expect(prompt).toContain("Move the build output");

    await notifications.idle();
    const titles = slack.received.map((r) => (r.body.blocks[0] as HeaderBlock).text.text);
    expect(titles).toEqual(
      expect.arrayContaining([":boom: Deploy failed: api (production)", `:robot_face: Remediation session #${sessionId} started`]),
    );
  }, 200_000);

  it("with a Railway token, the remediation prompt carries the failed deploy's log tail", async () => {
    const railway = await FakeRailway.start();
    closers.push(() => railway.close());
    railway.addProject("prj-7f3a", { services: { "svc-api": "api" }, environments: { "env-production": "production" } });
    railway.upsertDeployment("prj-7f3a", {
      id: "dep-88",
      status: "FAILED",
      buildLogs: ["> tsc -p .", 'npm ERR! Missing script: "build:server"'],
    });
    const { fake, s, background } = await world([{ on: "deploy_failed", action: "launch_session" }], {
      config: {
        integrations: {
          railway: { webhookSecretEnv: "RAILWAY_WEBHOOK_SECRET", tokenEnv: "RAILWAY_TOKEN", apiUrl: railway.url, pollSeconds: 3600 },
        },
      },
      secrets: { RAILWAY_TOKEN: railway.token },
    });
    fake.when(mainAsking("A deployment of this project failed"), { kind: "text", text: "Added the build:server script." });
    await sendRailway(s.url, deploymentEvent({ type: "Deployment.failed", deploymentId: "dep-88", timestamp: at(2) }));
    await vi.waitFor(() => expect(runs(s)).toEqual([expect.objectContaining({ status: "launched" })]), { timeout: 20_000 });
    await background.automations.idle();
    expect(await s.runtime.sessions.waitForEnd(runs(s)[0]!.session_id!, 150_000)).toMatchObject({ status: "completed" });
    const asked = JSON.stringify(fake.mainRequests.find(mainAsking("A deployment of this project failed"))!.body);
    expect(asked).toContain("Log tail:");
    expect(asked).toContain("Missing script:");
  }, 200_000);

  it("one session per item at a time, and a per-project rate limit", async () => {
    const { fake, s, background } = await world([
      { on: "deploy_failed", action: "launch_session", maxSessionsPerHour: 1 },
      { on: "ci_failed", action: "launch_session", maxSessionsPerHour: 1 },
    ]);
    // The remediation never answers: its session stays running.
    fake.when(mainAsking("A deployment of this project failed"), { kind: "hang" });

    await sendRailway(s.url, deploymentEvent({ type: "Deployment.failed", deploymentId: "dep-1", timestamp: at(1) }));
    await vi.waitFor(() => expect(runs(s).map((r) => r.status)).toEqual(["launched"]), { timeout: 20_000 });
    const sessionId = runs(s)[0]!.session_id!;
    await vi.waitFor(async () => expect((await s.runtime.sessions.get({ id: sessionId })).status).toBe("running"), { timeout: 60_000 });

    // The deploy flaps: fixed, then failing again while its session still runs.
    await sendRailway(s.url, deploymentEvent({ type: "Deployment.deployed", deploymentId: "dep-2", timestamp: at(5) }));
    await sendRailway(s.url, deploymentEvent({ type: "Deployment.failed", deploymentId: "dep-3", timestamp: at(9) }));
    // Another item of the same project within the hour.
    await sendGithub(s.url, "workflow_run", workflowRunCompleted({ conclusion: "failure" }));
    await vi.waitFor(() => expect(runs(s)).toHaveLength(3), { timeout: 20_000 });
    await background.automations.idle();

    expect(runs(s).map((r) => [r.trigger, r.status])).toEqual([
      ["deploy_failed", "launched"],
      ["deploy_failed", "skipped"],
      ["ci_failed", "rate_limited"],
    ]);
    expect(runs(s)[1]!.reason).toBe(`Session #${sessionId} is already working on ${runs(s)[0]!.item_key}`);
    expect(runs(s)[2]!.reason).toMatch(/1 automated sessions in billing-api in the last hour \(limit 1\)/);
    expect(rows(s.runtime, "SELECT id FROM sessions")).toHaveLength(1);
    await s.runtime.sessions.stop({ id: sessionId });
  }, 200_000);
});

describe("notify", () => {
  it("a failed CI run with a notify rule sends the automation message and starts nothing", async () => {
    const { slack, s, background, notifications } = await world([{ on: "ci_failed", action: "notify" }]);
    await sendGithub(s.url, "workflow_run", workflowRunCompleted({ conclusion: "failure" }));
    await vi.waitFor(() => expect(runs(s)).toEqual([expect.objectContaining({ status: "notified", action: "notify" })]), {
      timeout: 20_000,
    });
    await background.automations.idle();
    await notifications.idle();
    await vi.waitFor(
      () => expect(slack.received.map((r) => (r.body.blocks[0] as HeaderBlock).text.text)).toContain(":robot_face: Automation: ci failed"),
      { timeout: 10_000 },
    );
    expect(rows(s.runtime, "SELECT id FROM sessions")).toEqual([]);
  }, 60_000);
});

describe("several servers on one database", () => {
  it("only the process holding the integrations lock acts on an event", async () => {
    const { s, background } = await world([{ on: "ci_failed", action: "notify" }]);
    // A second server's background on the same database: it stands by.
    const second = startBackground({ ...s.runtime, readSecret: (name) => s.secrets[name] });
    closers.push(() => second.close());
    await Promise.all([background.ready, second.ready]);
    expect([background.lock.isHeld(), second.lock.isHeld()]).toEqual([true, false]);
    const seen: Promise<void>[] = [];
    const off = s.runtime.bus.on((e) => void seen.push(second.automations.handle(e)));
    closers.push(async () => off());

    await sendGithub(s.url, "workflow_run", workflowRunCompleted({ conclusion: "failure" }));
    await vi.waitFor(() => expect(runs(s)).toHaveLength(1), { timeout: 20_000 });
    // Even a stand-by that handles the same event itself (a race) finds it claimed.
    await Promise.all(seen);
    await background.automations.idle();
    expect(runs(s)).toEqual([expect.objectContaining({ status: "notified" })]);
  }, 60_000);
});

describe("failure_persistent", () => {
  it("acts once per failure, on the report that makes it persistent, not again while the streak goes on", async () => {
    const { s, background } = await world([{ on: "failure_persistent", project: "billing-api", action: "notify" }]);
    const run1 = fs.readFileSync(path.join(sharedPath("playwright-sample", "reports"), "run-1.json"), "utf8");
    const runAt = (i: number) => {
      const r = JSON.parse(run1) as { stats: { startTime: string } };
      r.stats.startTime = new Date(Date.parse(r.stats.startTime) + i * 3600_000).toISOString();
      return JSON.stringify(r);
    };
    for (let i = 0; i < 4; i++) ingestReport(s.runtime, { projectSlug: "billing-api", body: runAt(i) });
    await new Promise((r) => setImmediate(r));
    await background.automations.idle();
    expect(runs(s)).toEqual([]); // recurring, not yet persistent
    ingestReport(s.runtime, { projectSlug: "billing-api", body: runAt(4) });
    await vi.waitFor(() => expect(runs(s).length).toBeGreaterThan(0), { timeout: 10_000 });
    await background.automations.idle();
    const first = runs(s);
    expect(new Set(first.map((r) => r.trigger))).toEqual(new Set(["failure_persistent"]));
    expect(first.every((r) => r.status === "notified" && r.item_key.startsWith("failure:"))).toBe(true);
    expect(new Set(first.map((r) => r.item_key)).size).toBe(first.length);

    ingestReport(s.runtime, { projectSlug: "billing-api", body: runAt(5) });
    await new Promise((r) => setTimeout(r, 200));
    await background.automations.idle();
    expect(runs(s)).toHaveLength(first.length);
  }, 60_000);
});
