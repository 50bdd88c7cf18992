import fs from "node:fs";
import path from "node:path";
import { expect } from "@playwright/test";
import { afterToolResult, mainAsking } from "../support/fake-anthropic";
import { testWithFakeClaude, waitForHydration } from "./fixtures";

/**
 * Permissions from the UI (issue 11): a session in default permission mode asks to run a Bash
 * command; the session page shows the request and Allow once lets the tool run. Real server, real
 * Claude Code binary, fake Messages API.
 */

const test = testWithFakeClaude();
test.use({ viewport: { width: 1440, height: 1200 } });
test.setTimeout(120_000);

test("approve a tool permission from the session page: the tool runs and the session completes", async ({ page, request, app, fake }) => {
  fake.when(
    mainAsking("ASK-ME"),
    { kind: "tool_use", name: "Bash", input: { command: "printf 'approved\\n' > APPROVED.md" }, text: "Writing the file." },
    { times: 1 },
  );
  fake.when(afterToolResult, { kind: "text", text: "Wrote it after approval." }, { times: 1 });
  const res = await request.post(`${app.baseURL}/api/trpc/sessions.start`, {
    data: { projectId: "billing-api", prompt: "ASK-ME: write the file.", overrides: { permissionMode: "default" } },
  });
  expect(res.status(), await res.text()).toBe(200);
  const id = ((await res.json()) as { result: { data: { id: number } } }).result.data.id;
  await page.goto(`/sessions/${id}`);
  await waitForHydration(page);

  const ask = page.getByRole("article", { name: "Permission request: Bash" });
  await expect(ask).toBeVisible({ timeout: 60_000 });
  await expect(ask.getByLabel("Tool input")).toContainText("APPROVED.md");
  await expect(ask).toContainText("Allow always adds");

  await ask.getByRole("button", { name: "Allow once" }).click();

  await expect(page.getByTestId("session-status")).toHaveText("Completed", { timeout: 60_000 });
  await expect(ask).toHaveCount(0);
  await expect(page.getByTestId("conversation")).toContainText("Permission for Bash allowed once.");
  const cwdRes = await request.get(`${app.baseURL}/api/trpc/sessions.get?input=${encodeURIComponent(JSON.stringify({ id }))}`);
  const cwd = ((await cwdRes.json()) as { result: { data: { cwd: string } } }).result.data.cwd;
  expect(fs.readFileSync(path.join(cwd, "APPROVED.md"), "utf8")).toBe("approved\n");
});
