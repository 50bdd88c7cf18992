/**
 * Notifications to Slack (issue 6). A queue off the bus: the bus listener only pushes the event
 * onto an in-memory queue, so publishing never waits on Slack; a worker turns events into Block
 * Kit messages, routes them per project (config `notifications.slack` and
 * `projects[].notifications`), sends each to its targets (an incoming webhook through
 * @slack/webhook, a bot token + channel through chat.postMessage), retries with backoff, and
 * records every attempt in `notification_deliveries`.
 */
import { IncomingWebhook } from "@slack/webhook";
import type { LoadedConfig } from "../config";
import type { Db } from "../db/client";
import type { EventBus } from "../events/bus";
import { backoffDelay } from "@/lib/backoff";
import type { Logger } from "../logger";
import { AppError } from "../app-error";
import { buildMessage, checkMessage, escapeMrkdwn, type MessageInput, type SlackMessage } from "./blocks";
import { integrationNotes } from "../webhooks/notes";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import {
  NotificationKindSchema,
  type DeliveryStatus,
  type NotificationDelivery,
  type NotificationKind,
  type NotificationTarget,
} from "@/lib/schemas/notifications";

export type NotificationsDeps = {
  db: Db;
  bus: EventBus;
  config: LoadedConfig;
  log: Pick<Logger, "warn" | "error">;
  /** Reads an env var named by the config (server/env.ts readSecret). */
  readSecret: (name: string) => string | undefined;
  /** Links in messages start here. */
  baseUrl: string;
  /** chat.postMessage lives at `${slackApiUrl}/chat.postMessage` (tests point it at a local server). */
  slackApiUrl?: string;
  retry?: { maxAttempts?: number; baseMs?: number; maxMs?: number };
};

type Target = { id: string; kind: "webhook" | "bot"; env: string; channel: string | null };
type Job = { kind: NotificationKind | "test"; projectSlug: string | null; dedupeKey: string; eventId: number | null; message: SlackMessage; target: Target };

const ALL_KINDS = NotificationKindSchema.options;

export class NotificationService {
  private readonly queue: WorkdeckEvent[] = [];
  private draining: Promise<void> | null = null;
  private readonly retries = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private off: (() => void) | null = null;
  private closed = false;

  constructor(private readonly deps: NotificationsDeps) {}

  /** Starts listening to the bus. Only when some target exists: otherwise nothing is ever queued. */
  start(): this {
    if (this.off || this.targets().length === 0) return this;
    this.off = this.deps.bus.on((event) => {
      if (!interesting(event)) return;
      this.queue.push(event);
      // Later, never inside publish(): a slow Slack must not slow ingest or the runner.
      if (!this.draining) this.draining = new Promise<void>((resolve) => setImmediate(() => void this.drain().finally(resolve)));
    });
    return this;
  }

  /**
   * Stops listening, keeping what is in flight: another instance became the leader (server/leader.ts)
   * and delivers from now on. start() listens again.
   */
  stop(): void {
    this.off?.();
    this.off = null;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.off?.();
    for (const t of this.retries) clearTimeout(t);
    this.retries.clear();
    await this.idle();
  }

  /** Resolves when the queue is empty and no send is in flight (retries scheduled later excepted). */
  async idle(): Promise<void> {
    while (this.draining || this.inFlight.size) {
      await this.draining;
      await Promise.allSettled([...this.inFlight]);
    }
  }

  // ----- targets and routing ---------------------------------------------------

  /** Every target the config names, with the projects and events routed to it. */
  targets(): NotificationTarget[] {
    const { config } = this.deps.config;
    const out = new Map<string, NotificationTarget>();
    const add = (t: Target, project: string, events: NotificationKind[]) => {
      const existing = out.get(t.id);
      if (existing) {
        existing.projects.push(project);
        for (const e of events) if (!existing.events.includes(e)) existing.events.push(e);
        return;
      }
      out.set(t.id, { id: t.id, kind: t.kind, env: t.env, configured: Boolean(this.deps.readSecret(t.env)), channel: t.channel, projects: [project], events: [...events] });
    };
    const routed = (slug: string | null) => this.route(slug);
    for (const t of routed(null).targets) add(t, "*", routed(null).events);
    for (const p of config.projects ?? []) {
      const r = routed(p.slug);
      if (!p.notifications?.slack) continue;
      for (const t of r.targets) add(t, p.slug, r.events);
    }
    return [...out.values()];
  }

