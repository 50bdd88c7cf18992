import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test as base, type APIRequestContext, type Page } from "@playwright/test";
import { hookSession } from "../support/hook-payloads";
import { expect, startWorkdeck, waitForHydration, type WorkdeckServer } from "./fixtures";
import { fitsNarrow, shot, titleShows } from "./narrow";

// A server of this file's own: it ingests reports and hook events the other files' expectations
// about the demo workspace must not see.
const test = base.extend<{ app: WorkdeckServer }, { narrowServer: WorkdeckServer }>({
  narrowServer: [
    async ({}, use) => {
      const server = await startWorkdeck();
      await use(server.info);
      await server.stop();
    },
    { scope: "worker", timeout: 120_000 },
  ],
  app: async ({ narrowServer }, use) => use(narrowServer),
  baseURL: async ({ narrowServer }, use) => use(narrowServer.baseURL),
});

/**
 * Issue 13, the rest of items 4 and 5 against a real server in Chromium, each with screenshots:
 * the failure page's evidence from a real Playwright run (a playable video, a trace with its
 * `show-trace` command and a download), and the pages the 360 px test in polish.spec.ts does not
 * visit (board, Ask, Deploys, Agents, a failure page) at 360 px.
 */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const playwrightCli = path.join(repoRoot, "node_modules/@playwright/test/cli.js");
const evidenceConfig = path.join(repoRoot, "tests/fixtures/playwright-evidence/playwright.config.ts");
const sampleDir = path.resolve(repoRoot, "../shared/playwright-sample/reports");
const TEST_TITLE = "pays for the cart";

type Attachment = { name: string; contentType: string; path?: string };
type Suite = { specs?: { title: string; tests: { results: { attachments: Attachment[] }[] }[] }[]; suites?: Suite[] };

/**
 * Runs tests/fixtures/playwright-evidence for real with its test-results/ inside the project's
 * checkout (as a local run leaves them), and returns the json reporter's report and the
 * attachments it names.
 */
async function runEvidenceSuite(projectDir: string): Promise<{ report: Buffer; attachments: Attachment[] }> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "workdeck-evidence-"));
  const reportFile = path.join(out, "report.json");
  // The outer run's variables (worker index, json output, …) must not steer the inner run.
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (/^(PLAYWRIGHT_|PW_|TEST_)/.test(k)) delete env[k];
  Object.assign(env, { PW_OUTPUT_DIR: path.join(projectDir, "test-results"), PLAYWRIGHT_JSON_OUTPUT_NAME: reportFile, CI: "" });
  const code = await new Promise<number>((resolve) =>
    execFile(process.execPath, [playwrightCli, "test", "--config", evidenceConfig], { cwd: repoRoot, env, timeout: 90_000 }, (err) =>
      resolve(err ? Number((err as { code?: unknown }).code ?? 1) : 0),
    ),
  );
  expect(code, "the fixture test fails on purpose").toBe(1);
  const report = fs.readFileSync(reportFile);
  fs.rmSync(out, { recursive: true, force: true });
  const attachments: Attachment[] = [];
  const walk = (s: Suite) => {
    for (const spec of s.specs ?? []) for (const t of spec.tests) for (const r of t.results) attachments.push(...r.attachments);
    for (const c of s.suites ?? []) walk(c);
  };
  (JSON.parse(report.toString("utf8")) as { suites: Suite[] }).suites.forEach(walk);
  return { report, attachments };
}

async function postReport(request: APIRequestContext, app: WorkdeckServer, body: Buffer | unknown): Promise<void> {
  const res = await request.post(`${app.baseURL}/api/reports?project=billing-api`, {
    data: body,
    headers: { "content-type": "application/json" },
  });
  expect(res.status(), await res.text()).toBeLessThan(300);
}

async function openEvidenceFailure(page: Page): Promise<void> {
  await page.goto("/errors?project=billing-api");
  await waitForHydration(page);
  await page
    .getByRole("listbox", { name: "Failing tests" })
    .getByRole("option")
    .filter({ hasText: TEST_TITLE })
    .getByRole("link", { name: "chromium" })
    .click();
  await expect(page).toHaveURL(/\/errors\/\d+$/);
  await waitForHydration(page);
}

