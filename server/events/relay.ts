import type { Logger } from "../logger";
import type { Dialect } from "../db/sql-store";
import type { EventBus } from "./bus";
import type { EventNotifier } from "./notifier";
import { PgNotifier } from "./pg-notifier";
import { RedisNotifier } from "./redis-notifier";

/**
 * The server's cross-instance relay (issue 14): the table is polled, and commits are announced so
 * the other instances fetch them at once. The store decides how: on PostgreSQL its own
 * LISTEN/NOTIFY (no second engine to run); else `WORKDECK_REDIS_URL`'s Redis when set; else
 * polling alone, the single-host fallback.
 */
export function startEventRelay(
  bus: EventBus,
  env: { dialect: Dialect; databaseUrl: string | undefined; redisUrl: string | undefined },
  log: Pick<Logger, "info" | "warn">,
): { notifier: EventNotifier | null; close(): Promise<void> } {
  void bus.startPolling();
  const notifier = chooseNotifier(env, log);
  if (!notifier) return { notifier: null, close: async () => bus.stopPolling() };
  bus.useNotifier(notifier);
  void notifier.start();
  return {
    notifier,
    async close() {
      bus.stopPolling();
      await notifier.close();
    },
  };
}

function chooseNotifier(
  env: { dialect: Dialect; databaseUrl: string | undefined; redisUrl: string | undefined },
  log: Pick<Logger, "info" | "warn">,
): PgNotifier | RedisNotifier | null {
  if (env.dialect === "postgres" && env.databaseUrl) return new PgNotifier(env.databaseUrl, log);
  if (env.redisUrl) return new RedisNotifier(env.redisUrl, log);
  return null;
}
