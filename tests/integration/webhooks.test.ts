/**
 * Inbound webhooks (issue 15) against a running server: the edge `workdeck serve` uses, with
 * WORKDECK_TOKEN set, on a temp database. Real payload shapes (tests/fixtures/webhooks: GitHub's
 * typed with @octokit/webhooks, GitLab's and Railway's after their documented examples), signed
 * and unsigned. Each answer is checked against what the store then holds.
 */
import { afterEach, describe, expect, it } from "vitest";
import { stopRuntime } from "@/server/runtime-boot";
import { POST as githubRoute } from "@/app/api/webhooks/github/route";
import {
  checkSuiteCompleted,
  pullRequestClosed,
  pullRequestOpened,
  pullRequestSynchronize,
  workflowRunCompleted,
} from "../fixtures/webhooks/github";
import { mergeRequestEvent, pipelineEvent } from "../fixtures/webhooks/gitlab";
import { deploymentEvent } from "../fixtures/webhooks/railway";
import { closeWebhookServers, rows, sendGithub, sendGitlab, sendRailway, startWebhookServer, TOKEN } from "../support/webhook-server";

afterEach(async () => {
  await closeWebhookServers();
  await stopRuntime();
});

type Item = {
  id: number;
  kind: string;
  status: string;
  title: string;
  detail: string;
  occurrences: number;
  evidence: string;
  refs: string | null;
};
const items = (s: Awaited<ReturnType<typeof startWebhookServer>>) => rows<Item>(s.runtime, "SELECT * FROM integration_items ORDER BY id");
const deliveries = (s: Awaited<ReturnType<typeof startWebhookServer>>) => rows(s.runtime, "SELECT * FROM webhook_deliveries");

