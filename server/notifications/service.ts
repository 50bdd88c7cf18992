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
import { sql } from "drizzle-orm";
import type { SqlStore } from "../db/sql-store";
import type { EventBus } from "../events/bus";
import { backoffDelay } from "@/lib/backoff";
import type { Logger } from "../logger";
import { AppError } from "../app-error";
import { buildMessage, checkMessage, type SlackMessage } from "./blocks";
import { describe, interesting } from "./describe";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import {
  NotificationKindSchema,
  type DeliveryStatus,
  type NotificationDelivery,
  type NotificationKind,
  type NotificationTarget,
} from "@/lib/schemas/notifications";

export type NotificationsDeps = {
  /** Deliveries and the rows a message describes, through the SQL port (issue 14). */
  sqlStore: SqlStore;
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
type Job = {
  kind: NotificationKind | "test";
  projectSlug: string | null;
  dedupeKey: string;
  eventId: number | null;
  message: SlackMessage;
  target: Target;
};

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
      out.set(t.id, {
        id: t.id,
        kind: t.kind,
        env: t.env,
        configured: Boolean(this.deps.readSecret(t.env)),
        channel: t.channel,
        projects: [project],
        events: [...events],
      });
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
    if (slack?.botTokenEnv && channel)
      targets.push({ id: `bot:${slack.botTokenEnv}:${channel}`, kind: "bot", env: slack.botTokenEnv, channel });
    return { targets, events: own?.events ?? slack?.events ?? ALL_KINDS };
  }

  // ----- the worker --------------------------------------------------------------

  private async drain(): Promise<void> {
    try {
      for (let event = this.queue.shift(); event && !this.closed; event = this.queue.shift()) {
        try {
          for (const job of await this.jobsFor(event)) this.track(this.deliver(job, await this.record(job)));
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

  private async jobsFor(event: WorkdeckEvent): Promise<Job[]> {
    const notes = await describe(this.deps, event);
    const jobs: Job[] = [];
    for (const n of notes) {
      const { targets, events } = this.route(n.projectSlug);
      if (!events.includes(n.kind)) continue;
      const message = buildMessage({ ...n.message, kind: n.kind, project: n.projectSlug });
      for (const target of targets)
        jobs.push({ kind: n.kind, projectSlug: n.projectSlug, dedupeKey: n.dedupeKey, eventId: event.id, message, target });
    }
    return jobs;
  }

  /** Inserts the pending row; null when this event already notified this target. */
  private async record(job: Job): Promise<number | null> {
    const now = Date.now();
    const { row } = await this.deps.sqlStore.run<{ id: number }>(
      sql`INSERT INTO notification_deliveries (kind, project_slug, target, dedupe_key, event_id, status, attempts, text, payload, created_at, updated_at)
          VALUES (${job.kind}, ${job.projectSlug}, ${job.target.id}, ${job.dedupeKey}, ${job.eventId}, 'pending', 0, ${job.message.text},
                  ${JSON.stringify(job.message)}, ${now}, ${now})
          ON CONFLICT (dedupe_key, target) DO NOTHING RETURNING id`,
    );
    return row ? Number(row.id) : null;
  }

  /** One attempt now; on failure another after a backoff, until maxAttempts. */
  private async deliver(job: Job, rowId: number | null, attempt = 1): Promise<DeliveryStatus | null> {
    if (rowId === null) return null;
    const max = this.deps.retry?.maxAttempts ?? 5;
    try {
      await this.send(job.target, job.message);
      await this.update(rowId, { status: "sent", attempts: attempt, lastError: null, sentAt: Date.now() });
      return "sent";
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const final = attempt >= max || this.closed;
      await this.update(rowId, {
        status: final ? "failed" : "pending",
        attempts: attempt,
        lastError: message.slice(0, 1000),
        sentAt: null,
      });
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

  private async update(id: number, v: { status: DeliveryStatus; attempts: number; lastError: string | null; sentAt: number | null }) {
    await this.deps.sqlStore.run(
      sql`UPDATE notification_deliveries SET status = ${v.status}, attempts = ${v.attempts}, last_error = ${v.lastError},
          sent_at = ${v.sentAt}, updated_at = ${Date.now()} WHERE id = ${id}`,
    );
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

  async deliveries(limit = 50): Promise<NotificationDelivery[]> {
    const rows = await this.deps.sqlStore.all<{
      id: number;
      kind: string;
      project_slug: string | null;
      target: string;
      status: DeliveryStatus;
      attempts: number;
      last_error: string | null;
      text: string;
      created_at: number;
      sent_at: number | null;
    }>(
      sql`SELECT id, kind, project_slug, target, status, attempts, last_error, text, created_at, sent_at
          FROM notification_deliveries ORDER BY id DESC LIMIT ${limit}`,
    );
    return rows.map((r) => ({
      id: Number(r.id),
      kind: r.kind,
      projectSlug: r.project_slug,
      target: r.target,
      status: r.status,
      attempts: Number(r.attempts),
      lastError: r.last_error,
      text: r.text,
      createdAt: new Date(Number(r.created_at)),
      sentAt: r.sent_at === null ? null : new Date(Number(r.sent_at)),
    }));
  }

  /** "Send test": one message to one target (or each), waited for, one attempt, recorded. */
  async sendTest(input: { targetId?: string }): Promise<NotificationDelivery[]> {
    const all = this.targets();
    const chosen = input.targetId ? all.filter((t) => t.id === input.targetId) : all;
    if (input.targetId && chosen.length === 0)
      throw new AppError("NOT_FOUND", `No notification target "${input.targetId}" in the configuration`);
    if (chosen.length === 0)
      throw new AppError(
        "BAD_REQUEST",
        "No notification target is configured: set notifications.slack.webhookUrlEnv (or botTokenEnv and channel) in the config",
      );
    const ids: number[] = [];
    for (const t of chosen) {
      const message = buildMessage({
        kind: "test",
        title: "Workdeck test notification",
        body: "Notifications from Workdeck reach this channel.",
        link: `${this.deps.baseUrl}/settings`,
        project: null,
      });
      const job: Job = {
        kind: "test",
        projectSlug: null,
        dedupeKey: `test:${Date.now()}:${Math.random().toString(36).slice(2)}`,
        eventId: null,
        message,
        target: { id: t.id, kind: t.kind, env: t.env, channel: t.channel },
      };
      const id = (await this.record(job))!;
      ids.push(id);
      const attempt = this.deliver(job, id, this.deps.retry?.maxAttempts ?? 5);
      this.track(attempt);
      await attempt;
    }
    return (await this.deliveries(200)).filter((d) => ids.includes(d.id));
  }
}

// ----- one per runtime -----------------------------------------------------------------

/** The server's service, started on the bus; runtime-boot keeps it on the runtime (`runtime.notifications`). */
export function startNotifications(deps: NotificationsDeps): NotificationService {
  return new NotificationService(deps).start();
}
