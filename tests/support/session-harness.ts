import fs from "node:fs";
import path from "node:path";
import type { LoadedConfig } from "@/server/config";
import { migrateDatabase, openDatabase, type Db } from "@/server/db/client";
import { EventBus } from "@/server/events/bus";
import { createLogger } from "@/server/logger";
import { SqliteStore } from "@/server/db/sql-store";
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
  return runnerDeps(spec.root, projectStore(spec.dbPath, spec.projectPath, repoRoot), {
    fakeUrl: spec.fakeUrl,
    configDir: path.join(spec.root, "default-config"),
    defaults: { worktrees: false, timeoutMinutes: spec.timeoutMinutes },
    env: { CLAUDE_CODE_OAUTH_TOKEN: "tok-default" },
  });
}

/**
 * A test runner's dependencies in `root` over `store`: runnerConfig's `defaults`, RUNNER_DEFAULTS,
 * Claude children on the fake API with `env` as their credentials, worktrees under `root`.
 */
export function runnerDeps(
  root: string,
  store: ReturnType<typeof projectStore>,
  opts: { fakeUrl: string; configDir: string; defaults: RunnerDefaults; env: Record<string, string | undefined> },
): SessionsDeps {
  return {
    ...store,
    ...RUNNER_DEFAULTS,
    config: runnerConfig(root, opts.defaults),
    baseEnv: claudeChildEnv({ home: root, fakeUrl: opts.fakeUrl, configDir: opts.configDir }, opts.env),
    worktreesDir: path.join(root, "worktrees"),
  };
}

/** A migrated database at `dbPath`, its bus, and a registry holding one configured project (`demo`) at `projectPath`. */
export function projectStore(dbPath: string, projectPath: string, repoRoot: string, project = { slug: "demo", name: "Demo" }) {
  const db = openDatabase(dbPath);
  migrateDatabase(db, path.join(repoRoot, "drizzle"));
  const projects = new ProjectRegistry(SqliteStore.on(db.$client));
  projects.replace([{ ...project, path: projectPath, openspecRoot: projectPath, source: "config", problem: null }]);
  return { db, bus: new EventBus(db), projects };
}

/** A test runner's config: sessions may use every tool unasked (bypassPermissions), in worktrees or not; paths resolve from `root`. */
type RunnerDefaults = { worktrees: boolean; timeoutMinutes?: number };

export function runnerConfig(root: string, defaults: RunnerDefaults): LoadedConfig {
  return { config: { claude: { defaults: { permissionMode: "bypassPermissions", ...defaults } } }, file: undefined, baseDir: root };
}

/** What a test's runner leaves as the server would not: no OpenSpec behind it, a silent log, the SDK's own Claude Code binary. */
export const RUNNER_DEFAULTS = {
  openspec: { showChange: async () => Promise.reject(new Error("no openspec in this test")) },
  log: createLogger("silent"),
  claudePath: undefined,
} satisfies Partial<SessionsDeps>;

/**
 * The environment a runner gives its Claude Code children in tests and benches: the fake Messages
 * API, a HOME and config dir of their own, no auto-updater or background traffic; `extra` adds
 * the credentials (an OAuth token, an API key) and whatever else the case needs.
 */
export function claudeChildEnv(
  at: { home: string; fakeUrl: string; configDir: string },
  extra: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    PATH: process.env.PATH,
    HOME: at.home,
    ANTHROPIC_BASE_URL: at.fakeUrl,
    CLAUDE_CONFIG_DIR: at.configDir,
    IS_SANDBOX: "1",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_AUTOUPDATER: "1",
    ...extra,
  };
}

/** Ends what a runner test started: the runner (its sessions), the fake API, the database. */
export async function closeHarness(
  h: { runner: { close(): Promise<void> }; fake: { close(): Promise<void> }; db: Db } | null,
): Promise<void> {
  if (!h) return;
  await h.runner.close();
  await h.fake.close();
  h.db.$client.close();
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

export async function waitFor<T>(
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await fn();
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
