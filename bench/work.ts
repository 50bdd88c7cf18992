import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRuntime } from "@/server/runtime-boot";
import { ingestReport } from "@/server/errors/ingest";
import { activity, invalidateWork, listAll } from "@/server/work/service";
import { generateOpenSpecRoot } from "./generate-openspec";
import { generatePlaywrightReport } from "./generate-playwright";
import { oneProjectEnv } from "../tests/support/runtime-env";
import { measurePageLoad } from "./page-load";
import { percentile, timeAsync, type BenchRow } from "./stats";
import { trpcGet } from "./trpc-get";

type Runtime = Awaited<ReturnType<typeof createRuntime>>;

/**
 * The All Work data set, in `dir`: an OpenSpec project of 300 changes, three 5,000-test reports
 * ingested through the real service (every test fragile: most fail, in a few fingerprints per test
 * across runs) and 300 sessions, in the SQLite file `dir/bench.db`. Returns the open runtime.
 */
export async function seedWork(dir: string): Promise<{ runtime: Runtime; items: number; configPath: string; dbPath: string }> {
  const project = path.join(dir, "workspace", "big");
  generateOpenSpecRoot(project, { changeCount: 300, specCount: 50 });
  const { env, configPath, dbPath } = oneProjectEnv(dir, { slug: "big", path: project }, { db: "bench.db", logLevel: "warn" });
  const runtime = await createRuntime(env, { watch: false, warm: true });
  try {
    for (let run = 1; run <= 3; run++)
      ingestReport(runtime, { projectSlug: "big", body: generatePlaywrightReport({ tests: 5000, run, seed: 7, fragileEvery: 1 }) });
    const insert = runtime.db!.$client.prepare(
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

/** work.listAll built from scratch (its cache dropped before each call) `runs` times: the times. */
export async function coldListAll(runtime: Runtime, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    invalidateWork(runtime);
    times.push(await timeAsync(() => listAll(runtime, {})));
  }
  return times;
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
      const cold = await coldListAll(runtime, 30);
      const filtered: number[] = [];
      for (let i = 0; i < 30; i++)
        filtered.push(await timeAsync(() => listAll(runtime, { filter: { status: ["open"], types: ["failure"], search: "checkout" } })));

      const get = trpcGet(runtime, "work.listAll", {});
      const call = async () => {
        const res = await get();
        if (res.status !== 200 || res.data?.length !== items) throw new Error(`work.listAll answered ${res.status}`);
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

/** `/work` loaded by Chromium from a real server on the seeded database (bench/page-load.ts). */
async function benchWorkPageLoad(data: { configPath: string; dbPath: string; items: number }): Promise<BenchRow[]> {
  const t = await measurePageLoad(data, { path: "/work", testId: "work-row", runs: PAGE_LOAD_RUNS, label: "All Work" });
  return [
    {
      name: `All Work first page load p50, navigation start → first row visible (${data.items.toLocaleString("en")} items, localhost, ${PAGE_LOAD_RUNS} runs)`,
      value: percentile(t.firstVisible, 50),
      unit: "ms",
      target: 1000,
    },
    { name: "All Work first page load max, navigation start → first row visible", value: Math.max(...t.firstVisible), unit: "ms" },
    { name: "All Work first page load p50, navigation start → load event", value: percentile(t.load, 50), unit: "ms", target: 1000 },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printRows } = await import("./stats");
  printRows(await benchWork());
}
