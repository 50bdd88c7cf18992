/**
 * Sessions through the queue with workers (issue 14): one real `workdeck serve` on a real
 * PostgreSQL, four accounts of its config marked `runsOn: "worker"` and four real `workdeck
 * worker` processes (one account each, --max-concurrent 1), running the real Claude Code binary
 * against the fake Messages API (two turns, one Bash call per session). The reference, in the
 * same run and on the same server: the same sessions run by the server's own runner on four
 * accounts of its own, `maxConcurrent: 4` (the workers stay attached, idle). Each side's sessions
 * are pinned round-robin to its four accounts, so neither side can take the other's, and run in
 * two halves, in the order server, workers, workers, server. Sessions per minute count from a
 * half's first session's creation to its last one's end (the server's timestamps); the server's
 * CPU and RSS are its process's, the workers and Claude children not counted.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Session } from "@/lib/schemas/sessions";
import type { WorkerSummary } from "@/lib/schemas/workers";
import { FakeAnthropic, type LoggedRequest } from "../tests/support/fake-anthropic";
import { ensureNextBuild, trpcMutate, trpcQuery } from "../tests/support/live-events";
import { startPostgres } from "../tests/support/postgres";
import { serveWorkdeck } from "../tests/support/workdeck-server";
import { startWorkdeckWorker, type WorkerProcess } from "../tests/support/workdeck-worker";
import { holdNextLock, rssMb } from "./local-process";
import { percentile, type BenchRow } from "./stats";

const SESSIONS = 24;
const CONCURRENCY = 4;
const ENDED = new Set(["completed", "failed", "stopped", "interrupted", "crashed"]);

type Batch = { perSecond: number; wallMs: number; waits: number[]; cpuMs: number; rssPeakMb: number };

export async function benchScaleoutWorkers(): Promise<BenchRow[]> {
  // The server serves the .next build: no build may swap it meanwhile.
  const lock = await holdNextLock();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workdeck-bench-workers-"));
  const workers: WorkerProcess[] = (workersOfRun = []);
  const closers: (() => Promise<unknown>)[] = [];
  try {
    ensureNextBuild();
    const fake = await FakeAnthropic.start();
    closers.push(() => fake.close());
    fake.when(
      (r) => r.main,
      (r) => (toolResults(r) < 1 ? { kind: "tool_use", name: "Bash", input: { command: "true" } } : { kind: "text", text: "Done." }),
    );
    const pg = await startPostgres();
    closers.push(() => pg.stop());

    const project = path.join(dir, "project");
    fs.mkdirSync(project);
    const account = (id: string, runsOn: "server" | "worker") => ({
      id,
      configDir: path.join(dir, "claude", id),
      oauthTokenEnv: "BENCH_CLAUDE_TOKEN",
      runsOn,
    });
    const local = ids("local");
    const remote = ids("remote");
    for (const id of [...local, ...remote]) fs.mkdirSync(path.join(dir, "claude", id), { recursive: true });
    const configPath = path.join(dir, "server.config.json");
    fs.writeFileSync(
      configPath,
      JSON.stringify({
        projects: [{ slug: "bench", name: "Bench", path: project }],
        claude: {
          maxConcurrent: CONCURRENCY,
          accounts: [...local.map((id) => account(id, "server")), ...remote.map((id) => account(id, "worker"))],
          defaults: { permissionMode: "bypassPermissions", worktrees: false, maxTurns: 5 },
        },
      }),
    );
    fs.mkdirSync(path.join(dir, "home"));
    const server = await serveWorkdeck({
      dbPath: path.join(dir, "unused.db"),
      configPath,
      env: { WORKDECK_DATABASE_URL: pg.url, WORKDECK_LOG_LEVEL: "warn", BENCH_CLAUDE_TOKEN: "tok-local", ...claudeEnv(dir, fake.url) },
    });
    closers.push(() => server.stop());

    const start = (prompt: string, accountId: string) =>
      trpcMutate<{ id: number }>(server.baseURL, "sessions.start", { projectId: "bench", prompt, overrides: { accountId } });
    for (const id of remote)
      workers.push(
        startWorkdeckWorker({
          name: `bench-${id}`,
          serverURL: server.baseURL,
          dir: path.join(dir, "workers", id),
          // Its login (a token) is in its own environment only.
          accounts: [{ id, configDir: path.join(dir, "claude", id), oauthToken: "tok-remote" }],
          fakeUrl: fake.url,
          maxConcurrent: 1,
          nodeEnv: "production",
        }),
      );
    await until(async () => {
      const listed = await trpcQuery<WorkerSummary[]>(server.baseURL, "workers.list");
      return listed.filter((w) => w.health === "healthy" && w.accounts.every((a) => a.ready)).length === CONCURRENCY;
    }, 60_000);

    const sides = { server: { accounts: local, onWorkers: false }, workers: { accounts: remote, onWorkers: true } };
    const batch = (side: keyof typeof sides, count: number, tag: string) =>
      runBatch(server, count, (i) => start(`bench ${tag} ${i}: run true`, sides[side].accounts[i % CONCURRENCY]!), sides[side].onWorkers);
    // One session on each side first, not counted: the first Claude start reads its binary from disk.
    await batch("server", 1, "warm-up");
    await batch("workers", 1, "warm-up");
    // Halves in the order A B B A, so a change in the machine's load (shared with other work) weighs on both sides alike.
    const runs: Record<keyof typeof sides, Batch[]> = { server: [], workers: [] };
    const alone: Record<keyof typeof sides, number[]> = { server: [], workers: [] };
    for (const [n, side] of (["server", "workers", "workers", "server"] as const).entries()) {
      runs[side].push(await batch(side, SESSIONS / 2, `${side} ${n}`));
      // Then sessions one at a time, with room free: the queue's dispatch, not its depth.
      for (let i = 0; i < PICKUPS / 2; i++) alone[side].push(...(await batch(side, 1, `${side} ${n} alone`)).waits);
    }
    const reference = merge(runs.server);
    const viaWorkers = merge(runs.workers);

    const label = `2 × ${SESSIONS / 2} sessions of 2 turns + 1 Bash call`;
    const perMinute = (b: Batch) => `${(b.perSecond * 60).toFixed(1)}/min, ${(b.wallMs / 1000).toFixed(1)} s`;
    return [
      {
        name: `sessions through the queue, ${CONCURRENCY} workers × 1 on PostgreSQL (${label}: ${perMinute(viaWorkers)})`,
        value: viaWorkers.perSecond,
        unit: "/s",
        higherIsBetter: true,
      },
      {
        name: `the same by the server's own runner, maxConcurrent ${CONCURRENCY} (reference: ${perMinute(reference)})`,
        value: reference.perSecond,
        unit: "/s",
        higherIsBetter: true,
      },
      {
        name: "sessions per minute, workers / the server's own runner",
        value: (100 * viaWorkers.perSecond) / reference.perSecond,
        unit: "%",
      },
      { name: "queued → started p50, workers", value: percentile(viaWorkers.waits, 50), unit: "ms" },
      { name: "queued → started p95, workers", value: percentile(viaWorkers.waits, 95), unit: "ms" },
      { name: "queued → started p50, the server's own runner", value: percentile(reference.waits, 50), unit: "ms" },
      { name: "queued → started p95, the server's own runner", value: percentile(reference.waits, 95), unit: "ms" },
      {
        name: `queued → started with room free, workers (p50 of ${PICKUPS} sessions, one at a time)`,
        value: percentile(alone.workers, 50),
        unit: "ms",
      },
      {
        name: `queued → started with room free, the server's own runner (p50 of ${PICKUPS})`,
        value: percentile(alone.server, 50),
        unit: "ms",
      },
      { name: "serve CPU over the workers' batches", value: viaWorkers.cpuMs, unit: "ms" },
      { name: "serve CPU over the own runner's batches (its Claude children not counted)", value: reference.cpuMs, unit: "ms" },
      { name: "serve RSS peak, workers' batches", value: viaWorkers.rssPeakMb, unit: "MB" },
      { name: "serve RSS peak, own runner's batches", value: reference.rssPeakMb, unit: "MB" },
    ];
  } finally {
    // SIGTERM ends a worker's runs; then the fake, so a Claude still waiting on it exits.
    await Promise.all(workers.map((w) => w.stop()));
    for (const close of closers.reverse()) await close().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    await lock.release();
  }
}

/** The workers of the run, for the error of a batch that does not finish. */
let workersOfRun: WorkerProcess[] = [];
/** Sessions started one at a time with room free, per side (half after each of its two batches). */
const PICKUPS = 4;

