/**
 * How `workdeck serve` processes on one database tell each other that events were stored
 * (issue 14). The rows stay in the shared `events` table, which is what makes resume by id work
 * across instances; an announcement only says "new rows up to these ids", and every other
 * instance fetches them by id from the table and fans them out to its own subscribers.
 *
 * Implementations ride an existing engine, never a home-made protocol: Redis pub/sub
 * (redis-notifier.ts), and PostgreSQL LISTEN/NOTIFY for a PostgreSQL store (pg-notifier.ts: a
 * trigger notifies inside the writing transaction, delivered on commit). Delivery is
 * at-most-once in both, so the bus keeps a slow sweep of the table behind any notifier.
 */
export interface EventNotifier {
  /** "redis" or "postgres": for logs and the bench. */
  readonly kind: string;
  /** True while announcements flow both ways; when false the bus polls at the fallback rate. */
  ready(): boolean;
  /** Tells the other instances these committed ids exist. Never throws and never waits. */
  announce(ids: readonly number[]): void;
  /** `listener` gets the ids each other instance announces (never this instance's own). */
  onAnnounce(listener: (ids: number[]) => void): void;
  close(): Promise<void>;
}

/** One announcement on the wire: who sent it (so an instance ignores its own) and the ids. */
export type Announcement = { from: string; ids: number[] };

export function encodeAnnouncement(a: Announcement): string {
  return JSON.stringify(a);
}

/** Null for anything that is not an announcement (another program on the channel, a bad write). */
export function decodeAnnouncement(raw: string): Announcement | null {
  try {
    const v = JSON.parse(raw) as Partial<Announcement>;
    if (typeof v?.from !== "string" || !Array.isArray(v.ids)) return null;
    const ids = v.ids.filter((id): id is number => Number.isSafeInteger(id) && id > 0);
    return ids.length ? { from: v.from, ids } : null;
  } catch {
    return null;
  }
}
