import { expect } from "@playwright/test";
import { afterToolResult, offersTool } from "../support/fake-anthropic";
import { testWithFakeClaude, waitForHydration } from "./fixtures";

/**
 * The Ask page (issue 16): a question starts a Claude Code session with Workdeck's MCP server;
 * the real binary (fake Messages API, scripted to call mcp__workdeck__create_proposal) files the
 * proposal, the conversation streams on the page, and the Specs tab open beside it shows the new
 * change without a reload.
 */

const test = testWithFakeClaude();
test.use({ viewport: { width: 1440, height: 1200 } });
test.setTimeout(150_000);

test("asking files a proposal through Workdeck's MCP server; it appears in Specs live", async ({ page, context, fake }) => {
  const proposal = {
    projectId: "billing-api",
    title: "Retry the flaky login",
    description: "The login test fails one run in ten on slow CI runners; specify a retry.",
  };
  fake.when(
    (req) => offersTool("mcp__workdeck__create_proposal")(req) && !afterToolResult(req),
    { kind: "tool_use", name: "mcp__workdeck__create_proposal", input: proposal, text: "Filing it." },
    { times: 1 },
  );
  fake.when(afterToolResult, { kind: "text", text: "Filed the proposal retry-the-flaky-login." }, { times: 1 });

  const specs = await context.newPage();
  await specs.goto("/specs?project=billing-api");
  await waitForHydration(specs);
  await expect(specs.getByRole("status").filter({ hasText: /^Live$/ })).toBeVisible({ timeout: 20_000 });
  await expect(specs.getByText("Retry the flaky login")).toHaveCount(0);

  await page.goto("/ask?project=billing-api");
  await waitForHydration(page);
  await page.getByLabel("Ask Workdeck").fill("File a proposal for the flaky login test.");
  await page.getByRole("button", { name: "Ask", exact: true }).click();
  await expect(page).toHaveURL(/\/ask\?session=\d+/);
  await expect(page.getByTestId("session-status")).toHaveText("Completed", { timeout: 90_000 });
  await expect(page.getByTestId("conversation")).toContainText("Filed the proposal retry-the-flaky-login.");
  await expect(page.getByRole("navigation", { name: "Conversations" })).toContainText("File a proposal for the flaky login test.");

  await expect(specs.getByText("Retry the flaky login").first()).toBeVisible({ timeout: 20_000 });
});
