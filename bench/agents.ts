import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { POST } from "@/app/api/hooks/route";
import { startRuntime, stopRuntime } from "@/server/runtime-boot";
import { listActive } from "@/server/agents/service";
import { hookSession } from "../tests/support/hook-payloads";
import { emptyProject, oneProjectEnv } from "../tests/support/runtime-env";
import { percentile, type BenchRow } from "./stats";

/**
 * Agents figures of issue 5: sustained hook events per second through POST /api/hooks (the route
 * handler, with an open agents subscription draining the bus as the dashboard would), and
 * agents.listActive latency with a million stored events.
 */
export async function benchAgents(): Promise<BenchRow[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workdeck-bench-agents-"));
  try {
    const project = emptyProject(dir, "bench");
    const { env } = oneProjectEnv(dir, { slug: "bench", path: project }, { db: "agents.db" });
    const runtime = await startRuntime(env, { watch: false });

    // 1. Sustained ingest: 20 agents, each a realistic mix (Pre/Post pairs, prompts, stops).
    const controller = new AbortController();
    let consumed = 0;
    const consumer = (async () => {
      for await (const _ of runtime.bus.stream({
        filter: { types: ["agents.activity", "agents.needsYou", "agents.ended"] },
        signal: controller.signal,
      }))
        consumed++;
    })();
    const bodies = ingestMix(project, 20, 10_000);
    for (let i = 0; i < 200; i++) await post(bodies[i % bodies.length]!); // warm-up
    const started = performance.now();
    for (const body of bodies) {
      const res = await post(body);
      if (res.status !== 201) throw new Error(`hook ingest answered ${res.status}: ${await res.text()}`);
    }
    const perSecond = bodies.length / ((performance.now() - started) / 1000);
    await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    await consumer;

    // 2. A million stored events over 10,000 sessions (50 still running), batched inserts.
    const seedStart = performance.now();
    seedMillion(runtime.db!.$client, Date.now());
    const seedMs = performance.now() - seedStart;
    const total = (runtime.db!.$client.prepare("SELECT count(*) AS n FROM hooks").get() as { n: number }).n;
    const latencies: number[] = [];
    let active = 0;
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      active = (await listActive(runtime)).length;
      latencies.push(performance.now() - t);
    }
    const filtered: number[] = [];
    for (let i = 0; i < 100; i++) {
      const t = performance.now();
      await listActive(runtime, { projectId: "bench" });
      filtered.push(performance.now() - t);
    }
    await stopRuntime();

    return [
      {
        name: `agents hook ingest through POST /api/hooks, subscription open (${consumed.toLocaleString("en")} events consumed)`,
        value: perSecond,
        unit: "/s",
        target: 2000,
        higherIsBetter: true,
      },
      {
        name: `agents.listActive p50, ${(total / 1e6).toFixed(2)}M stored events, ${active} active sessions`,
        value: percentile(latencies, 50),
        unit: "ms",
        target: 20,
      },
      { name: "agents.listActive p95, same", value: percentile(latencies, 95), unit: "ms", target: 20 },
      { name: "agents.listActive p50, one project", value: percentile(filtered, 50), unit: "ms", target: 20 },
      { name: "agents seeding 1M events (setup, batched inserts)", value: seedMs, unit: "ms" },
    ];
  } finally {
    await stopRuntime();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function post(body: string): Promise<Response> {
  return POST(new Request("http://127.0.0.1/api/hooks", { method: "POST", body, headers: { "content-type": "application/json" } }));
}

/** `count` hook bodies from `agents` interleaved sessions: prompt, then Read/Bash/Edit pairs, a failure now and then, a stop. */
function ingestMix(cwd: string, agents: number, count: number): string[] {
  const sessions = Array.from({ length: agents }, (_, i) => hookSession(`bench-live-${i}`, cwd));
  const out: string[] = [];
  const tools = ["Read", "Bash", "Edit", "Grep"];
  for (let n = 0; out.length < count; n++) {
    const h = sessions[n % agents]!;
    const step = Math.floor(n / agents);
    const id = `toolu_${n}`;
    const tool = tools[step % tools.length]!;
    const input = { file_path: `src/file-${step}.ts`, command: "npm test" };
    if (step % 20 === 0) out.push(JSON.stringify(h.prompt(`task ${step}`)));
    out.push(JSON.stringify(h.pre(id, tool, input)));
    out.push(
      JSON.stringify(step % 9 === 0 ? h.failure(id, tool, input, "Exit code 1") : h.post(id, tool, input, { stdout: "ok", stderr: "" })),
    );
    if (step % 20 === 19) out.push(JSON.stringify(h.stop("done")));
  }
  return out.slice(0, count);
}

/** 1,000,000 hooks rows + their 10,000 session summaries, inserted directly in 10,000-row transactions. */
function seedMillion(sqlite: import("better-sqlite3").Database, now: number): void {
  const insertHook = sqlite.prepare(
    "INSERT INTO hooks (session_id, event, tool_name, tool_use_id, cwd, project_slug, payload, received_at, duration_ms, success) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const insertSession = sqlite.prepare(
    `INSERT OR REPLACE INTO agent_sessions (session_id, project_slug, cwd, status, started_at, last_event_at, last_event, tool_count, failure_count, duration_sum_ms, duration_count, prompt_count, event_count, ended_at, end_reason)
     VALUES (?, ?, '/bench', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const SESSIONS = 10_000;
  const PER = 100;
  const payload = JSON.stringify({
    session_id: "x",
    hook_event_name: "PostToolUse",
    tool_name: "Read",
    tool_input: { file_path: "src/a.ts" },
    tool_response: { type: "text" },
  });
  const batch = sqlite.transaction((from: number) => {
    for (let s = from; s < from + 100; s++) {
      const sessionId = `seed-${s}`;
      const start = now - 30 * 24 * 3600_000 + s * 60_000;
      for (let e = 0; e < PER; e++) {
        const isPost = e % 2 === 1;
        insertHook.run(
          sessionId,
          isPost ? "PostToolUse" : "PreToolUse",
          "Read",
          `seed_${s}_${e >> 1}`,
          "/bench",
          s % 3 === 0 ? "bench" : null,
          payload,
          start + e * 1000,
          isPost ? 1000 : null,
          isPost ? 1 : null,
        );
      }
      // The last 50 sessions are still running; the rest ended.
      const running = s >= SESSIONS - 50;
      const last = running ? now - (SESSIONS - s) * 1000 : start + PER * 1000;
      insertSession.run(
        sessionId,
        s % 3 === 0 ? "bench" : null,
        running ? "active" : "ended",
        start,
        last,
        running ? "PostToolUse" : "SessionEnd",
        PER / 2,
        0,
        (PER / 2) * 1000,
        PER / 2,
        1,
        PER,
        running ? null : last,
        running ? null : "other",
      );
    }
  });
  for (let s = 0; s < SESSIONS; s += 100) batch(s);
}
