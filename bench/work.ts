import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { readEnv } from "@/server/env";
import { createRuntime } from "@/server/runtime-boot";
import { ingestReport } from "@/server/errors/ingest";
import { activity, invalidateWork, listAll } from "@/server/work/service";
import { createContext } from "@/server/trpc/init";
import { appRouter } from "@/server/trpc/root";
import buildIfNeeded from "../tests/e2e/global-setup";
import { serveWorkdeck } from "../tests/support/workdeck-server";
import { generateOpenSpecRoot } from "./generate-openspec";
import { generatePlaywrightReport } from "./generate-playwright";
import { percentile, timeAsync, type BenchRow } from "./stats";
import { launchChromium } from "../tests/support/chromium";

const repoRoot = path.resolve(import.meta.dirname, "..");

type Runtime = Awaited<ReturnType<typeof createRuntime>>;

/**
 * The All Work data set, in `dir`: an OpenSpec project of 300 changes, three 5,000-test reports
 * ingested through the real service (every test fragile: most fail, in a few fingerprints per test
 * across runs) and 300 sessions, in the SQLite file `dir/bench.db`. Returns the open runtime.
 */
async function seedWork(dir: string): Promise<{ runtime: Runtime; items: number; configPath: string; dbPath: string }> {
  const project = path.join(dir, "workspace", "big");
  generateOpenSpecRoot(project, { changeCount: 300, specCount: 50 });
  const configPath = path.join(dir, "config.json");
  fs.writeFileSync(configPath, JSON.stringify({ projects: [{ slug: "big", path: project }] }));
  const dbPath = path.join(dir, "bench.db");
  const env = {
    ...readEnv({ ...process.env, WORKDECK_DB: dbPath, WORKDECK_CONFIG: configPath, WORKDECK_LOG_LEVEL: "warn" }),
    appRoot: repoRoot,
  };
  const runtime = await createRuntime(env, { watch: false, warm: true });
  try {
    for (let run = 1; run <= 3; run++)
      ingestReport(runtime, { projectSlug: "big", body: generatePlaywrightReport({ tests: 5000, run, seed: 7, fragileEvery: 1 }) });
    const insert = runtime.db.$client.prepare(
      `INSERT INTO sessions (session_type, work_item_kind, work_item_ref, status, project_slug, cwd, prompt, options, priority, created_at, started_at, ended_at, cost_usd)
       VALUES ('error_remediation', 'error', ?, ?, 'big', '.', 'Fix it', '{}', 3, ?, ?, ?, 0.5)`,
    );
    const now = Date.now();
    for (let i = 1; i <= 300; i++)
      insert.run(String(i), i % 3 ? "completed" : "running", now - i * 1000, now - i * 1000, i % 3 ? now : null);
    const items = (await listAll(runtime, {})).length;
    if (items < 5000) throw new Error(`only ${items} work items`);
    return { runtime, items, configPath, dbPath };
  } catch (err) {
    await runtime.close();
    throw err;
  }
}

/**
 * All Work figures of issue 6: work.listAll over more than 5,000 items (failure groups ingested
 * through the real service, 300 OpenSpec changes on disk, 300 sessions), built from scratch (cache
 * dropped each time) and served from the cache through the tRPC HTTP handler; the activity query.
 */
