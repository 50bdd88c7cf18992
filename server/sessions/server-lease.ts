import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import { sql } from "drizzle-orm";
import { sqlValues } from "../db/dialect-sql";
import type { SqlStore } from "../db/sql-store";
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
 *
 * The rows go through the SQL port (issue 14), so instances on one PostgreSQL see each other's.
 */

export const LEASE_HEARTBEAT_MS = 15_000;
/** Seen from another host, a lease without a heartbeat for this long is dead. */
export const LEASE_TTL_MS = 60_000;

export type LeaseRow = { id: string; host: string; pid: number; pidStart: string | null; heartbeatAt: Date };

export class ServerLease {
  readonly id = randomUUID();
  private timer: NodeJS.Timeout | null = null;
  private registered: Promise<string> | null = null;

  constructor(private readonly store: SqlStore) {}

  /** Registers this process (once) and keeps its heartbeat; resolves to the lease id sessions record. */
  acquire(): Promise<string> {
    this.registered ??= this.register();
    return this.registered;
  }

  private async register(): Promise<string> {
    const now = Date.now();
    await this.store.run(
      sql`INSERT INTO server_leases (id, host, pid, pid_start, started_at, heartbeat_at)
          VALUES (${this.id}, ${thisHost()}, ${process.pid}, ${processStartTime(process.pid)}, ${now}, ${now})`,
    );
    this.timer = setInterval(() => {
      // The database may be closing with the process; nothing to keep alive then.
      this.store.run(sql`UPDATE server_leases SET heartbeat_at = ${Date.now()} WHERE id = ${this.id}`).catch(() => {});
    }, LEASE_HEARTBEAT_MS);
    this.timer.unref();
    return this.id;
  }

  /** A clean exit: what this process still owned is an orphan for whoever starts next. */
  async release(): Promise<void> {
    if (!this.registered) return;
    await this.registered.catch(() => {});
    this.registered = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.store.run(sql`DELETE FROM server_leases WHERE id = ${this.id}`);
  }
}

type LeaseRaw = { id: string; host: string; pid: number | string; pid_start: string | null; heartbeat_at: number | string };

/** The ids of the leases whose process still runs; the rows of dead ones are removed. */
export async function liveLeaseIds(store: SqlStore, now = Date.now()): Promise<Set<string>> {
  const live = new Set<string>();
  const dead: string[] = [];
  for (const r of await store.all<LeaseRaw>(sql`SELECT id, host, pid, pid_start, heartbeat_at FROM server_leases`)) {
    const lease = { id: r.id, host: r.host, pid: Number(r.pid), pidStart: r.pid_start, heartbeatAt: new Date(Number(r.heartbeat_at)) };
    if (leaseAlive(lease, now)) live.add(lease.id);
    else dead.push(lease.id);
  }
  if (dead.length) await store.run(sql`DELETE FROM server_leases WHERE id IN (${sqlValues(dead)})`);
  return live;
}

export function leaseAlive(lease: LeaseRow, now = Date.now()): boolean {
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
