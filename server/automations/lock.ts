import { randomUUID } from "node:crypto";
import type { Db } from "../db/client";

/**
 * One holder per database for the background work of issue 15 (the Railway poller, the
 * automations): every `workdeck serve` on the database tries, the one whose row is fresh holds
 * it, and another takes over within `ttlMs` of the holder's last heartbeat. A row with an expiry
 * rather than the session runner's lease (sessions/server-lease.ts): that lease is the runner's
 * own, says which process runs which session, and has no notion of "the one" among live ones.
 */
export class IntegrationLock {
  readonly owner = randomUUID();
  private held = false;

  constructor(
    private readonly db: Db,
    readonly name: string,
    private readonly ttlMs = 30_000,
  ) {}

  /** Takes or renews the lock; true while this process holds it. */
  tryHold(now = Date.now()): boolean {
    const info = this.db.$client
      .prepare(
        `INSERT INTO integration_locks (name, owner, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
         WHERE integration_locks.owner = excluded.owner OR integration_locks.expires_at < ?`,
      )
      .run(this.name, this.owner, now + this.ttlMs, now);
    this.held = info.changes > 0;
    return this.held;
  }

  isHeld(): boolean {
    return this.held;
  }

  /** A clean stop hands the lock on at once instead of after the expiry. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    this.db.$client.prepare("DELETE FROM integration_locks WHERE name = ? AND owner = ?").run(this.name, this.owner);
  }
}
