/**
 * Issue 14: the webhooks and deploys domains on the SQL port, the same tests on a temp SQLite file
 * and on a real PostgreSQL. Deliveries go through webhookPost (signatures checked, bodies in the
 * providers' documented shapes from tests/fixtures/webhooks), then the store is read back through
 * the domain's own reads (timeline, items, All Work rows) and raw SQL.
 */
import { createHmac, randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterEach, expect, it } from "vitest";
import type { LoadedConfig } from "@/server/config";
import type { SqlStore } from "@/server/db/sql-store";
import { RailwayPoller } from "@/server/deploys/poller";
import { EventBus } from "@/server/events/bus";
import { webhookPost, type WebhookDeps, type WebhookRoute } from "@/server/webhooks/ingest";
import { integrationNotes } from "@/server/webhooks/notes";
import { deployTimeline, integrationItems } from "@/server/webhooks/service";
import { attachLogTail } from "@/server/webhooks/store";
import { integrationWorkItems } from "@/server/webhooks/work-items";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import { workflowRunCompleted } from "../fixtures/webhooks/github";
import { mergeRequestEvent, pipelineEvent } from "../fixtures/webhooks/gitlab";
import { deploymentEvent } from "../fixtures/webhooks/railway";
import { describeEachDialect } from "../support/dialects";
import { failedDeployment, FakeRailway } from "../support/fake-railway";

const SECRETS: Record<string, string> = {
  GITHUB_WEBHOOK_SECRET: "gh-secret-0123456789",
  GITLAB_WEBHOOK_TOKEN: "gitlab-token-0123456789",
  RAILWAY_WEBHOOK_SECRET: "railway-path-secret-abcdef0123",
};

const config = {
  config: {
    projects: [
      { slug: "billing-api", path: "/w/billing-api", repository: "acme/billing-api", railway: { projectId: "prj-7f3a" } },
      { slug: "mobile-sync", path: "/w/mobile-sync", repository: "acme/platform/billing-api" },
    ],
    integrations: {
      github: { webhookSecretEnv: "GITHUB_WEBHOOK_SECRET" },
      gitlab: { tokenEnv: "GITLAB_WEBHOOK_TOKEN" },
      railway: { webhookSecretEnv: "RAILWAY_WEBHOOK_SECRET" },
    },
  },
  file: undefined,
  baseDir: "/w",
} as unknown as LoadedConfig;

type World = { store: SqlStore; bus: EventBus; deps: WebhookDeps; seen: WorkdeckEvent[] };

function world(store: SqlStore): World {
  // The real bus on the same store: its rows are written in the delivery's transaction.
  const bus = new EventBus(null, store);
  const seen: WorkdeckEvent[] = [];
  bus.on((e) => void seen.push(e));
  const deps: WebhookDeps = {
    sqlStore: store,
    bus,
    config,
    // The OpenSpec changes of the project (the review links read them); the workspace is not part of this test.
    openspec: { listChanges: async () => [{ id: "add-dunning-for-failed-payments", nested: false }] as never },
    log: { error: () => {} },
    readSecret: (name) => SECRETS[name],
  };
  return { store, bus, deps, seen };
}

function request(body: string, headers: Record<string, string>) {
  return {
    readBody: async () => new TextEncoder().encode(body),
    header: (name: string) => headers[name.toLowerCase()],
  };
}

function github(w: World, event: string, payload: unknown, o: { delivery?: string; secret?: string } = {}) {
  const body = JSON.stringify(payload);
  const signature = `sha256=${createHmac("sha256", o.secret ?? SECRETS.GITHUB_WEBHOOK_SECRET!)
    .update(body)
    .digest("hex")}`;
  return webhookPost(
    w.deps,
    { source: "github" },
    request(body, {
      "x-github-event": event,
      "x-github-delivery": o.delivery ?? randomUUID(),
      "x-hub-signature-256": signature,
    }),
  );
}