  /** Where a project's events go and which ones. */
  route(projectSlug: string | null): { targets: Target[]; events: NotificationKind[] } {
    const { config } = this.deps.config;
    const slack = config.notifications?.slack;
    const own = projectSlug ? config.projects?.find((p) => p.slug === projectSlug)?.notifications?.slack : undefined;
    if (own?.enabled === false) return { targets: [], events: [] };
    const targets: Target[] = [];
    const webhookEnv = own?.webhookUrlEnv ?? slack?.webhookUrlEnv;
    if (webhookEnv) targets.push({ id: `webhook:${webhookEnv}`, kind: "webhook", env: webhookEnv, channel: null });
    const channel = own?.channel ?? slack?.channel;
    if (slack?.botTokenEnv && channel) targets.push({ id: `bot:${slack.botTokenEnv}:${channel}`, kind: "bot", env: slack.botTokenEnv, channel });
    return { targets, events: own?.events ?? slack?.events ?? ALL_KINDS };
  }

  // ----- the worker --------------------------------------------------------------

  private async drain(): Promise<void> {
    try {
      for (let event = this.queue.shift(); event && !this.closed; event = this.queue.shift()) {
        try {
          for (const job of this.jobsFor(event)) this.track(this.deliver(job, this.record(job)));
        } catch (err) {
          this.deps.log.error({ err, eventId: event.id }, "notification could not be prepared");
        }
      }
    } finally {
      this.draining = null;
    }
  }

