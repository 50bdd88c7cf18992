import fs from "node:fs";
import path from "node:path";
import type { Locator, Page } from "@playwright/test";
import { expect, startWorkdeck, test, waitForHydration } from "./fixtures";

/**
 * The Specs tab against a real server on a temp copy of the demo workspace
 * (examples/demo-workspace/README.md lists what each project contains).
 * Tests share the worker's server: each mutates only items no other test
 * reads, and archiving runs on a server of its own.
 */

const changeRow = (page: Page | Locator, id: string): Locator => page.locator(`[data-testid="change-row"][data-change-id="${id}"]`);
const specRow = (page: Page | Locator, id: string): Locator => page.locator(`[data-testid="spec-row"][data-spec-id="${id}"]`);
const group = (page: Page, name: "Draft" | "Active" | "Completed"): Locator => page.getByRole("region", { name: new RegExp(`^${name}`) });

async function openSpecs(page: Page, query = ""): Promise<void> {
  await page.goto(`/specs${query}`);
  await waitForHydration(page);
}

async function waitForLive(page: Page): Promise<void> {
  // Edits made before the event stream is open would not be pushed to this page.
  await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible({ timeout: 20_000 });
}

test("the shell: tabs with their own URLs, / lands on All Work", async ({ page }) => {
  await page.goto("/");
  await waitForHydration(page);
  await expect(page).toHaveURL(/\/work$/);
  const tabs = page.getByRole("navigation", { name: "Sections" });
  await expect(tabs.getByRole("link", { name: "All Work" })).toHaveAttribute("aria-current", "page");

  await tabs.getByRole("link", { name: "Errors" }).click();
  await expect(page).toHaveURL(/\/errors$/);
  await expect(tabs.getByRole("link", { name: "Errors" })).toHaveAttribute("aria-current", "page");
  await expect(page.getByRole("heading", { level: 1, name: "Errors" })).toBeVisible();

  await tabs.getByRole("link", { name: "Sessions" }).click();
  await expect(page).toHaveURL(/\/sessions$/);
  await tabs.getByRole("link", { name: "Specs" }).click();
  await expect(page).toHaveURL(/\/specs$/);
  await expect(tabs.getByRole("link", { name: "Specs" })).toHaveAttribute("aria-current", "page");
  await expect(page).toHaveTitle("Specs · Workdeck");
});

test("Specs lists changes by state with progress, specs with requirement counts, and broken items with their issues", async ({ page }) => {
  await openSpecs(page);

  await expect(changeRow(group(page, "Draft"), "add-multi-currency-pricing")).toBeVisible();
  const dunning = changeRow(group(page, "Active"), "add-dunning-for-failed-payments");
  await expect(dunning).toBeVisible();
  await expect(dunning.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "3");
  await expect(dunning.getByRole("progressbar")).toHaveAttribute("aria-valuemax", "8");
  await expect(dunning.getByText("valid", { exact: true })).toBeVisible();
  // All projects: every row names its project.
  await expect(dunning.getByText("Billing API")).toBeVisible();

  const taxIds = changeRow(group(page, "Completed"), "collect-customer-tax-ids");
  await expect(taxIds.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "8");

  // Broken items are listed with what is wrong, not hidden.
  const wishlist = changeRow(page, "add-wishlist");
  await expect(wishlist.getByText("1 error")).toBeVisible();
  await expect(wishlist).toContainText('ADDED "Price Drop Notification" must include at least one scenario');
  const checkout = specRow(page, "checkout");
  await expect(checkout.getByText("1 error")).toBeVisible();
  await expect(checkout).toContainText("Purpose");
  await expect(checkout).toContainText("0 requirements");

  await expect(specRow(page, "payments/refunds")).toContainText("4 requirements");
});

test("filters live in the URL; the project choice survives a reload and a visit without parameters", async ({ page }) => {
  await openSpecs(page);
  const project = page.getByRole("combobox", { name: "Project" });
  await project.selectOption({ label: "Web Storefront" });
  await expect(page).toHaveURL(/[?&]project=web-storefront/);
  await expect(page).toHaveTitle("Specs · Web Storefront · Workdeck");
  await expect(page.getByRole("navigation", { name: "Breadcrumb" })).toContainText("Web Storefront");
  await expect(changeRow(page, "add-wishlist")).toBeVisible();
  await expect(changeRow(page, "add-dunning-for-failed-payments")).toHaveCount(0);

  await page.getByRole("checkbox", { name: "Completed" }).check();
  await expect(page).toHaveURL(/[?&]status=completed/);
  await expect(changeRow(page, "improve-search-relevance")).toBeVisible();
  await expect(changeRow(page, "add-wishlist")).toHaveCount(0);
  await page.getByRole("checkbox", { name: "Completed" }).uncheck();
  await expect(page).not.toHaveURL(/status=/);

  // Fuzzy: a typo still finds the change.
  await page.getByRole("searchbox", { name: "Search" }).fill("wishlst");
  await expect(page).toHaveURL(/[?&]q=wishlst/);
  await expect(changeRow(page, "add-wishlist")).toBeVisible();
  await expect(changeRow(page, "persist-cart-across-devices")).toHaveCount(0);

  await page.reload();
  await waitForHydration(page);
  await expect(project).toHaveValue("web-storefront");
  await expect(page.getByRole("searchbox", { name: "Search" })).toHaveValue("wishlst");
  await expect(changeRow(page, "persist-cart-across-devices")).toHaveCount(0);

  // A date range that ends before anything was modified matches nothing.
  await page.getByRole("searchbox", { name: "Search" }).fill("");
  await page.getByLabel("Modified to").fill("2001-01-01");
  await expect(page).toHaveURL(/[?&]to=2001-01-01/);
  await expect(page.getByText("No changes match these filters")).toBeVisible();

  // The cookie remembers the project when the URL does not say.
  await openSpecs(page);
  await expect(project).toHaveValue("web-storefront");
  await expect(page).toHaveTitle("Specs · Web Storefront · Workdeck");
  await expect(changeRow(page, "add-dunning-for-failed-payments")).toHaveCount(0);

  await project.selectOption({ label: "All projects" });
  await expect(page).not.toHaveURL(/project=/);
  await expect(changeRow(page, "add-dunning-for-failed-payments")).toBeVisible();
});

