import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import Database from "better-sqlite3";
import { hookSession } from "../tests/support/hook-payloads";
import { generateOpenSpecRoot } from "./generate-openspec";
import { generatePlaywrightReport } from "./generate-playwright";
import { freePort, holdNextLock, rssMb, withoutToken } from "./local-process";
import { percentile, type BenchRow } from "./stats";

const repoRoot = path.resolve(import.meta.dirname, "..");
const WORKDECK = path.join(repoRoot, "bin", "workdeck.mjs");
const OFFICIAL = path.join(repoRoot, "node_modules/@fission-ai/openspec/bin/openspec.js");
const NEXT_BIN = path.join(repoRoot, "node_modules/next/dist/bin/next");
const RUNS = Number(process.env.BENCH_CLI_RUNS ?? 7);
const SERVE_ROUNDS = Number(process.env.BENCH_SERVE_ROUNDS ?? 3);

type Ctx = { dir: string; root: string; env: NodeJS.ProcessEnv };
type Started = { url: string; firstAnswerMs: number; pid: number; logFile: string; stop(): Promise<void> };

/**
 * Issue 12: the CLI and the server as whole processes, side by side in one run. The compiled
 * `workdeck` (dist/server, built first if stale) against the official OpenSpec CLI on the same
 * root, against the same commands run from source through tsx (WORKDECK_SERVER_BUILD=off, the
 * "before"), and `workdeck serve` against `next start` of the same .next build: time from spawn
 * to the first answer of GET /login (a page that needs no data, so both can answer it) and RSS
 * once idle. Runs are interleaved so a machine's drift hits every side alike.
 */
/** The CLI commands beside the official OpenSpec CLI and the sources. */
export function benchCliCommands(): Promise<BenchRow[]> {
  return withWorkspace(async (ctx) => benchCommands(ctx));
}

/** `workdeck serve` beside `next start`, and `workdeck hooks send` to it. */
export function benchServeProcesses(): Promise<BenchRow[]> {
  return withWorkspace((ctx) => benchServe(ctx));
}

