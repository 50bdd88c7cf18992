import { spawn } from "node:child_process";
import fs from "node:fs";
import readline from "node:readline";

/** What the benches need from the processes they start on this machine. */
export { freePort } from "../tests/support/engines";

/** Loopback needs no token; the benches call as a local user or hook does. */
export function withoutToken(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { WORKDECK_TOKEN: _token, ...rest } = env;
  return rest;
}

/** Resident memory of a process, in MB (Linux). */
export function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kb ?? NaN) / 1024;
}

/** The lock every `next build`, e2e run and bench that serves the build takes (see the README's Development). */
export const NEXT_LOCK = "/tmp/workdeck-next.lock";

/** The .next lock, held by a `flock` child for a whole bench, so no build swaps the files it serves. */
export async function holdNextLock(): Promise<{ release(): Promise<void> }> {
  const holder = spawn("flock", [NEXT_LOCK, "-c", "echo locked; exec sleep 100000"], {
    stdio: ["ignore", "pipe", "inherit"],
    detached: true,
  });
  await new Promise<void>((resolve, reject) => {
    readline.createInterface({ input: holder.stdout! }).once("line", () => resolve());
    holder.once("exit", (code) => reject(new Error(`flock ${NEXT_LOCK} exited (${code})`)));
  });
  return {
    async release() {
      const gone = new Promise((r) => holder.once("exit", r));
      process.kill(-holder.pid!, "SIGTERM");
      await gone;
    },
  };
}
