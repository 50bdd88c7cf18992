import path from "node:path";
import type { APIRequestContext, Page } from "@playwright/test";
import { hookSession } from "../support/hook-payloads";
import { expect, test, waitForHydration, type WorkdeckServer } from "./fixtures";

/**
 * The Agents panel of the Sessions tab against a real server: hook events posted to
 * POST /api/hooks (as an `http` hook or `workdeck hooks send` would) appear without a reload,
 * and each agent links to its timeline.
 */

async function postHook(request: APIRequestContext, app: WorkdeckServer, payload: unknown): Promise<void> {
  const res = await request.post(`${app.baseURL}/api/hooks`, { data: payload });
  expect(res.status(), await res.text()).toBe(201);
}

async function waitForAgentsLive(page: Page): Promise<void> {
  // Events posted before the stream is open would not be pushed to this page.
  await expect(page.getByTestId("agents-panel")).toHaveAttribute("data-live", "true", { timeout: 20_000 });
}

test("hook events appear in the Agents panel live; needs-you and completion; the timeline renders", async ({ page, request, app }) => {
  const sessionId = `e2e0a1b2-${Date.now().toString(16)}-4000-8000-000000000001`;
  const h = hookSession(sessionId, path.join(app.workspace, "billing-api", "src"));
  await page.goto("/sessions");
  await waitForHydration(page);
  await expect(page.getByRole("heading", { level: 1, name: "Sessions" })).toBeVisible();
  await waitForAgentsLive(page);

  await postHook(request, app, h.sessionStart());
  await postHook(request, app, h.prompt("Fix the failing checkout test"));
  await postHook(request, app, h.pre("toolu_e2e_1", "Read", { file_path: "src/app.ts" }));
  const row = page.locator(`[data-testid="agent-row"][data-session-id="${sessionId}"]`);
  await expect(row).toBeVisible();
  await expect(row).toContainText("Billing API");
  await expect(row.getByTestId("agent-current-tool")).toHaveText("Read");

  await postHook(request, app, h.post("toolu_e2e_1", "Read", { file_path: "src/app.ts" }, { type: "text", file: { content: "x" } }));
  await postHook(request, app, h.pre("toolu_e2e_2", "Bash", { command: "npm test" }));
  await postHook(request, app, h.failure("toolu_e2e_2", "Bash", { command: "npm test" }, "Exit code 1\nFAIL checkout.spec.ts"));
  await expect(row.getByTestId("agent-tool-count")).toHaveText("2");
  await expect(row).toContainText("50%");

  await postHook(request, app, h.permissionRequest("Bash", { command: "rm -rf dist" }));
  await expect(row.getByText("Needs you")).toBeVisible();

  // The timeline: prompt, the tool calls with input and the failure, the permission request.
  await row.getByRole("link", { name: `Agent ${sessionId.slice(0, 8)}` }).click();
  await expect(page).toHaveURL(new RegExp(`/sessions/agents/${sessionId}$`));
  await expect(page.getByRole("heading", { level: 1, name: `Agent ${sessionId.slice(0, 8)}` })).toBeVisible();
  const items = page.getByTestId("timeline-item");
  await expect(items.filter({ hasText: "Fix the failing checkout test" })).toBeVisible();
  await expect(items.filter({ hasText: "Bash" }).filter({ hasText: "failed" })).toContainText("FAIL checkout.spec.ts");
  await expect(page.locator('[data-testid="timeline-item"][data-kind="permission_request"]')).toBeVisible();
  await expect(page.getByTestId("agent-timeline")).toHaveAttribute("data-live", "true", { timeout: 20_000 });

  // Live on the timeline too.
  await postHook(request, app, h.stop("I could not fix it without permission."));
  await expect(items.filter({ hasText: "I could not fix it without permission." })).toBeVisible();

  // Back on the list, the session's end leaves it with a completion notice.
  await page.goto("/sessions");
  await waitForHydration(page);
  await waitForAgentsLive(page);
  await expect(row).toBeVisible();
  await postHook(request, app, h.sessionEnd("prompt_input_exit"));
  await expect(row).toHaveCount(0);
  await expect(page.getByRole("status").filter({ hasText: `Agent ${sessionId.slice(0, 8)} finished` })).toContainText(
    "2 tool calls, 1 failed",
  );
});

test("the Project selector filters the Agents panel", async ({ page, request, app }) => {
  const a = hookSession(`proj-a-${Date.now()}`, path.join(app.workspace, "billing-api"));
  const b = hookSession(`proj-b-${Date.now()}`, path.join(app.workspace, "web-storefront"));
  await postHook(request, app, a.prompt("a"));
  await postHook(request, app, b.prompt("b"));
  await page.goto("/sessions?project=web-storefront");
  await waitForHydration(page);
  await expect(page.locator(`[data-session-id="${b.prompt("").session_id}"]`)).toBeVisible();
  await expect(page.locator(`[data-session-id="${a.prompt("").session_id}"]`)).toHaveCount(0);
  // The choice is remembered in a cookie; forget it to see every project again.
  await page.context().clearCookies();
  await page.goto("/sessions");
  await waitForHydration(page);
  await expect(page.locator(`[data-session-id="${a.prompt("").session_id}"]`)).toBeVisible();
});
