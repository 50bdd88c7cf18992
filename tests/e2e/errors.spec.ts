import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { APIRequestContext, Locator, Page } from "@playwright/test";
import { expect, test, waitForHydration, type WorkdeckServer } from "./fixtures";

/**
 * The Errors tab against a real server: the public 3-run sample is posted to
 * billing-api (the slug inside the sample does not matter), a generated
 * 2,000-failure report to web-storefront. Posting is idempotent (the server
 * recognises a report it has seen), so every test can make sure its data is
 * there even if it runs on a fresh worker.
 */

// Tall enough that every group of the 3-run sample is rendered at once (the table is virtualised).
test.use({ viewport: { width: 1440, height: 1400 } });

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const sampleDir = path.resolve(repoRoot, "../shared/playwright-sample/reports");
const readRun = (n: 1 | 2 | 3): unknown => JSON.parse(fs.readFileSync(path.join(sampleDir, `run-${n}.json`), "utf8"));

async function postReport(request: APIRequestContext, app: WorkdeckServer, project: string, report: unknown): Promise<void> {
  const res = await request.post(`${app.baseURL}/api/reports?project=${project}`, { data: report });
  expect(res.status(), await res.text()).toBeLessThan(300);
}

async function ingestSample(request: APIRequestContext, app: WorkdeckServer): Promise<void> {
  for (const n of [1, 2, 3] as const) await postReport(request, app, "billing-api", readRun(n));
}

async function waitForLive(page: Page): Promise<void> {
  // Reports posted before the event stream is open would not be pushed to this page.
  await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible({ timeout: 20_000 });
}

const grid = (page: Page): Locator => page.getByRole("grid", { name: "Failure groups" });
const rows = (page: Page): Locator => page.locator('[data-testid="failure-row"]');
/** The row of one test in one Playwright project. */
const row = (page: Page, title: string, pwProject = "desktop-chrome"): Locator =>
  rows(page).filter({ hasText: title }).filter({ hasText: pwProject });

async function openFailure(page: Page, title: string, pwProject = "desktop-chrome"): Promise<void> {
  await page.goto("/errors?project=billing-api&view=groups");
  await waitForHydration(page);
  await row(page, title, pwProject).getByRole("link").click();
  await expect(page).toHaveURL(/\/errors\/\d+$/);
  await expect(page.getByRole("heading", { level: 1, name: title })).toBeVisible();
}

test("reports posted while the tab is open appear without a reload; the pattern filter lives in the URL", async ({
  page,
  request,
  app,
}) => {
  await page.goto("/errors?project=billing-api&view=groups");
  await waitForHydration(page);
  // Nothing ingested yet: the empty state says how to send a report.
  await expect(page.getByText("No test failures yet")).toBeVisible();
  await expect(page.getByText("workdeck ingest report.json --project billing-api")).toBeVisible();
  await expect(page.getByText("POST /api/reports?project=billing-api")).toBeVisible();
  await expect(page.getByText(/workdeck\/reporter/)).toBeVisible();
  await waitForLive(page);

  await postReport(request, app, "billing-api", readRun(1));
  // Run 1 has 8 unexpected tests: 8 groups, no reload.
  await expect(rows(page)).toHaveCount(8);
  await expect(row(page, "locks account after 5 failed attempts")).toContainText("New");

  await postReport(request, app, "billing-api", readRun(2));
  await postReport(request, app, "billing-api", readRun(3));
  const locks = row(page, "locks account after 5 failed attempts");
  await expect(locks).toContainText("Recurring");
  await expect(locks).toContainText("Suggested: Needs spec");
  await expect(locks.getByRole("img", { name: "failed in 3 of the last 3 runs" })).toBeVisible();
  await expect(row(page, "keeps session with remember-me")).toContainText("Flaky");
  await expect(page.getByRole("region", { name: "Failure counts" })).toContainText("Recurring");

  // Filter by pattern through the UI: the URL records it and only recurring groups remain.
  await page.getByRole("group", { name: "Pattern" }).getByRole("checkbox", { name: "Recurring" }).check();
  await expect(page).toHaveURL(/[?&]pattern=recurring/);
  await expect(rows(page).first()).toBeVisible();
  const count = await rows(page).count();
  expect(count).toBeGreaterThan(0);
  for (let i = 0; i < count; i++) await expect(rows(page).nth(i)).toContainText("Recurring");
  await expect(row(page, "keeps session with remember-me")).toHaveCount(0);

  // A shared link shows the same filtered view.
  await page.reload();
  await waitForHydration(page);
  await expect(page.getByRole("group", { name: "Pattern" }).getByRole("checkbox", { name: "Recurring" })).toBeChecked();
  await expect(rows(page)).toHaveCount(count);
});