test("a change page shows proposal, tickable tasks, deltas with renames, and validation issues", async ({ page }) => {
  await openSpecs(page);
  await changeRow(page, "collect-customer-tax-ids").getByRole("link").first().click();
  await expect(page).toHaveURL(/\/specs\/billing-api\/changes\/collect-customer-tax-ids$/);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("tax ids");
  await expect(page).toHaveTitle("collect-customer-tax-ids · Billing API · Workdeck");

  await expect(page.getByRole("region", { name: /^Proposal/ }).getByRole("heading", { name: "Why" })).toBeVisible();
  const tasks = page.getByRole("list", { name: "Tasks" }).getByRole("checkbox");
  await expect(tasks).toHaveCount(8);
  for (const box of await tasks.all()) {
    await expect(box).toBeChecked();
    // Ticked from the page (issue 13): openspec.setTaskDone writes tasks.md.
    await expect(box).toBeEnabled();
  }

  const deltas = page.getByRole("region", { name: /^Deltas/ });
  for (const op of ["ADDED", "MODIFIED", "REMOVED", "RENAMED"]) await expect(deltas.getByText(op, { exact: true }).first()).toBeVisible();
  await expect(deltas).toContainText("Customer Profile → Customer Billing Profile");
  await expect(deltas).toContainText("Scenario: Valid EU VAT id");

  // An invalid change lists its issues with level, path and message.
  await page.goto("/specs/web-storefront/changes/add-wishlist");
  await waitForHydration(page);
  const issues = page.getByRole("region", { name: /^Validation/ }).getByRole("row");
  await expect(issues.filter({ hasText: "must include at least one scenario" })).toContainText("ERROR");
});

test("a nested spec opens at its own URL with purpose, requirements and scenarios", async ({ page }) => {
  await openSpecs(page, "?project=billing-api");
  await specRow(page, "payments/refunds").getByRole("link", { name: "payments/refunds" }).click();
  await expect(page).toHaveURL(/\/specs\/billing-api\/specs\/payments\/refunds$/);
  await expect(page.getByRole("region", { name: /^Purpose/ })).toContainText("without ever");
  const requirements = page.getByRole("region", { name: /^Requirements/ });
  await expect(requirements.getByRole("heading", { name: "Full Refund" })).toBeVisible();
  await expect(requirements).toContainText("Scenario: Refund a card payment in full");
  await expect(page.getByRole("navigation", { name: "Breadcrumb" })).toContainText("refunds");
});

