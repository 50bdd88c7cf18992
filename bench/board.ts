import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readEnv } from "@/server/env";
import { createRuntime } from "@/server/runtime-boot";
import { addDependency } from "@/server/dependencies/service";
import { ingestReport } from "@/server/errors/ingest";
import { invalidateWork, listAll } from "@/server/work/service";
import { keyRef, type WorkItemRef } from "@/lib/schemas/dependencies";
import buildIfNeeded from "../tests/e2e/global-setup";
import { serveWorkdeck } from "../tests/support/workdeck-server";
import { generateOpenSpecRoot } from "./generate-openspec";
import { generatePlaywrightReport } from "./generate-playwright";
import { percentile, timeAsync, type BenchRow } from "./stats";
import { launchChromium } from "../tests/support/chromium";

const repoRoot = path.resolve(import.meta.dirname, "..");
const DEPENDENCIES = 2000;
const RUNS = 30;
const PAGE_LOAD_RUNS = 7;

/**
 * The board's figures (issue 17): the All Work data set of bench/work.ts (300 OpenSpec changes on
 * disk, three 5,000-test reports ingested through the real service, 300 sessions: over 5,000
 * items), work.listAll built from scratch before and after 2,000 dependencies are added through
 * work.addDependency (each checked for cycles), and `/board` loaded by Chromium from a real server.
 */
export async function benchBoard(onRows?: (rows: BenchRow[]) => void): Promise<BenchRow[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workdeck-bench-board-"));
  try {
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
    let rows: BenchRow[];
    let items: number;
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

      const cold = async () => {
        const times: number[] = [];
        for (let i = 0; i < RUNS; i++) {
          invalidateWork(runtime);
          times.push(await timeAsync(() => listAll(runtime, {})));
        }
        return times;
      };
      const before = await cold();
      const all = await listAll(runtime, {});
      items = all.length;
      if (items < 5000) throw new Error(`only ${items} work items`);

      // Dependencies only ever point forward in a fixed order of the items, so none is refused
      // as a cycle; every kind of item takes part (failures, changes, sessions).
      const refs = all.map((i) => keyRef(i.key)).filter((r): r is WorkItemRef => r !== null);
      let seed = 17;
      const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      const adds: number[] = [];
      const seen = new Set<string>();
      while (adds.length < DEPENDENCIES) {
        const a = Math.floor(rand() * (refs.length - 1));
        const b = a + 1 + Math.floor(rand() * Math.min(200, refs.length - a - 1));
        if (seen.has(`${a}>${b}`)) continue;
        seen.add(`${a}>${b}`);
        adds.push(await timeAsync(async () => addDependency(runtime, { blocker: refs[a]!, blocked: refs[b]! })));
      }
      const after = await cold();
      const withBlockers = (await listAll(runtime, {})).filter((i) => i.blockedBy.length).length;
      rows = [
        {
          name: `work.listAll p50, built from scratch, no dependencies (${items.toLocaleString("en")} items; today's figure)`,
          value: percentile(before, 50),
          unit: "ms",
          target: 50,
        },
        {
          name: `work.listAll p50, built from scratch, ${DEPENDENCIES.toLocaleString("en")} dependencies (${withBlockers.toLocaleString("en")} items blocked)`,
          value: percentile(after, 50),
          unit: "ms",
          target: 50,
        },
        { name: "work.listAll p95, built from scratch, with the dependencies", value: percentile(after, 95), unit: "ms" },
        { name: "work.listAll with dependencies / without (p50)", value: percentile(after, 50) / percentile(before, 50), unit: "x" },
        {
          name: `work.addDependency p50 (cycle check over up to ${DEPENDENCIES.toLocaleString("en")} edges)`,
          value: percentile(adds, 50),
          unit: "ms",
          target: 50,
        },
      ];
    } finally {
      await runtime.close();
    }
    // The data figures first: a page-load failure (a build broken by someone's work in progress) keeps them.
    onRows?.(rows);
    return [...rows, ...(await benchBoardPageLoad({ configPath, dbPath, items }))];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Records `window.__firstCardAt` (ms since navigation start) once the first board card has a size. */
const FIRST_CARD_PROBE = `(() => {
  const check = () => {
    if (window.__firstCardAt !== undefined) return;
    const card = document.querySelector('[data-testid="board-card"]');
    if (card && card.getBoundingClientRect().height > 0) window.__firstCardAt = performance.now();
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true, attributes: true });
  const frame = () => {
    check();
    if (window.__firstCardAt === undefined) requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
})();`;

/** `/board` from `workdeck serve` (the production build) in a fresh Chromium context per run, as bench/work.ts loads `/work`. */
async function benchBoardPageLoad(data: { configPath: string; dbPath: string; items: number }): Promise<BenchRow[]> {
  buildIfNeeded();
  const server = await serveWorkdeck(data);
  try {
    const browser = await launchChromium();
    try {
      const firstCard: number[] = [];
      const load: number[] = [];
      let transferred = 0;
      for (let run = 0; run <= PAGE_LOAD_RUNS; run++) {
        const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
        try {
          const page = await context.newPage();
          let bytes = 0;
          page.on("response", (res) => {
            if (res.url().endsWith(".js"))
              void res
                .body()
                .then((b) => (bytes += b.length))
                .catch(() => undefined);
          });
          await page.addInitScript(FIRST_CARD_PROBE);
          await page.goto(`${server.baseURL}/board`, { waitUntil: "load", timeout: 60_000 });
          await page.locator('[data-testid="board-card"]').first().waitFor({ state: "visible", timeout: 60_000 });
          const t = await page.evaluate(() => {
            const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
            return {
              firstCard: (window as unknown as { __firstCardAt?: number }).__firstCardAt ?? NaN,
              load: nav ? nav.loadEventStart - nav.startTime : NaN,
            };
          });
          if (!Number.isFinite(t.firstCard) || !Number.isFinite(t.load))
            throw new Error(`Board page load: no timing (${JSON.stringify(t)})`);
          if (run === 0) continue; // warm-up
          firstCard.push(t.firstCard);
          load.push(t.load);
          transferred = bytes;
        } finally {
          await context.close();
        }
      }
      return [
        {
          name: `Board first page load p50, navigation start → first card visible (${data.items.toLocaleString("en")} items, ${DEPENDENCIES.toLocaleString("en")} dependencies, ${PAGE_LOAD_RUNS} runs)`,
          value: percentile(firstCard, 50),
          unit: "ms",
          target: 1000,
        },
        { name: "Board first page load max, navigation start → first card visible", value: Math.max(...firstCard), unit: "ms" },
        { name: "Board first page load p50, navigation start → load event", value: percentile(load, 50), unit: "ms", target: 1000 },
        { name: "Board JavaScript read by the page (columns view, drag layer included)", value: transferred / 1024, unit: "KB" },
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
  let printed = 0;
  const rows = await benchBoard((first) => {
    printRows(first);
    printed = first.length;
  });
  printRows(rows.slice(printed));
}
