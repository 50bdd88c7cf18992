/**
 * The settings page (issue 6): the effective configuration (secrets appear as the names of the env
 * vars that hold them, with whether each is set), installed hooks per project, notification
 * targets and recent deliveries. Read-only, except "Send test".
 */
import fs from "node:fs";
import path from "node:path";
import type { LoadedConfig } from "../config";
import { readSecret } from "../env";
import type { Runtime } from "../runtime";
import { HOOK_EVENTS, installedHookUrl, isOurHook } from "../agents/hooks-settings";
import { installedHookCommand, lastHookEventAt } from "../agents/hook-test";
import { NotificationService } from "./service";
import { resolveInsideProject } from "../projects/paths";
import { databaseStats, DEFAULT_RETENTION_DAYS, type DatabaseStats } from "../db/retention";
import type { NotificationDelivery, NotificationTarget } from "@/lib/schemas/notifications";

export type HooksStatus = {
  projectSlug: string;
  /** Relative to the project folder. */
  settingsFile: string;
  exists: boolean;
  /** Events with our `workdeck hooks send` command. */
  events: string[];
  /** Events the agents view needs that are missing. */
  missing: string[];
  problem: string | null;
  /** The server the installed command posts to (null: none installed, or an older install that assumes :3000). */
  url: string | null;
  /** When this project's last hook event arrived (ISO), from any session. */
  lastEventAt: string | null;
};

export type SecretRef = { env: string; set: boolean };

export type SettingsView = {
  configFile: string | null;
  /** The config with defaults applied; secrets are `{ env, set }`. */
  effective: Record<string, unknown>;
  secrets: SecretRef[];
  hooks: HooksStatus[];
  targets: NotificationTarget[];
  deliveries: NotificationDelivery[];
  /** The SQLite file's size (file + WAL) and the history retention (issue 10 item 8). */
  database: DatabaseStats;
};

type SettingsDeps = Pick<Runtime, "config" | "projects" | "sqlStore" | "bus" | "log" | "env" | "notifications">;

/** The runtime's service, or (a one-shot CLI runtime) one that is never started on the bus. */
export function notificationService(
  deps: SettingsDeps,
  secrets: (name: string) => string | undefined = (n) => readSecret(n),
): NotificationService {
  return (
    deps.notifications ??
    new NotificationService({
      sqlStore: deps.sqlStore,
      bus: deps.bus,
      config: deps.config,
      log: deps.log,
      readSecret: secrets,
      baseUrl: deps.config.config.notifications?.baseUrl ?? `http://${deps.env.host}:${deps.env.port}`,
    })
  );
}

export async function getSettings(
  deps: SettingsDeps,
  secrets: (name: string) => string | undefined = (n) => readSecret(n),
): Promise<SettingsView> {
  const service = notificationService(deps, secrets);
  return {
    configFile: deps.config.file ? path.basename(deps.config.file) : null,
    effective: effectiveConfig(deps.config),
    secrets: secretNames(deps.config).map((env) => ({ env, set: Boolean(secrets(env)) })),
    hooks: await Promise.all(
      deps.projects.all().map(async (p) => {
        const at = await lastHookEventAt(deps, p.slug);
        return { ...hooksStatus(p.slug, p.path), lastEventAt: at === null ? null : new Date(at).toISOString() };
      }),
    ),
    targets: service.targets(),
    deliveries: await service.deliveries(20),
    database: await databaseStats(deps),
  };
}

function effectiveConfig(loaded: LoadedConfig): Record<string, unknown> {
  const c = loaded.config;
  return {
    ...c,
    rescanMinutes: c.rescanMinutes ?? 5,
    agents: { idleMinutes: 5, ...c.agents },
    retention: { days: DEFAULT_RETENTION_DAYS, ...c.retention },
    claude: { maxConcurrent: 1, ...c.claude, defaults: { ...c.claude?.defaults } },
  };
}

/** Every env var the config names (its values are never read here beyond "is it set"). */
function secretNames(loaded: LoadedConfig): string[] {
  const c = loaded.config;
  const names = [
    c.notifications?.slack?.webhookUrlEnv,
    c.notifications?.slack?.botTokenEnv,
    ...(c.claude?.accounts ?? []).map((a) => a.oauthTokenEnv),
    ...(c.projects ?? []).map((p) => p.notifications?.slack?.webhookUrlEnv),
  ];
  return [...new Set(names.filter((n): n is string => Boolean(n)))];
}

/** Reads a project's `.claude/settings.json` for our hook command; never writes. */
export function hooksStatus(projectSlug: string, projectPath: string): HooksStatus {
  const rel = path.join(".claude", "settings.json");
  const file = path.join(projectPath, rel);
  const base = {
    projectSlug,
    settingsFile: rel,
    exists: false,
    events: [] as string[],
    missing: HOOK_EVENTS.map((e) => e.event),
    problem: null as string | null,
    url: null as string | null,
    lastEventAt: null,
  };
  if (!fs.existsSync(file)) return base;
  // A settings file linked from elsewhere (/etc/passwd) is not read: a parse error would quote it.
  let real: string;
  try {
    real = resolveInsideProject(projectPath, ".claude/settings.json");
  } catch {
    return { ...base, exists: true, problem: `${rel} links outside the project, so Workdeck does not read it.` };
  }
  try {
    const settings = JSON.parse(fs.readFileSync(real, "utf8")) as { hooks?: Record<string, { hooks?: unknown[] }[]> };
    const events = Object.entries(settings.hooks ?? {})
      .filter(
        ([, groups]) =>
          Array.isArray(groups) &&
          groups.some((g) => Array.isArray(g?.hooks) && g.hooks.some((h) => isOurHook(h as Parameters<typeof isOurHook>[0]))),
      )
      .map(([event]) => event);
    const command = installedHookCommand(projectPath);
    return {
      ...base,
      exists: true,
      events,
      missing: HOOK_EVENTS.map((e) => e.event).filter((e) => !events.includes(e)),
      url: command ? installedHookUrl(command) : null,
    };
  } catch (err) {
    return { ...base, exists: true, problem: `Cannot read ${rel}: ${err instanceof Error ? err.message : String(err)}` };
  }
}
