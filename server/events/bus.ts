import { EventEmitter } from "node:events";
import { and, asc, eq, gt, lt, or, isNull } from "drizzle-orm";
import type { Db } from "../db/client";
import { events } from "../db/schema";
import type { WorkdeckEvent, WorkdeckEventInput, WorkdeckEventType } from "@/lib/schemas/events";

export type EventFilter = {
  projectSlug?: string;
  types?: readonly WorkdeckEventType[];
};

/**
 * The one event bus. Every event is appended to the `events` table first, so
 * its id is a durable cursor, then emitted to live listeners.
 */
export class EventBus {
  private readonly emitter = new EventEmitter();
  private readonly insert;
  /** Highest id this process has emitted or seen while polling. */
  private polledUpTo = 0;
  /** Ids this process published itself since the last poll, so polling does not emit them twice. */
  private readonly ownSincePoll = new Set<number>();
  private pollTimer: NodeJS.Timeout | null = null;

  constructor(private readonly db: Db) {
    // Many SSE subscribers are normal for a dashboard; the default of 10 would warn.
    this.emitter.setMaxListeners(0);
    this.insert = db.$client.prepare<[string, string | null, string, number]>(
      "INSERT INTO events (type, project_slug, payload, created_at) VALUES (?, ?, ?, ?)",
    );
  }

  publish(input: WorkdeckEventInput): WorkdeckEvent {
    const at = Date.now();
    const info = this.insert.run(input.type, input.projectSlug ?? null, JSON.stringify(input), at);
    const event = { ...input, id: Number(info.lastInsertRowid), at } as WorkdeckEvent;
    if (this.pollTimer) this.ownSincePoll.add(event.id);
    this.emitter.emit("event", event);
    return event;
  }

  /**
   * Other processes write to the same table (`workdeck ingest` from a CI job,
   * `workdeck hooks send`): poll for their rows and emit them here, so open
   * browsers see them live. A max(id) probe per tick is all it costs when idle.
   */
  startPolling(intervalMs = 500): void {
    if (this.pollTimer) return;
    this.polledUpTo = this.latestId();
    this.pollTimer = setInterval(() => this.pollForeign(), intervalMs);
    this.pollTimer.unref();
  }

  stopPolling(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
  }

  /** Emits rows written by other processes since the last poll; returns how many. */
  pollForeign(): number {
    if (this.latestId() <= this.polledUpTo) return 0;
    let emitted = 0;
    for (const event of this.since(this.polledUpTo, {}, 5000)) {
      this.polledUpTo = event.id;
      if (this.ownSincePoll.delete(event.id)) continue;
      this.emitter.emit("event", event);
      emitted++;
    }
    return emitted;
  }

  on(listener: (event: WorkdeckEvent) => void): () => void {
    this.emitter.on("event", listener);
    return () => this.emitter.off("event", listener);
  }

  /** Stored events after a cursor, oldest first. */
  since(afterId: number, filter: EventFilter = {}, limit = 1000): WorkdeckEvent[] {
    const conditions = [gt(events.id, afterId)];
    if (filter.projectSlug) conditions.push(or(eq(events.projectSlug, filter.projectSlug), isNull(events.projectSlug))!);
    const rows = this.db.select().from(events).where(and(...conditions)).orderBy(asc(events.id)).limit(limit).all();
    return rows
      .map((r) => ({ ...(r.payload as WorkdeckEventInput), id: r.id, at: r.createdAt.getTime() }) as WorkdeckEvent)
      .filter((e) => matches(e, filter));
  }

  latestId(): number {
    const row = this.db.$client.prepare("SELECT max(id) AS id FROM events").get() as { id: number | null };
    return row.id ?? 0;
  }

  /** Keeps the log bounded: drops events older than the cut-off. */
  prune(olderThanMs: number): number {
    return this.db.delete(events).where(lt(events.createdAt, new Date(Date.now() - olderThanMs))).run().changes;
  }

  /**
   * Live events matching the filter, resuming after `lastEventId`. Listens
   * before back-filling from the table so nothing published in between is
   * lost, and drops duplicates by id.
   */
  async *stream(opts: { filter?: EventFilter; lastEventId?: number | null; signal?: AbortSignal }): AsyncGenerator<WorkdeckEvent> {
    const filter = opts.filter ?? {};
    const queue: WorkdeckEvent[] = [];
    let wake: (() => void) | undefined;
    const off = this.on((event) => {
      if (!matches(event, filter)) return;
      queue.push(event);
      wake?.();
    });
    const onAbort = () => wake?.();
    opts.signal?.addEventListener("abort", onAbort);
    try {
      let cursor = opts.lastEventId ?? this.latestId();
      if (opts.lastEventId != null) {
        for (let batch = this.since(cursor, filter); batch.length > 0; batch = this.since(cursor, filter)) {
          for (const event of batch) {
            cursor = event.id;
            yield event;
          }
          if (batch.length < 1000) break;
        }
      }
      while (!opts.signal?.aborted) {
        const next = queue.shift();
        if (!next) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        if (next.id <= cursor) continue;
        cursor = next.id;
        yield next;
      }
    } finally {
      off();
      opts.signal?.removeEventListener("abort", onAbort);
    }
  }
}

function matches(event: WorkdeckEvent, filter: EventFilter): boolean {
  if (filter.types && !filter.types.includes(event.type)) return false;
  if (filter.projectSlug && event.projectSlug && event.projectSlug !== filter.projectSlug) return false;
  return true;
}
