import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import { eq, inArray } from "drizzle-orm";
import type { Db } from "../db/client";
import { serverLeases } from "../db/schema";
import { processStartTime } from "./processes";

/**
 * Which process runs which session (issue 10 item 1). A second `workdeck serve` on the same
 * database once took the live server's running sessions for orphans and killed them. Now every
 * process that runs sessions holds a lease, each session records its owner's, and recovery only
 * touches sessions whose owner is gone.
 *
 * On this host a lease is alive exactly while its process is: pid plus start time, so neither a
 * reused pid nor a stalled event loop (a suspended laptop, a long ingest) counts as death. From
 * another host (a shared database) the heartbeat is all there is, so it must be fresh.
 */

export const LEASE_HEARTBEAT_MS = 15_000;
/** Seen from another host, a lease without a heartbeat for this long is dead. */
export const LEASE_TTL_MS = 60_000;

export class ServerLease {
  readonly id = randomUUID();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly db: Db) {}

  /** Registers this process (once) and keeps its heartbeat; returns the lease id sessions record. */
  acquire(): string {
    if (this.timer) return this.id;
    const now = new Date();
    this.db
      .insert(serverLeases)
      .values({
        id: this.id,
        host: thisHost(),
        pid: process.pid,
        pidStart: processStartTime(process.pid),
        startedAt: now,
        heartbeatAt: now,
      })
      .run();
    this.timer = setInterval(() => {
      try {
        this.db.update(serverLeases).set({ heartbeatAt: new Date() }).where(eq(serverLeases.id, this.id)).run();
      } catch {
        // The database is closing with the process; nothing to keep alive.
      }
    }, LEASE_HEARTBEAT_MS);
    this.timer.unref();
    return this.id;
  }

  /** A clean exit: what this process still owned is an orphan for whoever starts next. */
  release(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = null;
    this.db.delete(serverLeases).where(eq(serverLeases.id, this.id)).run();
  }
}

/** The ids of the leases whose process still runs; the rows of dead ones are removed. */
export function liveLeaseIds(db: Db, now = Date.now()): Set<string> {
  const live = new Set<string>();
  const dead: string[] = [];
  for (const lease of db.select().from(serverLeases).all()) {
    if (leaseAlive(lease, now)) live.add(lease.id);
    else dead.push(lease.id);
  }
  if (dead.length) db.delete(serverLeases).where(inArray(serverLeases.id, dead)).run();
  return live;
}

export function leaseAlive(lease: typeof serverLeases.$inferSelect, now = Date.now()): boolean {
  if (lease.host !== thisHost()) return now - lease.heartbeatAt.getTime() < LEASE_TTL_MS;
  try {
    process.kill(lease.pid, 0);
  } catch (err) {
    // EPERM: it exists, under another user.
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  return lease.pidStart === null || processStartTime(lease.pid) === lease.pidStart;
}

/** The host name plus the boot id: after a reboot, every recorded pid is somebody else's. */
function thisHost(): string {
  let boot = "";
  try {
    boot = fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    // no /proc: the host name alone
  }
  return boot ? `${os.hostname()}#${boot}` : os.hostname();
}
