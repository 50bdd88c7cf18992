import type { OpenSpecService } from "../specs/service";
import type { ProjectRegistry } from "../projects/service";
import type { LoadedConfig } from "../config";
import type { Db } from "../db/client";
import type { SqlStore } from "../db/sql-store";
import type { EventBus } from "../events/bus";
import type { Logger } from "../logger";

/** What the session runner (service.ts) and its parts (scheduler, run, account use) are built from. */
export type SessionsDeps = {
  db?: Db;
  /** The same database through the SQL port (issue 14): accounts and agent tokens; absent = one over `db`. */
  sqlStore?: SqlStore;
  bus: EventBus;
  projects: ProjectRegistry;
  openspec: Pick<OpenSpecService, "showChange">;
  config: LoadedConfig;
  log: Logger;
  /** WORKDECK_CLAUDE_PATH. */
  claudePath: string | undefined;
  /** What children inherit (PATH, HOME, ANTHROPIC_BASE_URL...). */
  baseEnv: Record<string, string | undefined>;
  /** Where worktrees go (`<data dir>/worktrees`). */
  worktreesDir: string;
  /**
   * Our hooks for the sessions we launch (issue 5 ingestion, linked by WORKDECK_SESSION_ID):
   * `appRoot` holds bin/workdeck.mjs (the hook command), `url` is this server (WORKDECK_URL of
   * `hooks send`), `token` its WORKDECK_TOKEN: when set, each run gets its own scoped agent token
   * instead (never this one). Absent = launched sessions get no extra hooks.
   */
  hooks?: { appRoot: string; url: string; token?: string; spoolDir?: string };
  /** Whether this process runs the database's background jobs (server/leader.ts, issue 14); absent = it does. */
  isLeader?: () => boolean;
};

export type RunnerTuning = {
  /** Transient failures retried this many times per run (default 3). */
  maxRetries: number;
  /** Backoff base and cap (ms), doubled per attempt, with full jitter. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Grace between an interrupt and a kill (ms). */
  stopGraceMs: number;
  /** How often needs_login accounts are rechecked with `claude auth status` (ms; 0 = never). */
  accountCheckMs: number;
  /** How long a permission request waits for an answer (ms; default: the session's timeoutMinutes, else 10 min). */
  permissionTimeoutMs?: number;
};

export const DEFAULT_TUNING: RunnerTuning = {
  maxRetries: 3,
  retryBaseMs: 2_000,
  retryMaxMs: 60_000,
  stopGraceMs: 5_000,
  accountCheckMs: 5 * 60_000,
};

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
