import path from "node:path";
import { z } from "zod";

/**
 * The one module that reads `process.env`. Everything else receives these
 * values, which keeps tests free to build their own environment.
 */
const EnvSchema = z.object({
  WORKDECK_APP_ROOT: z.string().optional(),
  WORKDECK_HOME: z.string().optional(),
  WORKDECK_DB: z.string().optional(),
  WORKDECK_CONFIG: z.string().optional(),
  WORKDECK_HOST: z.string().default("127.0.0.1"),
  WORKDECK_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  PORT: z.coerce.number().int().min(0).max(65535).optional(),
  WORKDECK_TOKEN: z
    .string()
    .min(16, "WORKDECK_TOKEN must be at least 16 characters")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  WORKDECK_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(1024 * 1024),
  /** POST /api/reports: Playwright reports of big suites are tens of MB. */
  WORKDECK_MAX_REPORT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(100 * 1024 * 1024),
  /** POST /api/hooks: one hook payload (a Read of a big file carries it whole in tool_response). */
  WORKDECK_MAX_HOOK_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(256 * 1024),
  WORKDECK_LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  WORKDECK_CLAUDE_PATH: z.string().optional(),
  /** Redis for cross-instance events (issue 14): redis://[user:pass@]host:port[/db], or rediss://. */
  WORKDECK_REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/[^\s]+$/, "WORKDECK_REDIS_URL must be a redis:// or rediss:// URL")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  /** PostgreSQL as the store (issue 14): postgres://user:pass@host:port/db. */
  WORKDECK_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/[^\s]+$/, "WORKDECK_DATABASE_URL must be a postgres:// or postgresql:// URL")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  /** How long a dead leader keeps the background jobs before another instance takes them (ms). */
  WORKDECK_LEADER_TTL_MS: z.coerce.number().int().min(300).max(3_600_000).default(30_000),
  /** How long a `workdeck worker` may be silent before its sessions are interrupted (ms; DESIGN: 60 s, shorter in tests). */
  WORKDECK_WORKER_LOST_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(60_000),
  NODE_ENV: z.string().optional(),
});

export type WorkdeckEnv = {
  /** Folder that holds the app (package.json, .next, data/). */
  appRoot: string;
  dbPath: string;
  /** Explicit config file; undefined means "projects.config.ts in appRoot if present". */
  configPath: string | undefined;
  host: string;
  port: number;
  token: string | undefined;
  maxBodyBytes: number;
  /** Body limit of the report ingest endpoint. */
  maxReportBytes: number;
  /** Body limit of the hook ingest endpoint. */
  maxHookBytes: number;
  logLevel: "debug" | "info" | "warn" | "error" | "silent";
  claudePath: string | undefined;
  /** Redis for cross-instance event announcements; undefined = polling the table alone. */
  redisUrl: string | undefined;
  /** PostgreSQL URL (issue 14); unset means the SQLite file at dbPath. */
  databaseUrl: string | undefined;
  /** TTL of the leader lock that keeps background jobs on one process per database. */
  leaderTtlMs: number;
  /** A worker silent this long loses its sessions (issue 14). */
  workerLostMs?: number;
};

export class EnvError extends Error {}

export function readEnv(source: Record<string, string | undefined> = process.env): WorkdeckEnv {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new EnvError(`Invalid environment variable ${String(first?.path.join("."))}: ${first?.message}`);
  }
  const e = parsed.data;
  // bin/workdeck.mjs sets WORKDECK_APP_ROOT to the install folder, so the
  // command works from any directory (CI pipelines run it from theirs).
  const appRoot = path.resolve(e.WORKDECK_APP_ROOT ?? process.cwd());
  const home = e.WORKDECK_HOME ? path.resolve(e.WORKDECK_HOME) : appRoot;
  return {
    appRoot,
    dbPath: e.WORKDECK_DB === ":memory:" ? ":memory:" : path.resolve(home, e.WORKDECK_DB ?? path.join("data", "workdeck.db")),
    configPath: e.WORKDECK_CONFIG ? path.resolve(e.WORKDECK_CONFIG) : undefined,
    host: e.WORKDECK_HOST,
    port: e.WORKDECK_PORT ?? e.PORT ?? 3000,
    token: e.WORKDECK_TOKEN,
    maxBodyBytes: e.WORKDECK_MAX_BODY_BYTES,
    maxReportBytes: e.WORKDECK_MAX_REPORT_BYTES,
    maxHookBytes: e.WORKDECK_MAX_HOOK_BYTES,
    logLevel: e.WORKDECK_LOG_LEVEL,
    claudePath: e.WORKDECK_CLAUDE_PATH,
    redisUrl: e.WORKDECK_REDIS_URL,
    databaseUrl: e.WORKDECK_DATABASE_URL,
    leaderTtlMs: e.WORKDECK_LEADER_TTL_MS,
    workerLostMs: e.WORKDECK_WORKER_LOST_MS,
  };
}

/**
 * The environment a `claude` child inherits (PATH, HOME, ANTHROPIC_BASE_URL...): the session
 * runner copies it and adjusts per account. Read here so env.ts stays the one reader. Without
 * WORKDECK_TOKEN: agents run arbitrary code (launched runs get a scoped token instead).
 */
export function inheritedEnvironment(): Record<string, string | undefined> {
  const { WORKDECK_TOKEN: _secret, ...rest } = process.env;
  return rest;
}

/**
 * A secret named by the config (`notifications.slack.webhookUrlEnv`, `botTokenEnv`): the config
 * holds the variable's name, this reads its value. Empty counts as unset.
 */
export function readSecret(name: string, source: Record<string, string | undefined> = process.env): string | undefined {
  const value = source[name];
  return value ? value : undefined;
}
