import { sql } from "drizzle-orm";
import { sqlValues } from "../db/dialect-sql";
import type { Db } from "../db/client";
import type { SqlStore } from "../db/sql-store";
import type { EventBus } from "../events/bus";
import type { Logger } from "../logger";
import { sqlStoreOf } from "../accounts/rows";
import { waitingOnPermission } from "./permissions";

/**
 * Agent health (issue 17): how a running session is doing, from its heartbeat, the newest of its
 * last stream message (session_events) and its last Claude Code hook event (agent_sessions).
 * `active`: progress within the last minute; `idle`: quiet for longer, or waiting for a person
 * (a tool permission); `stuck`: no progress for `agents.stuckMinutes` (default 10) while running;
 * `failed`: the session ended failed or crashed. Transitions go on the bus once each
 * (`sessions.health`), which All Work, the board and Slack follow.
 */
export type Health = "active" | "idle" | "stuck" | "failed";

/** Quiet this long and a running session shows as idle (a long tool call, a slow turn). */
export const IDLE_AFTER_MS = 60_000;
export const DEFAULT_STUCK_MINUTES = 10;

export type SessionHealth = { sessionId: number; projectSlug: string; health: Health; lastProgressAt: number };

type RunningRow = {
  id: number | string;
  project_slug: string;
  started_at: number | string | null;
  last_message: number | string | null;
  last_hook: number | string | null;
};

const RUNNING = `SELECT s.id, s.project_slug, s.started_at,
         (SELECT e.at FROM session_events e WHERE e.session_id = s.id ORDER BY e.seq DESC LIMIT 1) AS last_message,
         (SELECT max(a.last_event_at) FROM agent_sessions a WHERE a.workdeck_session_id = s.id) AS last_hook
  FROM sessions s WHERE s.status = 'running'`;

/** Health of every running session, through the SQL port. */
export async function runningHealthOn(store: SqlStore, opts: { now: number; stuckMs: number }): Promise<Map<number, SessionHealth>> {
  const rows = await store.all<RunningRow>(sql.raw(RUNNING));
  return healthOf(rows, rows.length ? await waitingOnPermission(store) : new Set<number>(), opts);
}

function healthOf(rows: RunningRow[], waiting: Set<number>, opts: { now: number; stuckMs: number }): Map<number, SessionHealth> {
  const out = new Map<number, SessionHealth>();
  for (const r of rows) {
    const id = Number(r.id);
    const lastProgressAt = Math.max(Number(r.last_message ?? 0), Number(r.last_hook ?? 0), Number(r.started_at ?? 0));
    const quiet = opts.now - lastProgressAt;
    // Waiting for a person is not being stuck: the permission's own timeout ends that wait.
    const health: Health = waiting.has(id) ? "idle" : quiet >= opts.stuckMs ? "stuck" : quiet >= IDLE_AFTER_MS ? "idle" : "active";
    out.set(id, { sessionId: id, projectSlug: r.project_slug, health, lastProgressAt });
  }
  return out;
}

/** A session's health from its status when it is not running. */
export function endedHealth(status: string): Health | null {
  return status === "failed" || status === "crashed" ? "failed" : null;
}

/**
 * The server's watch: every `intervalMs`, and whenever a session's status changes, health is
 * recomputed and each change published once as `sessions.health`. The last published state is
 * kept per session in memory; a restarted server publishes a session's state again only when it
 * is stuck or failed (the notification's dedupe key holds that to one message per episode).
 */
export function watchHealth(
  deps: { db?: Db; sqlStore?: SqlStore; bus: EventBus; log: Logger; stuckMinutes?: number },
  intervalMs = 15_000,
): { tick(now?: number): Promise<void>; close(): void } {
  const stuckMs = (deps.stuckMinutes ?? DEFAULT_STUCK_MINUTES) * 60_000;
  const store = sqlStoreOf(deps);
  const last = new Map<number, Health>();
  const check = async (now: number) => {
    const current = await runningHealthOn(store, { now, stuckMs });
    for (const h of current.values()) {
      const before = last.get(h.sessionId) ?? null;
      if (before === h.health) continue;
      last.set(h.sessionId, h.health);
      // First sight of an active session is its start, not news.
      if (before === null && h.health === "active") continue;
      await deps.bus.publishAsync({
        type: "sessions.health",
        projectSlug: h.projectSlug,
        sessionId: h.sessionId,
        health: h.health,
        previous: before,
        lastProgressAt: h.lastProgressAt,
      });
    }
    // Sessions that stopped running: failed ones say so, the others leave the watch quietly.
    const gone = [...last.keys()].filter((id) => !current.has(id));
    if (!gone.length) return;
    const ended = await store.all<{ id: number | string; project_slug: string; status: string; ended_at: number | string | null }>(
      sql`SELECT id, project_slug, status, ended_at FROM sessions WHERE id IN (${sqlValues(gone)})`,
    );
    for (const s of ended) {
      const id = Number(s.id);
      const before = last.get(id) ?? null;
      last.delete(id);
      if (endedHealth(s.status) === "failed")
        await deps.bus.publishAsync({
          type: "sessions.health",
          projectSlug: s.project_slug,
          sessionId: id,
          health: "failed",
          previous: before,
          lastProgressAt: s.ended_at === null ? now : Number(s.ended_at),
        });
    }
  };
  // Checks take turns: two at once would both see a change and publish it twice.
  let turn: Promise<void> = Promise.resolve();
  const tick = (now = Date.now()) => (turn = turn.catch(() => {}).then(() => check(now)));
  const safeTick = () => void tick().catch((err: unknown) => deps.log.warn({ err }, "session health check failed"));
  const timer = setInterval(safeTick, intervalMs);
  timer.unref();
  // A session that starts or ends is checked at once, not at the next interval.
  const off = deps.bus.on((e) => {
    if (e.type === "sessions.updated") setImmediate(safeTick);
  });
  return {
    tick,
    close() {
      clearInterval(timer);
      off();
    },
  };
}

/**
 * All Work's items with `health`: a running session's (and that of the session working on a
 * failure or change), or `failed` for a session that ended so; a running session's detail says it.
 */
export function attachHealth<
  T extends { type: string; status?: string; detail: string; links: { session: { id: number; status: string } | null } },
>(items: T[], running: Map<number, SessionHealth>): (T & { health: Health | null })[] {
  return items.map((item) => {
    const s = item.links.session;
    const health = s ? (running.get(s.id)?.health ?? (item.type === "session" ? endedHealth(s.status) : null)) : null;
    // A session waiting on a person is idle by definition: its detail already says what it waits for.
    if (item.type === "session" && s && running.has(s.id) && item.status !== "needs_you")
      return { ...item, health, detail: `${item.detail} · ${health}` };
    return { ...item, health };
  });
}
