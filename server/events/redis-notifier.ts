import { randomUUID } from "node:crypto";
import type { Logger } from "../logger";
import { decodeAnnouncement, encodeAnnouncement, type EventNotifier } from "./notifier";

/** The clients as start() makes them (a type-only import: node-redis loads when start() runs). */
function newClients(redis: typeof import("redis"), url: string) {
  // Quick retries capped at 2 s: a restarted Redis is back in use within a couple of seconds.
  const socket = { connectTimeout: 2_000, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2_000) };
  const client = redis.createClient({ url, disableOfflineQueue: true, socket });
  return { client, subscriber: client.duplicate() };
}
type RedisClient = ReturnType<typeof newClients>["client"];

export const DEFAULT_CHANNEL = "workdeck:events";

/**
 * Announcements over Redis pub/sub (`WORKDECK_REDIS_URL`). Two connections, as Redis requires:
 * one publishes, one stays subscribed. Neither blocks the server: start() returns at once, the
 * clients connect and reconnect in the background (node-redis restores the subscription), and
 * while either is down ready() is false, so the bus polls the table instead. Publishing while
 * down fails fast (no offline queue): the rows are in the table, the poll finds them.
 *
 * node-redis (1.8 MB of JavaScript with its modules) is imported by start(), so a server without
 * WORKDECK_REDIS_URL never loads it (issue 12).
 */
export class RedisNotifier implements EventNotifier {
  readonly kind = "redis";
  /** This instance on the channel, so it ignores what it published itself. */
  readonly id = randomUUID();
  private pub: RedisClient | null = null;
  private sub: RedisClient | null = null;
  private subscribed = false;
  private closed = false;
  /** One log line per outage, not one per reconnect attempt. */
  private reportedDown = false;
  private readonly listeners: ((ids: number[]) => void)[] = [];

  constructor(
    private readonly url: string,
    private readonly log: Pick<Logger, "info" | "warn">,
    private readonly channel = DEFAULT_CHANNEL,
  ) {}

  /** Connects in the background; the returned promise settles once both connections are up (or closed). */
  async start(): Promise<void> {
    const redis = await import("redis");
    if (this.closed) return;
    const { client, subscriber } = newClients(redis, this.url);
    this.pub = client;
    this.sub = subscriber;
    for (const c of [client, subscriber]) {
      c.on("error", (err: unknown) => this.down(err));
      c.on("ready", () => this.up());
    }
    const pub = client.connect().then(() => undefined);
    const sub = subscriber.connect().then(() =>
      subscriber.subscribe(this.channel, (message) => {
        const a = decodeAnnouncement(message);
        if (!a || a.from === this.id) return;
        for (const l of this.listeners) l(a.ids);
      }),
    );
    return Promise.all([pub, sub]).then(
      () => {
        this.subscribed = true;
        this.up();
      },
      (err: unknown) => {
        if (!this.closed) this.down(err);
      },
    );
  }

  ready(): boolean {
    return !this.closed && this.subscribed && !!this.pub?.isReady && !!this.sub?.isReady;
  }

  announce(ids: readonly number[]): void {
    if (ids.length === 0 || !this.pub?.isReady) return;
    this.pub.publish(this.channel, encodeAnnouncement({ from: this.id, ids: [...ids] })).catch((err: unknown) => this.down(err));
  }

  onAnnounce(listener: (ids: number[]) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const client of [this.pub, this.sub]) {
      if (!client) continue;
      // destroy, not close: nothing queued is worth waiting for, and a client still connecting has to stop too.
      if (client.isOpen) client.destroy();
    }
  }

  private up(): void {
    if (!this.ready()) return;
    if (this.reportedDown) this.log.info("Redis is back: cross-instance events are announced again");
    this.reportedDown = false;
  }

  private down(err: unknown): void {
    if (this.closed || this.reportedDown) return;
    this.reportedDown = true;
    this.log.warn(
      { err: err instanceof Error ? err.message : String(err) },
      "Redis unreachable: cross-instance events fall back to polling the events table",
    );
  }
}
