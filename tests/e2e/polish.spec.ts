import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test as base, type APIRequestContext, type Page, type TestInfo } from "@playwright/test";
import { expect, startWorkdeck, waitForHydration, type WorkdeckServer } from "./fixtures";

// A server of this file's own: these tests tick tasks, rewrite proposals and triage failures,
// which the other files' expectations about the demo workspace must not see.
const test = base.extend<{ app: WorkdeckServer }, { polishServer: WorkdeckServer }>({
  polishServer: [
    async ({}, use) => {
      const server = await startWorkdeck();
      await use(server.info);
      await server.stop();
    },
    { scope: "worker", timeout: 120_000 },
  ],
  app: async ({ polishServer }, use) => use(polishServer),
  baseURL: async ({ polishServer }, use) => use(polishServer.baseURL),
});

/**
 * Daily-driver polish (issue 13) against a real server in Chromium, each with a screenshot:
 * proposals that validate (requirements step, live check), the change editor's conflict handling
 * and ticking tasks, clustered failures with keyboard and bulk triage, evidence on the failure
 * page, and the 360 px layout.
 */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const sampleDir = path.resolve(repoRoot, "../shared/playwright-sample/reports");
const readRun = (n: 1 | 2 | 3) => JSON.parse(fs.readFileSync(path.join(sampleDir, `run-${n}.json`), "utf8"));
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");
const LOCKS = "locks account after 5 failed attempts";

