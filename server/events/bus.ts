import { EventEmitter } from "node:events";
import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { PreparedQuery, SqliteStore, step, type SqlStore, type StoreSteps } from "../db/sql-store";
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

/** Event writers take turns on it (see recordSteps). */
const EVENTS_LOCK = "workdeck:events";
const INSERT_EVENT = new PreparedQuery("INSERT INTO events (type, project_slug, payload, created_at) VALUES (?, ?, ?, ?) RETURNING id");
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

type EventRow = { id: number; payload: string; created_at: number };

// Object.assign, not a spread with extra keys: V8's slow path for those costs about 1 µs an event (issue 12).
const toEvent = (r: EventRow): WorkdeckEvent =>
  Object.assign(JSON.parse(r.payload) as WorkdeckEventInput, { id: Number(r.id), at: Number(r.created_at) }) as WorkdeckEvent;

/**
 * The one event bus. Every event is appended to the `events` table first, so
 * its id is a durable cursor, then emitted to live listeners.
 *
 * Reads and port writers (`record`, `publishAsync`) go through the SQL port, so they work on
 * either store (issue 14); `publish`/`append` are the synchronous SQLite path for callers that
 * write inside a better-sqlite3 transaction. Emission stays in id order: when a poll of other
 * processes' rows or a deferred emit is in flight, later emits queue behind it.
 */
export class EventBus {
  private readonly emitter = new EventEmitter();
  private readonly insert;
  private readonly store: SqlStore;
  /** Polls and deferred emits, one after another (see emitCommitted). */
  private serial: Promise<unknown> = Promise.resolve();
  private inSerial = 0;
  /** Live stream queues, for listenerCount()/subscriberQueues() (operators and tests). */
  private readonly subscribers = new Set<Subscriber>();
  /** Highest id this process has emitted or seen while polling. */
  private polledUpTo = 0;
  /** Ids this process published itself since the last poll, so polling does not emit them twice. */
  private readonly ownSincePoll = new Set<number>();
  private pollTimer: NodeJS.Timeout | null = null;
  private pollStarting = false;
  /** Highest id handed to listeners; while polling, every row reaches them in id order. */
  private emittedUpTo = 0;
  private pollStopped = false;
  private lastPollAt = 0;
  /** Cross-instance announcements (notifier.ts); null = polling alone (one host, one file). */
  private notifier: EventNotifier | null = null;
  /** Ids committed in this turn, announced together once it ends (a burst is one message). */
  private unannounced: number[] = [];
  /** Highest id emitted here, this process's or another's (kept while polling). */
  private seenUpTo = 0;
  private relayQueued = false;

  /** `db`: the SQLite handle for the synchronous path (null on PostgreSQL); `store`: the port (default: `db`'s). */
  constructor(
    private readonly db: Db | null,
    store?: SqlStore,
  ) {
    // Many SSE subscribers are normal for a dashboard; the default of 10 would warn.
    this.emitter.setMaxListeners(0);
    if (!db && !store) throw new Error("EventBus needs a database");
    this.store = store ?? SqliteStore.on(db!.$client);
    this.insert =
      db?.$client.prepare<[string, string | null, string, number]>(
        "INSERT INTO events (type, project_slug, payload, created_at) VALUES (?, ?, ?, ?)",
      ) ?? null;
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
    if (!this.insert) throw new Error("bus.append() is the SQLite path: use record() on this store");
    const at = Date.now();
    const info = this.insert.run(input.type, input.projectSlug ?? null, JSON.stringify(input), at);
    return Object.assign({}, input, { id: Number(info.lastInsertRowid), at }) as WorkdeckEvent;
  }

  /**
   * Stores the event through the port, in the caller's transaction when `tx` is one; like
   * append(), call emitCommitted() once that commits.
   */
  async record(tx: SqlStore, input: WorkdeckEventInput): Promise<WorkdeckEvent> {
    return tx.transaction((t) => t.steps(this.recordSteps(input)), { exclusive: EVENTS_LOCK });
  }