test("a failure shows its rendered error and history; accepting and overriding suggestions persist", async ({ page, request, app }) => {
  await ingestSample(request, app);

  // "strips emoji" is new in run 3 (produced with FORCE_COLOR): the suggestion is one_off_fix.
  await openFailure(page, "strips emoji");
  const error = page.getByRole("region", { name: /^Error/ });
  await expect(error).toBeVisible();
  // ANSI colours became coloured spans, and no escape code is left as text.
  await expect(error.locator("span[data-ansi]").first()).toBeVisible();
  expect(await error.locator("span[data-ansi]").count()).toBeGreaterThan(3);
  await expect(error).not.toContainText("\u001b[");
  await expect(error).not.toContainText("[39m");
  const history = page.getByRole("table", { name: "Run history" });
  await expect(history.getByRole("row")).toHaveCount(4); // header + 3 runs
  await expect(history).toContainText("#1");
  await expect(history).toContainText("#3");
  await expect(page.getByTestId("rationale")).not.toBeEmpty();
  await expect(page.getByRole("complementary", { name: "Triage and rules" })).toContainText("Path category");

  // Re-run rules says why.
  await page.getByRole("button", { name: "Re-run rules" }).click();
  await expect(page.getByTestId("classification-result")).toContainText("suggests One-off fix");

  await page.getByRole("button", { name: "Accept suggestion" }).click();
  await expect(page.getByTestId("human-decision")).toContainText("One-off fix");
  await expect(page.getByTestId("human-decision")).toContainText("by a person");
  await expect(page.getByRole("button", { name: "Accept suggestion" })).toHaveCount(0);

  // "autosaves draft" times out: suggested one_off_fix, decided ignore with a reason.
  await openFailure(page, "autosaves draft");
  await expect(page.getByTestId("suggested-decision")).toContainText("One-off fix");
  await page.getByRole("radio", { name: /Ignore/ }).check();
  await page.getByRole("button", { name: "Save decision" }).click();
  // Against the suggestion without a reason: refused, with the field marked.
  await expect(page.getByText(/Say why you decide Ignore/)).toBeVisible();
  await expect(page.getByLabel("Reason")).toBeFocused();
  await page.getByLabel("Reason").fill("The autosave timer is being rewritten; this test goes with it.");
  await page.getByLabel("Priority").selectOption("2");
  await page.getByRole("button", { name: "Save decision" }).click();
  await expect(page.getByTestId("human-decision")).toContainText("Ignore");
  await expect(page.getByTestId("overridden-suggestion")).toContainText("One-off fix");

  // Both decisions survive a reload and show in the list and its counts.
  await page.reload();
  await waitForHydration(page);
  await expect(page.getByTestId("human-decision")).toContainText("Ignore");
  await expect(page.getByTestId("human-decision")).toContainText("priority low");
  await expect(page.getByTestId("overridden-suggestion")).toContainText("One-off fix");
  await expect(page.getByTestId("human-rationale")).toContainText("autosave timer is being rewritten");

  await page.goto("/errors?project=billing-api&view=groups");
  await waitForHydration(page);
  await expect(row(page, "strips emoji")).toContainText("One-off fix");
  await expect(row(page, "autosaves draft")).toContainText("Ignore");
  await expect(page.getByTestId("agreement-rate")).toHaveText("50%");
});

test("a needs_spec failure opens a pre-filled proposal that is created on disk and linked back", async ({ page, request, app }) => {
  await ingestSample(request, app);
  await openFailure(page, "POST /v1/notes/import accepts a PDF");
  await expect(page.getByTestId("suggested-decision")).toContainText("Needs spec");
  await expect(page.getByRole("complementary", { name: "Triage and rules" })).toContainText("Feature not implemented");

  await page.getByRole("button", { name: "Create spec proposal" }).click();
  await expect(page).toHaveURL(/\/specs\/new\?.*failureId=\d+/);
  await waitForHydration(page);
  const form = page.getByRole("form", { name: "New proposal" });
  await expect(form.getByLabel("Codebase")).toHaveValue("billing-api");
  await expect(form.getByLabel("Title")).not.toHaveValue("");
  await expect(form.getByLabel("Why")).not.toHaveValue("");
  // Unique per run: the worker's workspace may already hold one from an earlier attempt.
  const changeId = `spec-pdf-import-${Date.now().toString(36)}`;
  await form.getByLabel("Change id (optional)").fill(changeId);
  await form.getByRole("button", { name: "Create proposal" }).click();

  // Back on the failure, which now names its change.
  await expect(page).toHaveURL(/\/errors\/\d+$/);
  const linked = page.getByTestId("linked-proposal");
  await expect(linked.getByRole("link", { name: changeId })).toBeVisible();
  expect(fs.existsSync(path.join(app.workspace, "billing-api", "openspec", "changes", changeId, "proposal.md"))).toBe(true);
  await page.reload();
  await waitForHydration(page);
  await expect(page.getByTestId("linked-proposal")).toContainText(changeId);
  await page.getByTestId("linked-proposal").getByRole("link", { name: changeId }).click();
  await expect(page).toHaveURL(new RegExp(`/specs/billing-api/changes/${changeId}$`));
});

