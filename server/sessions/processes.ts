import { randomBytes } from "node:crypto";
import fs from "node:fs";

/**
 * Every process a session's run started (issue 10 item 5). Claude runs in a process group of its
 * own, but a tool's children need not stay in it: `setsid`, `nohup … &` and daemons leave it and
 * are reparented to init when Claude goes. So each run gets a random mark in its environment,
 * which every descendant inherits; finding the run's processes is scanning `/proc/<pid>/environ`
 * for it. A process that clears its environment (`env -i`) escapes the mark: while Claude lives it
 * is still found as a descendant. Without /proc (macOS) only the process group is reached.
 */

/** The variable every process of a run inherits. */
export const PROCESS_MARK_VAR = "WORKDECK_PROCESS_MARK";

export function newProcessMark(): string {
  return randomBytes(16).toString("hex");
}

/** Pids of this machine's processes whose environment carries the mark (never this process). */
export function findMarkedProcesses(mark: string): number[] {
  return allPids().filter((pid) => pid !== process.pid && carriesMark(pid, mark));
}

/** Whether a process's environment (as it was exec'd with) holds the mark. */
export function carriesMark(pid: number, mark: string): boolean {
  let environ: Buffer;
  try {
    environ = fs.readFileSync(`/proc/${pid}/environ`);
  } catch {
    return false; // gone, or another user's
  }
  const at = environ.indexOf(`${PROCESS_MARK_VAR}=${mark}\0`);
  return at === 0 || (at > 0 && environ[at - 1] === 0);
}

/** The live descendants of a process (children before they are orphaned, whatever their group). */
export function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const pid of allPids()) {
    const ppid = parentOf(pid);
    if (ppid === null) continue;
    const list = children.get(ppid) ?? [];
    list.push(pid);
    children.set(ppid, list);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length) {
    for (const child of children.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

/**
 * Kills a run's processes: Claude's process group, its descendants and every process carrying the
 * run's mark. Repeated until a scan finds none, since a process may fork while its siblings die.
 * `pid` is Claude's, only when it is known to still be ours (never a pid a dead server left).
 */
export function killRunProcesses(target: { mark: string | null; pid: number | null }): number[] {
  const killed = new Set<number>();
  if (target.pid) killGroup(target.pid, "SIGKILL");
  for (let round = 0; round < 10; round++) {
    const pids = new Set<number>();
    if (target.mark) for (const pid of findMarkedProcesses(target.mark)) pids.add(pid);
    if (target.pid) for (const pid of descendantsOf(target.pid)) pids.add(pid);
    pids.delete(process.pid);
    for (const pid of [...pids]) if (isZombie(pid)) pids.delete(pid);
    if (!pids.size) break;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
        killed.add(pid);
      } catch {
        // already gone
      }
    }
  }
  return [...killed];
}

export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** A pid from an earlier server is only killed if it still is a claude process (pids get reused). */
export function isClaudeProcess(pid: number): boolean {
  try {
    return /claude/i.test(fs.readFileSync(`/proc/${pid}/cmdline`, "utf8"));
  } catch {
    try {
      process.kill(pid, 0);
      return process.platform !== "linux";
    } catch {
      return false;
    }
  }
}

function allPids(): number[] {
  try {
    return fs
      .readdirSync("/proc")
      .filter((name) => /^\d+$/.test(name))
      .map(Number);
  } catch {
    return [];
  }
}

/** Fields after the command name of /proc/<pid>/stat (the name may hold spaces and parentheses). */
function statFields(pid: number): string[] | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/** When a process started (clock ticks since boot): with the pid, it names one process, never a reused pid. */
export function processStartTime(pid: number): string | null {
  return statFields(pid)?.[19] ?? null;
}

function parentOf(pid: number): number | null {
  const fields = statFields(pid);
  return fields ? Number(fields[1]) : null;
}

/** Dead but not yet reaped by its parent (or gone): nothing left to kill. */
function isZombie(pid: number): boolean {
  const fields = statFields(pid);
  return !fields || fields[0] === "Z";
}