  private track(p: Promise<unknown>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private jobsFor(event: WorkdeckEvent): Job[] {
    const notes = describe(this.deps, event);
    const jobs: Job[] = [];
    for (const n of notes) {
      const { targets, events } = this.route(n.projectSlug);
      if (!events.includes(n.kind)) continue;
      const message = buildMessage({ ...n.message, kind: n.kind, project: n.projectSlug });
      for (const target of targets) jobs.push({ kind: n.kind, projectSlug: n.projectSlug, dedupeKey: n.dedupeKey, eventId: event.id, message, target });
    }
    return jobs;
  }

  /** Inserts the pending row; null when this event already notified this target. */
  private record(job: Job): number | null {
    const now = Date.now();
    const info = this.deps.db.$client
      .prepare(
        `INSERT INTO notification_deliveries (kind, project_slug, target, dedupe_key, event_id, status, attempts, text, payload, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?) ON CONFLICT (dedupe_key, target) DO NOTHING`,
      )
      .run(job.kind, job.projectSlug, job.target.id, job.dedupeKey, job.eventId, job.message.text, JSON.stringify(job.message), now, now);
    return info.changes ? Number(info.lastInsertRowid) : null;
  }

  /** One attempt now; on failure another after a backoff, until maxAttempts. */
  private async deliver(job: Job, rowId: number | null, attempt = 1): Promise<DeliveryStatus | null> {
    if (rowId === null) return null;
    const max = this.deps.retry?.maxAttempts ?? 5;
    try {
      await this.send(job.target, job.message);
      this.update(rowId, { status: "sent", attempts: attempt, lastError: null, sentAt: Date.now() });
      return "sent";
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const final = attempt >= max || this.closed;
      this.update(rowId, { status: final ? "failed" : "pending", attempts: attempt, lastError: message.slice(0, 1000), sentAt: null });
      if (final) {
        this.deps.log.warn({ target: job.target.id, kind: job.kind, err: message }, "notification failed");
        return "failed";
      }
      const delay = backoffDelay(attempt - 1, { baseMs: this.deps.retry?.baseMs ?? 1000, maxMs: this.deps.retry?.maxMs ?? 60_000 });
      const timer = setTimeout(() => {
        this.retries.delete(timer);
        this.track(this.deliver(job, rowId, attempt + 1));
      }, delay);
      timer.unref();
      this.retries.add(timer);
      return "pending";
    }
  }

  private update(id: number, v: { status: DeliveryStatus; attempts: number; lastError: string | null; sentAt: number | null }): void {
    this.deps.db.$client
      .prepare("UPDATE notification_deliveries SET status = ?, attempts = ?, last_error = ?, sent_at = ?, updated_at = ? WHERE id = ?")
      .run(v.status, v.attempts, v.lastError, v.sentAt, Date.now(), id);
  }

  private async send(target: Target, message: SlackMessage): Promise<void> {
    const problems = checkMessage(message);
    if (problems.length) throw new Error(`invalid Block Kit message: ${problems.join("; ")}`);
    const secret = this.deps.readSecret(target.env);
    if (!secret) throw new Error(`${target.env} is not set`);
    if (target.kind === "webhook") {
      await new IncomingWebhook(secret, { timeout: 10_000 }).send({ text: message.text, blocks: message.blocks });
      return;
    }
    const res = await fetch(`${this.deps.slackApiUrl ?? "https://slack.com/api"}/chat.postMessage`, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8", authorization: `Bearer ${secret}` },
      body: JSON.stringify({ channel: target.channel, text: message.text, blocks: message.blocks }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json().catch(() => ({}))) as { ok?: boolean; error?: string };
    if (!res.ok || !body.ok) throw new Error(`chat.postMessage: ${body.error ?? `HTTP ${res.status}`}`);
  }

  // ----- reads and the test button -------------------------------------------------

  deliveries(limit = 50): NotificationDelivery[] {
    const rows = this.deps.db.$client
      .prepare("SELECT id, kind, project_slug, target, status, attempts, last_error, text, created_at, sent_at FROM notification_deliveries ORDER BY id DESC LIMIT ?")
      .all(limit) as { id: number; kind: string; project_slug: string | null; target: string; status: DeliveryStatus; attempts: number; last_error: string | null; text: string; created_at: number; sent_at: number | null }[];
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      projectSlug: r.project_slug,
      target: r.target,
      status: r.status,
      attempts: r.attempts,
      lastError: r.last_error,
      text: r.text,
      createdAt: new Date(r.created_at),
      sentAt: r.sent_at === null ? null : new Date(r.sent_at),
    }));
  }

  /** "Send test": one message to one target (or each), waited for, one attempt, recorded. */
  async sendTest(input: { targetId?: string }): Promise<NotificationDelivery[]> {
    const all = this.targets();
    const chosen = input.targetId ? all.filter((t) => t.id === input.targetId) : all;
    if (input.targetId && chosen.length === 0) throw new AppError("NOT_FOUND", `No notification target "${input.targetId}" in the configuration`);
    if (chosen.length === 0) throw new AppError("BAD_REQUEST", "No notification target is configured: set notifications.slack.webhookUrlEnv (or botTokenEnv and channel) in the config");
    const ids: number[] = [];
    for (const t of chosen) {
      const message = buildMessage({ kind: "test", title: "Workdeck test notification", body: "Notifications from Workdeck reach this channel.", link: `${this.deps.baseUrl}/settings`, project: null });
      const job: Job = { kind: "test", projectSlug: null, dedupeKey: `test:${Date.now()}:${Math.random().toString(36).slice(2)}`, eventId: null, message, target: { id: t.id, kind: t.kind, env: t.env, channel: t.channel } };
      const id = this.record(job)!;
      ids.push(id);
      const attempt = this.deliver(job, id, this.deps.retry?.maxAttempts ?? 5);
      this.track(attempt);
      await attempt;
    }
    return this.deliveries(200).filter((d) => ids.includes(d.id));
  }
}

// ----- what an event means ----------------------------------------------------------

const INTERESTING = new Set(["errors.failureNew", "errors.failureUpdated", "sessions.updated", "agents.needsYou", "sessions.event", "integrations.changed", "automations.ran", "sessions.health"]);

function interesting(e: WorkdeckEvent): boolean {
  if (!INTERESTING.has(e.type)) return false;
  if (e.type === "sessions.event") return e.eventType === "workdeck/account_parked" || e.eventType === "workdeck/permission_requested";
  if (e.type === "sessions.updated") return ["completed", "failed", "crashed"].includes(e.status);
  // Agent health (issue 17): getting stuck and getting over it; a failure already has session_failed.
  if (e.type === "sessions.health") return e.health === "stuck" || e.previous === "stuck";
  return true;
}

type Note = { kind: NotificationKind; projectSlug: string | null; dedupeKey: string; message: Omit<MessageInput, "kind" | "project"> };