/** A one-run report of `count` failing tests in one file, shaped like Playwright's json reporter output. */
function generatedReport(count: number): unknown {
  const base = readRun(1) as {
    config: unknown;
    suites: { specs: unknown[]; suites?: unknown[] }[];
    errors: unknown[];
    stats: Record<string, unknown>;
  };
  const specs = Array.from({ length: count }, (_, i) => ({
    title: `generated failure ${String(i + 1).padStart(4, "0")}`,
    ok: false,
    tags: [],
    id: `gen-${i}`,
    file: "e2e/generated.spec.ts",
    line: i + 1,
    column: 3,
    tests: [
      {
        timeout: 15000,
        annotations: [],
        expectedStatus: "passed",
        projectId: "desktop-chrome",
        projectName: "desktop-chrome",
        results: [
          {
            workerIndex: 0,
            parallelIndex: 0,
            status: "failed",
            duration: 12,
            errors: [
              {
                message: `Error: value ${i} was wrong`,
                location: { file: "/ci/workspace/notes-app/tests/e2e/generated.spec.ts", line: i + 1, column: 3 },
              },
            ],
            error: { message: `Error: value ${i} was wrong` },
            stdout: [],
            stderr: [],
            retry: 0,
            startTime: "2026-11-22T10:00:00.000Z",
            attachments: [],
          },
        ],
        status: "unexpected",
      },
    ],
  }));
  return {
    config: base.config,
    suites: [{ title: "e2e/generated.spec.ts", file: "e2e/generated.spec.ts", line: 0, column: 0, specs, suites: [] }],
    errors: [],
    stats: { startTime: "2026-11-22T10:00:00.000Z", duration: 1000, expected: 0, skipped: 0, unexpected: count, flaky: 0 },
  };
}

test("the table is virtualised: 2,000 failures, a few dozen rows in the DOM, the last reachable by keyboard and scroll", async ({
  page,
  request,
  app,
}) => {
  await postReport(request, app, "web-storefront", generatedReport(2000));
  await page.goto("/errors?project=web-storefront&view=groups");
  await waitForHydration(page);
  await expect(page.getByText("2000 failure groups")).toBeVisible({ timeout: 20_000 });
  await expect(grid(page)).toHaveAttribute("aria-rowcount", "2001");
  const rendered = await rows(page).count();
  expect(rendered).toBeGreaterThan(5);
  expect(rendered).toBeLessThan(100);

  // Keyboard: focus the grid, End jumps to the last row, which is then rendered.
  await grid(page).focus();
  await page.keyboard.press("End");
  const last = page.locator('[data-testid="failure-row"][aria-rowindex="2001"]');
  await expect(last).toBeVisible();
  await expect(last).toHaveAttribute("aria-selected", "true");
  expect(await rows(page).count()).toBeLessThan(100);

  // Scrolling back to the top and down to the bottom again renders the ends too.
  await grid(page).evaluate((el) => el.scrollTo({ top: 0 }));
  await expect(page.locator('[data-testid="failure-row"][aria-rowindex="2"]')).toBeVisible();
  await grid(page).evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
  await expect(last).toBeVisible();
  expect(await rows(page).count()).toBeLessThan(100);

  // Arrow keys move the cursor; Enter opens the failure.
  await page.keyboard.press("Home");
  await page.keyboard.press("ArrowDown");
  const second = page.locator('[data-testid="failure-row"][aria-rowindex="3"]');
  await expect(second).toHaveAttribute("aria-selected", "true");
  const title = (await second.getByRole("link").textContent()) ?? "";
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/errors\/\d+$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(title.split(" › ").at(-1)!);
});
