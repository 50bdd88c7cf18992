import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { APIRequestContext, Locator, Page } from "@playwright/test";
import { expect, test, waitForHydration, type WorkdeckServer } from "./fixtures";

/**
 * All Work against a real server: a report comes in and its failures appear beside the spec
 * changes, one is triaged from its page and All Work shows the decision, a later report where
 * the test passes resolves it, filters live in the URL, and Ctrl+K jumps to a change.
 */

test.use({ viewport: { width: 1440, height: 1400 } });

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const sampleDir = path.resolve(repoRoot, "../shared/playwright-sample/reports");
const LOCKS = "locks account after 5 failed attempts";

type PwSuite = { specs?: { title: string; tests: { status: string; results: Record<string, unknown>[] }[] }[]; suites?: PwSuite[] };
const readRun1 = () => JSON.parse(fs.readFileSync(path.join(sampleDir, "run-1.json"), "utf8")) as { suites: PwSuite[]; stats: { startTime: string } };

/** Run 1 an hour later with `title` passing: the fix landed. */
function passingReport(title: string) {
  const report = readRun1();
  report.stats.startTime = new Date(Date.parse(report.stats.startTime) + 3600_000).toISOString();
  const walk = (suite: PwSuite) => {
    for (const spec of suite.specs ?? [])
      if (spec.title === title)
        for (const t of spec.tests) {
          t.status = "expected";
          t.results = [{ ...t.results[0], status: "passed", retry: 0, error: undefined, errors: [] }];
        }
    for (const child of suite.suites ?? []) walk(child);
  };
  report.suites.forEach(walk);
  return report;
}

async function postReport(request: APIRequestContext, app: WorkdeckServer, report: unknown): Promise<void> {
  const res = await request.post(`${app.baseURL}/api/reports?project=billing-api`, { data: report });
  expect(res.status(), await res.text()).toBeLessThan(300);
}

const rows = (page: Page): Locator => page.getByTestId("work-row");
const failureRow = (page: Page): Locator => rows(page).filter({ hasText: LOCKS }).filter({ hasText: "desktop-chrome" });

test("a report's failures appear beside the specs, triage shows up, a passing run resolves them; filters in the URL", async ({ page, request, app }) => {
  await page.goto("/work?project=billing-api");
  await waitForHydration(page);
  await expect(page.getByRole("heading", { level: 1, name: "All Work" })).toBeVisible();
  // The spec changes of the demo project are there before any report.
  await expect(rows(page).filter({ hasText: "Spec change" }).first()).toBeVisible();
  await expect(page.getByRole("region", { name: "Work counts" })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible({ timeout: 20_000 });

  await postReport(request, app, readRun1());
  // Live: the failures arrive without a reload.
  await expect(failureRow(page)).toBeVisible();
  await expect(failureRow(page)).toContainText("Failure");
  await expect(failureRow(page)).toContainText("untriaged");
  await expect(page.getByRole("complementary", { name: "Activity" })).toContainText("8 new failure groups");

  // Triage from the failure's page.
  await failureRow(page).getByRole("link").first().click();
  await expect(page).toHaveURL(/\/errors\/\d+$/);
  await page.getByRole("button", { name: "Accept suggestion" }).click();
  await expect(page.getByTestId("human-decision")).toContainText("one_off_fix");

  await page.goto("/work?project=billing-api");
  await waitForHydration(page);
  await expect(failureRow(page)).toContainText("one off fix");
  await expect(page.getByRole("complementary", { name: "Activity" })).toContainText("triaged: one off fix");

  // The test passes in the next report: resolved, live.
  await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible({ timeout: 20_000 });
  await postReport(request, app, passingReport(LOCKS));
  await expect(failureRow(page)).toContainText("resolved");
  await expect(failureRow(page)).toContainText("Done");
  await expect(page.getByRole("complementary", { name: "Activity" })).toContainText("resolved (passed in a later run)");

  // Filters live in the URL and survive a reload.
  await page.getByRole("group", { name: "Type" }).getByRole("checkbox", { name: "Failure" }).check();
  await expect(page).toHaveURL(/[?&]type=failure/);
  await page.getByRole("group", { name: "Status" }).getByRole("checkbox", { name: "Done" }).check();
  await expect(page).toHaveURL(/[?&]status=done/);
  await expect(failureRow(page)).toBeVisible();
  await expect(rows(page).filter({ hasText: "Spec change" })).toHaveCount(0);
  await page.reload();
  await waitForHydration(page);
  await expect(page.getByRole("group", { name: "Type" }).getByRole("checkbox", { name: "Failure" })).toBeChecked();
  const count = await rows(page).count();
  expect(count).toBeGreaterThan(0);
  for (let i = 0; i < count; i++) await expect(rows(page).nth(i)).toContainText("Done");
  await page.getByLabel("Search").fill("locks acount");
  await expect(page).toHaveURL(/[?&]q=locks\+acount/);
  await expect(failureRow(page)).toBeVisible();
});

test("Ctrl+K opens the command palette and jumps to a change by fuzzy name; Settings lists config and targets", async ({ page }) => {
  await page.goto("/work");
  await waitForHydration(page);
  await page.keyboard.press("Control+k");
  const palette = page.getByRole("dialog", { name: "Command palette" });
  await expect(palette).toBeVisible();
  await palette.getByRole("combobox").fill("dunning paymnts");
  await expect(palette.getByRole("option").first()).toContainText("Dunning for failed subscription payments");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowUp");
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/specs\/billing-api\/changes\/add-dunning-for-failed-payments$/);
  await expect(palette).toBeHidden();

  await page.getByRole("link", { name: "Settings" }).click();
  await expect(page).toHaveURL(/\/settings$/);
  await expect(page.getByRole("heading", { level: 1, name: "Settings" })).toBeVisible();
  await expect(page.getByRole("region", { name: "Effective configuration" })).toContainText("rescanMinutes");
  await expect(page.getByTestId("hooks-row").first()).toBeVisible();
});