const money = (n: number) => `$${n.toFixed(2)}`;

function describe(deps: Pick<NotificationsDeps, "db" | "baseUrl">, e: WorkdeckEvent): Note[] {
  const sqlite = deps.db.$client;
  const link = (p: string) => `${deps.baseUrl}${p}`;
  switch (e.type) {
    case "errors.failureNew":
    case "errors.failureUpdated": {
      if (e.failureIds.length === 0) return [];
      const rows = sqlite
        .prepare(
          `SELECT f.id, f.project_slug, c.file, c.title_path, c.project_name, f.consecutive_failures, substr(f.last_message, 1, 400) AS msg, t.priority, t.decision
           FROM test_failures f JOIN test_cases c ON c.id = f.test_case_id JOIN error_triage t ON t.test_failure_id = f.id
           WHERE f.id IN (${e.failureIds.map(() => "?").join(",")}) AND f.pattern = 'persistent' AND f.resolved_at IS NULL`,
        )
        .all(...e.failureIds) as { id: number; project_slug: string; file: string; title_path: string; project_name: string; consecutive_failures: number; msg: string; priority: number; decision: string }[];
      return rows.map((r) => {
        const title = (JSON.parse(r.title_path) as string[]).join(" › ");
        return {
          kind: "failure_persistent",
          projectSlug: r.project_slug,
          dedupeKey: `failure_persistent:${r.id}`,
          message: {
            title: `Persistent failure: ${title}`,
            body: `\`${escapeMrkdwn(r.file)}\`${r.project_name ? ` [${escapeMrkdwn(r.project_name)}]` : ""} failed ${r.consecutive_failures} runs in a row.\n>${escapeMrkdwn(r.msg.split("\n")[0] ?? "")}`,
            fields: [
              ["Priority", String(r.priority)],
              ["Decision", r.decision.replace(/_/g, " ")],
            ],
            link: link(`/errors/${r.id}`),
          },
        } satisfies Note;
      });
    }
    case "sessions.updated": {
      const s = sqlite
        .prepare("SELECT id, project_slug, session_type, work_item_kind, work_item_ref, status, cost_usd, num_turns, exit_reason, substr(exit_message, 1, 500) AS exit_message, ended_at, started_at, account_id FROM sessions WHERE id = ?")
        .get(e.sessionId) as
        | { id: number; project_slug: string; session_type: string; work_item_kind: string | null; work_item_ref: string | null; status: string; cost_usd: number; num_turns: number; exit_reason: string | null; exit_message: string | null; ended_at: number | null; started_at: number | null; account_id: string | null }
        | undefined;
      if (!s || s.status !== e.status) return [];
      const kind: NotificationKind = s.status === "completed" ? "session_finished" : "session_failed";
      const subject = s.work_item_kind === "spec" ? `implementing ${s.work_item_ref}` : s.work_item_kind === "error" ? `fixing failure #${s.work_item_ref}` : s.session_type;
      const minutes = s.started_at && s.ended_at ? Math.max(1, Math.round((s.ended_at - s.started_at) / 60_000)) : null;
      return [
        {
          kind,
          projectSlug: s.project_slug,
          dedupeKey: `${kind}:${s.id}:${s.ended_at ?? 0}`,
          message: {
            title: `Session #${s.id} ${s.status === "completed" ? "finished" : s.status}`,
            body: `${escapeMrkdwn(subject)}${s.exit_message && s.status !== "completed" ? `\n>${escapeMrkdwn(s.exit_message.split("\n")[0] ?? "")}` : ""}`,
            fields: [
              ["Cost", money(s.cost_usd)],
              ["Turns", String(s.num_turns)],
              ...(minutes ? ([["Duration", `${minutes} min`]] as [string, string][]) : []),
              ...(s.exit_reason ? ([["Outcome", s.exit_reason]] as [string, string][]) : []),
              ...(s.account_id ? ([["Account", s.account_id]] as [string, string][]) : []),
            ],
            link: link(`/sessions/${s.id}`),
          },
        },
      ];
    }
    case "agents.needsYou": {
      const agent = sqlite.prepare("SELECT workdeck_session_id, cwd FROM agent_sessions WHERE session_id = ?").get(e.sessionId) as { workdeck_session_id: number | null; cwd: string | null } | undefined;
      const href = agent?.workdeck_session_id ? `/sessions/${agent.workdeck_session_id}` : `/sessions/agents/${encodeURIComponent(e.sessionId)}`;
      return [
        {
          kind: "session_needs_you",
          projectSlug: e.projectSlug,
          dedupeKey: `session_needs_you:${e.id}`,
          message: {
            title: agent?.workdeck_session_id ? `Session #${agent.workdeck_session_id} needs you` : "A Claude Code session needs you",
            body: escapeMrkdwn(e.reason ?? "It is waiting for a permission or for input."),
            fields: agent?.cwd ? [["Folder", `\`${escapeMrkdwn(agent.cwd)}\``]] : [],
            link: link(href),
          },
        },
      ];
    }
    case "sessions.event": {
      const row = sqlite.prepare("SELECT payload FROM session_events WHERE session_id = ? AND seq = ?").get(e.sessionId, e.seq) as { payload: string } | undefined;
      if (e.eventType === "workdeck/permission_requested") return permissionNote(e, row ? (JSON.parse(row.payload) as PermissionAsk) : {}, link);
      const p = row ? (JSON.parse(row.payload) as { accountId?: string; until?: string; limitType?: string | null }) : {};
      return [
        {
          kind: "account_limited",
          projectSlug: e.projectSlug,
          dedupeKey: `account_limited:${p.accountId ?? "?"}:${p.until ?? e.id}`,
          message: {
            title: `Account ${p.accountId ?? "?"} hit its usage limit`,
            body: `Parked${p.until ? ` until ${p.until.slice(0, 16).replace("T", " ")} UTC` : ""}; session #${e.sessionId} continues on another account when one is free.`,
            fields: p.limitType ? [["Limit", p.limitType]] : [],
            link: link("/settings"),
          },
        },
      ];
    }
    case "sessions.health": {
      const minutes = Math.max(1, Math.round((e.at - e.lastProgressAt) / 60_000));
      const stuck = e.health === "stuck";
      return [
        {
          kind: "session_stuck",
          projectSlug: e.projectSlug,
          // One message per episode, even from a restarted server: the episode is its last progress.
          dedupeKey: `session_stuck:${e.sessionId}:${e.health}:${e.lastProgressAt}`,
          message: {
            title: stuck ? `Session #${e.sessionId} looks stuck` : `Session #${e.sessionId} is moving again`,
            body: stuck ? `No stream message or hook event for ${minutes} min while running.` : `It was stuck; now ${e.health}.`,
            fields: [["Health", e.health]],
            link: link(`/sessions/${e.sessionId}`),
          },
        },
      ];
    }
    case "integrations.changed":
    case "automations.ran":
      // Deploys, CI runs and automations (issue 15).
      return integrationNotes(deps, e);
    default:
      return [];
  }
}

