import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SessionRunner } from "@/server/sessions/service";
import { afterToolResult, FakeAnthropic } from "../support/fake-anthropic";
import { escapingSleepCommand, harnessDeps, harnessSpec, isRunning, readPid, waitFor, type HarnessSpec } from "../support/session-harness";
import { repoRoot, tempDir } from "../support/temp";

/**
 * Issue 10 item 5: what a session's tools start is the session's, even when it leaves Claude's
 * process group (`setsid`, as dev servers and daemons do). The real Claude Code binary runs a
 * Bash tool against the fake Messages API; the test reads the escaped process's pid from a file.
 */

let fake: FakeAnthropic | null = null;
const runners: { runner: SessionRunner; close(): void }[] = [];
const hosts: ChildProcess[] = [];
const pids: number[] = [];

afterEach(async () => {
  for (const r of runners.splice(0)) {
    await r.runner.close();
    r.close();
  }
  for (const h of hosts.splice(0)) h.kill("SIGKILL");
  // Whatever a failing test left behind must not outlive it.
  for (const pid of pids.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  await fake?.close();
  fake = null;
});

async function scripted(extra: Partial<HarnessSpec> = {}): Promise<{ spec: HarnessSpec; pidFile: string }> {
  fake = await FakeAnthropic.start();
  const root = tempDir("workdeck-procs-");
  const pidFile = path.join(root, "escaped.pid");
  fake.queue({ kind: "tool_use", name: "Bash", input: { command: escapingSleepCommand(pidFile) }, text: "Starting it in the background." });
  // After the tool's result the session stays busy (the API never answers), so it is still running.
  fake.when(afterToolResult, { kind: "hang" });
  return { spec: harnessSpec(root, fake.url, extra), pidFile };
}

function runner(spec: HarnessSpec): SessionRunner {
  const deps = harnessDeps(spec, repoRoot);
  const r = new SessionRunner(deps, { stopGraceMs: 2_000, accountCheckMs: 0 });
  runners.push({ runner: r, close: () => deps.db!.$client.close() });
  return r;
}

/** The escaped process, once the tool ran and Claude asked the API what next. */
async function escaped(pidFile: string): Promise<number> {
  const pid = await waitFor(() => readPid(pidFile));
  pids.push(pid);
  await waitFor(() => fake!.requests.some(afterToolResult));
  expect(isRunning(pid)).toBe(true);
  return pid;
}

describe("processes a session started", () => {
  it("are killed when the session is stopped, also one in a session of its own (setsid)", async () => {
    const { spec, pidFile } = await scripted();
    const r = runner(spec);
    const { id } = await r.start({ projectId: "demo", prompt: "start a background job" });
    const pid = await escaped(pidFile);

    const stopped = await r.stop({ id });

    expect(stopped).toMatchObject({ status: "stopped", exitReason: "stopped" });
    await waitFor(() => !isRunning(pid), 10_000);
  });

  it("are killed when the session times out", async () => {
    const { spec, pidFile } = await scripted({ timeoutMinutes: 0.25 });
    const r = runner(spec);
    const { id } = await r.start({ projectId: "demo", prompt: "start a background job" });
    const pid = await escaped(pidFile);

    const ended = await r.waitForEnd(id, 45_000);

    expect(ended).toMatchObject({ status: "stopped", exitReason: "timeout" });
    await waitFor(() => !isRunning(pid), 10_000);
  });

  it("are killed by recovery after the server that ran the session crashed (kill -9)", async () => {
    const { spec, pidFile } = await scripted();
    // The "server": another process running the session, killed without any chance to clean up.
    const host = spawn(
      process.execPath,
      ["--import", "tsx", path.join(repoRoot, "tests/support/session-host.ts"), JSON.stringify(spec), "start a background job"],
      {
        cwd: repoRoot,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    hosts.push(host);
    let out = "";
    host.stdout!.on("data", (d) => (out += d));
    host.stderr!.on("data", (d) => (out += d));
    const id = Number(
      await waitFor(() => /session (\d+)/.exec(out)?.[1]).catch(() =>
        Promise.reject(new Error(`the host did not start a session:\n${out}`)),
      ),
    );
    const pid = await escaped(pidFile);
    host.kill("SIGKILL");
    await new Promise((resolve) => host.once("exit", resolve));
    // The premise: the crash left the tool's process running, reparented away from Claude.
    expect(isRunning(pid)).toBe(true);

    const next = runner(spec);
    const recovered = await next.recover();

    expect(recovered.interrupted).toEqual([id]);
    expect(await next.get({ id })).toMatchObject({ status: "interrupted", exitReason: "interrupted" });
    await waitFor(() => !isRunning(pid), 10_000);
  });
});
