import fs from "node:fs";
import path from "node:path";
import { test as base, expect } from "@playwright/test";
import { deploymentEvent } from "../fixtures/webhooks/railway";
import { demoWorkspaceFolder, serveWorkdeck } from "../support/workdeck-server";
import { waitForHydration } from "./fixtures";
import { fitsNarrow, shot, titleShows } from "./narrow";

/**
 * Deploys (issue 15) against a real `workdeck serve`: a Railway webhook (the documented payload,
 * tests/fixtures/webhooks/railway.ts) reports a failed deploy while All Work is open, and the
 * deploy item appears there live, without a reload; the deploys page shows it on the timeline;
 * the next successful deploy resolves it, live too.
 */

const SECRET = "railway-e2e-secret-0123456789";

const test = base.extend<{}, { deploysServer: { baseURL: string } }>({
  deploysServer: [
    async ({}, use) => {
      const { dir, configPath } = demoWorkspaceFolder("workdeck-e2e-deploys-", "workdeck.config.json", (workspace) => ({
        projects: [
          { slug: "billing-api", name: "Billing API", path: path.join(workspace, "billing-api"), railway: { projectId: "prj-7f3a" } },
        ],
        integrations: { railway: { webhookSecretEnv: "RAILWAY_WEBHOOK_SECRET" } },
      }));
      const server = await serveWorkdeck({ dbPath: path.join(dir, "w.db"), configPath, env: { RAILWAY_WEBHOOK_SECRET: SECRET } });
      await use({ baseURL: server.baseURL });
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
    { scope: "worker", timeout: 120_000 },
  ],
  baseURL: async ({ deploysServer }, use) => use(deploysServer.baseURL),
});

test.use({ viewport: { width: 1440, height: 1200 } });

test("a failed deploy appears live in All Work, is on the deploy timeline, and the next success resolves it", async ({
  page,
  request,
  deploysServer,
}, info) => {
  const hook = `${deploysServer.baseURL}/api/webhooks/railway/${SECRET}`;
  const at = (n: number) => new Date(Date.UTC(2026, 11, 4, 10, n)).toISOString();
  await page.goto("/work?project=billing-api");
  await waitForHydration(page);
  await expect(page.getByRole("heading", { level: 1, name: "All Work" })).toBeVisible();
  const deployRow = page.getByTestId("work-row").filter({ hasText: "Deploy failed: api (production)" });
  await expect(deployRow).toHaveCount(0);

  for (const [type, n] of [
    ["Deployment.building", 0],
    ["Deployment.failed", 3],
  ] as const) {
    const res = await request.post(hook, {
      data: deploymentEvent({ type, deploymentId: "dep-e2e-1", commitMessage: "Move the build output", timestamp: at(n) }),
    });
    expect(res.status(), await res.text()).toBe(201);
  }
  // Live: the page was not reloaded.
  await expect(deployRow).toBeVisible();
  await expect(deployRow).toContainText("Deploy");
  await expect(deployRow).toContainText("FAILED");

  await deployRow.getByRole("link", { name: /Deploy failed: api \(production\)/ }).click();
  await expect(page).toHaveURL(/\/deploys\?project=billing-api#item-\d+$/);
  const timeline = page.getByRole("table", { name: "Deploy timeline" });
  await expect(timeline.getByRole("row").filter({ hasText: "Move the build output" })).toContainText("FAILED");
  await expect(timeline.getByRole("row").filter({ hasText: "Move the build output" })).toContainText("3 min 0 s");

  const fixed = await request.post(hook, {
    data: deploymentEvent({
      type: "Deployment.deployed",
      deploymentId: "dep-e2e-2",
      commitMessage: "Copy the right folder",
      timestamp: at(10),
    }),
  });
  expect(fixed.status()).toBe(201);
  await expect(timeline.getByRole("row").filter({ hasText: "Copy the right folder" })).toContainText("SUCCESS");
  await expect(page.getByText("deploy · resolved")).toBeVisible();

  // At 360 px (issue 13): the timeline and the items fit, the timeline scrolling in its own frame.
  await page.setViewportSize({ width: 360, height: 780 });
  await page.reload();
  await waitForHydration(page);
  await titleShows(page.getByRole("heading", { level: 1 }), "Deploys title");
  await expect(timeline.getByRole("row").filter({ hasText: "Copy the right folder" })).toBeAttached();
  await expect(page.getByText("Deploy failed: api (production)").first()).toBeVisible();
  await fitsNarrow(page, "/deploys");
  await shot(page, info, "narrow-deploys-timeline");
});
