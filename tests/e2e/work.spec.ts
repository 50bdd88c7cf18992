import type { APIRequestContext, Locator, Page } from "@playwright/test";
import { mainAsking } from "../support/fake-anthropic";
import { passingReport, readSampleRun } from "../support/playwright-reports";
import { expect, test, testWithFakeClaude, waitForHydration, type WorkdeckServer } from "./fixtures";

/**
 * All Work against a real server: a report comes in and its failures appear beside the spec
 * changes, one is triaged from its page and All Work shows the decision, a later report where
 * the test passes resolves it, filters live in the URL, and Ctrl+K jumps to a change. The whole
 * flow with a session: on a server whose Claude Code children talk to a fake Messages API, a
 * failure is triaged, a session launched from its page finishes, All Work shows it, and the next
 * report where the test passes resolves the failure, its session saying so.
 */

test.use({ viewport: { width: 1440, height: 1400 } });

const LOCKS = "locks account after 5 failed attempts";

async function postReport(request: APIRequestContext, app: WorkdeckServer, report: unknown, project = "billing-api"): Promise<void> {
  const res = await request.post(`${app.baseURL}/api/reports?project=${project}`, { data: report });
  expect(res.status(), await res.text()).toBeLessThan(300);
}

const rows = (page: Page): Locator => page.getByTestId("work-row");
const failureRow = (page: Page): Locator => rows(page).filter({ hasText: LOCKS }).filter({ hasText: "desktop-chrome" });

// The worker's server is shared with errors.spec.ts, which triages billing-api's failures:
// this test posts to another demo project so its triage starts from a clean slate.
const SHARED_PROJECT = "mobile-sync";

