import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, type Page } from "@playwright/test";
import { mainAsking } from "../support/fake-anthropic";
import { testWithFakeClaude, waitForHydration } from "./fixtures";

/**
 * Sessions end to end: a real Workdeck server whose Claude Code children (the real binary
 * the SDK ships) talk to a local fake of the Messages API. A failure from the public
 * sample gets a session from its page; the output arrives live; Stop and Send work on a
 * running session.
 */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const sampleRun1 = path.resolve(repoRoot, "../shared/playwright-sample/reports/run-1.json");

const test = testWithFakeClaude();

test.use({ viewport: { width: 1440, height: 1200 } });
// The real binary starts in a few seconds on a busy 2-core machine; each test runs one or two sessions.
test.setTimeout(120_000);

async function waitForStream(page: Page): Promise<void> {
  await expect(page.getByTestId("session-view")).toHaveAttribute("data-live", "true", { timeout: 20_000 });
}

const status = (page: Page) => page.getByTestId("session-status");
const messages = (page: Page, kind: string) => page.locator(`[data-testid="message"][data-kind="${kind}"]`);

test("Launch session from a failure: the prompt is shown, the output streams in, it completes with its cost", async ({
  page,
  request,
  app,
  fake,
}) => {
  const res = await request.post(`${app.baseURL}/api/reports?project=billing-api`, {
    data: JSON.parse(fs.readFileSync(sampleRun1, "utf8")),
  });
  expect(res.status(), await res.text()).toBeLessThan(300);
  // Main-loop answers in order: a tool call, then (after its result) the final text.
  fake.queue(
    {
      kind: "tool_use",
      name: "Bash",
      input: { command: "echo checking the selector" },
      text: "Let me look at the **failing test** first.",
    },
    { kind: "text", text: "The selector was stale; fixed it." },
  );

  await page.goto("/errors?project=billing-api&view=groups");
  await waitForHydration(page);
  const firstRow = page.locator('[data-testid="failure-row"]').first();
  await firstRow.getByRole("link").first().click();
  await expect(page).toHaveURL(/\/errors\/\d+$/);
  await waitForHydration(page);

  await page.getByRole("button", { name: "Launch session" }).click();
  const dialog = page.getByRole("dialog");
  const prompt = dialog.getByLabel("Prompt", { exact: true });
  await expect(prompt).toHaveValue(/Fix the failing Playwright test/, { timeout: 20_000 });
  // Options are validated before anything starts.
  await dialog.getByLabel("Budget (USD)").fill("-1");
  await dialog.getByRole("button", { name: "Launch", exact: true }).click();
  await expect(dialog.getByText("The budget is an amount in USD greater than 0.")).toBeVisible();
  await dialog.getByLabel("Budget (USD)").fill("5");
  await dialog.getByLabel("Permission mode").selectOption("bypassPermissions");
  await dialog.getByRole("button", { name: "Launch", exact: true }).click();

  await expect(page).toHaveURL(/\/sessions\/\d+$/, { timeout: 20_000 });
  await waitForStream(page);
  await expect(messages(page, "user")).toContainText("Fix the failing Playwright test");
  await expect(messages(page, "assistant").first()).toContainText("Let me look at the failing test first.", { timeout: 60_000 });
  await expect(messages(page, "assistant").first().locator("strong")).toHaveText("failing test");
  const tool = page.locator('[data-testid="message"][data-kind="tool"][data-tool="Bash"]');
  await expect(tool).toBeVisible();
  await tool.locator("summary").click();
  await expect(tool).toContainText("echo checking the selector");
  await expect(messages(page, "assistant").filter({ hasText: "The selector was stale; fixed it." })).toBeVisible({ timeout: 60_000 });
  await expect(status(page)).toHaveText("Completed", { timeout: 30_000 });
  await expect(page.getByTestId("session-cost")).not.toHaveText("$0.00");
  await expect(page.getByTestId("session-turns")).toHaveText("2");
  // The tool's result came back (Bash ran in the project).
  await expect(tool.locator("pre").nth(1)).toHaveText("checking the selector");

  // The Sessions tab lists it with its work item and cost.
  await page.getByRole("link", { name: "Sessions", exact: true }).first().click();
  await waitForHydration(page);
  const row = page.locator('[data-testid="session-row"]').first();
  await expect(row).toHaveAttribute("data-status", "completed");
  await expect(row).toContainText(/Failure \d+/);
  await expect(page.getByTestId("cost-total")).not.toHaveText("$0.00");
  await expect(page.locator('[data-testid="account-card"]')).toHaveCount(1);
});