async function withWorkspace(fn: (ctx: Ctx) => Promise<BenchRow[]>): Promise<BenchRow[]> {
  const build = spawnSync(process.execPath, [path.join(repoRoot, "scripts/build-server.mjs"), "--if-needed"], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (build.status !== 0) throw new Error("npm run build:server failed");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workdeck-bench-cli-"));
  try {
    const root = path.join(dir, "workspace", "big");
    generateOpenSpecRoot(root, { changeCount: 1000, specCount: 200 });
    const configPath = path.join(dir, "config.json");
    fs.writeFileSync(configPath, JSON.stringify({ projects: [{ slug: "big", path: root }] }));
    // Compiled or nothing: a stale build must fail the bench, not quietly measure tsx.
    const env = {
      ...withoutToken(process.env),
      WORKDECK_SERVER_BUILD: "required",
      WORKDECK_DB: path.join(dir, "workdeck.db"),
      WORKDECK_CONFIG: configPath,
      WORKDECK_LOG_LEVEL: "warn",
      NEXT_TELEMETRY_DISABLED: "1",
      HOME: dir,
    };
    return await fn({ dir, root, env });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function benchCommands(ctx: Ctx): BenchRow[] {
  const source = { ...ctx.env, WORKDECK_SERVER_BUILD: "off" };
  // Ten runs of 2,000 tests (through the CLI, as CI pipelines do) give errors list real groups.
  const ingest: number[] = [];
  for (let run = 1; run <= 10; run++) {
    const file = path.join(ctx.dir, `report-${run}.json`);
    fs.writeFileSync(file, generatePlaywrightReport({ tests: 2000, run }));
    ingest.push(timed(WORKDECK, ["ingest", file, "--project", "big", "--json"], ctx.env).ms);
  }

  const officialEnv = { ...ctx.env, OPENSPEC_TELEMETRY: "0", DO_NOT_TRACK: "1", OPENSPEC_NO_UPDATE_CHECK: "1", NO_COLOR: "1" };
  const listArgs = ["openspec", "list", "--json", "--root", ctx.root];
  const errorsArgs = ["errors", "list", "--project", "big", "--json"];
  const t = {
    official: [] as number[],
    list: [] as number[],
    errors: [] as number[],
    listSource: [] as number[],
    errorsSource: [] as number[],
  };
  let groups = 0;
  for (let i = 0; i <= RUNS; i++) {
    const official = timed(OFFICIAL, ["list", "--json"], officialEnv, ctx.root);
    const list = timed(WORKDECK, listArgs, ctx.env);
    // A fast wrong answer is not a fast answer.
    // (Without lastModified: sub-millisecond mtimes round differently, a conformance matter, not a speed one.)
    if (!isDeepStrictEqual(withoutMtimes(list.stdout), withoutMtimes(official.stdout))) {
      fs.writeFileSync(path.join(os.tmpdir(), "workdeck-bench-openspec-official.json"), official.stdout);
      fs.writeFileSync(path.join(os.tmpdir(), "workdeck-bench-openspec-workdeck.json"), list.stdout);
      throw new Error(
        `workdeck openspec list --json differs from the official CLI's answer (both kept in ${os.tmpdir()}/workdeck-bench-openspec-*.json)`,
      );
    }
    const errors = timed(WORKDECK, errorsArgs, ctx.env);
    groups = (JSON.parse(errors.stdout) as unknown[]).length;
    if (i === 0) continue; // warm-up: the file cache, not counted
    t.official.push(official.ms);
    t.list.push(list.ms);
    t.errors.push(errors.ms);
    if (i <= 3) {
      t.listSource.push(timed(WORKDECK, listArgs, source).ms);
      t.errorsSource.push(timed(WORKDECK, errorsArgs, source).ms);
    }
  }
  if (groups === 0) throw new Error("errors list --json answered no failure groups after the ingests");
  const p50 = (v: number[]) => percentile(v, 50);
  return [
    { name: "`workdeck openspec list --json`, 1,000 changes (compiled, p50)", value: p50(t.list), unit: "ms" },
    { name: "official `openspec list --json` on the same root (p50)", value: p50(t.official), unit: "ms" },
    { name: "ratio: workdeck / official CLI", value: p50(t.list) / p50(t.official), unit: "x", target: 0.5 },
    { name: "`workdeck openspec list --json` from source (tsx, before)", value: p50(t.listSource), unit: "ms" },
    { name: `\`workdeck errors list --json\`, ${groups} groups (compiled, p50)`, value: p50(t.errors), unit: "ms", target: 400 },
    { name: "`workdeck errors list --json` from source (tsx, before)", value: p50(t.errorsSource), unit: "ms" },
    { name: "`workdeck ingest` of a 2,000-test report (compiled, p50 of 10)", value: p50(ingest), unit: "ms" },
  ];
}

async function benchServe(big: Ctx): Promise<BenchRow[]> {
  // The servers show the demo workspace (what a first `npm start` shows), not the 1,000-change root:
  // the figures are the process's own, not a big project's cache.
  const demo = path.join(big.dir, "demo");
  fs.cpSync(path.join(repoRoot, "examples/demo-workspace"), demo, { recursive: true });
  const configPath = path.join(big.dir, "demo-config.json");
  const slugs = fs.readdirSync(demo, { withFileTypes: true }).filter((d) => d.isDirectory());
  fs.writeFileSync(configPath, JSON.stringify({ projects: slugs.map((d) => ({ slug: d.name, path: path.join(demo, d.name) })) }));
  const ctx: Ctx = { dir: big.dir, root: path.join(demo, "billing-api"), env: { ...big.env, WORKDECK_CONFIG: configPath } };
  const lock = await holdNextLock();
  try {
    // Both servers serve the same build: the current one, made first if the sources changed.
    const build = spawnSync(process.execPath, [WORKDECK, "build", "--if-needed"], {
      cwd: repoRoot,
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    });
    if (build.status !== 0) {
      // Sources mid-edit may not build; the previous build still compares the two servers.
      if (!fs.existsSync(path.join(repoRoot, ".next", "BUILD_ID")))
        throw new Error("workdeck build --if-needed failed and there is no earlier build");
      process.stderr.write("bench: the build failed; measuring the previous .next build\n");
    }
    const first = { serve: [] as number[], next: [] as number[] };
    const rss = { serve: [] as number[], next: [] as number[] };
    let hooks: BenchRow[] = [];
    let tabsRss = NaN;
    for (let round = 0; round < SERVE_ROUNDS; round++) {
      for (const kind of round % 2 ? (["next", "serve"] as const) : (["serve", "next"] as const)) {
        const s = kind === "serve" ? await startServe(ctx.env) : await startNext(ctx.env);
        try {
          first[kind].push(s.firstAnswerMs);
          rss[kind].push(await idleRss(s));
          if (kind === "serve" && round === 0) {
            hooks = benchHooksSend(ctx, s.url);
            // Informational: a tab that fails to render (sources mid-edit) must not cost the other figures.
            try {
              for (const tab of ["/work", "/specs", "/errors", "/sessions", "/settings"]) await get(`${s.url}${tab}`);
              tabsRss = await idleRss(s);
            } catch (err) {
              process.stderr.write(`bench: rendering the tabs failed (${(err as Error).message}); RSS after tabs not measured\n`);
            }
          }
        } catch (err) {
          throw new Error(`${kind}: ${(err as Error).message}\n${fs.readFileSync(s.logFile, "utf8").slice(-2000)}`);
        } finally {
          await s.stop();
        }
      }
    }
    const before = await startServe({ ...ctx.env, WORKDECK_SERVER_BUILD: "off" });
    let beforeRss: number;
    try {
      beforeRss = await idleRss(before);
    } finally {
      await before.stop();
    }
    const p50 = (v: number[]) => percentile(v, 50);
    return [
      ...hooks,
      {
        name: `\`workdeck serve\` spawn → first answer of GET /login (compiled, p50 of ${SERVE_ROUNDS})`,
        value: p50(first.serve),
        unit: "ms",
      },
      { name: "`next start` of the same build, spawn → first answer of GET /login (p50)", value: p50(first.next), unit: "ms" },
      { name: "ratio: workdeck serve / next start, first answer", value: p50(first.serve) / p50(first.next), unit: "x" },
      { name: "`workdeck serve` from source (tsx, before), spawn → first answer", value: before.firstAnswerMs, unit: "ms" },
      { name: "`workdeck serve` idle RSS (compiled, p50)", value: p50(rss.serve), unit: "MB", target: 150 },
      { name: "`next start` idle RSS (p50)", value: p50(rss.next), unit: "MB" },
      { name: "`workdeck serve` idle RSS from source (tsx, before)", value: beforeRss, unit: "MB" },
      { name: "`workdeck serve` RSS after each tab rendered once (compiled)", value: tabsRss, unit: "MB" },
    ];
  } finally {
    await lock.release();
  }
}

/** `workdeck hooks send` as a `command` hook runs it: a payload on stdin, posted to the server. */
function benchHooksSend(ctx: Ctx, url: string): BenchRow[] {
  const h = hookSession("bench-hooks-send", ctx.root);
  const env = { ...ctx.env, WORKDECK_URL: url, WORKDECK_SPOOL_DIR: path.join(ctx.dir, "spool") };
  const times: number[] = [];
  for (let i = 0; i <= RUNS * 2; i++) {
    const payload = JSON.stringify(h.pre(`toolu_${i}`, "Bash", { command: "npm test", description: "Run the tests" }));
    const r = timed(WORKDECK, ["hooks", "send"], env, undefined, payload);
    if (i > 0) times.push(r.ms);
  }
  const db = new Database(ctx.env.WORKDECK_DB!, { readonly: true });
  const stored = (db.prepare("SELECT count(*) AS n FROM hooks WHERE session_id = ?").get("bench-hooks-send") as { n: number }).n;
  db.close();
  if (stored !== RUNS * 2 + 1) throw new Error(`hooks send: ${stored} of ${RUNS * 2 + 1} events stored`);
  return [
    { name: `\`workdeck hooks send\` to a running server (p50 of ${times.length})`, value: percentile(times, 50), unit: "ms", target: 100 },
    { name: "`workdeck hooks send` (max)", value: Math.max(...times), unit: "ms" },
  ];
}

function withoutMtimes(json: string): unknown {
  return JSON.parse(json, (key, value: unknown) => (key === "lastModified" ? undefined : value));
}

function timed(script: string, args: string[], env: NodeJS.ProcessEnv, cwd = repoRoot, input?: string): { ms: number; stdout: string } {
  const start = performance.now();
  const r = spawnSync(process.execPath, [script, ...args], { cwd, env, input, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`${path.basename(script)} ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

function startServe(env: NodeJS.ProcessEnv): Promise<Started> {
  return startAndWait((port, log) =>
    spawn(process.execPath, [WORKDECK, "serve", "--port", String(port)], {
      cwd: repoRoot,
      env,
      stdio: ["ignore", "ignore", log],
      detached: true,
    }),
  );
}

function startNext(env: NodeJS.ProcessEnv): Promise<Started> {
  return startAndWait((port, log) =>
    spawn(process.execPath, [NEXT_BIN, "start", "-p", String(port), "-H", "127.0.0.1"], {
      cwd: repoRoot,
      env,
      stdio: ["ignore", "ignore", log],
      detached: true,
    }),
  );
}

/** Spawns, then asks GET /login every 10 ms until it answers 200. */
async function startAndWait(start: (port: number, log: number) => ChildProcess): Promise<Started> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // Its stderr, for the error a failed run reports.
  const logFile = path.join(os.tmpdir(), `workdeck-bench-server-${port}.log`);
  const log = fs.openSync(logFile, "w");
  const t0 = performance.now();
  const proc = start(port, log);
  fs.closeSync(log);
  let exited = false;
  proc.once("exit", () => (exited = true));
  const stop = async () => {
    if (exited) return;
    const gone = new Promise((r) => proc.once("exit", r));
    process.kill(-proc.pid!, "SIGTERM");
    await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000))]);
    if (!exited) process.kill(-proc.pid!, "SIGKILL");
  };
  while (performance.now() - t0 < 120_000) {
    if (exited) throw new Error(`the server exited before it answered (${url}):\n${fs.readFileSync(logFile, "utf8").slice(-2000)}`);
    if ((await get(`${url}/login`).catch(() => 0)) === 200)
      return { url, firstAnswerMs: performance.now() - t0, pid: proc.pid!, logFile, stop };
    await new Promise((r) => setTimeout(r, 10));
  }
  await stop();
  throw new Error(`no answer from ${url} within 120 s`);
}

/** RSS once idle: after a second answer and three quiet seconds. */
async function idleRss(s: Started): Promise<number> {
  await get(`${s.url}/login`);
  await new Promise((r) => setTimeout(r, 3000));
  return rssMb(s.pid);
}

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      res.on("error", reject);
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", (err) => reject(new Error(`GET ${url}: ${err.message}`)));
    req.setTimeout(60_000, () => req.destroy(new Error("no answer within 60 s")));
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printRows } = await import("./stats");
  printRows(await benchCliCommands());
  printRows(await benchServeProcesses());
}
