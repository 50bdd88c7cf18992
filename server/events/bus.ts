import { EventEmitter } from "node:events";
import { and, asc, eq, gt, inArray, isNull, or } from "drizzle-orm";
import type { Db } from "../db/client";
import { events } from "../db/schema";
import type { WorkdeckEvent, WorkdeckEventInput, WorkdeckEventType } from "@/lib/schemas/events";
import type { EventNotifier } from "./notifier";

export type EventFilter = {
  projectSlug?: string;
  types?: readonly WorkdeckEventType[];
};

export type StreamOptions = {
  filter?: EventFilter;
  lastEventId?: number | null;
  signal?: AbortSignal;
  /**
   * Live events held for a consumer that has not pulled them yet. Past this the subscriber is
   * dropped (see SubscriberTooSlowError) instead of holding the server's memory. Default 1,000.
   */
  maxQueue?: number;
  /**
   * A finer filter than `filter` (e.g. events.subscribe's per-tab wants), applied before an
   * event is queued or yielded: what it rejects takes no room in the queue, and "has yielded"
   * then means "the client has an id to resume from".
   */
  accept?: (event: WorkdeckEvent) => boolean;
};

/** Rows per back-fill query. */
const PAGE = 1000;
const DEFAULT_MAX_QUEUE = 1000;
/**
 * With a notifier up, the table is still swept this often: pub/sub is at-most-once, and one-shot
 * CLI writers (`workdeck ingest`) announce nothing.
 */
const SWEEP_WITH_NOTIFIER_MS = 2_000;

/**
 * Ends a stream whose consumer fell more than `maxQueue` events behind (a stalled browser, a
 * dead socket). Not a tRPC error on purpose: it reaches the client as INTERNAL_SERVER_ERROR,
 * which httpSubscriptionLink treats as retryable, so it reconnects with the last id it saw and
 * back-fills from the table.
 */
export class SubscriberTooSlowError extends Error {
  constructor(maxQueue: number) {
    super(`This subscription fell behind by more than ${maxQueue} events and was dropped; reconnect with the last event id to resume.`);
    this.name = "SubscriberTooSlowError";
  }
}

type Subscriber = { queue: WorkdeckEvent[] };

/**
 * The one event bus. Every event is appended to the `events` table first, so
 * its id is a durable cursor, then emitted to live listeners.
 */
export class EventBus {
  private readonly emitter = new EventEmitter();
  private readonly insert;
  /** Live stream queues, for listenerCount()/subscriberQueues() (operators and tests). */
  private readonly subscribers = new Set<Subscriber>();
  /** Highest id this process has emitted or seen while polling. */
  private polledUpTo = 0;
  /** Ids this process published itself since the last poll, so polling does not emit them twice. */
  private readonly ownSincePoll = new Set<number>();
  private pollTimer: NodeJS.Timeout | null = null;
  private lastPollAt = 0;
  /** Cross-instance announcements (notifier.ts); null = polling alone (one host, one file). */
  private notifier: EventNotifier | null = null;
  /** Ids committed in this turn, announced together once it ends (a burst is one message). */
  private unannounced: number[] = [];
  /** Highest id emitted here, this process's or another's (kept while polling). */
  private seenUpTo = 0;
  private relayQueued = false;

  constructor(private readonly db: Db) {
    // Many SSE subscribers are normal for a dashboard; the default of 10 would warn.
    this.emitter.setMaxListeners(0);
    this.insert = db.$client.prepare<[string, string | null, string, number]>(
      "INSERT INTO events (type, project_slug, payload, created_at) VALUES (?, ?, ?, ?)",
    );
  }

  publish(input: WorkdeckEventInput): WorkdeckEvent {
    const event = this.append(input);
    this.emitCommitted(event);
    return event;
  }

  /**
   * Stores the event without telling listeners, for a caller that writes it inside its own
   * transaction (hook ingest): call emitCommitted() once that commits, so no listener sees an
   * event a rollback then undoes.
   */
  append(input: WorkdeckEventInput): WorkdeckEvent {
    const at = Date.now();
    const info = this.insert.run(input.type, input.projectSlug ?? null, JSON.stringify(input), at);
    return { ...input, id: Number(info.lastInsertRowid), at } as WorkdeckEvent;
  }

