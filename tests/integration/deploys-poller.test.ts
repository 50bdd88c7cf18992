/**
 * Deploy monitoring without webhooks (issue 15): the Railway poller against a local fake that
 * executes Railway's documented GraphQL schema (tests/support/fake-railway.ts), and the lock that
 * keeps it (and the automations) to one process per database.
 */
import { afterEach, describe, expect, it } from "vitest";
import { IntegrationLock } from "@/server/automations/lock";
import { RailwayPoller } from "@/server/deploys/poller";
import { stopRuntime } from "@/server/runtime-boot";
import { deployTimeline, integrationItems } from "@/server/webhooks/service";
import { deploymentEvent } from "../fixtures/webhooks/railway";
import { failedDeployment, FakeRailway } from "../support/fake-railway";
import { closeWebhookServers, rows, sendRailway, startWebhookServer } from "../support/webhook-server";

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await closeWebhookServers();
  await stopRuntime();
});

async function world(token = "railway-token-abc123") {
  const railway = await FakeRailway.start();
  closers.push(() => railway.close());
  railway.addProject("prj-7f3a", {
    services: { "svc-api": "api", "svc-worker": "worker" },
    environments: { "env-production": "production" },
  });
  const s = await startWebhookServer({
    config: { integrations: { railway: { tokenEnv: "RAILWAY_TOKEN", webhookSecretEnv: "RAILWAY_WEBHOOK_SECRET", apiUrl: railway.url } } },
  });
  const poller = new RailwayPoller({ ...s.runtime, readSecret: (name) => (name === "RAILWAY_TOKEN" ? token : s.secrets[name]) });
  return { railway, s, poller };
}

describe("Railway poller", () => {
  it("reads deployments and build logs: the timeline has status, commit and duration; a failed one is a deploy item with its log tail; a later success resolves it", async () => {
    const { railway, s, poller } = await world();
    railway.upsertDeployment(
      "prj-7f3a",
      failedDeployment([
        "#1 [internal] load build definition",
        "npm ERR! code ERESOLVE",
        "npm ERR! ERESOLVE could not resolve",
        "Build failed with exit code 1",
      ]),
    );
    expect(await poller.pollOnce()).toBe(1);
    expect(await deployTimeline(s.runtime, { projectId: "billing-api" })).toEqual([
      expect.objectContaining({
        deploymentId: "d-1",
        status: "FAILED",
        serviceName: "api",
        environmentName: "production",
        commitSha: "abc1234def",
        commitMessage: "Upgrade the runtime",
        durationMs: 150_000,
      }),
    ]);
    const [item] = await integrationItems(s.runtime, { projectId: "billing-api" });
    expect(item).toMatchObject({ kind: "deploy", status: "open", title: "Deploy failed: api (production)" });
    expect(item!.evidence).toContain("Log tail:\n[build]\n#1 [internal] load build definition");
    expect(item!.evidence).toContain("Build failed with exit code 1");

    // Polling again stores nothing new.
    expect(await poller.pollOnce()).toBe(0);
    expect(railway.queries.every((q) => q.authorized)).toBe(true);

    railway.upsertDeployment("prj-7f3a", {
      id: "d-2",
      status: "BUILDING",
      createdAt: "2026-12-04T10:10:00.000Z",
      updatedAt: "2026-12-04T10:10:00.000Z",
    });
    await poller.pollOnce();
    railway.upsertDeployment("prj-7f3a", { id: "d-2", status: "SUCCESS", updatedAt: "2026-12-04T10:11:00.000Z" });
    await poller.pollOnce();
    expect((await deployTimeline(s.runtime, { projectId: "billing-api" })).map((d) => [d.deploymentId, d.status, d.durationMs])).toEqual([
      ["d-2", "SUCCESS", 60_000],
      ["d-1", "FAILED", 150_000],
    ]);
    expect((await integrationItems(s.runtime, { projectId: "billing-api", includeResolved: true }))[0]).toMatchObject({
      status: "resolved",
    });
  });

  it("a failed deploy delivered by webhook gets its log tail from the API", async () => {
    const { railway, s, poller } = await world();
    railway.upsertDeployment("prj-7f3a", {
      id: "dep-5",
      status: "CRASHED",
      deployLogs: ["Listening on :8080", "Error: connect ECONNREFUSED 10.0.0.3:5432"],
    });
    const seen: Promise<void>[] = [];
    const off = s.runtime.bus.on((e) => void seen.push(poller.onEvent(e)));
    closers.push(async () => off());
    await sendRailway(s.url, deploymentEvent({ type: "Deployment.crashed", deploymentId: "dep-5", timestamp: "2026-12-04T10:00:00.000Z" }));
    await Promise.all(seen);
    const [item] = await integrationItems(s.runtime, {});
    expect(item!.evidence).toContain("[deploy]\nListening on :8080\nError: connect ECONNREFUSED 10.0.0.3:5432");
  });

  it("a token Railway refuses stores nothing", async () => {
    const { railway, s, poller } = await world("wrong-token");
    railway.upsertDeployment("prj-7f3a", { id: "d-1", status: "FAILED" });
    expect(await poller.pollOnce()).toBe(0);
    expect(railway.queries.map((q) => q.authorized)).toEqual([false]);
    expect(rows(s.runtime, "SELECT * FROM deploys")).toEqual([]);
  });
});

describe("one process per database", () => {
  it("the integrations lock has one holder; another takes over after a release or once the holder's heartbeat expires", async () => {
    const s = await startWebhookServer();
    const a = new IntegrationLock(s.runtime.sqlStore, "integrations", 30_000);
    const b = new IntegrationLock(s.runtime.sqlStore, "integrations", 30_000);
    const t0 = 1_000_000;
    expect(await a.tryHold(t0)).toBe(true);
    expect(await b.tryHold(t0 + 1000)).toBe(false);
    expect(await a.tryHold(t0 + 10_000)).toBe(true);
    expect(await b.tryHold(t0 + 39_000)).toBe(false);
    // a stopped heartbeating at t0 + 10 s.
    expect(await b.tryHold(t0 + 40_001)).toBe(true);
    expect(await a.tryHold(t0 + 40_002)).toBe(false);
    await b.release();
    expect(await a.tryHold(t0 + 40_003)).toBe(true);
  });
});