function gitlab(w: World, event: string, payload: unknown, o: { uuid?: string; token?: string } = {}) {
  return webhookPost(
    w.deps,
    { source: "gitlab" },
    request(JSON.stringify(payload), {
      "x-gitlab-event": event,
      "x-gitlab-event-uuid": o.uuid ?? randomUUID(),
      "x-gitlab-token": o.token ?? SECRETS.GITLAB_WEBHOOK_TOKEN!,
    }),
  );
}

function railway(w: World, payload: unknown, secret = SECRETS.RAILWAY_WEBHOOK_SECRET!) {
  const route: WebhookRoute = { source: "railway", pathSecret: secret };
  return webhookPost(w.deps, route, request(JSON.stringify(payload), {}));
}

const count = async (store: SqlStore, table: "webhook_deliveries" | "integration_items" | "deploys" | "events") =>
  Number((await store.get<{ n: number }>(sql`SELECT COUNT(*) AS n FROM ${sql.raw(table)}`))!.n);

type ItemRow = { id: number; kind: string; status: string; title: string; detail: string; occurrences: number; refs: string | null };
const items = (store: SqlStore) =>
  store.all<ItemRow>(sql`SELECT id, kind, status, title, detail, occurrences, refs FROM integration_items ORDER BY id`);

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const at = (minute: number) => `2026-12-04T10:${String(minute).padStart(2, "0")}:00.000Z`;

