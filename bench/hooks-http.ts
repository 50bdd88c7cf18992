import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import Database from "better-sqlite3";
import { hookSession } from "../tests/support/hook-payloads";
import { freePort, rssMb, withoutToken } from "./local-process";
import { percentile, type BenchRow } from "./stats";

const repoRoot = path.resolve(import.meta.dirname, "..");
const CONNECTIONS = 16;
const ROUNDS = Number(process.env.BENCH_HOOK_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_HOOK_SECONDS ?? 5);
/**
 * The checkout whose `workdeck serve` is loaded (another one, to measure a "before" on the same
 * machine). It needs its own `.next` build: a build of other sources does not match its server.
 */
const WORKDECK_ROOT = process.env.BENCH_WORKDECK_ROOT ?? repoRoot;
/** Node flags for the served process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to see where its time goes. */
const NODE_ARGS = (process.env.BENCH_WORKDECK_NODE_ARGS ?? "").split(" ").filter(Boolean);
const START_TIMEOUT_S = Number(process.env.BENCH_START_TIMEOUT_S ?? 1200);

type Server = { name: string; url: string; proc: ChildProcess; pid: () => number; rows(prefix: string): number; stop(): Promise<void> };
type Load = { acked: number; failed: number; latencies: number[]; seconds: number };

/**
 * Issue 12: hook ingest over real HTTP, as Claude Code sends it. 16 keep-alive connections, each
 * an agent posting PreToolUse/PostToolUse pairs (Bash and Read, with their inputs and results)
 * one after another, against `workdeck serve` (its own process, on a temp database) and against
 * a bare Node http + better-sqlite3 server (bench/hook-ceiling-server.mjs) as the ceiling,
 * interleaved for ROUNDS rounds of SECONDS each. Lost = answered 201 but not in the database.
 */