type PermissionAsk = { requestId?: string; toolName?: string; rule?: string; input?: Record<string, unknown> };

/** A launched session waits on a tool permission (issue 11): answered on its page. */
function permissionNote(e: Extract<WorkdeckEvent, { type: "sessions.event" }>, p: PermissionAsk, link: (p: string) => string): Note[] {
  const command = typeof p.input?.command === "string" ? p.input.command : typeof p.input?.file_path === "string" ? p.input.file_path : null;
  return [
    {
      kind: "session_needs_you",
      projectSlug: e.projectSlug,
      dedupeKey: `session_needs_you:${e.sessionId}:${p.requestId ?? e.id}`,
      message: {
        title: `Session #${e.sessionId} needs you`,
        body: `It asks permission to use ${escapeMrkdwn(p.toolName ?? "a tool")}${command ? `: \`${escapeMrkdwn(command.slice(0, 300))}\`` : ""}.`,
        fields: p.rule ? [["Allow always adds", `\`${escapeMrkdwn(p.rule)}\``]] : [],
        link: link(`/sessions/${e.sessionId}`),
      },
    },
  ];
}

// ----- one per runtime -----------------------------------------------------------------

/** The server's service, started on the bus; runtime-boot keeps it on the runtime (`runtime.notifications`). */
export function startNotifications(deps: NotificationsDeps): NotificationService {
  return new NotificationService(deps).start();
}
