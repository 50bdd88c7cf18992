import fs from "node:fs";

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