async function shot(page: Page, info: TestInfo, name: string): Promise<void> {
  const file = info.outputPath(`${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await info.attach(name, { path: file, contentType: "image/png" });
}

async function ingestSample(request: APIRequestContext, app: WorkdeckServer): Promise<void> {
  for (const n of [1, 2, 3] as const) {
    const res = await request.post(`${app.baseURL}/api/reports?project=billing-api`, { data: readRun(n) });
    expect(res.status(), await res.text()).toBeLessThan(300);
  }
}

test("New proposal: the requirements step checks the draft live and creates a change that validates", async ({ page, app }, info) => {
  await page.goto("/specs/new?project=billing-api");
  await waitForHydration(page);
  const title = `Partial refunds ${Date.now()}`;
  await page.getByLabel("Title").fill(title);
  await page.getByLabel("Why").fill("Support issues partial refunds by hand in Stripe every week.");
  const step = page.getByRole("group", { name: "Capability 1" });
  await step.getByLabel("Capability", { exact: true }).fill("refunds");
  await step.getByLabel("Requirement name").fill("Partial refund");
  await step.getByLabel("Requirement text").fill("Refunds can be partial.");
  const live = page.getByRole("status", { name: "Validation" });
  await expect(live).toContainText("SHALL or MUST");
  await step.getByLabel("Requirement text").fill("The system SHALL refund any amount up to the payment.");
  await step.getByLabel("Scenario", { exact: true }).fill("Half refund");
  await step.getByLabel("Steps").fill("**WHEN** half the amount is refunded\n**THEN** the customer gets half back");
  await expect(live).toContainText("Valid: OpenSpec will accept this change");
  await shot(page, info, "proposal-requirements-step");

  await page.getByRole("button", { name: "Create proposal" }).click();
  await expect(page).toHaveURL(/\/specs\/billing-api\/changes\/partial-refunds-\d+$/);
  const changeId = decodeURIComponent(new URL(page.url()).pathname.split("/").pop()!);
  const delta = fs.readFileSync(
    path.join(app.workspace, "billing-api", "openspec", "changes", changeId, "specs", "refunds", "spec.md"),
    "utf8",
  );
  expect(delta).toContain("### Requirement: Partial refund");
  // The change page's validation says what the Specs tab says: valid.
  await expect(page.getByText(/valid/i).first()).toBeVisible();
});

test("Change editor: a file changed on disk is not overwritten; tasks tick from the change page", async ({ page, app }, info) => {
  const changeId = "add-dunning-for-failed-payments";
  const folder = path.join(app.workspace, "billing-api", "openspec", "changes", changeId);
  await page.goto(`/specs/billing-api/changes/${changeId}`);
  await waitForHydration(page);
  const tasks = page.getByRole("list", { name: "Tasks" }).getByRole("checkbox");
  const firstOpen = tasks.and(page.locator(":not(:checked)")).first();
  const before = (fs.readFileSync(path.join(folder, "tasks.md"), "utf8").match(/- \[x\]/gi) ?? []).length;
  await firstOpen.check();
  await expect.poll(() => (fs.readFileSync(path.join(folder, "tasks.md"), "utf8").match(/- \[x\]/gi) ?? []).length).toBe(before + 1);

  await page.getByRole("link", { name: "Edit files" }).click();
  await expect(page).toHaveURL(/\/edit/);
  await waitForHydration(page);
  const editor = page.getByLabel("Contents of proposal.md");
  await expect(editor).toHaveValue(/## Why/);
  await editor.fill(`${await editor.inputValue()}\nEdited in the browser.\n`);
  // Meanwhile an agent rewrites the file.
  fs.writeFileSync(path.join(folder, "proposal.md"), "# Rewritten by an agent\n\n## Why\nSomething else.\n");
  await page.getByRole("button", { name: "Save" }).click();
  const conflict = page.getByRole("alert").filter({ hasText: "Changed on disk" });
  await expect(conflict).toBeVisible();
  expect(fs.readFileSync(path.join(folder, "proposal.md"), "utf8")).toContain("Rewritten by an agent");
  await expect(editor).toHaveValue(/Edited in the browser/);
  await shot(page, info, "editor-conflict");
  await conflict.getByRole("button", { name: "Reload from disk" }).click();
  await expect(editor).toHaveValue(/Rewritten by an agent/);
  await editor.fill("# Rewritten by an agent\n\n## Why\nSomething else, and mine.\n");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved proposal.md" })).toBeVisible();
  expect(fs.readFileSync(path.join(folder, "proposal.md"), "utf8")).toContain("and mine");
});

test("Errors: one row per test across Playwright projects, keyboard j/k/x, bulk triage", async ({ page, request, app }, info) => {
  await ingestSample(request, app);
  await page.setViewportSize({ width: 1280, height: 1400 });
  await page.goto("/errors?project=billing-api");
  await waitForHydration(page);
  const list = page.getByRole("listbox", { name: "Failing tests" });
  const locks = list.getByRole("option").filter({ hasText: LOCKS });
  await expect(locks).toHaveCount(1);
  const chips = locks.getByRole("list", { name: "Playwright projects" }).getByRole("listitem");
  await expect(chips).toHaveCount(2);
  await expect(chips.first()).toContainText("desktop-chrome");
  await expect(locks).toContainText(/flaky \d+%|flaky —/);
  await shot(page, info, "errors-clustered");

  // Keyboard: focus the first row, j moves down, k back, x selects.
  await list.getByRole("option").first().focus();
  await page.keyboard.press("j");
  await expect(list.getByRole("option").nth(1)).toBeFocused();
  await page.keyboard.press("k");
  await expect(list.getByRole("option").first()).toBeFocused();
  await page.keyboard.press("x");
  await page.keyboard.press("j");
  await page.keyboard.press("x");
  await expect(list.getByRole("option", { selected: true })).toHaveCount(2);
  const bulk = page.getByRole("region", { name: "Triage selected" });
  await expect(bulk).toContainText("2 tests selected");
  await bulk.getByLabel("Decision").selectOption("ignore");
  await bulk.getByLabel(/Why/).fill("Known noise while the lockout feature is rebuilt");
  await bulk.getByRole("button", { name: "Apply to selected" }).click();
  await expect(bulk).toHaveCount(0);
  await expect(list.getByRole("option").first()).toContainText(/Ignore|ignore/);
  await shot(page, info, "errors-bulk-triaged");
  // Enter opens the focused row's failure.
  await list.getByRole("option").first().focus();
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/errors\/\d+$/);
});

test("Failure page: evidence from the report's files, the code frame once, a link to the source", async ({ page, request, app }, info) => {
  await ingestSample(request, app);
  // The checkout holds the run's test-results (as a local run leaves them).
  const report = readRun(3);
  const paths: string[] = [];
  const walk = (s: {
    specs?: { title: string; tests: { projectName: string; results: { attachments: { name: string; path?: string }[] }[] }[] }[];
    suites?: unknown[];
  }) => {
    for (const spec of s.specs ?? [])
      for (const t of spec.tests)
        if (spec.title.includes(LOCKS) && t.projectName === "desktop-chrome")
          for (const r of t.results) for (const a of r.attachments) if (a.name === "screenshot" && a.path) paths.push(a.path);
    for (const c of s.suites ?? []) walk(c as typeof s);
  };
  report.suites.forEach(walk);
  for (const p of paths) {
    const file = path.join(app.workspace, "billing-api", p.slice(p.lastIndexOf("/test-results/") + 1));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, PNG);
  }
  await page.goto("/errors?project=billing-api");
  await waitForHydration(page);
  await page
    .getByRole("listbox", { name: "Failing tests" })
    .getByRole("option")
    .filter({ hasText: LOCKS })
    .getByRole("link", { name: "desktop-chrome" })
    .click();
  await expect(page).toHaveURL(/\/errors\/\d+$/);
  const evidence = page.getByRole("region", { name: "Evidence" });
  const img = evidence.getByRole("img", { name: /screenshot, attempt 1/ });
  await expect(img).toBeVisible();
  expect(await img.evaluate((el: HTMLImageElement) => el.naturalWidth)).toBe(1);
  await expect(evidence).toContainText(/e2e\/login\.spec\.ts:\d+:\d+/);
  // The code frame appears once on the page.
  await expect(page.getByText("Account locked for 15 minutes').textContent()").or(page.locator("text=> 19 |"))).toHaveCount(1);
  await shot(page, info, "failure-evidence");
});

test("360 px: the shell, lists and item pages fit without sideways scrolling; Agents has its nav entry", async ({
  page,
  request,
  app,
}, info) => {
  await ingestSample(request, app);
  await page.setViewportSize({ width: 360, height: 780 });
  for (const url of [
    "/work",
    "/errors?project=billing-api",
    "/specs?project=billing-api",
    "/specs/billing-api/changes/add-dunning-for-failed-payments",
    "/sessions",
    "/settings",
  ]) {
    await page.goto(url);
    await waitForHydration(page);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect.soft(width, `${url} is ${width}px wide`).toBeLessThanOrEqual(360);
    await shot(page, info, `narrow-${url.split("?")[0]!.replace(/\W+/g, "-")}`);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto("/work");
  await waitForHydration(page);
  await expect(page.getByRole("link", { name: "Agents", exact: true })).toBeVisible();
  await page.getByRole("link", { name: "Agents", exact: true }).click();
  await expect(page).toHaveURL(/\/agents/);
  await expect(page.getByRole("heading", { level: 1, name: "Agents" })).toBeVisible();

  // Settings: per project, the last hook event and a test event that says where it went.
  await page.goto("/settings");
  await waitForHydration(page);
  const hooks = page.getByRole("listitem", { name: "Hooks of billing-api" });
  await expect(hooks.getByTestId("hooks-last-event")).toHaveText("no event yet");
  await hooks.getByRole("button", { name: "Send test event for billing-api" }).click();
  await expect(hooks.getByRole("status")).toContainText("workdeck hooks install --project billing-api");
  await shot(page, info, "settings-hooks");
});