  /** Emits an appended event to live listeners (after its transaction committed). */
  emitCommitted(event: WorkdeckEvent): void {
    if (this.pollTimer) {
      // Another instance committed rows below this one that have not arrived yet: emit them first,
      // so listeners see ids in order (a stream skips an id below one it has yielded).
      if (this.notifier && event.id > this.seenUpTo + 1) this.pollForeign(event.id);
      // Marked here, not in append(): a rolled-back row's id may be reused by another process's event.
      this.ownSincePoll.add(event.id);
      if (event.id > this.seenUpTo) this.seenUpTo = event.id;
    }
    this.emitter.emit("event", event);
    if (this.notifier && this.unannounced.push(event.id) === 1) setImmediate(() => this.flushAnnouncements());
  }

  /**
   * Other `workdeck serve` processes on the database (issue 14): committed ids are announced
   * through `notifier`, and what the others announce is fetched from the table at once and
   * emitted here. The table stays the source (resume by id works on any instance); the poll
   * remains as a slow sweep, and as the fallback at full rate while the notifier is down.
   */
  useNotifier(notifier: EventNotifier): void {
    this.notifier = notifier;
    // One fetch per turn however many announcements arrived in it.
    notifier.onAnnounce(() => {
      if (!this.pollTimer || this.relayQueued) return;
      this.relayQueued = true;
      setImmediate(() => {
        this.relayQueued = false;
        if (!this.pollTimer) return;
        try {
          this.pollForeign();
        } catch {
          // The database is closing with the process; the next sweep (if any) catches up.
        }
      });
    });
  }

  private flushAnnouncements(): void {
    const ids = this.unannounced;
    this.unannounced = [];
    this.notifier?.announce(ids);
  }

  /**
   * Other processes write to the same table (`workdeck ingest` from a CI job,
   * `workdeck hooks send`): poll for their rows and emit them here, so open
   * browsers see them live. A max(id) probe per tick is all it costs when idle.
   */
  startPolling(intervalMs = 500): void {
    if (this.pollTimer) return;
    this.polledUpTo = this.seenUpTo = this.latestId();
    this.pollTimer = setInterval(() => {
      // A database closed before the bus was stopped (a test's teardown, a dying process): stop quietly.
      if (!this.db.$client.open) return this.stopPolling();
      // A notifier that is up announces foreign rows: then only the slow sweep runs.
      if (this.notifier?.ready() && Date.now() - this.lastPollAt < SWEEP_WITH_NOTIFIER_MS) return;
      this.pollForeign();
    }, intervalMs);
    this.pollTimer.unref();
  }

  stopPolling(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
  }

  /** Emits every row (below `below`) written by other processes since the last poll, page by page; returns how many. */
  pollForeign(below = Number.POSITIVE_INFINITY): number {
    this.lastPollAt = Date.now();
    let emitted = 0;
    for (let page = this.since(this.polledUpTo); page.length > 0; page = page.length < PAGE ? [] : this.since(this.polledUpTo)) {
      for (const event of page) {
        if (event.id >= below) return emitted;
        this.polledUpTo = event.id;
        if (event.id > this.seenUpTo) this.seenUpTo = event.id;
        if (this.ownSincePoll.delete(event.id)) continue;
        this.emitter.emit("event", event);
        emitted++;
      }
    }
    return emitted;
  }

  on(listener: (event: WorkdeckEvent) => void): () => void {
    this.emitter.on("event", listener);
    return () => this.emitter.off("event", listener);
  }

  /** Live listeners (streams and in-process consumers such as notifications). */
  listenerCount(): number {
    return this.emitter.listenerCount("event");
  }

  /** How many undelivered events each live stream holds. */
  subscriberQueues(): number[] {
    return [...this.subscribers].map((s) => s.queue.length);
  }