  /** record() as steps of the caller's transaction (the hook committer's batch: no promise per event). */
  *recordSteps(input: WorkdeckEventInput): StoreSteps<WorkdeckEvent> {
    const at = Date.now();
    // Ids are cursors, so they must become visible in id order. SQLite has one writer at a time;
    // PostgreSQL hands out sequence values to concurrent transactions that may commit out of
    // order, so event writers take turns (the lock lasts until the caller's transaction ends).
    yield* step.lock(EVENTS_LOCK);
    const { row } = yield* step.run<{ id: number }>(INSERT_EVENT, [input.type, input.projectSlug ?? null, JSON.stringify(input), at]);
    // Not `{ ...input, id, at }`: V8 (Node 20) takes a slow path for a spread with extra keys, about 1 µs here (issue 12).
    return Object.assign({}, input, { id: Number(row!.id), at }) as WorkdeckEvent;
  }

  /** publish() through the port: stores, then emits. */
  async publishAsync(input: WorkdeckEventInput): Promise<WorkdeckEvent> {
    const event = await this.record(this.store, input);
    await this.recordedCommitted([event]);
    return event;
  }

  /**
   * Emits events stored with record() once their transaction committed. While polling, through
   * the table: a port write's commit and its acknowledgement are apart (other instances' rows,
   * and this one's other writes, commit in between), so rows are handed out by one reader in id
   * order, each once, whoever wrote them.
   */
  async recordedCommitted(events: readonly WorkdeckEvent[]): Promise<void> {
    if (!this.pollTimer || this.followsSeen(events)) {
      for (const e of events) this.emitCommitted(e);
      return;
    }
    this.announce(events.map((e) => e.id));
    await this.pollForeign();
  }

  /**
   * True when `events` start right after the last id this bus has seen and run on without a gap,
   * and nothing is being polled: then no one else's row can come before them, and they are emitted as they are instead of read
   * back from the table (the hook committer's every batch: a read-back per batch cost the hook
   * endpoint a third of its throughput, issue 12).
   */
  private followsSeen(events: readonly WorkdeckEvent[]): boolean {
    // A poll in flight may already hold later rows of others, which it would emit before these.
    if (this.inSerial > 0) return false;
    const first = events[0]?.id;
    return first === this.seenUpTo + 1 && events.every((e, i) => e.id === first + i);
  }

  /** Emits an appended event to live listeners (after its transaction committed). */
  emitCommitted(event: WorkdeckEvent): void {
    // Another instance committed rows below this one that have not arrived yet: emit them first,
    // so listeners see ids in order (a stream skips an id below one it has yielded).
    const gap = !!this.pollTimer && !!this.notifier && event.id > this.seenUpTo + 1;
    if (this.pollTimer) {
      // Marked here, not in append(): a rolled-back row's id may be reused by another process's event.
      this.ownSincePoll.add(event.id);
      if (event.id > this.seenUpTo) this.seenUpTo = event.id;
    }
    if (gap || this.inSerial) {
      void this.inTurn(async () => {
        if (gap) await this.pollPages(event.id).catch(() => 0);
        this.emit(event);
      });
    } else this.emit(event);
    this.announce([event.id]);
  }

  private emit(event: WorkdeckEvent): void {
    if (event.id > this.emittedUpTo) this.emittedUpTo = event.id;
    this.emitter.emit("event", event);
  }

