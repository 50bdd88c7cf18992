import type { Db } from "../db/client";
import type { EventBus } from "../events/bus";
import type { Logger } from "../logger";
import { sessionsWaitingOnPermission } from "./permissions";

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

/** Health of every running session, and of failed/crashed ones among `endedIds` (those already listed). */
export function runningHealth(db: Db, opts: { now: number; stuckMs: number }): Map<number, SessionHealth> {
  const sqlite = db.$client;
  const rows = sqlite
    .prepare(
      `SELECT s.id, s.project_slug, s.started_at,
              (SELECT e.at FROM session_events e WHERE e.session_id = s.id ORDER BY e.seq DESC LIMIT 1) AS last_message,
              (SELECT max(a.last_event_at) FROM agent_sessions a WHERE a.workdeck_session_id = s.id) AS last_hook
       FROM sessions s WHERE s.status = 'running'`,
    )
    .all() as { id: number; project_slug: string; started_at: number | null; last_message: number | null; last_hook: number | null }[];
  const waiting = rows.length ? sessionsWaitingOnPermission(db) : new Set<number>();
  const out = new Map<number, SessionHealth>();
  for (const r of rows) {
    const lastProgressAt = Math.max(r.last_message ?? 0, r.last_hook ?? 0, r.started_at ?? 0);
    const quiet = opts.now - lastProgressAt;
    // Waiting for a person is not being stuck: the permission's own timeout ends that wait.
    const health: Health = waiting.has(r.id) ? "idle" : quiet >= opts.stuckMs ? "stuck" : quiet >= IDLE_AFTER_MS ? "idle" : "active";
    out.set(r.id, { sessionId: r.id, projectSlug: r.project_slug, health, lastProgressAt });
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
  deps: { db: Db; bus: EventBus; log: Logger; stuckMinutes?: number },
  intervalMs = 15_000,
): { tick(now?: number): void; close(): void } {
  const stuckMs = (deps.stuckMinutes ?? DEFAULT_STUCK_MINUTES) * 60_000;
  const last = new Map<number, Health>();
  const tick = (now = Date.now()) => {
    const current = runningHealth(deps.db, { now, stuckMs });
    for (const h of current.values()) {
      const before = last.get(h.sessionId) ?? null;
      if (before === h.health) continue;
      last.set(h.sessionId, h.health);
      // First sight of an active session is its start, not news.
      if (before === null && h.health === "active") continue;
      deps.bus.publish({
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
    const ended = deps.db.$client
      .prepare(`SELECT id, project_slug, status, ended_at FROM sessions WHERE id IN (SELECT value FROM json_each(?))`)
      .all(JSON.stringify(gone)) as { id: number; project_slug: string; status: string; ended_at: number | null }[];
    for (const s of ended) {
      const before = last.get(s.id) ?? null;
      last.delete(s.id);
      if (endedHealth(s.status) === "failed")
        deps.bus.publish({
          type: "sessions.health",
          projectSlug: s.project_slug,
          sessionId: s.id,
          health: "failed",
          previous: before,
          lastProgressAt: s.ended_at ?? now,
        });
    }
  };
  const safeTick = () => {
    try {
      tick();
    } catch (err) {
      deps.log.warn({ err }, "session health check failed");
    }
  };
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