test("a report's failures appear beside the specs, triage shows up, a passing run resolves them; filters in the URL", async ({
  page,
  request,
  app,
}) => {
  await page.goto("/work?project=mobile-sync");
  await waitForHydration(page);
  await expect(page.getByRole("heading", { level: 1, name: "All Work" })).toBeVisible();
  // The spec changes of the demo project are there before any report.
  await expect(rows(page).filter({ hasText: "Spec change" }).first()).toBeVisible();
  await expect(page.getByRole("region", { name: "Work counts" })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible({ timeout: 20_000 });

  await postReport(request, app, readSampleRun(1), SHARED_PROJECT);
  // Live: the failures arrive without a reload.
  await expect(failureRow(page)).toBeVisible();
  await expect(failureRow(page)).toContainText("Failure");
  await expect(failureRow(page)).toContainText("untriaged");
  await expect(page.getByRole("complementary", { name: "Activity" })).toContainText("8 new failure groups");

  // Triage from the failure's page.
  await failureRow(page).getByRole("link").first().click();
  await expect(page).toHaveURL(/\/errors\/\d+$/);
  await page.getByRole("button", { name: "Accept suggestion" }).click();
  await expect(page.getByTestId("human-decision")).toContainText("One-off fix");

  await page.goto("/work?project=mobile-sync");
  await waitForHydration(page);
  await expect(failureRow(page)).toContainText("one off fix");
  await expect(page.getByRole("complementary", { name: "Activity" })).toContainText("triaged: one off fix");

  // The test passes in the next report: resolved, live.
  await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible({ timeout: 20_000 });
  await postReport(request, app, passingReport(LOCKS), SHARED_PROJECT);
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

// ----- the whole flow, with a session ---------------------------------------------------------

/** A server whose Claude Code children (the real binary) talk to a local fake Messages API. */
const flow = testWithFakeClaude();

flow(
  "the whole flow: report in, item live, triaged, a session launched from it finishes, the next report passes, resolved",
  async ({ page, request, app, fake }) => {
    // The real binary takes a few seconds to start on a busy 2-core machine.
    flow.setTimeout(180_000);
    const live = () => expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible({ timeout: 20_000 });
    const activity = page.getByRole("complementary", { name: "Activity" });

    await page.goto("/work?project=billing-api");
    await waitForHydration(page);
    await expect(rows(page).filter({ hasText: "Spec change" }).first()).toBeVisible();
    await live();
    await expect(failureRow(page)).toHaveCount(0);

    // 1. A report comes in: the failure appears without a reload.
    await postReport(request, app, readSampleRun(1));
    await expect(failureRow(page)).toBeVisible();
    await expect(failureRow(page)).toContainText("untriaged");
    await expect(failureRow(page)).toContainText("Open");

    // 2. Triaged from its page.
    await failureRow(page).getByRole("link").first().click();
    await expect(page).toHaveURL(/\/errors\/\d+$/);
    const failureId = Number(/\/errors\/(\d+)$/.exec(page.url())![1]);
    await waitForHydration(page);
    await page.getByRole("button", { name: "Accept suggestion" }).click();
    await expect(page.getByTestId("human-decision")).toContainText("One-off fix");

    // 3. A session launched from it: the fake answers its main loop with one final text.
    fake.when(
      mainAsking("Fix the failing Playwright test"),
      { kind: "text", text: "Raised the lockout threshold check; the test passes now." },
      { times: 1 },
    );
    await page.getByRole("button", { name: "Launch session" }).click();
    const dialog = page.getByRole("dialog");
    await expect(dialog.getByLabel("Prompt", { exact: true })).toHaveValue(/Fix the failing Playwright test/, { timeout: 20_000 });
    await dialog.getByRole("button", { name: "Launch", exact: true }).click();
    await expect(page).toHaveURL(/\/sessions\/\d+$/, { timeout: 20_000 });
    const sessionId = Number(/\/sessions\/(\d+)$/.exec(page.url())![1]);
    await waitForHydration(page);
    await expect(page.getByTestId("session-view")).toHaveAttribute("data-live", "true", { timeout: 20_000 });
    await expect(
      page.locator('[data-testid="message"][data-kind="assistant"]').filter({ hasText: "Raised the lockout threshold check" }),
    ).toBeVisible({ timeout: 90_000 });
    await expect(page.getByTestId("session-status")).toHaveText("Completed", { timeout: 30_000 });

    // 4. All Work: the failure links its session with the session's status; the session is an item of its own.
    await page.goto("/work?project=billing-api");
    await waitForHydration(page);
    const sessionLink = failureRow(page).getByRole("link", { name: `session #${sessionId} (completed)` });
    await expect(sessionLink).toBeVisible();
    await expect(sessionLink).toHaveAttribute("href", `/sessions/${sessionId}`);
    await expect(failureRow(page)).toContainText("one off fix");
    const sessionRow = rows(page).filter({ hasText: `Session #${sessionId}: Fix failure #${failureId}` });
    await expect(sessionRow).toBeVisible();
    await expect(sessionRow.getByTestId("work-detail")).toHaveText("completed");
    await expect(sessionRow).toContainText("Done");
    const sessionFailureLink = sessionRow.locator(`a[href="/errors/${failureId}"]`);
    await expect(sessionFailureLink).toHaveText(`· failure #${failureId}`);
    await expect(activity).toContainText(`Session #${sessionId} completed`);

    // 5. The next report, where that test passes: resolved, live, and the session says so.
    await live();
    await postReport(request, app, passingReport(LOCKS));
    await expect(failureRow(page).getByTestId("work-detail")).toHaveText("resolved");
    await expect(failureRow(page)).toContainText("Done");
    await expect(failureRow(page).getByRole("link", { name: `session #${sessionId} (completed)` })).toBeVisible();
    await expect(sessionRow.getByTestId("work-detail")).toHaveText("completed · failure resolved");
    await expect(sessionFailureLink).toHaveText(`· failure #${failureId} (resolved)`);
    await expect(activity).toContainText("resolved (passed in a later run)");

    // The failure's own page says resolved.
    await failureRow(page).getByRole("link").first().click();
    await expect(page).toHaveURL(new RegExp(`/errors/${failureId}$`));
    await expect(page.locator('[aria-label="Classification"]').getByText("Resolved", { exact: true })).toBeVisible();
  },
);
