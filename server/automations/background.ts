import type { LoadedConfig } from "../config";
import type { SqlStore } from "../db/sql-store";
import type { EventBus } from "../events/bus";
import type { Logger } from "../logger";
import type { SessionRunner } from "../sessions/service";
import { RailwayPoller } from "../deploys/poller";
import { IntegrationLock } from "./lock";
import type { LeaderLock } from "../leader";
import { AutomationRunner } from "./service";

export type BackgroundDeps = {
  sqlStore: SqlStore;
  bus: EventBus;
  config: LoadedConfig;
  sessions: Pick<SessionRunner, "start" | "promptPreview">;
  log: Pick<Logger, "warn" | "error" | "info">;
  readSecret(name: string): string | undefined;
  /** How often the lock is renewed (and taken over from a holder that stopped). Default 10 s. */
  heartbeatMs?: number;
  /** The runtime's leader lock (server/leader.ts), so these jobs run where the others do; default: an own `integrations` lock. */
  lock?: LeaderLock;
};

export type Background = {
  lock: IntegrationLock;
  automations: AutomationRunner;
  poller: RailwayPoller;
  /** Settles once the lock's first answer is in (held or not). */
  ready: Promise<void>;
  close(): Promise<void>;
};

/**
 * The server's background work of issue 15, in the one process holding the `integrations` lock:
 * automations act on the bus's events (other processes' too, through its polling) and the
 * Railway poller runs on its interval. The others stand by and take over within the lock's TTL.
 */
export function startBackground(deps: BackgroundDeps): Background {
  const lock = deps.lock ?? new IntegrationLock(deps.sqlStore, "integrations");
  const automations = new AutomationRunner(deps);
  const poller = new RailwayPoller(deps);
  const rules = deps.config.config.automations?.length ?? 0;
  let closed = false;
  const tick = () =>
    lock.tryHold().then(
      () => {},
      (err: unknown) => deps.log.warn({ err }, "integrations lock could not be renewed"),
    );
  // Events that arrive before the first answer wait for it rather than being dropped.
  const firstHold = tick();
  const heartbeat = setInterval(() => void tick(), deps.heartbeatMs ?? 10_000);
  heartbeat.unref();
  const off = deps.bus.on((event) => {
    if (closed) return;
    if (event.type !== "integrations.changed" && event.type !== "errors.failureNew" && event.type !== "errors.failureUpdated") return;
    // After publish() returns: an automation never runs inside the writer's transaction or call.
    // A failed deploy's log tail is fetched first, so a remediation prompt carries it.
    setImmediate(() => {
      void firstHold
        .then(() => (closed || !lock.isHeld() ? undefined : handle(event)))
        .catch((err) => deps.log.error({ err }, "automation failed"));
    });
  });
  const handle = (event: Parameters<Parameters<EventBus["on"]>[0]>[0]) =>
    poller.onEvent(event).then(() => (rules ? automations.handle(event) : undefined));
  let polling: Promise<unknown> | null = null;
  const poll = () => {
    if (closed || polling || !lock.isHeld()) return;
    polling = poller.pollOnce().finally(() => (polling = null));
  };
  const pollTimer = poller.enabled ? setInterval(poll, poller.intervalMs) : null;
  pollTimer?.unref();
  if (poller.enabled) setImmediate(poll);
  return {
    lock,
    automations,
    poller,
    ready: firstHold,
    async close() {
      closed = true;
      off();
      clearInterval(heartbeat);
      if (pollTimer) clearInterval(pollTimer);
      await polling;
      await automations.idle();
      await firstHold;
      await lock.release().catch(() => {});
    },
  };
}
