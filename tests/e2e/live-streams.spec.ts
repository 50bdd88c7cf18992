import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { BrowserContext, Page } from "@playwright/test";
import { mainAsking } from "../support/fake-anthropic";
import { expect, testWithFakeClaude, waitForHydration } from "./fixtures";

/**
 * One event stream per tab (issue 10 item 9). Browsers allow six HTTP/1.1 connections per origin,
 * and each open EventSource holds one: with a stream per feature, /work and /errors left a third
 * tab unable to load at all. Here every tab of one browser context opens exactly one stream
 * (events.subscribe), so a session page and a fourth tab still load, and the streams still carry
 * what each page shows.
 */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const sampleRun1 = path.resolve(repoRoot, "../shared/playwright-sample/reports/run-1.json");

const test = testWithFakeClaude();
test.use({ viewport: { width: 1280, height: 900 } });
test.setTimeout(180_000);

type Streams = { open: number; max: number; urls: string[] };

/** A new tab whose EventSource connections are counted: opened, and still open (not finished, not failed). */
async function newTab(context: BrowserContext): Promise<{ page: Page; streams: Streams }> {
  const page = await context.newPage();
  const streams: Streams = { open: 0, max: 0, urls: [] };
  const isStream = (r: { resourceType(): string }) => r.resourceType() === "eventsource";
  page.on("request", (r) => {
    if (!isStream(r)) return;
    streams.urls.push(new URL(r.url()).pathname);
    streams.max = Math.max(streams.max, ++streams.open);
  });
  const closed = (r: { resourceType(): string }) => void (isStream(r) && streams.open--);
  page.on("requestfinished", closed);
  page.on("requestfailed", closed);
  return { page, streams };
}

/** Loaded = hydrated, its data on screen, and its stream live. */
async function open(context: BrowserContext, url: string, ready: (page: Page) => Promise<void>) {
  const tab = await newTab(context);
  await tab.page.goto(url);
  await waitForHydration(tab.page);
  await ready(tab.page);
  await expect(tab.page.getByRole("status").filter({ hasText: /^Live$/ })).toBeVisible({ timeout: 20_000 });
  return tab;
}

test("with /work, /errors and a session page open, a fourth tab still loads; every tab holds one event stream", async ({
  context,
  request,
  app,
  fake,
}) => {
  // A running session (its answer never comes), seen once Claude Code has started it.
  fake.when(mainAsking("ONE-STREAM"), { kind: "hang" }, { times: 1 });
  const res = await request.post(`${app.baseURL}/api/trpc/sessions.start`, {
    data: { projectId: "billing-api", prompt: "ONE-STREAM: hold on." },
  });
  expect(res.status(), await res.text()).toBe(200);
  const sessionId = ((await res.json()) as { result: { data: { id: number } } }).result.data.id;
  await expect.poll(() => fake.requests.some(mainAsking("ONE-STREAM")), { timeout: 60_000 }).toBe(true);

  const work = await open(context, "/work?project=billing-api", (p) =>
    expect(p.getByRole("heading", { level: 1, name: "All Work" })).toBeVisible(),
  );
  const errors = await open(context, "/errors?project=billing-api&view=groups", (p) =>
    expect(p.getByRole("heading", { level: 1, name: "Errors" })).toBeVisible(),
  );
  // The third tab: it used to wait forever behind the first two tabs' seven streams.
  const session = await open(context, `/sessions/${sessionId}`, async (p) => {
    await expect(p.getByTestId("session-status")).toHaveText("Running", { timeout: 20_000 });
    await expect(p.getByTestId("session-view")).toHaveAttribute("data-live", "true", { timeout: 20_000 });
  });
  const fourth = await open(context, "/specs?project=billing-api", (p) =>
    expect(p.getByRole("heading", { level: 1, name: "Specs" })).toBeVisible(),
  );

  const tabs = { work, errors, session, fourth };
  for (const [name, tab] of Object.entries(tabs)) {
    await expect.poll(() => tab.streams.open, { message: `${name}: open event streams` }).toBe(1);
    expect(tab.streams.max, `${name}: never more than one stream at a time`).toBe(1);
    expect(new Set(tab.streams.urls), `${name}: the multiplexed stream only`).toEqual(new Set(["/api/trpc/events.subscribe"]));
  }

  // The one stream still carries what each tab shows: a report posted elsewhere reaches /errors live.
  const posted = await request.post(`${app.baseURL}/api/reports?project=billing-api`, {
    data: JSON.parse(fs.readFileSync(sampleRun1, "utf8")),
  });
  expect(posted.status(), await posted.text()).toBeLessThan(300);
  await expect(errors.page.getByTestId("failure-row").first()).toBeVisible({ timeout: 20_000 });
});
