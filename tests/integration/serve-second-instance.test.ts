import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "@/server/db/client";
import { SessionRunner } from "@/server/sessions/service";
import { afterToolResult, FakeAnthropic } from "../support/fake-anthropic";
import { escapingSleepCommand, harnessDeps, harnessSpec, isRunning, readPid, waitFor, type HarnessSpec } from "../support/session-harness";
import { repoRoot } from "../support/temp";

/**
 * Issue 10 item 1: a second `workdeck serve` on the same database (a second terminal running
 * `npm start`) must leave the live server's sessions alone. One live "server" (a process running a
 * real Claude Code session whose Bash tool started a background job) serves every test here; each
 * test then starts a second server beside it and checks nothing of the first was touched.
 */

const root = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? "/tmp"), "workdeck-second-"));
let fake: FakeAnthropic;
let spec: HarnessSpec;
let live: ChildProcess;
let sessionId: number;
let claudePid: number;
let jobPid: number;
let configPath: string;
const blockers: http.Server[] = [];

beforeAll(async () => {
  fake = await FakeAnthropic.start();
  const pidFile = path.join(root, "job.pid");
  fake.queue({ kind: "tool_use", name: "Bash", input: { command: escapingSleepCommand(pidFile) }, text: "Starting it." });
  fake.when(afterToolResult, { kind: "hang" });
  spec = harnessSpec(root, fake.url);
  configPath = path.join(root, "workdeck.config.json");
  fs.writeFileSync(configPath, JSON.stringify({ projects: [{ slug: "demo", name: "Demo", path: spec.projectPath }] }));
  live = spawn(
    process.execPath,
    ["--import", "tsx", path.join(repoRoot, "tests/support/session-host.ts"), JSON.stringify(spec), "start a background job"],
    {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  live.stdout!.on("data", (d) => (out += d));
  live.stderr!.on("data", (d) => (out += d));
  sessionId = Number(
    await waitFor(() => /session (\d+)/.exec(out)?.[1]).catch(() =>
      Promise.reject(new Error(`the live server did not start a session:\n${out}`)),
    ),
  );
  jobPid = await waitFor(() => readPid(pidFile));
  await waitFor(() => fake.requests.some(afterToolResult));
  claudePid = row().pid!;
});

afterAll(async () => {
  live?.kill("SIGKILL");
  for (const pid of [claudePid, jobPid]) {
    try {
      if (pid) process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  for (const b of blockers) b.close();
  await fake?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

function row(): { status: string; pid: number | null } {
  const db = openDatabase(spec.dbPath);
  try {
    return db.$client.prepare("SELECT status, pid FROM sessions WHERE id = ?").get(sessionId) as { status: string; pid: number | null };
  } finally {
    db.$client.close();
  }
}

function expectLiveServerUntouched(): void {
  expect(row()).toMatchObject({ status: "running", pid: claudePid });
  expect(isRunning(claudePid)).toBe(true);
  expect(isRunning(jobPid)).toBe(true);
}

/** `workdeck serve` on the live server's database; resolves when it exits (or reports it hung). */
async function secondServe(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; hung: boolean; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [path.join(repoRoot, "bin/workdeck.mjs"), "serve", ...args], {
    cwd: repoRoot,
    env: {
      ...process.env,
      WORKDECK_DB: spec.dbPath,
      WORKDECK_CONFIG: configPath,
      WORKDECK_TOKEN: "",
      WORKDECK_LOG_LEVEL: "warn",
      NEXT_TELEMETRY_DISABLED: "1",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  // A generous bound that only tells a hang from an exit; nothing here depends on how fast it is.
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const hang = new Promise<"hung">((resolve) => setTimeout(() => resolve("hung"), 60_000).unref());
  const outcome = await Promise.race([exited, hang]);
  if (outcome === "hung") {
    child.kill("SIGKILL");
    await exited;
  }
  return { code: outcome === "hung" ? null : outcome, hung: outcome === "hung", stdout, stderr };
}

async function takenPort(): Promise<number> {
  const blocker = http.createServer((_req, res) => res.end("someone else"));
  blockers.push(blocker);
  await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
  return (blocker.address() as AddressInfo).port;
}

function oneLine(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.trim());
}

describe("a second workdeck serve on the same database", () => {
  it("exits non-zero with one clear line when the port is taken, and leaves the live server's sessions and processes alone", async () => {
    const port = await takenPort();

    const second = await secondServe(["--port", String(port)]);

    expectLiveServerUntouched();
    expect(second.hung).toBe(false);
    expect(second.code).not.toBe(0);
    expect(oneLine(second.stderr)).toEqual([`workdeck: port ${port} on 127.0.0.1 is already in use (another Workdeck?)`]);
  });

  it("exits non-zero with one clear line on a host it cannot listen on, and leaves the live server alone", async () => {
    // Allowed beyond loopback (a token is set), but not an address of this machine.
    const second = await secondServe(["--port", "0", "--host", "203.0.113.7"], { WORKDECK_TOKEN: "a-token-of-sixteen-chars" });

    expectLiveServerUntouched();
    expect(second.hung).toBe(false);
    expect(second.code).not.toBe(0);
    expect(oneLine(second.stderr)).toEqual([expect.stringMatching(/^workdeck: cannot listen on 203\.0\.113\.7(:\d+)?: .+/)]);
    expect(second.stderr).not.toMatch(/\n\s+at /);
  });

  it("recovers only sessions whose server is gone: a second server's start leaves the live one's session running", async () => {
    const deps = harnessDeps(spec, repoRoot);
    const second = new SessionRunner(deps, { accountCheckMs: 0 });
    try {
      const recovered = await second.recover();

      expect(recovered.interrupted).not.toContain(sessionId);
      expectLiveServerUntouched();
    } finally {
      await second.close();
      deps.db!.$client.close();
    }
  });
});
