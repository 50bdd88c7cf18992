import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "./engines";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export type ServeOptions = { dbPath: string; configPath: string; token?: string; host?: string; env?: Record<string, string> };

/**
 * A temp folder holding a copy of examples/demo-workspace and a config file written from the copy's
 * path: what a served Workdeck reads. The caller removes `dir`.
 */
export function demoWorkspaceFolder(
  prefix: string,
  configName: string,
  config: (workspace: string) => unknown,
): { dir: string; workspace: string; configPath: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const workspace = path.join(dir, "workspace");
  fs.cpSync(path.join(repoRoot, "examples/demo-workspace"), workspace, { recursive: true });
  const configPath = path.join(dir, configName);
  fs.writeFileSync(configPath, JSON.stringify(config(workspace)));
  return { dir, workspace, configPath };
}

/**
 * A real `workdeck serve` child on a free port, ready once /api/health answers.
 * Shared by the e2e fixtures and the benches so both measure the same server.
 */
export async function serveWorkdeck(
  opts: ServeOptions,
): Promise<{ baseURL: string; pid: number; stop(): Promise<void>; kill(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(repoRoot, "bin/workdeck.mjs"), "serve", "--port", String(port)], {
    cwd: repoRoot,
    env: {
      ...process.env,
      WORKDECK_DB: opts.dbPath,
      WORKDECK_CONFIG: opts.configPath,
      WORKDECK_HOST: opts.host ?? "127.0.0.1",
      WORKDECK_TOKEN: opts.token ?? "",
      WORKDECK_LOG_LEVEL: "warn",
      NEXT_TELEMETRY_DISABLED: "1",
      ...opts.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const baseURL = `http://127.0.0.1:${port}`;
  await waitForServer(child, baseURL, opts.token);
  // kill(): a SIGKILL, for tests of what survives a crashed instance (issue 14).
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  };
  return { baseURL, pid: child.pid!, stop: () => stopChild(child), kill };
}

async function waitForServer(child: ChildProcess, baseURL: string, token?: string): Promise<void> {
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`workdeck serve exited with ${child.exitCode}:\n${output}`);
    try {
      const res = await fetch(`${baseURL}/api/health`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill("SIGKILL");
  throw new Error(`workdeck serve did not start within 90 s:\n${output}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  // A child ended by a signal has no exit code, only a signal code: it is gone all the same.
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}
