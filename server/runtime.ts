import type { Logger } from "./logger";
import type { OpenSpecService } from "./specs/service";
import type { SessionRunner } from "./sessions/service";
import type { NotificationService } from "./notifications/service";
import type { WorkCache } from "./work/cache";
import type { HookCommitter } from "./agents/hook-ingest";
import type { Store } from "./store";

/**
 * Everything long-lived in one process: the database, the bus, the project
 * registry, caches and watchers. Next's route handlers and the custom server
 * are separate module graphs, so the instance lives on globalThis and is
 * created once (by runtime-boot.ts, from `workdeck serve`).
 *
 * This module has type-only imports on purpose: route handlers import it, and
 * the bundler must not pull the config loader (which imports user files at
 * run time) into their bundles.
 */
export type Runtime = Store & {
  openspec: OpenSpecService;
  /** The session runner (issue 4): one per process. */
  sessions: SessionRunner;
  /** Slack and webhook notifications off the bus (issue 6): the server's only (null in a one-shot CLI runtime). */
  notifications: NotificationService | null;
  /** All Work's merged lists, until the bus says they changed. */
  workCache: WorkCache;
  /** Commits hook events in groups (POST /api/hooks): one per process, so batches never interleave. */
  hookCommitter: HookCommitter;
  log: Logger;
  warnings: string[];
  rescan(): Promise<void>;
  close(): Promise<void>;
};

export const RUNTIME_KEY = Symbol.for("workdeck.runtime");
export type RuntimeHolder = { [RUNTIME_KEY]?: Promise<Runtime> };

/** The started runtime; route handlers call this. */
export function getRuntime(): Promise<Runtime> {
  const existing = (globalThis as RuntimeHolder)[RUNTIME_KEY];
  if (!existing) throw new Error("Workdeck runtime is not started: run the server with `workdeck serve` (npm start).");
  return existing;
}
