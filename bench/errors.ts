import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { migrateDatabase, openDatabase } from "@/server/db/client";
import { EventBus } from "@/server/events/bus";
import { listFailures } from "@/server/errors/service";
import { ingestReport, type ErrorsDeps } from "@/server/errors/ingest";
import { generatePlaywrightReport } from "./generate-playwright";
import { percentile, type BenchRow } from "./stats";

const repoRoot = path.resolve(import.meta.dirname, "..");

function freshDeps(dir: string, name: string): ErrorsDeps {
  const db = openDatabase(path.join(dir, `${name}.db`));
  migrateDatabase(db, path.join(repoRoot, "drizzle"));
  const slugs = new Set(["bench"]);
  // Ingest only asks the registry for the slug; no project folder is needed.
  const projects = {
    get: (slug: string) => {
      if (!slugs.has(slug)) throw new Error(`unknown project ${slug}`);
      return { slug, name: slug, path: dir, openspecRoot: dir, source: "config" as const, problem: null };
    },
  };
  return { db, bus: new EventBus(db), projects };
}

function fileSizeMb(deps: ErrorsDeps, file: string): number {
  deps.db!.$client.pragma("wal_checkpoint(TRUNCATE)");
  return fs.statSync(file).size / (1024 * 1024);
}

/**
 * Errors figures of issue 3: ingest of a 10,000-test report (parse + store + classify, fresh and
 * with 20 runs of history), errors.listFailures p50 over 100 runs of 5,000 tests (ingested through
 * the real service, so the data has real groups and triage rows), and database size per million
 * stored results.
 */
export async function benchErrors(): Promise<BenchRow[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workdeck-bench-errors-"));
  try {
    // 1. One 10,000-test report into an empty project, then the 21st run of a project with history.
    const big = freshDeps(dir, "ingest");
    const bodies = Array.from({ length: 21 }, (_, i) => generatePlaywrightReport({ tests: 10_000, run: i + 1 }));
    const first = ingestReport(big, { projectSlug: "bench", body: bodies[0]! });
    for (let i = 1; i < 20; i++) ingestReport(big, { projectSlug: "bench", body: bodies[i]! });
    const withHistory = ingestReport(big, { projectSlug: "bench", body: bodies[20]! });
    big.db!.$client.close();

    // 2. 100 runs of 5,000 tests, then listFailures as the Errors tab calls it.
    const many = freshDeps(dir, "list");
    const seedStart = performance.now();
    for (let run = 1; run <= 100; run++)
      ingestReport(many, { projectSlug: "bench", body: generatePlaywrightReport({ tests: 5_000, run, seed: 11 }) });
    const seedMs = performance.now() - seedStart;
    const groups = (await listFailures(many, { projectId: "bench" })).length;
    const list: number[] = [];
    const filtered: number[] = [];
    for (let i = 0; i < 100; i++) {
      let t = performance.now();
      await listFailures(many, { projectId: "bench" });
      list.push(performance.now() - t);
      t = performance.now();
      await listFailures(many, { projectId: "bench", status: "active", pattern: ["recurring", "persistent"], search: "ECONNREFUSED" });
      filtered.push(performance.now() - t);
    }

    // 3. Size: the 500,000 results of (2), scaled to a million.
    const results = (many.db!.$client.prepare("SELECT count(*) AS n FROM test_results").get() as { n: number }).n;
    const sizeMb = fileSizeMb(many, path.join(dir, "list.db"));
    many.db!.$client.close();

    return [
      {
        name: "errors ingest, 10,000-test report, empty project (parse + store + classify)",
        value: first.durationMs,
        unit: "ms",
        target: 2000,
      },
      { name: "errors ingest, 10,000-test report, 21st run (history of 20 runs)", value: withHistory.durationMs, unit: "ms", target: 2000 },
      {
        name: `errors.listFailures p50, 100 runs × 5,000 tests (${groups} groups, all returned)`,
        value: percentile(list, 50),
        unit: "ms",
        target: 50,
      },
      { name: "errors.listFailures p95, same", value: percentile(list, 95), unit: "ms" },
      { name: "errors.listFailures p50, filtered (status + pattern + search)", value: percentile(filtered, 50), unit: "ms", target: 50 },
      { name: "errors ingest of 100 × 5,000-test reports (setup, mean per report)", value: seedMs / 100, unit: "ms" },
      {
        name: `errors database size per million results (${results.toLocaleString("en")} stored)`,
        value: (sizeMb * 1_000_000) / results,
        unit: "MB",
      },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
