/**
 * Scale-out (issue 14): cross-instance event latency between two real `workdeck serve` processes
 * on one SQLite file. A triage decision is posted to A; the figure is from the event's commit on
 * A (its `at`, same host clock) to its arrival on an events.subscribe stream of B, one event at a
 * time. First through a real redis-server (WORKDECK_REDIS_URL), then with Redis killed, through
 * the table-polling fallback the same processes drop to.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import { ensureNextBuild, subscribeEvents, trpcMutate, trpcQuery } from "../tests/support/live-events";
import { startRedis } from "../tests/support/redis";
import { sharedPath } from "../tests/support/shared";
import { serveWorkdeck } from "../tests/support/workdeck-server";
import { percentile, type BenchRow } from "./stats";

const RUNS = 60;

export async function benchScaleout(): Promise<BenchRow[]> {
  ensureNextBuild();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workdeck-bench-scaleout-"));
  const redis = await startRedis();
  const stops: (() => Promise<void>)[] = [() => redis.stop()];
  try {
    fs.mkdirSync(path.join(dir, "sample", "openspec"), { recursive: true });
    const configPath = path.join(dir, "config.json");
    fs.writeFileSync(configPath, JSON.stringify({ projects: [{ slug: "sample", path: path.join(dir, "sample") }] }));
    const dbPath = path.join(dir, "w.db");
    const env = { WORKDECK_REDIS_URL: redis.url, WORKDECK_LOG_LEVEL: "error" };
    const a = await serveWorkdeck({ dbPath, configPath, env });
    stops.push(a.stop);
    const b = await serveWorkdeck({ dbPath, configPath, env });
    stops.push(b.stop);
    const report = fs.readFileSync(sharedPath("playwright-sample", "reports", "run-1.json"));
    const res = await fetch(`${a.baseURL}/api/reports?project=sample`, {
      method: "POST",
      body: report,
      headers: { "content-type": "application/json" },
    });
    if (res.status !== 201) throw new Error(`report ingest answered ${res.status}`);
    const [failure] = await trpcQuery<{ id: number }[]>(b.baseURL, "errors.listFailures");
    if (!failure) throw new Error("the sample report produced no failure");
    const live = await subscribeEvents(b.baseURL);
    try {
      const measure = async (runs: number) => {
        const latencies: number[] = [];
        // One warm-up event first (connections, JIT), not counted.
        for (let i = 0; i <= runs; i++) {
          const decision = i % 2 ? "needs_spec" : "one_off_fix";
          const before = live.events.length;
          await trpcMutate(a.baseURL, "errors.triageFailure", { failureId: failure.id, decision, rationale: "bench" });
          const event = await live.next(
            (e) => live.events.indexOf(e) >= before && isTriage(e, failure.id, decision),
            "the triage event on B",
            10_000,
          );
          const arrived = Date.now();
          if (i > 0) latencies.push(arrived - event.at);
        }
        return latencies;
      };
      const viaRedis = await measure(RUNS);
      await redis.kill();
      const viaPolling = await measure(Math.floor(RUNS / 2));
      return [
        { name: "cross-instance event p50 (Redis pub/sub)", value: percentile(viaRedis, 50), unit: "ms" },
        { name: "cross-instance event p95 (Redis pub/sub)", value: percentile(viaRedis, 95), unit: "ms", target: 200 },
        { name: "cross-instance event p50 (polling fallback)", value: percentile(viaPolling, 50), unit: "ms" },
        { name: "cross-instance event p95 (polling fallback)", value: percentile(viaPolling, 95), unit: "ms", target: 1000 },
      ];
    } finally {
      live.close();
    }
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function isTriage(e: WorkdeckEvent, failureId: number, decision: string): boolean {
  return e.type === "errors.triaged" && e.failureId === failureId && e.decision === decision;
}
