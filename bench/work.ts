import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { readEnv } from "@/server/env";
import { createRuntime } from "@/server/runtime-boot";
import { ingestReport } from "@/server/services/ingest";
import { activity, invalidateWork, listAll } from "@/server/services/work";
import { createContext } from "@/server/trpc/init";
import { appRouter } from "@/server/trpc/root";
import { generateOpenSpecRoot } from "./generate-openspec";
import { generatePlaywrightReport } from "./generate-playwright";
import { percentile, timeAsync, type BenchRow } from "./stats";

const repoRoot = path.resolve(import.meta.dirname, "..");

/**
 * All Work figures of issue 6: work.listAll over more than 5,000 items (failure groups ingested
 * through the real service, 300 OpenSpec changes on disk, 300 sessions), built from scratch (cache
 * dropped each time) and served from the cache through the tRPC HTTP handler; the activity query.
 */
export async function benchWork(): Promise<BenchRow[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workdeck-bench-work-"));
  try {
    const project = path.join(dir, "workspace", "big");
    generateOpenSpecRoot(project, { changeCount: 300, specCount: 50 });
    const configPath = path.join(dir, "config.json");
    fs.writeFileSync(configPath, JSON.stringify({ projects: [{ slug: "big", path: project }] }));
    const env = { ...readEnv({ ...process.env, WORKDECK_DB: path.join(dir, "bench.db"), WORKDECK_CONFIG: configPath, WORKDECK_LOG_LEVEL: "warn" }), appRoot: repoRoot };
    const runtime = await createRuntime(env, { watch: false, warm: true });
    try {
      // Every test fragile: most fail, in a few fingerprints per test across runs.
      for (let run = 1; run <= 3; run++) ingestReport(runtime, { projectSlug: "big", body: generatePlaywrightReport({ tests: 5000, run, seed: 7, fragileEvery: 1 }) });
      const insert = runtime.db.$client.prepare(
        `INSERT INTO sessions (session_type, work_item_kind, work_item_ref, status, project_slug, cwd, prompt, options, priority, created_at, started_at, ended_at, cost_usd)
         VALUES ('error_remediation', 'error', ?, ?, 'big', '.', 'Fix it', '{}', 3, ?, ?, ?, 0.5)`,
      );
      const now = Date.now();
      for (let i = 1; i <= 300; i++) insert.run(String(i), i % 3 ? "completed" : "running", now - i * 1000, now - i * 1000, i % 3 ? now : null);

      const items = (await listAll(runtime, {})).length;
      if (items < 5000) throw new Error(`only ${items} work items`);
      const cold: number[] = [];
      for (let i = 0; i < 30; i++) {
        invalidateWork(runtime.bus);
        cold.push(await timeAsync(() => listAll(runtime, {})));
      }
      const filtered: number[] = [];
      for (let i = 0; i < 30; i++) filtered.push(await timeAsync(() => listAll(runtime, { filter: { status: ["open"], types: ["failure"], search: "checkout" } })));

      const url = `http://127.0.0.1/api/trpc/work.listAll?input=${encodeURIComponent(JSON.stringify({}))}`;
      const call = async () => {
        const res = await fetchRequestHandler({ endpoint: "/api/trpc", req: new Request(url), router: appRouter, createContext: () => createContext(runtime) });
        const body = (await res.json()) as { result?: { data?: unknown[] } };
        if (res.status !== 200 || body.result?.data?.length !== items) throw new Error(`work.listAll answered ${res.status}`);
      };
      await call();
      const http: number[] = [];
      for (let i = 0; i < 30; i++) http.push(await timeAsync(call));
      const act: number[] = [];
      for (let i = 0; i < 30; i++) act.push(await timeAsync(() => activity(runtime, { limit: 50 })));

      return [
        { name: `work.listAll p50, built from scratch (${items.toLocaleString("en")} items: failures, changes, sessions)`, value: percentile(cold, 50), unit: "ms", target: 50 },
        { name: "work.listAll p95, built from scratch", value: percentile(cold, 95), unit: "ms" },
        { name: "work.listAll p50, cached, filtered (status + type + search)", value: percentile(filtered, 50), unit: "ms", target: 50 },
        { name: "work.listAll p50 through the tRPC HTTP handler, cached (incl. serialisation)", value: percentile(http, 50), unit: "ms" },
        { name: "work.activity p50 (50 newest)", value: percentile(act, 50), unit: "ms", target: 50 },
      ];
    } finally {
      await runtime.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