test("Send reaches a running session; Stop ends a session whose answer hangs", async ({ page, app, fake }) => {
  // Follow-up first: the first answer is slow, so the session is still running when we send.
  fake.when(mainAsking("PING-FOLLOWUP"), { kind: "text", text: "Got your follow-up: PONG." }, { times: 1 });
  fake.when(mainAsking("SLOW-TASK"), { kind: "text", text: "First answer, slowly.", delayMs: 10_000 }, { times: 1 });

  await page.goto("/sessions?project=billing-api");
  await waitForHydration(page);
  await page.getByRole("button", { name: "Launch session" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Prompt", { exact: true }).fill("SLOW-TASK: answer when ready.");
  await dialog.getByRole("button", { name: "Launch", exact: true }).click();
  await expect(page).toHaveURL(/\/sessions\/\d+$/, { timeout: 20_000 });
  await waitForStream(page);
  // (fake.waitFor reports a request only once it is answered: poll the log instead.)
  await expect.poll(() => fake.requests.some(mainAsking("SLOW-TASK")), { timeout: 60_000 }).toBe(true);
  await expect(status(page)).toHaveText("Running");

  await page.getByLabel("Message to the running session").fill("PING-FOLLOWUP");
  await page.getByRole("button", { name: "Send" }).click();
  await expect(messages(page, "user").filter({ hasText: "PING-FOLLOWUP" })).toBeVisible();
  await expect(messages(page, "assistant").filter({ hasText: "Got your follow-up: PONG." })).toBeVisible({ timeout: 60_000 });
  await expect(status(page)).toHaveText("Completed", { timeout: 30_000 });
  // A finished session offers to resume instead.
  await expect(page.getByRole("button", { name: "Resume" })).toBeVisible();

  // Stop: the fake never answers this one.
  fake.when(mainAsking("HANG-TASK"), { kind: "hang" }, { times: 1 });
  await page.goto(`${app.baseURL}/sessions?project=billing-api`);
  await waitForHydration(page);
  await page.getByRole("button", { name: "Launch session" }).click();
  await page.getByRole("dialog").getByLabel("Prompt", { exact: true }).fill("HANG-TASK: this never returns.");
  await page.getByRole("dialog").getByRole("button", { name: "Launch", exact: true }).click();
  await expect(page).toHaveURL(/\/sessions\/\d+$/, { timeout: 20_000 });
  await waitForStream(page);
  await expect.poll(() => fake.requests.some(mainAsking("HANG-TASK")), { timeout: 60_000 }).toBe(true);
  await expect(status(page)).toHaveText("Running");
  await page.getByRole("button", { name: "Stop" }).click();
  await expect(status(page)).toHaveText("Stopped", { timeout: 30_000 });
  await expect(page.getByRole("button", { name: "Stop" })).toHaveCount(0);
  await expect(messages(page, "note").filter({ hasText: "Stop requested." })).toBeVisible();
});

test("The Sessions tab is live: a session launched elsewhere appears and finishes without a reload or a poll", async ({
  page,
  request,
  app,
  fake,
}) => {
  fake.when(mainAsking("LIST-LIVE"), { kind: "text", text: "Listed live." }, { times: 1 });
  await page.goto("/sessions?project=billing-api");
  await waitForHydration(page);
  await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible({ timeout: 20_000 });
  // Launched through the API, as another tab would: only the sessions.subscribe feed can tell this page.
  const res = await request.post(`${app.baseURL}/api/trpc/sessions.start`, {
    data: { projectId: "billing-api", prompt: "LIST-LIVE: say so." },
  });
  expect(res.status(), await res.text()).toBe(200);
  const id = ((await res.json()) as { result: { data: { id: number } } }).result.data.id;
  const row = page.locator(`[data-testid="session-row"][data-session-id="${id}"]`);
  // Well under the old 15 s idle poll.
  await expect(row).toBeVisible({ timeout: 5_000 });
  await expect(row).toHaveAttribute("data-status", "completed", { timeout: 60_000 });
});
