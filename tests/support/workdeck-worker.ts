import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** An account a worker holds: its Claude config dir there, and the OAuth token its own environment carries. */
export type WorkerAccount = { id: string; configDir: string; oauthToken: string };

export type WorkerProcessOptions = {
  name: string;
  serverURL: string;
  /** The server's WORKDECK_TOKEN, passed as --token. */
  token?: string;
  /** The worker's own folder: its config file and HOME go there. */
  dir: string;
  accounts: WorkerAccount[];
  /** The fake Messages API its Claude Code talks to (tests/support/fake-anthropic.ts). */
  fakeUrl: string;
  maxConcurrent?: number;
  /** Its NODE_ENV (default "test"; the bench runs workers as in production). */
  nodeEnv?: "test" | "production";
  /** More of its environment (e.g. a test knob). */
  env?: Record<string, string>;
};

export type WorkerProcess = {
  name: string;
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr), for failure messages. */
  output(): string;
  /** Sends `signal` and resolves once it exited, with its exit code (null when a signal ended it). */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  /** SIGTERM (a worker ends its runs), then SIGKILL if it is still there after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
};

/** The end of a worker's output kept for failure messages: a bench's workers print for minutes. */
const OUTPUT_KEPT = 64 * 1024;

/**
 * A real `workdeck worker` (issue 14) holding `accounts`: its config file names each login
 * (`oauthTokenEnv`), its environment holds the tokens, so nothing of them is on the server. Its
 * Claude Code runs against the fake API, offline.
 */
export function startWorkdeckWorker(opts: WorkerProcessOptions): WorkerProcess {
  const home = path.join(opts.dir, "home");
  fs.mkdirSync(home, { recursive: true });
  const tokens: Record<string, string> = {};
  const accounts = opts.accounts.map((a, i) => {
    fs.mkdirSync(a.configDir, { recursive: true });
    tokens[`WORKER_ACCOUNT_TOKEN_${i}`] = a.oauthToken;
    return { id: a.id, configDir: a.configDir, oauthTokenEnv: `WORKER_ACCOUNT_TOKEN_${i}` };
  });
  const config = path.join(opts.dir, "worker.config.json");
  fs.writeFileSync(config, JSON.stringify({ claude: { accounts } }));
  const args = ["worker", "--server", opts.serverURL, "--name", opts.name, "--accounts", opts.accounts.map((a) => a.id).join(",")];
  if (opts.token) args.push("--token", opts.token);
  if (opts.maxConcurrent) args.push("--max-concurrent", String(opts.maxConcurrent));
  const child: ChildProcess = spawn(process.execPath, [path.join(repoRoot, "bin/workdeck.mjs"), ...args], {
    cwd: opts.dir,
    env: {
      NODE_ENV: opts.nodeEnv ?? "test",
      PATH: process.env.PATH,
      HOME: home,
      WORKDECK_CONFIG: config,
      ANTHROPIC_BASE_URL: opts.fakeUrl,
      IS_SANDBOX: "1",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_AUTOUPDATER: "1",
      ...tokens,
      ...opts.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-OUTPUT_KEPT));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const kill = async (signal: NodeJS.Signals = "SIGKILL") => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return {
    name: opts.name,
    child,
    output: () => output,
    kill,
    async stop(graceMs = 10_000) {
      const timer = setTimeout(() => void kill("SIGKILL"), graceMs);
      await kill("SIGTERM");
      clearTimeout(timer);
    },
  };
}