export async function benchWork(): Promise<BenchRow[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workdeck-bench-work-"));
  try {
    const { runtime, items, configPath, dbPath } = await seedWork(dir);
    let rows: BenchRow[];
    try {
      const cold: number[] = [];
      for (let i = 0; i < 30; i++) {
        invalidateWork(runtime);
        cold.push(await timeAsync(() => listAll(runtime, {})));
      }
      const filtered: number[] = [];
      for (let i = 0; i < 30; i++)
        filtered.push(await timeAsync(() => listAll(runtime, { filter: { status: ["open"], types: ["failure"], search: "checkout" } })));

      const url = `http://127.0.0.1/api/trpc/work.listAll?input=${encodeURIComponent(JSON.stringify({}))}`;
      const call = async () => {
        const res = await fetchRequestHandler({
          endpoint: "/api/trpc",
          req: new Request(url),
          router: appRouter,
          createContext: () => createContext(runtime),
        });
        const body = (await res.json()) as { result?: { data?: unknown[] } };
        if (res.status !== 200 || body.result?.data?.length !== items) throw new Error(`work.listAll answered ${res.status}`);
      };
      await call();
      const http: number[] = [];
      for (let i = 0; i < 30; i++) http.push(await timeAsync(call));
      const act: number[] = [];
      for (let i = 0; i < 30; i++) act.push(await timeAsync(() => activity(runtime, { limit: 50 })));

      rows = [
        {
          name: `work.listAll p50, built from scratch (${items.toLocaleString("en")} items: failures, changes, sessions)`,
          value: percentile(cold, 50),
          unit: "ms",
          target: 50,
        },
        { name: "work.listAll p95, built from scratch", value: percentile(cold, 95), unit: "ms" },
        { name: "work.listAll p50, cached, filtered (status + type + search)", value: percentile(filtered, 50), unit: "ms", target: 50 },
        { name: "work.listAll p50 through the tRPC HTTP handler, cached (incl. serialisation)", value: percentile(http, 50), unit: "ms" },
        { name: "work.activity p50 (50 newest)", value: percentile(act, 50), unit: "ms", target: 50 },
      ];
    } finally {
      await runtime.close();
    }
    // The same database, now served by a real server to a real browser.
    return [...rows, ...(await benchWorkPageLoad({ configPath, dbPath, items }))];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const PAGE_LOAD_RUNS = 7;

/** Records `window.__firstRowAt` (ms since navigation start) once the first work row has a size. */
const FIRST_ROW_PROBE = `(() => {
  const check = () => {
    if (window.__firstRowAt !== undefined) return;
    const row = document.querySelector('[data-testid="work-row"]');
    if (row && row.getBoundingClientRect().height > 0) window.__firstRowAt = performance.now();
  };
  // Mutations catch the row as it is inserted; frames catch it when layout gives it a size.
  new MutationObserver(check).observe(document, { childList: true, subtree: true, attributes: true });
  const frame = () => {
    check();
    if (window.__firstRowAt === undefined) requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
})();`;

/**
 * "First page load on localhost under 1 s": `bin/workdeck.mjs serve` (the production build, built
 * first if its sources changed) on the seeded database; Chromium loads `/work` in a fresh context
 * each run (no HTTP cache), and the page itself records, from navigation start, when the list's
 * first row is in the DOM with a size (a MutationObserver installed before any script) and the
 * `load` event. One unmeasured load first warms the server (modules, the listAll cache).
 */
async function benchWorkPageLoad(data: { configPath: string; dbPath: string; items: number }): Promise<BenchRow[]> {
  buildIfNeeded();
  const server = await serveWorkdeck(data);
  try {
    const browser = await launchChromium();
    try {
      const firstRow: number[] = [];
      const load: number[] = [];
      for (let run = 0; run <= PAGE_LOAD_RUNS; run++) {
        const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
        try {
          const page = await context.newPage();
          // A string, not a function: tsx would wrap named arrows in a `__name` helper the page lacks.
          await page.addInitScript(FIRST_ROW_PROBE);
          await page.goto(`${server.baseURL}/work`, { waitUntil: "load", timeout: 60_000 });
          await page.locator('[data-testid="work-row"]').first().waitFor({ state: "visible", timeout: 60_000 });
          const t = await page.evaluate(() => {
            const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
            return {
              firstRow: (window as unknown as { __firstRowAt?: number }).__firstRowAt ?? NaN,
              load: nav ? nav.loadEventStart - nav.startTime : NaN,
            };
          });
          if (!Number.isFinite(t.firstRow) || !Number.isFinite(t.load))
            throw new Error(`All Work page load: no timing (${JSON.stringify(t)})`);
          if (run === 0) continue; // warm-up
          firstRow.push(t.firstRow);
          load.push(t.load);
        } finally {
          await context.close();
        }
      }
      return [
        {
          name: `All Work first page load p50, navigation start → first row visible (${data.items.toLocaleString("en")} items, localhost, ${PAGE_LOAD_RUNS} runs)`,
          value: percentile(firstRow, 50),
          unit: "ms",
          target: 1000,
        },
        { name: "All Work first page load max, navigation start → first row visible", value: Math.max(...firstRow), unit: "ms" },
        { name: "All Work first page load p50, navigation start → load event", value: percentile(load, 50), unit: "ms", target: 1000 },
      ];
    } finally {
      await browser.close();
    }
  } finally {
    await server.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printRows } = await import("./stats");
  printRows(await benchWork());
}