test("New proposal validates on the client, writes the change to disk, and reports an id collision", async ({ page, app }) => {
  await openSpecs(page, "?project=mobile-sync");
  await page.getByRole("button", { name: "New proposal" }).click();
  await expect(page).toHaveURL(/\/specs\/new/);
  await waitForHydration(page);

  await page.getByRole("button", { name: "Create proposal" }).click();
  await expect(page.getByText("Title needs at least 3 characters")).toBeVisible();
  await expect(page.getByText("Say why in at least 20 characters")).toBeVisible();

  const title = `Resume interrupted uploads ${Date.now()}`;
  await expect(page.getByLabel("Codebase")).toHaveValue("mobile-sync");
  await page.getByLabel("Title").fill(title);
  await page.getByLabel("Why").fill("Large attachments restart from zero after a dropped connection, wasting metered data.");
  await page.getByLabel("What changes").fill("- Uploads resume from the last acknowledged chunk");
  await page.getByLabel("Tasks").fill("Persist chunk offsets\nResume from the stored offset");
  // The requirements step (issue 13): without a delta OpenSpec refuses the change.
  const fillRequirement = async () => {
    const step = page.getByRole("group", { name: "Capability 1" });
    await step.getByLabel("Capability", { exact: true }).fill("uploads");
    await step.getByLabel("Requirement name").fill("Resumable upload");
    await step.getByLabel("Requirement text").fill("The app SHALL resume an interrupted upload from the last acknowledged chunk.");
    await step.getByLabel("Scenario", { exact: true }).fill("Connection drops");
    await step.getByLabel("Steps").fill("**WHEN** the connection drops mid-upload\n**THEN** the upload resumes where it stopped");
  };
  await fillRequirement();
  await page.getByRole("button", { name: "Create proposal" }).click();

  await expect(page).toHaveURL(/\/specs\/mobile-sync\/changes\/[a-z0-9-]+$/);
  const changeId = decodeURIComponent(new URL(page.url()).pathname.split("/").pop()!);
  await expect(page.getByRole("heading", { level: 1 })).toContainText(title);
  await expect(page.getByRole("list", { name: "Tasks" }).getByRole("checkbox")).toHaveCount(2);
  const folder = path.join(app.workspace, "mobile-sync", "openspec", "changes", changeId);
  expect(fs.existsSync(path.join(folder, "proposal.md"))).toBe(true);
  expect(fs.readFileSync(path.join(folder, "tasks.md"), "utf8")).toContain("Persist chunk offsets");

  // The same title again, opened pre-filled from the query string: the id exists.
  const query = new URLSearchParams({
    project: "mobile-sync",
    title,
    description: "Same proposal again, to check that the collision is reported.",
  });
  await page.goto(`/specs/new?${query}`);
  await waitForHydration(page);
  await expect(page.getByLabel("Title")).toHaveValue(title);
  await fillRequirement();
  await page.getByRole("button", { name: "Create proposal" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "A change with that id exists already" })).toBeVisible();
  await expect(page).toHaveURL(/\/specs\/new/);
});

test("Archive shows the merge, then moves the change under archive/ and off the list", async ({ browser }) => {
  // Archiving rewrites billing-api's specs: a server of its own keeps other tests' data intact.
  const server = await startWorkdeck();
  const page = await browser.newPage({ baseURL: server.info.baseURL });
  try {
    await page.goto("/specs/billing-api/changes/collect-customer-tax-ids");
    await waitForHydration(page);
    await page.getByRole("button", { name: "Archive" }).click();
    const dialog = page.getByRole("dialog");
    await expect(dialog).toContainText(/changes\/archive\/\d{4}-\d{2}-\d{2}-collect-customer-tax-ids/);
    const updates = dialog.getByRole("table", { name: "Spec updates" });
    await expect(updates.getByRole("row", { name: /customers/ })).toBeVisible();
    await expect(updates.getByRole("row", { name: /tax-calculation/ })).toBeVisible();
    await dialog.getByRole("button", { name: "Confirm" }).click();

    await expect(page).toHaveURL(/\/specs\?archived=collect-customer-tax-ids/);
    await expect(page.getByRole("status").filter({ hasText: "Archived collect-customer-tax-ids" })).toBeVisible();
    await expect(changeRow(page, "collect-customer-tax-ids")).toHaveCount(0);

    const changes = path.join(server.info.workspace, "billing-api", "openspec", "changes");
    expect(fs.existsSync(path.join(changes, "collect-customer-tax-ids"))).toBe(false);
    expect(fs.readdirSync(path.join(changes, "archive")).some((d) => /^\d{4}-\d{2}-\d{2}-collect-customer-tax-ids$/.test(d))).toBe(true);
  } finally {
    await page.close();
    await server.stop();
  }
});

test("Archive shows the official refusal and keeps Confirm disabled", async ({ page, app }) => {
  await page.goto("/specs/web-storefront/changes/improve-search-relevance");
  await waitForHydration(page);
  await page.getByRole("button", { name: "Archive" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toContainText("archive_spec_update_failed");
  await expect(dialog.getByRole("button", { name: "Confirm" })).toBeDisabled();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  expect(fs.existsSync(path.join(app.workspace, "web-storefront", "openspec", "changes", "improve-search-relevance"))).toBe(true);
});

test("ticking a task in tasks.md on disk updates the open page without a reload", async ({ page, app }) => {
  await page.goto("/specs/mobile-sync/changes/defer-uploads-on-metered-networks");
  await waitForHydration(page);
  await waitForLive(page);
  const progress = page.getByRole("region", { name: /^Tasks/ }).getByRole("progressbar");
  await expect(progress).toHaveAttribute("aria-valuenow", "1");
  await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));

  const file = path.join(app.workspace, "mobile-sync", "openspec", "changes", "defer-uploads-on-metered-networks", "tasks.md");
  fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("- [ ] 1.2", "- [x] 1.2"));

  await expect(progress).toHaveAttribute("aria-valuenow", "2");
  await expect(page.getByRole("checkbox", { name: /1\.2 Hold the attachment lane/ })).toBeChecked();
  expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
});

test("the login page posts the token with the return path and shows a failed attempt", async ({ page }) => {
  await page.goto("/login?error=1&next=%2Fspecs");
  await expect(page.getByRole("alert").filter({ hasText: "That token is not valid" })).toBeVisible();
  const token = page.getByLabel("Token");
  await expect(token).toHaveAttribute("type", "password");
  await expect(page.locator('form[action="/api/login"] input[type="hidden"][name="next"]')).toHaveValue("/specs");
});
