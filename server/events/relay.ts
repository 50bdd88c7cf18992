import type { Logger } from "../logger";
import type { EventBus } from "./bus";
import type { EventNotifier } from "./notifier";
import { RedisNotifier } from "./redis-notifier";

/**
 * The server's cross-instance relay (issue 14): the table is polled, and with `WORKDECK_REDIS_URL`
 * set, commits are announced on Redis and foreign ones fetched as soon as they are announced.
 * Without it, polling alone stays: the single-host fallback. A PostgreSQL LISTEN/NOTIFY notifier
 * slots in here once the store can run on PostgreSQL.
 */
export function startEventRelay(
  bus: EventBus,
  env: { redisUrl: string | undefined },
  log: Pick<Logger, "info" | "warn">,
): { notifier: EventNotifier | null; close(): Promise<void> } {
  void bus.startPolling();
  if (!env.redisUrl) return { notifier: null, close: async () => bus.stopPolling() };
  const notifier = new RedisNotifier(env.redisUrl, log);
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