  /** Runs `step` after every poll and deferred emit queued before it. */
  private inTurn<T>(step: () => Promise<T>): Promise<T> {
    this.inSerial++;
    const run = this.serial.then(step).finally(() => this.inSerial--);
    this.serial = run.catch(() => {});
    return run;
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
        // A failure (the database closing with the process) is left to the next sweep, if any.
        this.pollForeign().catch(() => {});
      });
    });
  }

  /** Queues committed ids for the notifier; everything committed in one turn goes out as one message. */
  private announce(ids: readonly number[]): void {
    if (!this.notifier || !ids.length) return;
    const first = this.unannounced.length === 0;
    this.unannounced.push(...ids);
    if (first) setImmediate(() => this.flushAnnouncements());
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
  /** Resolves once polling runs (from the table's current end). */
  async startPolling(intervalMs = 500): Promise<void> {
    if (this.pollTimer || this.pollStarting) return;
    this.pollStarting = true;
    try {
      this.polledUpTo = this.seenUpTo = this.emittedUpTo = await this.latestId();
    } finally {
      this.pollStarting = false;
    }
    if (this.pollTimer || this.pollStopped) return;
    this.pollTimer = setInterval(() => {
      // A database closed before the bus was stopped (a test's teardown, a dying process): stop quietly.
      if (this.db && !this.db.$client.open) return this.stopPolling();
      // A notifier that is up announces foreign rows: then only the slow sweep runs.
      if (this.notifier?.ready() && Date.now() - this.lastPollAt < SWEEP_WITH_NOTIFIER_MS) return;
      this.pollForeign().catch(() => {});
    }, intervalMs);
    this.pollTimer.unref();
  }

  stopPolling(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
    if (this.pollStarting) this.pollStopped = true;
  }

  /** Emits every row written by other processes since the last poll, in turn with other emits; returns how many. */
  pollForeign(): Promise<number> {
    return this.inTurn(() => this.pollPages(Number.POSITIVE_INFINITY));
  }

  /** The pages of a poll (below `below`); runs inside a turn. */
  private async pollPages(below: number): Promise<number> {
    this.lastPollAt = Date.now();
    let emitted = 0;
    for (;;) {
      // Ids first: under hook traffic nearly every row is this process's own, emitted already, and
      // reading back each one's payload cost more than storing it did (issue 12).
      const ids = await this.idsSince(this.polledUpTo);
      let own = 0;
      for (; own < ids.length && ids[own]! < below && this.ownSincePoll.has(ids[own]!); own++) this.passed(ids[own]!);
      if (own === ids.length) {
        if (ids.length < PAGE) return emitted;
        continue;
      }
      if (ids[own]! >= below) return emitted;
      // Someone else's row: the page with payloads, from it on.
      const page = await this.since(this.polledUpTo);
      for (const event of page) {
        if (event.id >= below) return emitted;
        const ours = this.ownSincePoll.has(event.id);
        this.passed(event.id);
        if (ours) continue;
        this.emit(event);
        emitted++;
      }
      if (page.length < PAGE) return emitted;
    }
  }

  /** A row the poll went past (its own rows are forgotten: they were emitted when committed). */
  private passed(id: number): void {
    this.polledUpTo = id;
    if (id > this.seenUpTo) this.seenUpTo = id;
    this.ownSincePoll.delete(id);
  }

  private async idsSince(afterId: number): Promise<number[]> {
    return (await this.store.values(sql`SELECT id FROM events WHERE id > ${afterId} ORDER BY id LIMIT ${PAGE}`)).map((r) => Number(r[0]));
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
  async since(afterId: number, filter: EventFilter = {}, limit = PAGE): Promise<WorkdeckEvent[]> {
    if (filter.types && filter.types.length === 0) return [];
    const project = filter.projectSlug ? sql`AND (project_slug = ${filter.projectSlug} OR project_slug IS NULL)` : sql``;
    const types = filter.types ? sql`AND type IN ${[...filter.types]}` : sql``;
    const rows = await this.store.all<EventRow>(
      sql`SELECT id, payload, created_at FROM events WHERE id > ${afterId} ${project} ${types} ORDER BY id LIMIT ${limit}`,
    );
    return rows.map(toEvent);
  }

  async latestId(): Promise<number> {
    const row = await this.store.get<{ id: number | null }>(sql`SELECT max(id) AS id FROM events`);
    return Number(row?.id ?? 0);
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
      // From "now": while polling, every row reaches listeners in id order, so what was handed out
      // before the listener was attached is exactly what is not delivered. Otherwise (own events
      // only) the table's end, less whatever was queued while it was being read.
      let cursor = opts.lastEventId ?? (this.pollTimer ? this.emittedUpTo : await this.latestId());
      if (opts.lastEventId == null && !this.pollTimer && sub.queue.length) cursor = Math.min(cursor, sub.queue[0]!.id - 1);
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
          pages: for (
            let page = await this.since(cursor, filter);
            page.length > 0;
            page = page.length < PAGE ? [] : await this.since(cursor, filter)
          ) {
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
