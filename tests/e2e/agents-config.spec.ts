import fs from "node:fs";
import path from "node:path";
import { expect, test, waitForHydration } from "./fixtures";

/**
 * Sub-agents and skills round-trip through the UI (issue 16): what the form saves is the file
 * Claude Code reads, what an editor writes on disk shows up in the form, and a save over a file
 * edited on disk meanwhile is refused with the conflict and a way to reload. Real server (its own
 * temp copy of the demo workspace), real Chromium.
 */

test.use({ viewport: { width: 1440, height: 1200 } });

test("a sub-agent round-trips: form → file → editor on disk → form; a stale save is refused and reloads", async ({ page, app }) => {
  const file = path.join(app.workspace, "billing-api", ".claude", "agents", "reviewer.md");
  await page.goto("/agents-config?project=billing-api");
  await waitForHydration(page);
  await expect(page.getByRole("heading", { name: "Sub-agents" })).toBeVisible();

  await page.getByRole("button", { name: "New sub-agent" }).click();
  const create = page.getByRole("form", { name: "New sub-agent" });
  await create.getByLabel("Name").fill("reviewer");
  await create.getByLabel("Description").fill("Reviews a diff for bugs. Use after code changes.");
  await create.getByLabel("Tools").fill("Read, Grep");
  await create.getByLabel("Model").fill("sonnet");
  await create.getByLabel("System prompt").fill("You are a careful code reviewer.");
  await create.getByRole("button", { name: "Save" }).click();

  const list = page.getByRole("list", { name: "Sub-agents" });
  await expect(list.getByRole("button", { name: "reviewer" })).toBeVisible();
  await expect.poll(() => fs.existsSync(file)).toBe(true);
  expect(fs.readFileSync(file, "utf8")).toBe(
    "---\nname: reviewer\ndescription: Reviews a diff for bugs. Use after code changes.\ntools: Read, Grep\nmodel: sonnet\n---\n\nYou are a careful code reviewer.\n",
  );

  // Edited in an editor: the page shows the file as it is now.
  fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("careful code reviewer", "strict code reviewer"));
  await page.reload();
  await waitForHydration(page);
  await page.getByRole("list", { name: "Sub-agents" }).getByRole("button", { name: "reviewer" }).click();
  const edit = page.getByRole("form", { name: "Edit sub-agent reviewer" });
  await expect(edit.getByLabel("System prompt")).toHaveValue("You are a strict code reviewer.");
  await expect(edit.getByLabel("Name")).toHaveValue("reviewer");

  // Someone edits the file while the form is open: Save is refused, nothing is overwritten.
  const meanwhile = fs.readFileSync(file, "utf8").replace("strict code reviewer", "reviewer who edits on disk");
  fs.writeFileSync(file, meanwhile);
  await edit.getByLabel("System prompt").fill("Mine, typed in the browser.");
  await edit.getByRole("button", { name: "Save" }).click();
  await expect(edit.getByRole("alert")).toContainText("changed on disk");
  expect(fs.readFileSync(file, "utf8")).toBe(meanwhile);
  await edit.getByRole("button", { name: "Reload from disk" }).click();
  await expect(edit.getByLabel("System prompt")).toHaveValue("You are a reviewer who edits on disk.");
  await edit.getByLabel("Description").fill("Reviews diffs, strictly.");
  await edit.getByRole("button", { name: "Save" }).click();
  await expect(edit).toHaveCount(0);
  await expect.poll(() => fs.readFileSync(file, "utf8")).toContain("description: Reviews diffs, strictly.");
  expect(fs.readFileSync(file, "utf8")).toContain("You are a reviewer who edits on disk.");

  // The launch dialog offers it.
  await page.goto("/sessions?project=billing-api");
  await waitForHydration(page);
  await page.getByRole("button", { name: "Launch session" }).click();
  await expect(page.getByLabel("Sub-agent").locator("option", { hasText: "reviewer" })).toHaveCount(1);
});

test("a skill round-trips through the UI and is deleted from disk", async ({ page, app }) => {
  const dir = path.join(app.workspace, "billing-api", ".claude", "skills", "release-notes");
  await page.goto("/agents-config?project=billing-api");
  await waitForHydration(page);
  await page.getByRole("button", { name: "New skill" }).click();
  const create = page.getByRole("form", { name: "New skill" });
  await create.getByLabel("Name").fill("release-notes");
  await create.getByLabel("Description").fill("Turns a list of changes into release notes.");
  await create.getByLabel("Allowed tools").fill("Read");
  await create.getByLabel("Instructions").fill("# Release notes\n\nGroup the changes by kind.");
  await create.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("list", { name: "Skills" }).getByRole("button", { name: "release-notes" })).toBeVisible();
  expect(fs.readFileSync(path.join(dir, "SKILL.md"), "utf8")).toBe(
    "---\nname: release-notes\ndescription: Turns a list of changes into release notes.\nallowed-tools: Read\n---\n\n# Release notes\n\nGroup the changes by kind.\n",
  );

  // A hand-written skill whose name does not match its folder is listed as not loaded.
  fs.mkdirSync(path.join(path.dirname(dir), "misnamed"));
  fs.writeFileSync(path.join(path.dirname(dir), "misnamed", "SKILL.md"), "---\nname: other\ndescription: d\n---\nBody\n");
  await page.reload();
  await waitForHydration(page);
  const skills = page.getByRole("list", { name: "Skills" });
  await expect(skills.getByRole("listitem").filter({ hasText: "misnamed" })).toContainText("not loaded");

  await skills.getByRole("button", { name: "release-notes" }).click();
  await page.getByRole("form", { name: "Edit skill release-notes" }).getByRole("button", { name: "Delete" }).click();
  await expect(skills.getByRole("button", { name: "release-notes" })).toHaveCount(0);
  expect(fs.existsSync(dir)).toBe(false);
});
