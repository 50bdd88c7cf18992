import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { Webhooks } from "@octokit/webhooks";
import { workflowRunCompleted } from "../tests/fixtures/webhooks/github";
import { demoWorkspaceFolder, serveWorkdeck } from "../tests/support/workdeck-server";
import { percentile, type BenchRow } from "./stats";

const SENDERS = 10;
const PER_SENDER = Number(process.env.BENCH_WEBHOOK_DELIVERIES ?? 200);
const SECRET = "bench-webhook-secret";

/**
 * Issue 15: webhook ingest under load. 10 concurrent senders post signed GitHub `workflow_run`
 * deliveries (failures and successes over 50 workflows, so items open, update and resolve) to a
 * real `workdeck serve` on a temp database, each as fast as the previous one is answered; every
 * tenth is a replay of an earlier delivery id. Latency per delivery, and deliveries answered
 * 201 that the database does not hold (lost).
 */
export async function benchWebhooks(): Promise<BenchRow[]> {
  const { dir, configPath } = demoWorkspaceFolder("workdeck-bench-webhooks-", "config.json", (workspace) => ({
    projects: [{ slug: "billing-api", path: path.join(workspace, "billing-api"), repository: "acme/billing-api" }],
    integrations: { github: { webhookSecretEnv: "BENCH_GITHUB_SECRET" } },
  }));
  const dbPath = path.join(dir, "w.db");
  const server = await serveWorkdeck({ dbPath, configPath, env: { BENCH_GITHUB_SECRET: SECRET } });
  try {
    const webhooks = new Webhooks({ secret: SECRET });
    // Signed up front: the senders measure the server, not HMAC in the bench process.
    const bodies = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const body = JSON.stringify(
          workflowRunCompleted({ conclusion: i % 3 === 0 ? "success" : "failure", name: `wf-${i % 50}`, branch: "main", runId: 1000 + i }),
        );
        return { body, signature: await webhooks.sign(body) };
      }),
    );
    const send = async (i: number, delivery: string) => {
      const b = bodies[i % bodies.length]!;
      const start = performance.now();
      const res = await fetch(`${server.baseURL}/api/webhooks/github`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-github-event": "workflow_run",
          "x-github-delivery": delivery,
          "x-hub-signature-256": b.signature,
        },
        body: b.body,
      });
      await res.arrayBuffer();
      return { status: res.status, ms: performance.now() - start };
    };
    for (let i = 0; i < 20; i++) await send(i, `warm-${i}`); // JIT and statement caches, not counted
    const latencies: number[] = [];
    let stored = 0;
    let replays = 0;
    let failed = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: SENDERS }, async (_, sender) => {
        for (let n = 0; n < PER_SENDER; n++) {
          const replay = n % 10 === 9;
          const r = await send(sender * PER_SENDER + n, replay ? `d-${sender}-${n - 1}` : `d-${sender}-${n}`);
          latencies.push(r.ms);
          if (r.status === 201) stored++;
          else if (r.status === 200 && replay) replays++;
          else failed++;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const db = new Database(dbPath, { readonly: true });
    const rows = (db.prepare("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE delivery_id LIKE 'd-%'").get() as { n: number }).n;
    db.close();
    return [
      { name: `webhook ingest p50 (${SENDERS} senders)`, value: percentile(latencies, 50), unit: "ms" },
      { name: `webhook ingest p95 (${SENDERS} senders)`, value: percentile(latencies, 95), unit: "ms", target: 100 },
      { name: `webhook ingest p99 (${SENDERS} senders)`, value: percentile(latencies, 99), unit: "ms" },
      { name: "webhook deliveries answered", value: latencies.length / seconds, unit: "/s", higherIsBetter: true },
      { name: `webhook replays acknowledged 200, not stored (of ${SENDERS * Math.floor(PER_SENDER / 10)})`, value: replays, unit: "x" },
      {
        name: "webhook deliveries lost or refused (answered 201 not stored, or not 2xx; target 0)",
        value: Math.max(0, stored - rows) + failed,
        unit: "x",
        target: 1,
      },
    ];
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
