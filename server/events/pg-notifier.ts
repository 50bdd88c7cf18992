/**
 * Announcements through PostgreSQL LISTEN/NOTIFY (issue 14), for instances whose store is
 * PostgreSQL: no second engine to run. A trigger on `events` (drizzle/pg/0001_events_notify.sql)
 * notifies `workdeck_events` with each stored id, delivered when the writing transaction commits,
 * so announce() has nothing to do and one-shot writers (`workdeck ingest`) are announced too.
 * An instance hears its own ids as well; the bus skips those (they are in its ownSincePoll).
 *
 * One dedicated connection holds the LISTEN (a pooled one would lose it when released). It
 * reconnects in the background with backoff; meanwhile ready() is false and the bus polls.
 */
import pg from "pg";
import { backoffDelay } from "@/lib/backoff";
import type { Logger } from "../logger";
import type { EventNotifier } from "./notifier";

export const PG_CHANNEL = "workdeck_events";

export class PgNotifier implements EventNotifier {
  readonly kind = "postgres";
  private client: pg.Client | null = null;
  private listening = false;
  private closed = false;
  private attempt = 0;
  private retry: NodeJS.Timeout | null = null;
  private reportedDown = false;
  private readonly listeners: ((ids: number[]) => void)[] = [];

  constructor(
    private readonly url: string,
    private readonly log: Pick<Logger, "info" | "warn">,
  ) {}

  /** Connects in the background; settles once listening (or closed). */
  async start(): Promise<void> {
    if (this.closed || this.client) return;
    const client = new pg.Client({ connectionString: this.url, application_name: "workdeck-notifier", connectionTimeoutMillis: 5_000 });
    this.client = client;
    client.on("notification", (msg) => {
      if (msg.channel !== PG_CHANNEL || !msg.payload) return;
      const id = Number(msg.payload);
      if (!Number.isSafeInteger(id) || id <= 0) return;
      for (const l of this.listeners) l([id]);
    });
    client.on("error", (err) => this.down(client, err));
    client.on("end", () => this.down(client, new Error("connection ended")));
    try {
      await client.connect();
      await client.query(`LISTEN ${PG_CHANNEL}`);
      if (this.closed || this.client !== client) return;
      this.listening = true;
      this.attempt = 0;
      if (this.reportedDown) this.log.info({ notifier: this.kind }, "event notifier reconnected");
      this.reportedDown = false;
    } catch (err) {
      this.down(client, err);
    }
  }

  ready(): boolean {
    return !this.closed && this.listening;
  }

  announce(): void {
    // The events table's trigger announces every committed row.
  }

  onAnnounce(listener: (ids: number[]) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listening = false;
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
  }

  private down(client: pg.Client, err: unknown): void {
    if (this.client !== client) return;
    this.listening = false;
    this.client = null;
    client.end().catch(() => {});
    if (this.closed) return;
    if (!this.reportedDown) this.log.warn({ err, notifier: this.kind }, "event notifier down: polling the table until it is back");
    this.reportedDown = true;
    this.retry = setTimeout(() => void this.start(), backoffDelay(this.attempt++, { baseMs: 100, maxMs: 2_000 }));
    this.retry.unref();
  }
}
