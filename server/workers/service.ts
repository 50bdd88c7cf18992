/**
 * `workdeck worker` processes as the server sees them (issue 14): each heartbeat says which
 * accounts the worker holds (ids and readiness only; the logins stay on its machine), how many
 * sessions it runs at once and which it is running. A worker silent for LOST_AFTER_MS is lost.
 * Every instance on the database shares these rows, so any of them answers a worker.
 */
import { sql } from "drizzle-orm";
import type { LoadedConfig } from "../config";
import type { SqlStore } from "../db/sql-store";
import { AppError } from "../app-error";
import {
  WorkerHeartbeatInputSchema,
  WorkerAccountSchema,
  type WorkerHealth,
  type WorkerHeartbeatInput,
  type WorkerHeartbeatResult,
  type WorkerSummary,
} from "@/lib/schemas/workers";

/** How often a worker sends a heartbeat. */
export const HEARTBEAT_MS = 5_000;
/** A worker whose last heartbeat is older than this has lost its sessions (DESIGN: 60 s). */
export const LOST_AFTER_MS = 60_000;
/** The heartbeat period for a silence limit: a few fit in it, so one slow beat never loses a worker (a short limit is a test's). */
function heartbeatMsFor(lostAfterMs: number): number {
  return Math.min(HEARTBEAT_MS, Math.floor(lostAfterMs / 4));
}

/** `lostAfterMs`: WORKDECK_WORKER_LOST_MS when set (tests), else LOST_AFTER_MS. */
export type WorkerDeps = { sqlStore: SqlStore; config: LoadedConfig; lostAfterMs?: number };

type WorkerRow = {
  name: string;
  accounts: string;
  capacity: number;
  running: string;
  version: string;
  host: string;
  first_seen_at: number;
  last_seen_at: number;
  lost_at: number | null;
};

/** Records a heartbeat: the worker's row is created or refreshed, and a lost worker that speaks again is back. */
export async function heartbeat(deps: WorkerDeps, raw: WorkerHeartbeatInput, now = Date.now()): Promise<WorkerHeartbeatResult> {
  const parsed = WorkerHeartbeatInputSchema.safeParse(raw);
  if (!parsed.success)
    throw new AppError("BAD_REQUEST", `Bad heartbeat: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  const input = parsed.data;
  // A typo in --accounts would otherwise leave an account that no session ever reaches.
  const known = new Set((deps.config.config.claude?.accounts ?? []).map((a) => a.id));
  const unknown = input.accounts.filter((a) => !known.has(a.id)).map((a) => a.id);
  if (unknown.length)
    throw new AppError(
      "BAD_REQUEST",
      `Unknown account${unknown.length === 1 ? "" : "s"} ${unknown.map((id) => `"${id}"`).join(", ")}: the server's claude.accounts lists ${[...known].map((id) => `"${id}"`).join(", ") || "none"}`,
    );
  const at = new Date(now);
  await deps.sqlStore.run(
    sql`INSERT INTO workers (name, accounts, capacity, running, version, host, first_seen_at, last_seen_at, lost_at)
        VALUES (${input.name}, ${JSON.stringify(input.accounts)}, ${input.capacity}, ${JSON.stringify(input.running)}, ${input.version}, ${input.host}, ${at}, ${at}, NULL)
        ON CONFLICT (name) DO UPDATE SET accounts = excluded.accounts, capacity = excluded.capacity, running = excluded.running,
          version = excluded.version, host = excluded.host, last_seen_at = excluded.last_seen_at, lost_at = NULL`,
  );
  const lostAfterMs = deps.lostAfterMs ?? LOST_AFTER_MS;
  return { heartbeatMs: heartbeatMsFor(lostAfterMs), lostAfterMs };
}

function healthOf(row: WorkerRow, now: number, lostAfterMs: number): WorkerHealth {
  const silentFor = now - row.last_seen_at;
  if (row.lost_at !== null || silentFor > lostAfterMs) return "lost";
  // Past three missed heartbeats a worker shows as late: still holding its sessions, but worth a look.
  return silentFor > 3 * heartbeatMsFor(lostAfterMs) ? "late" : "healthy";
}

const AccountsSchema = WorkerAccountSchema.array();

function summary(row: WorkerRow, now: number, lostAfterMs = LOST_AFTER_MS): WorkerSummary {
  return {
    name: row.name,
    host: row.host,
    version: row.version,
    accounts: AccountsSchema.parse(JSON.parse(row.accounts)),
    capacity: row.capacity,
    running: JSON.parse(row.running) as number[],
    health: healthOf(row, now, lostAfterMs),
    firstSeenAt: new Date(row.first_seen_at),
    lastSeenAt: new Date(row.last_seen_at),
    lostAt: row.lost_at === null ? null : new Date(row.lost_at),
  };
}

/** Every worker that has ever sent a heartbeat, the most recently heard first. */
export async function listWorkers(deps: Pick<WorkerDeps, "sqlStore" | "lostAfterMs">, now = Date.now()): Promise<WorkerSummary[]> {
  const rows = await deps.sqlStore.all<WorkerRow>(sql`SELECT * FROM workers ORDER BY last_seen_at DESC, name`);
  return rows.map((r) => summary(r, now, deps.lostAfterMs));
}

/**
 * Marks lost the workers silent for longer than LOST_AFTER_MS and not marked yet, and returns
 * them with the sessions they said they were running. One exclusive transaction, so when two
 * instances sweep at once a worker is lost (and its sessions handed on) once.
 */
export async function markSilentWorkersLost(
  deps: Pick<WorkerDeps, "sqlStore" | "lostAfterMs">,
  now = Date.now(),
): Promise<WorkerSummary[]> {
  const lostAfterMs = deps.lostAfterMs ?? LOST_AFTER_MS;
  return deps.sqlStore.transaction(
    async (tx) => {
      const cutoff = new Date(now - lostAfterMs);
      const silent = await tx.all<WorkerRow>(sql`SELECT * FROM workers WHERE lost_at IS NULL AND last_seen_at < ${cutoff} ORDER BY name`);
      for (const row of silent) await tx.run(sql`UPDATE workers SET lost_at = ${new Date(now)} WHERE name = ${row.name}`);
      return silent.map((r) => summary({ ...r, lost_at: now }, now, lostAfterMs));
    },
    { exclusive: "workdeck:workers-sweep" },
  );
}
