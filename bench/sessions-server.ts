import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import type { LoadedConfig } from "@/server/config";
import { SessionRunner } from "@/server/sessions/service";
import { claudeChildEnv, projectStore, RUNNER_DEFAULTS } from "../tests/support/session-harness";
import type { BenchRow } from "./stats";

const repoRoot = path.resolve(import.meta.dirname, "..");
const SESSIONS = 10;
const TURNS = 10;
const TEXT_CHARS = 2_000;

/**
 * Sessions figures of issue 4: the server's CPU time and memory while 10 sessions stream at once
 * (the real Claude Code binary, each against the fake Messages API, which runs in its own process
 * and answers every turn with a 2,000-character text streamed in 12-character deltas plus a Bash
 * call, 10 turns per session), and the session events stored per second meanwhile. The CPU and
 * RSS are this process's: the runner, the SQLite writes, the bus and an open onEvents
 * subscription per session draining it as the browser would; the claude children are not counted.
 */
export async function benchSessionsServer(): Promise<BenchRow[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workdeck-bench-sessions-"));
  const fakeProcess = spawn(
    path.join(repoRoot, "node_modules", ".bin", "tsx"),
    ["--tsconfig", path.join(repoRoot, "tsconfig.json"), path.join(repoRoot, "bench", "sessions-fake.ts")],
    {
      env: { ...process.env, BENCH_TURNS: String(TURNS), BENCH_TEXT_CHARS: String(TEXT_CHARS) },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let runner: SessionRunner | null = null;
  try {
    const url = await new Promise<string>((resolve, reject) => {
      readline.createInterface({ input: fakeProcess.stdout! }).once("line", resolve);
      fakeProcess.once("exit", (code) => reject(new Error(`the bench fake exited (${code})`)));
    });
    const project = path.join(dir, "project");
    fs.mkdirSync(project);
    const configDir = path.join(dir, "claude-config");
    fs.mkdirSync(configDir);
    const { db, bus, projects } = projectStore(path.join(dir, "sessions.db"), project, repoRoot, { slug: "bench", name: "Bench" });
    const config: LoadedConfig = {
      config: {
        claude: { maxConcurrent: SESSIONS, defaults: { permissionMode: "bypassPermissions", worktrees: false, maxTurns: TURNS + 5 } },
      },
      file: undefined,
      baseDir: dir,
    };
    runner = new SessionRunner({
      db,
      bus,
      projects,
      ...RUNNER_DEFAULTS,
      config,
      baseEnv: claudeChildEnv({ home: dir, fakeUrl: url, configDir }, { CLAUDE_CODE_OAUTH_TOKEN: "sk-ant-oat01-bench" }),
      worktreesDir: path.join(dir, "worktrees"),
    });

    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 50);
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    const ids: number[] = [];
    for (let i = 0; i < SESSIONS; i++)
      ids.push((await runner.start({ projectId: "bench", prompt: `Bench session ${i}: run true ${TURNS} times` })).id);
    // One live subscriber per session, as open session pages would be.
    const abort = new AbortController();
    let delivered = 0;
    const subscribers = ids.map(async (id) => {
      for await (const _ of runner!.onEvents({ id, signal: abort.signal })) delivered++;
    });
    const ended = await Promise.all(ids.map((id) => runner!.waitForEnd(id, 300_000)));
    const wallMs = performance.now() - start;
    const cpu = process.cpuUsage(cpuBefore);
    clearInterval(sampler);
    abort.abort();
    bus.publish({ type: "sessions.updated", projectSlug: "bench", sessionId: ids[0]!, status: "completed" });
    await Promise.allSettled(subscribers);

    const events = (
      db.$client.prepare(`SELECT count(*) AS n FROM session_events WHERE session_id IN (${ids.join(",")})`).get() as { n: number }
    ).n;
    const completed = ended.filter((s) => s.status === "completed").length;
    if (completed !== SESSIONS)
      throw new Error(
        `bench sessions: ${completed}/${SESSIONS} completed (${ended.map((s) => `${s.status}:${s.exitMessage}`).join("; ")})`,
      );
    const cpuMs = (cpu.user + cpu.system) / 1000;
    await runner.close();
    runner = null;
    db.$client.close();
    return [
      {
        name: `sessions server CPU, ${SESSIONS} sessions streaming at once (${TURNS} turns each, ${(wallMs / 1000).toFixed(1)} s wall)`,
        value: cpuMs,
        unit: "ms",
      },
      { name: "sessions server CPU share of one core over that run", value: (cpuMs / wallMs) * 100, unit: "%" },
      { name: "sessions server RSS peak over that run", value: rssPeak / (1024 * 1024), unit: "MB" },
      { name: "sessions server RSS growth over that run", value: (rssPeak - rssBefore) / (1024 * 1024), unit: "MB" },
      {
        name: `session events stored per second (${events} events, ${delivered} delivered live)`,
        value: events / (wallMs / 1000),
        unit: "/s",
        higherIsBetter: true,
      },
    ];
  } finally {
    await runner?.close();
    fakeProcess.kill("SIGTERM");
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printRows } = await import("./stats");
  printRows(await benchSessionsServer());
}