/** Two halves of one side as one batch: their sessions over their summed wall time. */
function merge(halves: Batch[]): Batch {
  const wallMs = halves.reduce((t, b) => t + b.wallMs, 0);
  const sessions = halves.reduce((t, b) => t + b.perSecond * (b.wallMs / 1000), 0);
  return {
    perSecond: sessions / (wallMs / 1000),
    wallMs,
    waits: halves.flatMap((b) => b.waits),
    cpuMs: halves.reduce((t, b) => t + b.cpuMs, 0),
    rssPeakMb: Math.max(...halves.map((b) => b.rssPeakMb)),
  };
}

const ids = (prefix: string) => Array.from({ length: CONCURRENCY }, (_, i) => `${prefix}-${i + 1}`);

function toolResults(req: LoggedRequest): number {
  return (req.body?.messages ?? []).reduce(
    (n, m) => n + (Array.isArray(m.content) ? m.content.filter((b) => b.type === "tool_result").length : 0),
    0,
  );
}

/** What the server's Claude Code needs to talk to the fake, offline (a worker's gets the same from startWorkdeckWorker). */
function claudeEnv(dir: string, fakeUrl: string): Record<string, string> {
  return {
    HOME: path.join(dir, "home"),
    ANTHROPIC_BASE_URL: fakeUrl,
    IS_SANDBOX: "1",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_AUTOUPDATER: "1",
  };
}