describe("GitHub", () => {
  it("a signed workflow_run failure opens a ci item without the Workdeck token, and a later success on the branch resolves it", async () => {
    const s = await startWebhookServer();
    const failed = await sendGithub(s.url, "workflow_run", workflowRunCompleted({ conclusion: "failure", branch: "main" }));
    expect(failed.status).toBe(201);
    expect(failed.body).toMatchObject({ project: "billing-api", kind: "ci", change: "opened" });
    expect(items(s)).toEqual([expect.objectContaining({ kind: "ci", status: "open", title: "CI failed: CI on main", detail: "failure" })]);
    expect(items(s)[0]!.evidence).toContain('workflow "CI" run #562 concluded failure on main');

    const passed = await sendGithub(
      s.url,
      "workflow_run",
      workflowRunCompleted({ conclusion: "success", branch: "main", sha: "f".repeat(40) }),
    );
    expect(passed).toMatchObject({ status: 201, body: { change: "resolved" } });
    expect(items(s)).toEqual([expect.objectContaining({ status: "resolved" })]);
  });

  it("check_suite failures open an item per app and branch", async () => {
    const s = await startWebhookServer();
    expect((await sendGithub(s.url, "check_suite", checkSuiteCompleted({ conclusion: "timed_out", branch: "release" }))).status).toBe(201);
    expect(items(s)).toEqual([expect.objectContaining({ kind: "ci", title: "CI failed: Super Duper on release", detail: "timed_out" })]);
  });

  it("a replay of the same delivery id is acknowledged and stored once", async () => {
    const s = await startWebhookServer();
    const payload = workflowRunCompleted({ conclusion: "failure" });
    const first = await sendGithub(s.url, "workflow_run", payload, { delivery: "72d3162e-cc78-11e3-81ab-4c9367dc0958" });
    const again = await sendGithub(s.url, "workflow_run", payload, { delivery: "72d3162e-cc78-11e3-81ab-4c9367dc0958" });
    expect(first.status).toBe(201);
    expect(again).toMatchObject({ status: 200, body: { duplicate: true } });
    expect(deliveries(s)).toHaveLength(1);
    expect(items(s)).toEqual([expect.objectContaining({ occurrences: 1 })]);
  });

  it("a missing or wrong signature is a 401 and stores nothing", async () => {
    const s = await startWebhookServer();
    const payload = workflowRunCompleted({ conclusion: "failure" });
    const unsigned = await sendGithub(s.url, "workflow_run", payload, { signature: null });
    const wrongSecret = await sendGithub(s.url, "workflow_run", payload, { secret: "not the secret" });
    const tampered = await sendGithub(s.url, "workflow_run", payload, {
      signature: await signedFor(JSON.stringify(workflowRunCompleted({ conclusion: "success" }))),
    });
    for (const answer of [unsigned, wrongSecret, tampered])
      expect(answer).toMatchObject({ status: 401, body: { error: { code: "UNAUTHORIZED" } } });
    expect(deliveries(s)).toEqual([]);
    expect(items(s)).toEqual([]);
    expect(rows(s.runtime, "SELECT * FROM events WHERE type = 'integrations.changed'")).toEqual([]);
  });

  it("an event type Workdeck does not track is a 202 and stores nothing", async () => {
    const s = await startWebhookServer();
    const answer = await sendGithub(s.url, "star", {
      action: "created",
      starred_at: "2026-12-04T10:00:00Z",
      repository: { full_name: "acme/billing-api" },
    });
    expect(answer).toMatchObject({ status: 202, body: { ignored: expect.stringContaining('"star"') } });
    const inProgress = await sendGithub(s.url, "workflow_run", {
      ...workflowRunCompleted({ conclusion: "failure" }),
      action: "in_progress",
    });
    expect(inProgress.status).toBe(202);
    expect(deliveries(s)).toEqual([]);
  });

  it("a body that is not JSON, or not the event's shape, is a 400 naming no server path", async () => {
    const s = await startWebhookServer();
    const notJson = await sendGithub(s.url, "workflow_run", null, { raw: "{not json" });
    const wrongShape = await sendGithub(s.url, "workflow_run", { action: "completed", repository: { full_name: "acme/billing-api" } });
    for (const answer of [notJson, wrongShape]) {
      expect(answer.status).toBe(400);
      expect(JSON.stringify(answer.body)).not.toContain(s.dir);
      expect(JSON.stringify(answer.body)).not.toMatch(/\/(tmp|work|home)\//);
    }
    expect(wrongShape.body.error?.message).toMatch(/workflow_run/);
    expect(deliveries(s)).toEqual([]);
  });

  it("a body past the limit is a 413 and stores nothing", async () => {
    const s = await startWebhookServer();
    const huge = JSON.stringify({ ...workflowRunCompleted({ conclusion: "failure" }), padding: "x".repeat(6 * 1024 * 1024) });
    const answer = await sendGithub(s.url, "workflow_run", null, { raw: huge });
    expect(answer.status).toBe(413);
    expect(deliveries(s)).toEqual([]);
  });

  it("a repository no project names is a 202", async () => {
    const s = await startWebhookServer();
    const answer = await sendGithub(s.url, "workflow_run", workflowRunCompleted({ repo: "someone/else", conclusion: "failure" }));
    expect(answer).toMatchObject({ status: 202, body: { ignored: expect.stringContaining("someone/else") } });
  });

  it("pull requests that touch a change become review items, updated on push and resolved when merged; others are ignored", async () => {
    const s = await startWebhookServer();
    const pr = { number: 1347, title: "Dunning emails", body: "Implements add-dunning-for-failed-payments.", branch: "feat/dunning" };
    const opened = await sendGithub(s.url, "pull_request", pullRequestOpened(pr));
    expect(opened).toMatchObject({ status: 201, body: { kind: "review", change: "opened" } });
    expect(items(s)[0]).toMatchObject({ kind: "review", status: "open", title: "Review #1347: Dunning emails" });
    expect(JSON.parse(items(s)[0]!.refs!)).toEqual({ changeId: "add-dunning-for-failed-payments" });

    expect((await sendGithub(s.url, "pull_request", pullRequestSynchronize({ ...pr, sha: "a".repeat(40) }))).body).toMatchObject({
      change: "updated",
    });
    expect((await sendGithub(s.url, "pull_request", pullRequestClosed({ ...pr, merged: true }))).body).toMatchObject({
      change: "resolved",
    });
    expect(items(s)[0]).toMatchObject({ status: "resolved", detail: "merged" });

    const unrelated = await sendGithub(s.url, "pull_request", pullRequestOpened({ number: 9, title: "Bump deps", branch: "deps" }));
    expect(unrelated.status).toBe(202);
  });

  it("Next's route answers the same as the edge", async () => {
    const s = await startWebhookServer();
    const body = JSON.stringify(workflowRunCompleted({ conclusion: "failure" }));
    const request = (signature: string) =>
      new Request("http://127.0.0.1/api/webhooks/github", {
        method: "POST",
        headers: { "x-github-event": "workflow_run", "x-github-delivery": "d-1", "x-hub-signature-256": signature },
        body,
      });
    // Unset, the route says the integration is off; the route reads the secret from the process environment, like `next dev`.
    expect((await githubRoute(request("sha256=" + "0".repeat(64)), { params: Promise.resolve({}) })).status).toBe(404);
    process.env.GITHUB_WEBHOOK_SECRET = "It's a Secret to Everybody";
    try {
      expect((await githubRoute(request("sha256=" + "0".repeat(64)), { params: Promise.resolve({}) })).status).toBe(401);
      expect((await githubRoute(request(await signedFor(body)), { params: Promise.resolve({}) })).status).toBe(201);
    } finally {
      delete process.env.GITHUB_WEBHOOK_SECRET;
    }
    expect(items(s)).toHaveLength(1);
  });
});

describe("GitLab", () => {
  it("a failed pipeline opens a ci item with the failed jobs; success resolves it; a replay is stored once", async () => {
    const s = await startWebhookServer();
    const failed = await sendGitlab(s.url, "Pipeline Hook", pipelineEvent({ status: "failed" }), { uuid: "uuid-1" });
    expect(failed).toMatchObject({ status: 201, body: { project: "mobile-sync", kind: "ci", change: "opened" } });
    expect(items(s)[0]!.evidence).toContain("Failed job test/test-image (script_failure)");
    expect((await sendGitlab(s.url, "Pipeline Hook", pipelineEvent({ status: "failed" }), { uuid: "uuid-1" })).status).toBe(200);
    expect((await sendGitlab(s.url, "Pipeline Hook", pipelineEvent({ status: "running" }))).status).toBe(202);
    expect((await sendGitlab(s.url, "Pipeline Hook", pipelineEvent({ status: "success", id: 32 }))).body).toMatchObject({
      change: "resolved",
    });
    expect(deliveries(s)).toHaveLength(2);
  });

  it("a missing or wrong X-Gitlab-Token is a 401 and stores nothing", async () => {
    const s = await startWebhookServer();
    expect((await sendGitlab(s.url, "Pipeline Hook", pipelineEvent({ status: "failed" }), { token: null })).status).toBe(401);
    expect((await sendGitlab(s.url, "Pipeline Hook", pipelineEvent({ status: "failed" }), { token: "guess" })).status).toBe(401);
    expect(deliveries(s)).toEqual([]);
  });

  it("merge requests naming a change open a review item and merging resolves it", async () => {
    const s = await startWebhookServer();
    const mr = { iid: 12, title: "Hybrid logical clocks", description: "See adopt-hybrid-logical-clocks", sourceBranch: "hlc" };
    expect((await sendGitlab(s.url, "Merge Request Hook", mergeRequestEvent({ ...mr, action: "open" }))).status).toBe(201);
    expect((await sendGitlab(s.url, "Merge Request Hook", mergeRequestEvent({ ...mr, action: "update" }))).body).toMatchObject({
      change: "updated",
    });
    expect((await sendGitlab(s.url, "Merge Request Hook", mergeRequestEvent({ ...mr, action: "approved" }))).status).toBe(202);
    expect((await sendGitlab(s.url, "Merge Request Hook", mergeRequestEvent({ ...mr, action: "merge" }))).body).toMatchObject({
      change: "resolved",
    });
    expect(items(s)).toEqual([
      expect.objectContaining({ kind: "review", title: "Review !12: Hybrid logical clocks", status: "resolved", detail: "merged" }),
    ]);
  });
});

describe("Railway", () => {
  const at = (n: number) => new Date(Date.UTC(2026, 11, 4, 10, n)).toISOString();

  it("BUILDING then FAILED opens a deploy item and fills the timeline; a later SUCCESS resolves it", async () => {
    const s = await startWebhookServer();
    expect(
      (await sendRailway(s.url, deploymentEvent({ type: "Deployment.building", deploymentId: "dep-1", timestamp: at(0) }))).body,
    ).toMatchObject({ kind: "deploy", change: "none" });
    const failed = await sendRailway(s.url, deploymentEvent({ type: "Deployment.failed", deploymentId: "dep-1", timestamp: at(3) }));
    expect(failed).toMatchObject({ status: 201, body: { project: "billing-api", change: "opened" } });
    expect(items(s)).toEqual([
      expect.objectContaining({ kind: "deploy", status: "open", title: "Deploy failed: api (production)", detail: "FAILED" }),
    ]);
    const [deploy] = rows<{ status: string; started_at: number; finished_at: number }>(s.runtime, "SELECT * FROM deploys");
    expect(deploy).toMatchObject({ status: "FAILED" });
    expect(deploy!.finished_at - deploy!.started_at).toBe(3 * 60_000);

    await sendRailway(s.url, deploymentEvent({ type: "Deployment.building", deploymentId: "dep-2", timestamp: at(10) }));
    expect(
      (await sendRailway(s.url, deploymentEvent({ type: "Deployment.deployed", deploymentId: "dep-2", timestamp: at(12) }))).body,
    ).toMatchObject({ change: "resolved" });
    expect(items(s)[0]).toMatchObject({ status: "resolved" });
  });

  it("a wrong secret in the path is a 401 and stores nothing; the same body again is a replay", async () => {
    const s = await startWebhookServer();
    const payload = deploymentEvent({ type: "Deployment.crashed", deploymentId: "dep-9", timestamp: at(1) });
    expect((await sendRailway(s.url, payload, { secret: "wrong" })).status).toBe(401);
    expect(deliveries(s)).toEqual([]);
    expect((await sendRailway(s.url, payload)).status).toBe(201);
    expect((await sendRailway(s.url, payload)).status).toBe(200);
    expect(items(s)).toEqual([expect.objectContaining({ title: "Deploy crashed: api (production)", occurrences: 1 })]);
  });

  it("non-deployment events are a 202", async () => {
    const s = await startWebhookServer();
    const answer = await sendRailway(s.url, { type: "VolumeAlert.triggered", resource: {}, timestamp: at(0) });
    expect(answer.status).toBe(202);
  });
});

describe("the token still guards everything else", () => {
  it("only POSTs to the three webhook routes skip the token", async () => {
    const s = await startWebhookServer();
    const other = await fetch(`${s.url}/api/webhooks/bitbucket`, { method: "POST", body: "{}" });
    const get = await fetch(`${s.url}/api/webhooks/github`);
    const hooks = await fetch(`${s.url}/api/hooks`, { method: "POST", body: "{}" });
    expect([other.status, get.status, hooks.status]).toEqual([401, 401, 401]);
    const withToken = await fetch(`${s.url}/api/hooks`, { method: "POST", body: "{}", headers: { authorization: `Bearer ${TOKEN}` } });
    expect(withToken.status).toBe(400);
  });
});

async function signedFor(body: string): Promise<string> {
  const { Webhooks } = await import("@octokit/webhooks");
  return new Webhooks({ secret: "It's a Secret to Everybody" }).sign(body);
}
