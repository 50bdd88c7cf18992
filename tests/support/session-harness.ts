import fs from "node:fs";
import path from "node:path";
import type { LoadedConfig } from "@/server/config";
import { migrateDatabase, openDatabase } from "@/server/db/client";
import { EventBus } from "@/server/events/bus";
import { createLogger } from "@/server/logger";
import { ProjectRegistry } from "@/server/projects/service";
import type { SessionsDeps } from "@/server/sessions/service";

/**
 * A session runner's dependencies from a plain, serialisable description, so a test and a child
 * process it starts (tests/support/session-host.ts, a "server" the test can crash) build the same
 * runner over the same database, project and fake Messages API.
 */
export type HarnessSpec = {
  root: string;
  dbPath: string;
  projectPath: string;
  fakeUrl: string;
  timeoutMinutes?: number;
};

export function harnessSpec(root: string, fakeUrl: string, extra: Partial<HarnessSpec> = {}): HarnessSpec {
  const projectPath = path.join(root, "project");
  fs.mkdirSync(projectPath, { recursive: true });
  fs.writeFileSync(path.join(projectPath, "README.md"), "# demo\n");
  fs.mkdirSync(path.join(root, "default-config"), { recursive: true });
  return { root, dbPath: path.join(root, "w.db"), projectPath, fakeUrl, ...extra };
}

export function harnessDeps(spec: HarnessSpec, repoRoot: string): SessionsDeps {
  const db = openDatabase(spec.dbPath);
  migrateDatabase(db, path.join(repoRoot, "drizzle"));
  const projects = new ProjectRegistry(db);
  projects.replace([
    { slug: "demo", name: "Demo", path: spec.projectPath, openspecRoot: spec.projectPath, source: "config", problem: null },
  ]);
  const config: LoadedConfig = {
    config: { claude: { defaults: { permissionMode: "bypassPermissions", worktrees: false, timeoutMinutes: spec.timeoutMinutes } } },
    file: undefined,
    baseDir: spec.root,
  };
  return {
    db,
    bus: new EventBus(db),
    projects,
    openspec: { showChange: async () => Promise.reject(new Error("no openspec in this test")) },
    config,
    log: createLogger("silent"),
    claudePath: undefined,
    baseEnv: {
      PATH: process.env.PATH,
      HOME: spec.root,
      ANTHROPIC_BASE_URL: spec.fakeUrl,
      CLAUDE_CONFIG_DIR: path.join(spec.root, "default-config"),
      CLAUDE_CODE_OAUTH_TOKEN: "tok-default",
      IS_SANDBOX: "1",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_AUTOUPDATER: "1",
    },
    worktreesDir: path.join(spec.root, "worktrees"),
  };
}

/**
 * A Bash command that starts a process in a session of its own (`setsid`, out of Claude's process
 * group, as a dev server or a daemon does), writes its pid to `pidFile` and returns at once.
 */
export function escapingSleepCommand(pidFile: string): string {
  return `setsid sh -c 'echo $$ > ${pidFile}; exec sleep 600' > /dev/null 2>&1 < /dev/null & echo started`;
}

/** Alive and not a zombie (a killed orphan may wait for init to reap it). */
export function isRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

export async function waitFor<T>(fn: () => T | undefined | null | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("timed out waiting");
}

/** The pid a tool wrote, once the file holds one. */
export function readPid(file: string): number | null {
  try {
    const pid = Number(fs.readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
