import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { type Browser } from "@playwright/test";
import { hookSession } from "../tests/support/hook-payloads";
import { FakeAnthropic } from "../tests/support/fake-anthropic";
import { startWorkdeck } from "../tests/e2e/fixtures";
import buildIfNeeded from "../tests/e2e/global-setup";
import { percentile, type BenchRow } from "./stats";
import { launchChromium } from "../tests/support/chromium";
import { fakeClaudeEnv } from "../tests/support/claude-env";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const sampleDir = path.resolve(repoRoot, "../shared/playwright-sample/reports");
const PROJECT = "billing-api";
/** Cold-cache visits per page; the median is reported. */
const VISITS = 5;
const JS_TARGET_KB = 150;
const LCP_TARGET_MS = 500;

declare global {
  interface Window {
    /** The latest largest-contentful-paint entry's startTime (set by the init script below). */
    __lcp?: number;
  }
}

/**
 * Front-end figures of issue 12, per tab and per kind of item page, against a production build
 * served by `workdeck serve` on a copy of the demo workspace (plus the 3-run Playwright sample, one
 * hook-reported agent and one launched session, so every page has content):
 * - the gzipped JS a first visit downloads (every script response until the network is idle,
 *   gzipped here at zlib's default level, the same for every file; what the palette or a dialog
 *   loads on demand is not counted, since a visit that never opens it never downloads it);
 * - LCP as Chromium reports it (`largest-contentful-paint` PerformanceObserver entries), median
 *   of VISITS visits, each in a fresh context, so with a cold HTTP cache.
 */
