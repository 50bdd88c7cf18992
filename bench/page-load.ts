import buildIfNeeded from "../tests/e2e/global-setup";
import { launchChromium } from "../tests/support/chromium";
import { serveWorkdeck } from "../tests/support/workdeck-server";

/** Records `window.__firstAt` (ms since navigation start) once the first element with `testId` has a size. */
const firstVisibleProbe = (testId: string) => `(() => {
  const check = () => {
    if (window.__firstAt !== undefined) return;
    const el = document.querySelector('[data-testid="${testId}"]');
    if (el && el.getBoundingClientRect().height > 0) window.__firstAt = performance.now();
  };
  // Mutations catch the element as it is inserted; frames catch it when layout gives it a size.
  new MutationObserver(check).observe(document, { childList: true, subtree: true, attributes: true });
  const frame = () => {
    check();
    if (window.__firstAt === undefined) requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
})();`;

export type PageLoadTimes = { firstVisible: number[]; load: number[]; jsBytes: number };

/**
 * "First page load on localhost under 1 s": `bin/workdeck.mjs serve` (the production build, built
 * first if its sources changed) on the seeded database; Chromium loads `page.path` in a fresh context
 * each run (no HTTP cache), and the page itself records, from navigation start, when the first
 * `page.testId` element is in the DOM with a size (a MutationObserver installed before any script)
 * and the `load` event. One unmeasured load first warms the server (modules, caches). With
 * `countJs`, also the bytes of JavaScript the last run read.
 */
export async function measurePageLoad(
  data: { configPath: string; dbPath: string },
  page: { path: string; testId: string; runs: number; label: string; countJs?: boolean },
): Promise<PageLoadTimes> {
  buildIfNeeded();
  const server = await serveWorkdeck(data);
  try {
    const browser = await launchChromium();
    try {
      const times: PageLoadTimes = { firstVisible: [], load: [], jsBytes: 0 };
      for (let run = 0; run <= page.runs; run++) {
        const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
        try {
          const tab = await context.newPage();
          let bytes = 0;
          if (page.countJs)
            tab.on("response", (res) => {
              if (res.url().endsWith(".js"))
                void res
                  .body()
                  .then((b) => (bytes += b.length))
                  .catch(() => undefined);
            });
          // A string, not a function: tsx would wrap named arrows in a `__name` helper the page lacks.
          await tab.addInitScript(firstVisibleProbe(page.testId));
          await tab.goto(`${server.baseURL}${page.path}`, { waitUntil: "load", timeout: 60_000 });
          await tab.locator(`[data-testid="${page.testId}"]`).first().waitFor({ state: "visible", timeout: 60_000 });
          const t = await tab.evaluate(() => {
            const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
            return {
              firstVisible: (window as unknown as { __firstAt?: number }).__firstAt ?? NaN,
              load: nav ? nav.loadEventStart - nav.startTime : NaN,
            };
          });
          if (!Number.isFinite(t.firstVisible) || !Number.isFinite(t.load))
            throw new Error(`${page.label} page load: no timing (${JSON.stringify(t)})`);
          if (run === 0) continue; // warm-up
          times.firstVisible.push(t.firstVisible);
          times.load.push(t.load);
          times.jsBytes = bytes;
        } finally {
          await context.close();
        }
      }
      return times;
    } finally {
      await browser.close();
    }
  } finally {
    await server.stop();
  }
}