  /**
   * Stored events after a cursor that match the filter, oldest first, at most `limit`. The
   * filter is in the WHERE clause, so a page shorter than `limit` means there is nothing more:
   * thousands of hook events between two spec events cannot push the second one out of a page.
   */
  since(afterId: number, filter: EventFilter = {}, limit = PAGE): WorkdeckEvent[] {
    if (filter.types && filter.types.length === 0) return [];
    const conditions = [gt(events.id, afterId)];
    if (filter.projectSlug) conditions.push(or(eq(events.projectSlug, filter.projectSlug), isNull(events.projectSlug))!);
    if (filter.types) conditions.push(inArray(events.type, [...filter.types]));
    const rows = this.db
      .select()
      .from(events)
      .where(and(...conditions))
      .orderBy(asc(events.id))
      .limit(limit)
      .all();
    return rows.map((r) => ({ ...(r.payload as WorkdeckEventInput), id: r.id, at: r.createdAt.getTime() }) as WorkdeckEvent);
  }

  latestId(): number {
    const row = this.db.$client.prepare("SELECT max(id) AS id FROM events").get() as { id: number | null };
    return row.id ?? 0;
  }

  /**
   * Live events matching the filter, resuming after `lastEventId`. Listens before back-filling
   * from the table so nothing published in between is lost, and drops duplicates by id.
   *
   * A consumer more than `maxQueue` events behind is dropped at once (its listener and queue go,
   * so a stalled one costs nothing more), and its next pull throws SubscriberTooSlowError: the
   * client reconnects with the last id it saw and back-fills from the table. Before the stream
   * has yielded anything the client has no id to resume from, so it catches up from the table
   * itself instead (a burst can fill a queue before the first pull).
   */
  async *stream(opts: StreamOptions): AsyncGenerator<WorkdeckEvent> {
    const filter = opts.filter ?? {};
    const accept = opts.accept;
    const maxQueue = opts.maxQueue ?? DEFAULT_MAX_QUEUE;
    const sub: Subscriber = { queue: [] };
    let dropped = false;
    let wake: (() => void) | undefined;
    const listener = (event: WorkdeckEvent) => {
      if (!matches(event, filter) || (accept && !accept(event))) return;
      if (sub.queue.length < maxQueue) sub.queue.push(event);
      else {
        // Here, not at its next pull: a stalled consumer may never pull again.
        dropped = true;
        detach();
      }
      wake?.();
    };
    const attach = () => {
      this.emitter.on("event", listener);
      this.subscribers.add(sub);
    };
    const detach = () => {
      this.emitter.off("event", listener);
      this.subscribers.delete(sub);
      sub.queue = [];
    };
    const onAbort = () => wake?.();
    opts.signal?.addEventListener("abort", onAbort);
    attach();
    try {
      let cursor = opts.lastEventId ?? this.latestId();
      let backfill = opts.lastEventId != null;
      let yielded = false;
      while (!opts.signal?.aborted) {
        if (dropped) {
          if (yielded) throw new SubscriberTooSlowError(maxQueue);
          dropped = false;
          attach();
          backfill = true;
        }
        if (backfill) {
          backfill = false;
          pages: for (let page = this.since(cursor, filter); page.length > 0; page = page.length < PAGE ? [] : this.since(cursor, filter)) {
            for (const event of page) {
              if (dropped) break pages;
              cursor = event.id;
              if (accept && !accept(event)) continue;
              yielded = true;
              yield event;
            }
          }
          continue;
        }
        const next = sub.queue.shift();
        if (!next) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        if (next.id <= cursor) continue;
        cursor = next.id;
        yielded = true;
        yield next;
      }
    } finally {
      detach();
      opts.signal?.removeEventListener("abort", onAbort);
    }
  }
}

function matches(event: WorkdeckEvent, filter: EventFilter): boolean {
  if (filter.types && !filter.types.includes(event.type)) return false;
  if (filter.projectSlug && event.projectSlug && event.projectSlug !== filter.projectSlug) return false;
  return true;
}
