import { randomUUID } from "node:crypto";
import { createClient } from "redis";
import type { Logger } from "../logger";
import { decodeAnnouncement, encodeAnnouncement, type EventNotifier } from "./notifier";

export const DEFAULT_CHANNEL = "workdeck:events";

/**
 * Announcements over Redis pub/sub (`WORKDECK_REDIS_URL`). Two connections, as Redis requires:
 * one publishes, one stays subscribed. Neither blocks the server: start() returns at once, the
 * clients connect and reconnect in the background (node-redis restores the subscription), and
 * while either is down ready() is false, so the bus polls the table instead. Publishing while
 * down fails fast (no offline queue): the rows are in the table, the poll finds them.
 */
export class RedisNotifier implements EventNotifier {
  readonly kind = "redis";
  /** This instance on the channel, so it ignores what it published itself. */
  readonly id = randomUUID();
  private readonly pub;
  private readonly sub;
  private subscribed = false;
  private closed = false;
  /** One log line per outage, not one per reconnect attempt. */
  private reportedDown = false;
  private readonly listeners: ((ids: number[]) => void)[] = [];

  constructor(
    url: string,
    private readonly log: Pick<Logger, "info" | "warn">,
    private readonly channel = DEFAULT_CHANNEL,
  ) {
    // Quick retries capped at 2 s: a restarted Redis is back in use within a couple of seconds.
    const socket = { connectTimeout: 2_000, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2_000) };
    this.pub = createClient({ url, disableOfflineQueue: true, socket });
    this.sub = this.pub.duplicate();
    for (const client of [this.pub, this.sub]) {
      client.on("error", (err: unknown) => this.down(err));
      client.on("ready", () => this.up());
    }
  }

  /** Connects in the background; the returned promise settles once both connections are up (or closed). */
  start(): Promise<void> {
    const pub = this.pub.connect().then(() => undefined);
    const sub = this.sub.connect().then(() =>
      this.sub.subscribe(this.channel, (message) => {
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
    return !this.closed && this.subscribed && this.pub.isReady && this.sub.isReady;
  }

  announce(ids: readonly number[]): void {
    if (ids.length === 0 || !this.pub.isReady) return;
    this.pub.publish(this.channel, encodeAnnouncement({ from: this.id, ids: [...ids] })).catch((err: unknown) => this.down(err));
  }

  onAnnounce(listener: (ids: number[]) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const client of [this.pub, this.sub]) {
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