test("Failure page: a real run's video plays, its trace downloads with the show-trace command", async ({ page, request, app }, info) => {
  const projectDir = path.join(app.workspace, "billing-api");
  const { report, attachments } = await runEvidenceSuite(projectDir);
  const onDisk = (name: string) => {
    const a = attachments.find((x) => x.name === name);
    expect(a?.path, `the report names a ${name} file`).toBeTruthy();
    return fs.readFileSync(a!.path!);
  };
  const trace = onDisk("trace");
  const video = onDisk("video");
  // Real formats: a zip (local file header) and a WebM (EBML header, "webm" doctype).
  expect(trace.subarray(0, 4).toString("latin1")).toBe("PK\u0003\u0004");
  expect(video.subarray(0, 4).toString("hex")).toBe("1a45dfa3");
  expect(video.subarray(0, 64).includes(Buffer.from("webm"))).toBe(true);
  await postReport(request, app, report);

  await openEvidenceFailure(page);
  const evidence = page.getByRole("region", { name: "Evidence" });
  await expect(evidence).toBeVisible();

  // The video: served as video/webm with the run's bytes, and Chromium plays it.
  const player = evidence.locator('video[aria-label="video, attempt 1"]');
  await expect(player).toBeVisible();
  const src = await player.getAttribute("src");
  const served = await request.get(new URL(src!, app.baseURL).toString());
  expect(served.status()).toBe(200);
  expect(served.headers()["content-type"]).toBe("video/webm");
  expect(Buffer.compare(await served.body(), video)).toBe(0);
  await expect
    .poll(() => player.evaluate((v: HTMLVideoElement) => (v.error ? `error ${v.error.code}` : v.readyState >= 1 ? "metadata" : "loading")))
    .toBe("metadata");
  expect(await player.evaluate((v: HTMLVideoElement) => v.videoWidth)).toBe(160);
  const playing = await player.evaluate(async (v: HTMLVideoElement) => {
    v.muted = true;
    await v.play();
    return !v.paused && v.error === null;
  });
  expect(playing).toBe(true);

  // The trace: the command that opens it, and the zip itself, byte for byte.
  await expect(evidence.getByText("npx playwright show-trace trace.zip", { exact: true })).toBeVisible();
  const downloading = page.waitForEvent("download");
  await evidence.getByRole("link", { name: "Download trace.zip" }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe("trace.zip");
  expect(Buffer.compare(fs.readFileSync((await download.path())!), trace)).toBe(0);

  // The screenshot of the same run renders inline.
  const img = evidence.getByRole("img", { name: "screenshot, attempt 1" });
  await expect(img).toBeVisible();
  expect(await img.evaluate((el: HTMLImageElement) => el.naturalWidth)).toBe(320);
  await player.scrollIntoViewIfNeeded();
  await shot(page, info, "failure-evidence-video-trace");
});

test("360 px: board, Ask, Deploys, Agents and a failure page fit without sideways scrolling", async ({ page, request, app }, info) => {
  for (const n of [1, 2, 3]) await postReport(request, app, JSON.parse(fs.readFileSync(path.join(sampleDir, `run-${n}.json`), "utf8")));
  const { report } = await runEvidenceSuite(path.join(app.workspace, "billing-api"));
  await postReport(request, app, report);
  const sessionId = `e2e360a1-${Date.now().toString(16)}-4000-8000-000000000360`;
  const h = hookSession(sessionId, path.join(app.workspace, "billing-api", "src"));
  for (const payload of [
    h.sessionStart(),
    h.prompt("Make the checkout page fit a phone"),
    h.pre("toolu_360_1", "Read", { file_path: "src/app.ts" }),
  ]) {
    const res = await request.post(`${app.baseURL}/api/hooks`, { data: payload });
    expect(res.status(), await res.text()).toBe(201);
  }

  // The failure page's address, found at full width.
  await openEvidenceFailure(page);
  const failureUrl = new URL(page.url()).pathname;

  await page.setViewportSize({ width: 360, height: 780 });
  const h1 = page.getByRole("heading", { level: 1 });

  await page.goto("/board?project=billing-api");
  await waitForHydration(page);
  await titleShows(h1, "board title");
  await expect(page.getByRole("navigation", { name: "Board view" })).toBeVisible();
  const card = page.getByTestId("board-card").first();
  await card.scrollIntoViewIfNeeded();
  await expect(card).toBeVisible();
  const cardBox = await card.boundingBox();
  expect(cardBox!.width, "a board card keeps a readable width").toBeGreaterThanOrEqual(200);
  await fitsNarrow(page, "/board");
  await shot(page, info, "narrow-board");

  await page.goto("/ask?project=billing-api");
  await waitForHydration(page);
  await titleShows(h1, "Ask title");
  await expect(page.getByLabel("Ask Workdeck")).toBeVisible();
  await expect(page.getByRole("button", { name: "Ask", exact: true })).toBeVisible();
  await expect(page.getByRole("link", { name: "New conversation" })).toBeVisible();
  await fitsNarrow(page, "/ask");
  await shot(page, info, "narrow-ask");

  await page.goto("/deploys?project=billing-api");
  await waitForHydration(page);
  await titleShows(h1, "Deploys title");
  await fitsNarrow(page, "/deploys");
  await shot(page, info, "narrow-deploys");

  await page.goto("/agents");
  await waitForHydration(page);
  await titleShows(h1, "Agents title");
  const row = page.locator(`[data-testid="agent-row"][data-session-id="${sessionId}"]`);
  await expect(row).toBeVisible();
  // The table scrolls inside its own frame; the agent's link stays reachable on screen.
  await expect(row.getByRole("link", { name: /^Agent / })).toBeVisible();
  await fitsNarrow(page, "/agents");
  await shot(page, info, "narrow-agents");

  await page.goto(failureUrl);
  await waitForHydration(page);
  await titleShows(h1, "failure title");
  await expect(page.getByRole("button", { name: "Accept suggestion" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Launch session" })).toBeVisible();
  const evidence = page.getByRole("region", { name: "Evidence" });
  await evidence.scrollIntoViewIfNeeded();
  await expect(evidence.locator("video")).toBeVisible();
  await expect(evidence.getByRole("link", { name: "Download trace.zip" })).toBeVisible();
  await fitsNarrow(page, failureUrl);
  await shot(page, info, "narrow-failure");
});