/**
 * Queues `count` sessions, waits until every one has ended (polling once a second: the figures
 * come from the server's timestamps, not from the poll) and measures the batch.
 */
async function runBatch(
  server: { baseURL: string; pid: number },
  count: number,
  start: (i: number) => Promise<{ id: number }>,
  onWorkers: boolean,
): Promise<Batch> {
  let rssPeakMb = rssMb(server.pid);
  const sampler = setInterval(() => (rssPeakMb = Math.max(rssPeakMb, rssMb(server.pid))), 250);
  const cpuBefore = cpuMs(server.pid);
  try {
    const queued: number[] = [];
    for (let i = 0; i < count; i++) queued.push((await start(i)).id);
    await until(async () => {
      const listed = await trpcQuery<{ id: number; status: string }[]>(server.baseURL, "sessions.list", {
        projectId: "bench",
        limit: 1000,
      });
      return queued.every((id) => ENDED.has(listed.find((s) => s.id === id)?.status ?? ""));
    }, 300_000);
    const cpu = cpuMs(server.pid) - cpuBefore;
    const sessions = await Promise.all(queued.map((id) => trpcQuery<Session>(server.baseURL, "sessions.get", { id })));
    // A batch measures one side only: a session run by the other would make the figure a mix.
    const failed = sessions.filter((s) => s.status !== "completed" || (s.worker !== null) !== onWorkers);
    if (failed.length)
      throw new Error(
        `bench workers: ${failed.length}/${count} did not complete ${onWorkers ? "on a worker" : "on the server"}: ${failed.map((s) => `${s.id} ${s.status} (${s.worker ?? "server"}): ${s.exitMessage}`).join("; ")}`,
      );
    const first = Math.min(...sessions.map((s) => new Date(s.createdAt).getTime()));
    const last = Math.max(...sessions.map((s) => new Date(s.endedAt!).getTime()));
    return {
      perSecond: count / ((last - first) / 1000),
      wallMs: last - first,
      waits: sessions.map((s) => new Date(s.startedAt!).getTime() - new Date(s.createdAt).getTime()),
      cpuMs: cpu,
      rssPeakMb,
    };
  } finally {
    clearInterval(sampler);
  }
}

/** User + system CPU time of a process so far, in ms (Linux: /proc/<pid>/stat, in clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function until(ok: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) {
      const workers = workersOfRun.map((w) => `--- worker ${w.name}\n${w.output().slice(-4000)}`).join("\n");
      throw new Error(`bench workers: timed out after ${timeoutMs / 1000} s\n${workers}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printRows } = await import("./stats");
  printRows(await benchScaleoutWorkers());
  process.exit(0);
}
