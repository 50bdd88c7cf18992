import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { expect, type APIRequestContext, type Page } from "@playwright/test";
import { afterToolResult, mainAsking, type FakeAnthropic } from "../support/fake-anthropic";
import { testWithFakeClaude, waitForHydration, type WorkdeckServer } from "./fixtures";

/**
 * Review and land from the session page (issue 11), against a real server whose Claude Code
 * children (the real binary) talk to the fake Messages API. The demo workspace copy is made a
 * git repository, so sessions get worktrees; Merge lands on its `main`, Discard asks first.
 */

const test = testWithFakeClaude();
test.use({ viewport: { width: 1440, height: 1200 } });
test.setTimeout(120_000);

const AUTHOR = ["-c", "user.email=dev@example.com", "-c", "user.name=Dev"];
const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", [...AUTHOR, ...args], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

function ensureRepository(workspace: string): void {
  if (fs.existsSync(path.join(workspace, ".git"))) return;
  git(workspace, "init", "-q", "-b", "main");
  git(workspace, "add", ".");
  git(workspace, "commit", "-q", "-m", "workspace");
}

type Fixtures = { page: Page; request: APIRequestContext; app: WorkdeckServer; fake: FakeAnthropic };

/** A finished session on billing-api (the workspace made a git repository) whose agent ran `command` in its worktree, then said `reply`. */
async function finishedSession({ page, request, app, fake }: Fixtures, tag: string, command: string, reply: string): Promise<number> {
  ensureRepository(app.workspace);
  fake.when(mainAsking(tag), { kind: "tool_use", name: "Bash", input: { command } }, { times: 1 });
  fake.when(afterToolResult, { kind: "text", text: reply }, { times: 1 });
  const res = await request.post(`${app.baseURL}/api/trpc/sessions.start`, {
    data: { projectId: "billing-api", prompt: `${tag}: do the work.`, overrides: { permissionMode: "bypassPermissions" } },
  });
  expect(res.status(), await res.text()).toBe(200);
  const id = ((await res.json()) as { result: { data: { id: number } } }).result.data.id;
  await page.goto(`/sessions/${id}`);
  await waitForHydration(page);
  await expect(page.getByTestId("session-status")).toHaveText("Completed", { timeout: 60_000 });
  return id;
}

test("Review a session's changes, then Merge it from the page: the work is on main and the worktree is gone", async ({
  page,
  request,
  app,
  fake,
}) => {
  const id = await finishedSession(
    { page, request, app, fake },
    "MERGE-ME",
    "printf 'landed from the page\\n' > LANDED.md && sed -i 's/Billing API is a Fastify/Billing API is a small Fastify/' openspec/config.yaml",
    "Wrote it.",
  );

  // The review: a file tree, each file's patch, the changed word marked.
  const review = page.getByTestId("session-diff");
  await expect(review).toBeVisible();
  const tree = page.getByRole("navigation", { name: "Changed files" });
  await expect(tree.getByRole("link", { name: /LANDED\.md/ })).toBeVisible();
  await expect(tree.getByRole("link", { name: /config\.yaml/ })).toBeVisible();
  await expect(page.getByTestId("diff-totals")).toHaveText(/2 files changed/);
  const config = page.locator('[data-testid="diff-file"][data-path="billing-api/openspec/config.yaml"]');
  await expect(config.locator('tr[data-kind="add"] [data-testid="word-change"]')).toHaveText([/^\s*small\s*$/]);

  await page.getByRole("button", { name: "Merge" }).click();
  const landed = page.getByTestId("session-landed");
  await expect(landed).toHaveAttribute("data-landed", "merged", { timeout: 20_000 });
  await expect(landed).toContainText("Merged into main");
  await expect(page.getByRole("button", { name: "Merge" })).toHaveCount(0);

  // The project's checkout has it; the worktree and branch are gone.
  expect(fs.readFileSync(path.join(app.workspace, "billing-api/LANDED.md"), "utf8")).toBe("landed from the page\n");
  expect(git(app.workspace, "log", "-1", "--format=%H", "main")).toBe(git(app.workspace, "rev-parse", "HEAD"));
  expect(git(app.workspace, "branch", "--list", `workdeck/${id}`)).toBe("");
  expect(git(app.workspace, "worktree", "list", "--porcelain").match(/^worktree /gm)).toHaveLength(1);
  // After a reload the page still says how it landed, and the review still shows the work.
  await page.reload();
  await waitForHydration(page);
  await expect(page.getByTestId("session-landed")).toContainText("Merged into main");
  await expect(page.getByTestId("session-diff")).toHaveAttribute("data-source", "landed");
});

test("A conflicting merge names the file and changes nothing; Discard asks first, then drops the work", async ({
  page,
  request,
  app,
  fake,
}) => {
  const id = await finishedSession(
    { page, request, app, fake },
    "CONFLICT-ME",
    "printf 'agent version\\n' > README.md",
    "Rewrote the README.",
  );
  // Meanwhile main changed the same file.
  fs.writeFileSync(path.join(app.workspace, "billing-api/README.md"), "user version\n");
  git(app.workspace, "commit", "-q", "-am", "user edit");
  const main = git(app.workspace, "rev-parse", "main");

  await page.getByRole("button", { name: "Merge" }).click();
  const error = page.getByRole("alert").filter({ hasText: "Could not merge" });
  await expect(error).toContainText("does not merge cleanly into main");
  await expect(page.getByRole("list", { name: "Conflicting files" })).toHaveText("billing-api/README.md");
  expect(git(app.workspace, "rev-parse", "main")).toBe(main);
  expect(fs.readFileSync(path.join(app.workspace, "billing-api/README.md"), "utf8")).toBe("user version\n");
  expect(git(app.workspace, "status", "--porcelain")).toBe("");

  // Discard asks; Cancel keeps everything.
  await page.getByRole("button", { name: "Discard" }).click();
  const dialog = page.getByRole("dialog", { name: `Discard the work of session ${id}?` });
  await expect(dialog).toBeVisible();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  expect(git(app.workspace, "branch", "--list", `workdeck/${id}`)).not.toBe("");

  await page.getByRole("button", { name: "Discard" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Yes, discard" }).click();
  await expect(page.getByTestId("session-landed")).toHaveAttribute("data-landed", "discarded", { timeout: 20_000 });
  await expect(page.getByTestId("session-landed")).toContainText("Discarded");
  expect(git(app.workspace, "branch", "--list", `workdeck/${id}`)).toBe("");
  expect(git(app.workspace, "rev-parse", "main")).toBe(main);
});