export async function benchHooksHttp(): Promise<BenchRow[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workdeck-bench-hooks-http-"));
  const servers: Server[] = [];
  try {
    const project = path.join(dir, "bench");
    fs.mkdirSync(path.join(project, "openspec"), { recursive: true });
    const workdeck = await startWorkdeck(dir, project);
    servers.push(workdeck);
    const ceiling = await startCeiling(dir);
    servers.push(ceiling);
    const idleRss = { workdeck: rssMb(workdeck.pid()), ceiling: rssMb(ceiling.pid()) };

    // Warm-up (JIT, statement caches, Next's lazy parts) on both, not counted.
    for (const s of servers) await load(s.url, project, "warm", 1);
    const totals = new Map<Server, Load & { lost: number; rss: number; cpuMs: number }>(
      servers.map((s) => [s, { acked: 0, failed: 0, latencies: [], seconds: 0, lost: 0, rss: 0, cpuMs: 0 }]),
    );
    for (let round = 0; round < ROUNDS; round++) {
      for (const s of round % 2 ? [...servers].reverse() : servers) {
        const prefix = `r${round}`;
        const cpuBefore = cpuMs(s.pid());
        const l = await load(s.url, project, prefix, SECONDS);
        const t = totals.get(s)!;
        t.cpuMs += cpuMs(s.pid()) - cpuBefore;
        t.acked += l.acked;
        t.failed += l.failed;
        // One by one: a long round (BENCH_HOOK_SECONDS) outgrows a spread's argument limit.
        for (const ms of l.latencies) t.latencies.push(ms);
        t.seconds += l.seconds;
        t.rss = Math.max(t.rss, rssMb(s.pid()));
        t.lost += Math.max(0, l.acked - s.rows(`${prefix}-`));
      }
    }
    const w = totals.get(workdeck)!;
    const c = totals.get(ceiling)!;
    const rate = (t: Load) => t.acked / t.seconds;
    return [
      { name: `hook ingest over HTTP, workdeck serve (${CONNECTIONS} connections, ${ROUNDS}×${SECONDS} s)`, value: rate(w), unit: "/s" },
      { name: "hook ingest over HTTP, ceiling (bare Node http + one prepared better-sqlite3 INSERT)", value: rate(c), unit: "/s" },
      { name: "hook ingest over HTTP, workdeck / ceiling", value: (100 * rate(w)) / rate(c), unit: "%", target: 50, higherIsBetter: true },
      { name: "hook ingest over HTTP, workdeck p99", value: percentile(w.latencies, 99), unit: "ms", target: 20 },
      { name: "hook ingest over HTTP, workdeck p50", value: percentile(w.latencies, 50), unit: "ms" },
      { name: "hook ingest over HTTP, ceiling p99", value: percentile(c.latencies, 99), unit: "ms" },
      { name: "hook ingest over HTTP, ceiling p50", value: percentile(c.latencies, 50), unit: "ms" },
      // CPU time of the server process per stored event: what each event costs, whatever else the machine runs.
      // Per 1,000 events, so the printed whole number keeps the few µs a change to the hook path moves.
      { name: "hook ingest over HTTP, workdeck CPU per 1,000 events (server process)", value: (1000 * w.cpuMs) / w.acked, unit: "ms" },
      { name: "hook ingest over HTTP, ceiling CPU per 1,000 events (server process)", value: (1000 * c.cpuMs) / c.acked, unit: "ms" },
      { name: "hook ingest over HTTP, workdeck events lost (answered 201, not stored; target 0)", value: w.lost, unit: "x", target: 1 },
      { name: "hook ingest over HTTP, workdeck refused or failed posts", value: w.failed, unit: "x" },
      { name: "hook ingest over HTTP, workdeck RSS idle", value: idleRss.workdeck, unit: "MB" },
      { name: "hook ingest over HTTP, workdeck RSS loaded (max)", value: w.rss, unit: "MB" },
      { name: "hook ingest over HTTP, ceiling RSS idle", value: idleRss.ceiling, unit: "MB" },
      { name: "hook ingest over HTTP, ceiling RSS loaded (max)", value: c.rss, unit: "MB" },
    ];
  } finally {
    for (const s of servers) await s.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** 16 agents, each posting its next event as soon as the previous one is answered, for `seconds`. */
async function load(url: string, cwd: string, prefix: string, seconds: number): Promise<Load> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const latencies: number[] = [];
  let acked = 0;
  let failed = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, c) => {
      const next = agentTraffic(`${prefix}-${c}`, cwd);
      while (performance.now() < end) {
        const body = next();
        const t0 = performance.now();
        const status = await postOnce(agent, url, body);
        latencies.push(performance.now() - t0);
        if (status === 201) acked++;
        else failed++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  return { acked, failed, latencies, seconds: elapsed };
}

/** One agent's tool calls: Pre then Post, alternating a Bash run and a Read with their real-sized results. */
export function agentTraffic(sessionId: string, cwd: string): () => string {
  const h = hookSession(sessionId, cwd);
  const fileText = "export function add(a: number, b: number) {\n  return a + b;\n}\n".repeat(30);
  const stdout = " ✓ tests/unit/add.test.ts (3 tests) 4ms\n".repeat(25);
  let n = 0;
  return () => {
    const call = n >> 1;
    const id = `toolu_${sessionId}_${call}`;
    const pre = n++ % 2 === 0;
    if (call % 2 === 0) {
      const input = { command: "npm test -- --run", description: "Run the unit tests" };
      return JSON.stringify(
        pre ? h.pre(id, "Bash", input) : h.post(id, "Bash", input, { stdout, stderr: "", interrupted: false, isImage: false }),
      );
    }
    const input = { file_path: `${cwd}/src/add.ts` };
    const result = { type: "text", file: { filePath: input.file_path, content: fileText, numLines: 90, startLine: 1, totalLines: 90 } };
    return JSON.stringify(pre ? h.pre(id, "Read", input) : h.post(id, "Read", input, result));
  };
}

function postOnce(agent: http.Agent, url: string, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request(
      `${url}/api/hooks`,
      { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", () => resolve(0));
    req.end(body);
  });
}

/** `workdeck serve` as a user runs it, on a temp database; under the .next lock, so no build swaps the files it serves meanwhile. */
async function startWorkdeck(dir: string, project: string): Promise<Server> {
  const config = path.join(dir, "config.json");
  fs.writeFileSync(config, JSON.stringify({ projects: [{ slug: "bench", path: project }] }));
  const dbPath = path.join(dir, "workdeck.db");
  const port = await freePort();
  const proc = spawn(
    "flock",
    [
      "/tmp/workdeck-next.lock",
      process.execPath,
      ...NODE_ARGS,
      path.join(WORKDECK_ROOT, "bin", "workdeck.mjs"),
      "serve",
      "--port",
      String(port),
    ],
    {
      env: {
        ...withoutToken(process.env),
        WORKDECK_DB: dbPath,
        WORKDECK_CONFIG: config,
        WORKDECK_LOG_LEVEL: "warn",
        NEXT_TELEMETRY_DISABLED: "1",
        HOME: dir,
      },
      stdio: ["ignore", "pipe", "inherit"],
      detached: true,
    },
  );
  const started = new Promise<void>((resolve, reject) => {
    // The wait includes flock's: an e2e run or a build may hold the .next lock for minutes.
    const timer = setTimeout(
      () => reject(new Error(`workdeck serve did not start within ${START_TIMEOUT_S} s (or the .next lock stayed taken)`)),
      START_TIMEOUT_S * 1000,
    );
    readline.createInterface({ input: proc.stdout! }).on("line", (line) => {
      if (line.startsWith("Workdeck is running at")) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once("exit", (code) => reject(new Error(`workdeck serve exited (${code}) before it answered`)));
  });
  await started.catch((err: unknown) => {
    // Not left behind waiting for the lock (its process group: flock and the server under it).
    if (proc.exitCode === null) process.kill(-proc.pid!, "SIGKILL");
    throw err;
  });
  return server("workdeck", `http://127.0.0.1:${port}`, proc, dbPath, () => childPid(proc.pid!));
}

async function startCeiling(dir: string): Promise<Server> {
  const dbPath = path.join(dir, "ceiling.db");
  const proc = spawn(process.execPath, [path.join(repoRoot, "bench", "hook-ceiling-server.mjs"), dbPath], {
    stdio: ["ignore", "pipe", "inherit"],
    detached: true,
  });
  const port = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: proc.stdout! }).once("line", resolve);
    proc.once("exit", (code) => reject(new Error(`the ceiling server exited (${code})`)));
  });
  return server("ceiling", `http://127.0.0.1:${port}`, proc, dbPath, () => proc.pid!);
}

function server(name: string, url: string, proc: ChildProcess, dbPath: string, pid: () => number): Server {
  return {
    name,
    url,
    proc,
    pid,
    rows(prefix) {
      const db = new Database(dbPath, { readonly: true });
      try {
        return (
          db.prepare("SELECT count(*) AS n FROM hooks WHERE session_id >= ? AND session_id < ?").get(prefix, `${prefix}\uffff`) as {
            n: number;
          }
        ).n;
      } finally {
        db.close();
      }
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once("exit", r));
      // Its process group: flock and the server under it (both started here, detached).
      process.kill(-proc.pid!, "SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (proc.exitCode === null && proc.signalCode === null) process.kill(-proc.pid!, "SIGKILL");
    },
  };
}

/** The server under flock (flock forks it; the RSS to report is the server's). */
function childPid(pid: number): number {
  const children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
  return children.length ? Number(children[0]) : pid;
}

/** User + system CPU time of a process (all its threads), from /proc. */
function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  // Fields 14 and 15 of stat (utime, stime), counted from the state field (3rd).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}
/** Linux reports CPU time in USER_HZ ticks, 100 a second on every mainstream build. */
const CLOCK_TICKS = 100;

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printRows } = await import("./stats");
  printRows(await benchHooksHttp());
}
