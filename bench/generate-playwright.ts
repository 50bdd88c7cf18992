/**
 * Synthetic Playwright JSON reports for the errors bench: the real reporter's shape (file suite →
 * describe → spec → one test per project, per-attempt results), with failures whose messages
 * carry the tokens that vary per run (ports, UUIDs, timestamps, durations) so fingerprinting does
 * real work. Deterministic for a given (run, seed).
 */

export type GenerateOptions = {
  tests: number;
  run: number;
  seed?: number;
  /** Test i is "fragile" (fails in ~60% of runs) when i % fragileEvery === 0. */
  fragileEvery?: number;
  /** Test i is flaky-prone (flaky in ~30% of runs) when i % flakyEvery === 1. */
  flakyEvery?: number;
  /** Chance that any other test fails once. */
  oneOffRate?: number;
};

const ROOT = "/ci/workspace/bench-app";
const TESTS_PER_SPEC = 10;
const SPECS_PER_FILE = 5;

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x1_0000_0000;
  };
}

const hex = (r: () => number, n: number) => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join("");

function failure(i: number, run: number, r: () => number, file: string, line: number) {
  const port = 30000 + Math.floor(r() * 30000);
  const uuid = `${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-a${hex(r, 3)}-${hex(r, 12)}`;
  const when = new Date(Date.UTC(2026, 0, 1) + run * 3_600_000 + Math.floor(r() * 1000)).toISOString();
  const kind = i % 3;
  const message =
    kind === 0
      ? `Error: expect(locator).toHaveText(expected) failed\n\nLocator: getByTestId('row-${i % 7}')\nExpected: "Saved"\nReceived: "Saving… ${uuid}"\nTimeout: 5000ms\n\nCall log:\n  - Expect "toHaveText" with timeout 5000ms\n  - waiting for getByTestId('row-${i % 7}')\n    ${Math.floor(r() * 9) + 1} × locator resolved to <div>Saving…</div>\n`
      : kind === 1
        ? `Error: apiRequestContext.post: connect ECONNREFUSED 127.0.0.1:${port}\nCall log:\n  - → POST http://127.0.0.1:${port}/v1/items at ${when}\n`
        : i % 11 === 2
          ? `Error: feature not implemented: bulk export (request ${uuid})`
          : `TimeoutError: locator.click: Timeout ${5000 + (i % 2) * 1000}ms exceeded.\nCall log:\n  - waiting for getByRole('button', { name: 'Save ${i % 5}' })\n`;
  const snippet = `  ${line - 1} |   await page.goto('/items');\n> ${line} |   await expect(page.getByTestId('row')).toHaveText('Saved');\n    |                                        ^\n  ${line + 1} | });`;
  const location = { file: `${ROOT}/tests/${file}`, line, column: 41 };
  return {
    error: { message, stack: `${message}\n    at ${ROOT}/tests/${file}:${line}:41`, location, snippet },
    errors: [{ message: `${message}\n\n${snippet}\n\n    at ${ROOT}/tests/${file}:${line}:41`, location }],
  };
}

/** A Playwright JSON report of `tests` tests (one project), as the json reporter writes it. */
export function generatePlaywrightReport(opts: GenerateOptions): string {
  const { tests, run } = opts;
  const fragileEvery = opts.fragileEvery ?? 20;
  const flakyEvery = opts.flakyEvery ?? 50;
  const oneOffRate = opts.oneOffRate ?? 0.01;
  const r = rng((opts.seed ?? 7) * 1_000_003 + run * 7919);
  const startTime = new Date(Date.UTC(2026, 0, 1) + run * 3_600_000).toISOString();
  const stats = { startTime, duration: 0, expected: 0, unexpected: 0, flaky: 0, skipped: 0 };
  const files: unknown[] = [];
  const perFile = TESTS_PER_SPEC * SPECS_PER_FILE;
  for (let f = 0; f * perFile < tests; f++) {
    const file = `${f % 2 ? "e2e" : "integration"}/area-${f}.spec.ts`;
    const describes: unknown[] = [];
    for (let d = 0; d < SPECS_PER_FILE && f * perFile + d * TESTS_PER_SPEC < tests; d++) {
      const specs: unknown[] = [];
      for (let t = 0; t < TESTS_PER_SPEC; t++) {
        const i = f * perFile + d * TESTS_PER_SPEC + t;
        if (i >= tests) break;
        const line = 10 + t * 8;
        const roll = r();
        const fragile = i % fragileEvery === 0 && roll < 0.6;
        const flaky = !fragile && i % flakyEvery === 1 && roll < 0.3;
        const oneOff = !fragile && !flaky && roll < oneOffRate;
        const skipped = !fragile && !flaky && !oneOff && i % 97 === 5;
        const duration = 200 + Math.floor(r() * 800);
        const base = {
          workerIndex: i % 4,
          parallelIndex: i % 4,
          duration,
          stdout: [],
          stderr: [],
          startTime,
          annotations: [],
          attachments: [] as unknown[],
        };
        let results: unknown[];
        let status: string;
        if (fragile || oneOff) {
          const fail = failure(i, run, r, file, line);
          const attach = [{ name: "screenshot", contentType: "image/png", path: `${ROOT}/test-results/x-${i}/test-failed-1.png` }];
          results = [
            { ...base, status: "failed", retry: 0, ...fail, attachments: attach },
            { ...base, status: "failed", retry: 1, ...failure(i, run, r, file, line), attachments: attach },
          ];
          status = "unexpected";
          stats.unexpected++;
        } else if (flaky) {
          results = [
            { ...base, status: "failed", retry: 0, ...failure(i, run, r, file, line) },
            { ...base, status: "passed", retry: 1, errors: [] },
          ];
          status = "flaky";
          stats.flaky++;
        } else if (skipped) {
          results = [{ ...base, status: "skipped", retry: 0, duration: 0, errors: [] }];
          status = "skipped";
          stats.skipped++;
        } else {
          results = [{ ...base, status: "passed", retry: 0, errors: [] }];
          status = "expected";
          stats.expected++;
        }
        stats.duration += duration;
        specs.push({
          title: `handles case ${i}`,
          ok: status !== "unexpected",
          tags: [],
          tests: [
            {
              timeout: 15000,
              annotations: [],
              expectedStatus: skipped ? "skipped" : "passed",
              projectId: "chromium",
              projectName: "chromium",
              results,
              status,
            },
          ],
          id: `${f}-${d}-${t}`,
          file,
          line,
          column: 3,
        });
      }
      describes.push({ title: `area ${f} group ${d}`, file, line: 3 + d, column: 6, specs });
    }
    files.push({ title: file, file, line: 0, column: 0, specs: [], suites: describes });
  }
  return JSON.stringify({
    config: {
      configFile: `${ROOT}/playwright.config.ts`,
      rootDir: `${ROOT}/tests`,
      version: "1.65.1",
      projects: [{ id: "chromium", name: "chromium", testDir: `${ROOT}/tests`, retries: 1 }],
    },
    suites: files,
    errors: [],
    stats,
  });
}

type Suite = { suites?: Suite[]; specs?: unknown[] };

/** The same report with its files, describes and specs listed backwards (another shard's or reporter's order). */
export function reversedReport(body: string): string {
  const report = JSON.parse(body) as { suites: Suite[] };
  const flip = (suite: Suite) => {
    suite.suites?.reverse().forEach(flip);
    suite.specs?.reverse();
  };
  report.suites.reverse().forEach(flip);
  return JSON.stringify(report);
}