describeEachDialect("Webhooks and deploys on the SQL port", ({ open, again }) => {
  it("a CI failure opens an item; a replayed delivery id is acknowledged and stored once; a success resolves it and a new failure reopens it", async () => {
    const w = world(await open());
    const failure = workflowRunCompleted({ conclusion: "failure", branch: "main" });
    const first = await github(w, "workflow_run", failure, { delivery: "72d3162e-cc78-11e3-81ab-4c9367dc0958" });
    expect(first).toMatchObject({ status: 201, body: { project: "billing-api", kind: "ci", change: "opened" } });
    const replay = await github(w, "workflow_run", failure, { delivery: "72d3162e-cc78-11e3-81ab-4c9367dc0958" });
    expect(replay).toMatchObject({ status: 200, body: { duplicate: true } });
    expect(await count(w.store, "webhook_deliveries")).toBe(1);
    expect(await items(w.store)).toEqual([
      expect.objectContaining({ kind: "ci", status: "open", title: "CI failed: CI on main", detail: "failure", occurrences: 1 }),
    ]);

    const passed = await github(w, "workflow_run", workflowRunCompleted({ conclusion: "success", branch: "main", sha: "f".repeat(40) }));
    expect(passed).toMatchObject({ status: 201, body: { change: "resolved" } });
    const again = await github(w, "workflow_run", workflowRunCompleted({ conclusion: "timed_out", branch: "main" }));
    expect(again).toMatchObject({ status: 201, body: { change: "reopened" } });
    expect(await items(w.store)).toEqual([expect.objectContaining({ status: "open", detail: "timed_out", occurrences: 2 })]);

    // One event per stored change, in the same transaction as the change, emitted after it.
    const events = await w.store.all<{ payload: string }>(sql`SELECT payload FROM events ORDER BY id`);
    expect(events.map((e) => (JSON.parse(e.payload) as { change: string }).change)).toEqual(["opened", "resolved", "reopened"]);
    expect(w.seen.map((e) => e.type === "integrations.changed" && e.change)).toEqual(["opened", "resolved", "reopened"]);

    // The Slack note of the opened item reads it back through the port.
    const [note] = await integrationNotes({ sqlStore: w.store, baseUrl: "http://workdeck.test" }, w.seen[0]!);
    expect(note).toMatchObject({ kind: "ci_failed", projectSlug: "billing-api", message: { title: "CI failed: CI on main" } });
  });

  it("a bad GitHub signature, a wrong GitLab token and a wrong Railway secret are 401s that store nothing", async () => {
    const w = world(await open());
    const answers = [
      await github(w, "workflow_run", workflowRunCompleted({ conclusion: "failure" }), { secret: "not the secret" }),
      await gitlab(w, "Pipeline Hook", pipelineEvent({ status: "failed" }), { token: "not-the-token" }),
      await railway(w, deploymentEvent({ type: "Deployment.failed", deploymentId: "dep-x", timestamp: at(1) }), "wrong-secret"),
    ];
    for (const a of answers) expect(a).toMatchObject({ status: 401, body: { error: { code: "UNAUTHORIZED" } } });
    for (const table of ["webhook_deliveries", "integration_items", "deploys", "events"] as const)
      expect(await count(w.store, table)).toBe(0);
    expect(w.seen).toEqual([]);
  });

  it("two instances given the same delivery store it once; concurrent failures of one subject make one item", async () => {
    const store = await open();
    const a = world(store);
    const b = world(await again(store));
    const payload = workflowRunCompleted({ conclusion: "failure", branch: "main" });
    const both = await Promise.all([
      github(a, "workflow_run", payload, { delivery: "same-delivery" }),
      github(b, "workflow_run", payload, { delivery: "same-delivery" }),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 201]);
    // Five distinct deliveries of one failing workflow at once, across both instances: the item is
    // read, then inserted or updated, so without the exclusive transaction two would insert.
    const burst = await Promise.all(
      [a, b, a, b, a].map((w, i) =>
        github(w, "workflow_run", workflowRunCompleted({ conclusion: "failure", branch: "release", runId: 900 + i })),
      ),
    );
    expect(burst.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    expect(await count(store, "webhook_deliveries")).toBe(6);
    expect((await items(store)).map((i) => [i.title, i.occurrences])).toEqual([
      ["CI failed: CI on main", 1],
      ["CI failed: CI on release", 5],
    ]);
  });

  it("Railway deploys: the timeline, an out-of-order status, a log tail in the item's evidence, and the next success resolving the item", async () => {
    const w = world(await open());
    const send = (type: Parameters<typeof deploymentEvent>[0]["type"], deploymentId: string, minute: number) =>
      railway(w, deploymentEvent({ type, deploymentId, timestamp: at(minute) }));
    expect(await send("Deployment.building", "dep-1", 0)).toMatchObject({
      status: 201,
      body: { change: "none", deployId: expect.any(Number) },
    });
    const failed = await send("Deployment.failed", "dep-1", 3);
    expect(failed).toMatchObject({ status: 201, body: { kind: "deploy", change: "opened" } });
    // A BUILDING that arrives after the FAILED it preceded changes nothing.
    expect(await send("Deployment.deploying", "dep-1", 2)).toMatchObject({ status: 201, body: { change: "none", deployId: null } });
    expect(await send("Deployment.failed", "dep-1", 3)).toMatchObject({ status: 200, body: { duplicate: true } });

    await attachLogTail(w.deps, "billing-api", "dep-1", "npm ERR! code ERESOLVE\nBuild failed with exit code 1");
    const [item] = await integrationItems({ sqlStore: w.store }, { projectId: "billing-api" });
    expect(item).toMatchObject({ kind: "deploy", status: "open", title: "Deploy failed: api (production)", detail: "FAILED" });
    expect(item!.evidence).toContain("Railway deployment dep-1 of api in production: FAILED.");
    expect(item!.evidence).toContain("Build failed with exit code 1");

    expect(await send("Deployment.building", "dep-2", 10)).toMatchObject({ status: 201 });
    expect(await send("Deployment.deployed", "dep-2", 11)).toMatchObject({ status: 201, body: { change: "resolved" } });
    const timeline = await deployTimeline({ sqlStore: w.store }, { projectId: "billing-api" });
    expect(timeline.map((d) => [d.deploymentId, d.status, d.durationMs, d.serviceName, d.environmentName])).toEqual([
      ["dep-2", "SUCCESS", 60_000, "api", "production"],
      ["dep-1", "FAILED", 180_000, "api", "production"],
    ]);
    expect(timeline[1]!.startedAt).toEqual(new Date(at(0)));
    expect(await integrationItems({ sqlStore: w.store }, { projectId: "billing-api" })).toEqual([]);
    expect(await integrationItems({ sqlStore: w.store }, { projectId: "billing-api", kinds: ["deploy"], includeResolved: true })).toEqual([
      expect.objectContaining({ status: "resolved", resolvedAt: expect.any(Date), sessionId: null }),
    ]);
    const success = w.seen.find((e) => e.type === "integrations.changed" && e.change === "resolved")!;
    const [note] = await integrationNotes({ sqlStore: w.store, baseUrl: "http://workdeck.test" }, success);
    expect(note).toMatchObject({ kind: "deploy_succeeded", message: { title: "Deployed: api (production)" } });
  });

  it("a merge request naming a change and a session's branch is a review item linked to both on All Work; merging resolves it", async () => {
    const w = world(await open());
    const created = new Date(at(0));
    await w.store.run(
      sql`INSERT INTO sessions (session_type, status, project_slug, cwd, prompt, options, branch, created_at)
          VALUES ('manual', 'running', 'mobile-sync', '/w/mobile-sync', 'dunning', '{}', 'feat/dunning', ${created})`,
    );
    const session = await w.store.get<{ id: number }>(sql`SELECT id FROM sessions WHERE branch = 'feat/dunning'`);
    const mr = {
      iid: 7,
      title: "Dunning emails",
      description: "Implements add-dunning-for-failed-payments.",
      sourceBranch: "feat/dunning",
    };
    const opened = await gitlab(w, "Merge Request Hook", mergeRequestEvent({ ...mr, action: "open" }));
    expect(opened).toMatchObject({ status: 201, body: { project: "mobile-sync", kind: "review", change: "opened" } });
    expect(JSON.parse((await items(w.store))[0]!.refs!)).toEqual({ changeId: "add-dunning-for-failed-payments", sessionId: session!.id });

    // All Work joins the session named in the item's refs (JSON read by each dialect's own function).
    const [work] = await integrationWorkItems(w.store, "mobile-sync", new Set([session!.id]));
    expect(work).toMatchObject({
      type: "review",
      status: "needs_you",
      title: "Review !7: Dunning emails",
      links: {
        session: { id: session!.id, status: "running" },
        change: { projectSlug: "mobile-sync", id: "add-dunning-for-failed-payments" },
      },
    });

    expect(await gitlab(w, "Merge Request Hook", mergeRequestEvent({ ...mr, action: "merge" }))).toMatchObject({
      status: 201,
      body: { change: "resolved" },
    });
    const [after] = await integrationWorkItems(w.store, undefined, new Set());
    expect(after).toMatchObject({ status: "done", detail: "merged" });
  });

  it("the Railway poller on two instances stores each deployment status once and puts the failed one's log tail in its item", async () => {
    const railway = await FakeRailway.start();
    closers.push(() => railway.close());
    railway.addProject("prj-7f3a", { services: { "svc-api": "api" }, environments: { "env-production": "production" } });
    railway.upsertDeployment("prj-7f3a", failedDeployment(["npm ERR! code ERESOLVE", "Build failed with exit code 1"]));
    const store = await open();
    const polling = {
      ...config,
      config: { ...config.config, integrations: { railway: { tokenEnv: "RAILWAY_TOKEN", apiUrl: railway.url } } },
    };
    const poller = async (s: SqlStore) => {
      const w = world(s);
      return new RailwayPoller({ ...w.deps, config: polling, log: { warn: () => {} }, readSecret: () => "railway-token-abc123" });
    };
    const [a, b] = [await poller(store), await poller(await again(store))];
    const stored = await Promise.all([a.pollOnce(), b.pollOnce()]);
    expect(stored.sort()).toEqual([0, 1]);
    expect(await count(store, "deploys")).toBe(1);
    const [item] = await integrationItems({ sqlStore: store }, { projectId: "billing-api" });
    expect(item).toMatchObject({ kind: "deploy", title: "Deploy failed: api (production)", commitSha: "abc1234def" });
    expect(item!.evidence).toContain("Build failed with exit code 1");
    expect(await a.pollOnce()).toBe(0);
  });
});