export async function benchFrontend(): Promise<BenchRow[]> {
  buildIfNeeded();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workdeck-bench-frontend-"));
  const claudeConfig = path.join(dir, "claude-config");
  fs.mkdirSync(claudeConfig);
  const fake = await FakeAnthropic.start();
  fake.when(
    (r) => r.main,
    () => ({ kind: "text", text: "## Done\n\nThe **checkout** test passes again:\n\n- fixed the `cart` total\n- added a test" }),
  );
  let server: Awaited<ReturnType<typeof startWorkdeck>> | null = null;
  const browser = await launchChromium();
  try {
    server = await startWorkdeck({
      env: fakeClaudeEnv(fake.url, claudeConfig),
    });
    const { baseURL, workspace } = server.info;
    const pages = await seed(browser, baseURL, workspace);
    const rows: BenchRow[] = [];
    for (const [label, url] of pages) {
      // One visit first so the server has loaded the route's modules: the figures are of a warm server.
      await visit(browser, url);
      const visits = [];
      for (let i = 0; i < VISITS; i++) visits.push(await visit(browser, url));
      rows.push({
        name: `${label}: gzipped JS (${visits[0]!.scripts} scripts)`,
        value: visits[0]!.jsGzipBytes / 1024,
        unit: "KB",
        target: JS_TARGET_KB,
      });
      rows.push({
        name: `${label}: LCP, median of ${VISITS} cold-cache visits`,
        value: percentile(
          visits.map((v) => v.lcp),
          50,
        ),
        unit: "ms",
        target: LCP_TARGET_MS,
      });
    }
    return rows;
  } finally {
    await browser.close();
    await server?.stop();
    await fake.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Ingests the sample runs, reports one agent through hooks, runs one session; returns the pages to measure. */
export async function seed(browser: Browser, baseURL: string, workspace: string): Promise<[string, string][]> {
  const post = async (route: string, body: unknown, init: RequestInit = {}) => {
    const res = await fetch(`${baseURL}${route}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      ...init,
    });
    if (!res.ok) throw new Error(`bench frontend: POST ${route}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<unknown>;
  };
  for (const n of [1, 2, 3])
    await post(`/api/reports?project=${PROJECT}`, JSON.parse(fs.readFileSync(path.join(sampleDir, `run-${n}.json`), "utf8")));

  const agentId = "bench0a1-0000-4000-8000-000000000001";
  const h = hookSession(agentId, path.join(workspace, PROJECT, "src"));
  for (const payload of [
    h.sessionStart(),
    h.prompt("Fix the failing checkout test"),
    h.pre("toolu_bench_1", "Read", { file_path: "src/app.ts" }),
    h.post("toolu_bench_1", "Read", { file_path: "src/app.ts" }, { type: "text", file: { content: "x" } }),
    h.stop(),
  ])
    await post("/api/hooks", payload);

  const started = (await post("/api/trpc/sessions.start", {
    projectId: PROJECT,
    prompt: "Bench: say what you did, in markdown.",
    overrides: { permissionMode: "bypassPermissions", maxTurns: 3, worktrees: false },
  })) as { result: { data: { id: number } } };
  const sessionId = started.result.data.id;
  for (const deadline = Date.now() + 120_000; ;) {
    const res = await fetch(`${baseURL}/api/trpc/sessions.get?input=${encodeURIComponent(JSON.stringify({ id: sessionId }))}`);
    const status = ((await res.json()) as { result?: { data?: { status?: string } } }).result?.data?.status;
    if (status && !["queued", "running"].includes(status)) break;
    if (Date.now() > deadline) throw new Error(`bench frontend: session ${sessionId} still ${status} after 120 s`);
    await new Promise((r) => setTimeout(r, 250));
  }

  // Item pages by their links on the tabs, as a person reaches them.
  const page = await browser.newPage();
  const firstLink = async (url: string, pattern: RegExp): Promise<string> => {
    await page.goto(`${baseURL}${url}`);
    // Some lists render on the client (virtualised tables): wait for the link, not for the network.
    const handle = await page.waitForFunction(
      (source) =>
        [...document.querySelectorAll("a[href]")]
          .map((a) => a.getAttribute("href") ?? "")
          .find((h) => new RegExp(source).test(h.split("?")[0]!)),
      pattern.source,
      { timeout: 30_000 },
    );
    return (await handle.jsonValue()) as string;
  };
  try {
    const change = await firstLink(`/specs?project=${PROJECT}`, /^\/specs\/[^/]+\/changes\/[^/]+$/);
    const spec = await firstLink(`/specs?project=${PROJECT}`, /^\/specs\/[^/]+\/specs\/.+$/);
    const failure = await firstLink(`/errors?project=${PROJECT}`, /^\/errors\/\d+$/);
    const agent = await firstLink("/sessions", /^\/sessions\/agents\/.+$/);
    return [
      ["All Work /work", `${baseURL}/work`],
      ["Specs /specs", `${baseURL}/specs`],
      ["Errors /errors", `${baseURL}/errors`],
      ["Sessions /sessions", `${baseURL}/sessions`],
      ["change page", `${baseURL}${change}`],
      ["spec page", `${baseURL}${spec}`],
      ["failure page", `${baseURL}${failure}`],
      ["session page", `${baseURL}/sessions/${sessionId}`],
      ["agent page", `${baseURL}${agent}`],
      // No app code but the root layout (React, Next's router, the tRPC + React Query provider): the floor under every tab.
      ["login page (the floor)", `${baseURL}/login`],
    ];
  } finally {
    await page.close();
  }
}

async function visit(browser: Browser, url: string): Promise<{ jsGzipBytes: number; scripts: number; lcp: number }> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  try {
    const page = await context.newPage();
    await page.addInitScript(() => {
      new PerformanceObserver((list) => {
        const entries = list.getEntries();
        window.__lcp = entries[entries.length - 1]!.startTime;
      }).observe({ type: "largest-contentful-paint", buffered: true });
    });
    const bodies: Promise<number>[] = [];
    page.on("response", (res) => {
      if (res.request().resourceType() !== "script" || !res.ok()) return;
      bodies.push(
        res.body().then(
          (b) => gzipSync(b).length,
          () => 0,
        ),
      );
    });
    await page.goto(url, { waitUntil: "load" });
    await page.waitForLoadState("networkidle");
    await page.locator("html[data-hydrated='true']").waitFor({ timeout: 20_000 });
    const lcp = await page.evaluate(() => window.__lcp ?? NaN);
    if (Number.isNaN(lcp)) throw new Error(`bench frontend: no largest-contentful-paint entry on ${url}`);
    const sizes = await Promise.all(bodies);
    return { jsGzipBytes: sizes.reduce((a, b) => a + b, 0), scripts: sizes.length, lcp };
  } finally {
    await context.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printRows } = await import("./stats");
  printRows(await benchFrontend());
}
