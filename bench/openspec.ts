import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRuntime } from "@/server/runtime-boot";
import { generateOpenSpecRoot } from "./generate-openspec";
import { oneProjectEnv } from "../tests/support/runtime-env";
import { percentile, timeAsync, type BenchRow } from "./stats";
import { trpcGet } from "./trpc-get";

const repoRoot = path.resolve(import.meta.dirname, "..");

/** OpenSpec figures of issue 2: cold parse, cached list through tRPC, write-to-subscriber, official CLI. */
export async function benchOpenSpec(): Promise<BenchRow[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workdeck-bench-"));
  try {
    const project = path.join(dir, "workspace", "big-project");
    generateOpenSpecRoot(project, { changeCount: 1000, specCount: 200 });
    const { env } = oneProjectEnv(dir, { slug: "big", path: project }, { db: "bench.db", logLevel: "warn" });
    const runtime = await createRuntime(env, { watch: true });
    try {
      const cold: number[] = [];
      for (let i = 0; i < 5; i++) {
        runtime.openspec.invalidateProject("big");
        cold.push(await timeAsync(() => runtime.openspec.listChanges({ projectId: "big" })));
      }

      const get = trpcGet(runtime, "openspec.listChanges", { projectId: "big" });
      const callList = async () => {
        const res = await get();
        // A fast error is not a fast list: make sure the figure measures the real answer.
        if (res.status !== 200 || res.data?.length !== 1000) throw new Error(`listChanges answered ${res.status}`);
      };
      await callList();
      const cached: number[] = [];
      for (let i = 0; i < 200; i++) cached.push(await timeAsync(callList));

      const toSubscriber: number[] = [];
      for (let i = 0; i < 10; i++) {
        const controller = new AbortController();
        const stream = runtime.bus.stream({ filter: { projectSlug: "big", types: ["openspec.changed"] }, signal: controller.signal });
        const first = stream.next();
        await new Promise((r) => setTimeout(r, 50));
        const start = performance.now();
        fs.appendFileSync(path.join(project, "openspec/changes/change-0001-improve-area-1/tasks.md"), `- [ ] 9.${i} bench edit\n`);
        await first;
        toSubscriber.push(performance.now() - start);
        controller.abort();
        await new Promise((r) => setTimeout(r, 100));
      }

      const official: number[] = [];
      const bin = path.join(repoRoot, "node_modules/@fission-ai/openspec/bin/openspec.js");
      for (let i = 0; i < 3; i++) {
        const start = performance.now();
        const r = spawnSync(process.execPath, [bin, "list", "--json"], {
          cwd: project,
          env: { ...process.env, OPENSPEC_TELEMETRY: "0", DO_NOT_TRACK: "1", OPENSPEC_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
        });
        if (r.status !== 0) throw new Error(`official openspec list failed: ${r.stderr}`);
        official.push(performance.now() - start);
      }

      const cachedP50 = percentile(cached, 50);
      const officialP50 = percentile(official, 50);
      return [
        { name: "openspec cold parse (1,000 changes + 200 specs, list + validate)", value: percentile(cold, 50), unit: "ms", target: 300 },
        { name: "openspec cached listChanges through tRPC (p50)", value: cachedP50, unit: "ms", target: 5 },
        { name: "openspec cached listChanges through tRPC (p95)", value: percentile(cached, 95), unit: "ms" },
        { name: "openspec file write → subscriber (p50)", value: percentile(toSubscriber, 50), unit: "ms", target: 300 },
        { name: "openspec file write → subscriber (max)", value: Math.max(...toSubscriber), unit: "ms", target: 300 },
        { name: "official `openspec list --json` on the same root (p50)", value: officialP50, unit: "ms" },
        { name: "ratio: official CLI / Workdeck cached list", value: officialP50 / cachedP50, unit: "x" },
      ];
    } finally {
      await runtime.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
