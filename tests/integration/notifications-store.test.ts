/**
 * Issue 14: Slack notifications on the SQL port, on SQLite and on a real PostgreSQL. The message
 * is built from the rows the event names; every delivery is recorded; the dedupe key holds when
 * two instances hear the same event (a leader hand-over), so Slack hears of it once.
 */
import { sql } from "drizzle-orm";
import { afterEach, expect, it } from "vitest";
import type { LoadedConfig } from "@/server/config";
import type { SqlStore } from "@/server/db/sql-store";
import { EventBus } from "@/server/events/bus";
import { NotificationService } from "@/server/notifications/service";
import { describeEachDialect } from "../support/dialects";
import { startFakeSlack } from "../support/fake-slack";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const config = { config: { notifications: { slack: { webhookUrlEnv: "SLACK_HOOK" } } } } as unknown as LoadedConfig;
const quiet = { warn: () => {}, error: () => {} };

async function service(store: SqlStore, slackUrl: string) {
  const bus = new EventBus(null, store);
  const notes = new NotificationService({
    sqlStore: store,
    bus,
    config,
    log: quiet,
    readSecret: () => `${slackUrl}/hooks/T1/B1/secret`,
    baseUrl: "http://workdeck.test",
    retry: { maxAttempts: 2, baseMs: 10, maxMs: 20 },
  }).start();
  closers.push(() => notes.close());
  return { bus, notes };
}

describeEachDialect("notifications on the SQL port", ({ open, again }) => {
  it("a finished session is described from its row, sent once though two instances hear it, and recorded", async () => {
    const slack = await startFakeSlack();
    closers.push(() => slack.close());
    const store = await open();
    const at = new Date("2026-12-04T10:00:00Z");
    await store.run(
      sql`INSERT INTO sessions (id, session_type, status, project_slug, cwd, prompt, options, created_at, started_at, ended_at, cost_usd, num_turns)
          VALUES (7, 'work', 'completed', 'billing-api', '/w', 'implement it', '{}', ${at}, ${at}, ${new Date(at.getTime() + 120_000)}, 1.25, 9)`,
    );
    const a = await service(store, slack.url);
    const b = await service(await again(store), slack.url);
    const event = await a.bus.publishAsync({ type: "sessions.updated", projectSlug: "billing-api", sessionId: 7, status: "completed" });
    // The second instance hears the same stored event (a replay, a leader hand-over).
    b.bus.emitCommitted(event);
    await a.notes.idle();
    await b.notes.idle();
    expect(slack.received).toHaveLength(1);
    expect(slack.received[0]!.body.text).toBe("Session #7 finished (billing-api)");
    expect(JSON.stringify(slack.received[0]!.body.blocks)).toContain("$1.25");
    const deliveries = await a.notes.deliveries();
    expect(deliveries).toEqual([
      expect.objectContaining({
        kind: "session_finished",
        projectSlug: "billing-api",
        target: "webhook:SLACK_HOOK",
        status: "sent",
        attempts: 1,
      }),
    ]);
    expect(deliveries[0]!.sentAt).toBeInstanceOf(Date);
  });

  it("a Slack that never answers leaves a failed delivery with its error, after the retries", async () => {
    const store = await open();
    const { notes } = await service(store, "http://127.0.0.1:9");
    const [result] = await notes.sendTest({});
    expect(result).toMatchObject({ kind: "test", status: "failed", attempts: 2 });
    expect(result!.lastError).toBeTruthy();
    expect(await notes.deliveries()).toEqual([expect.objectContaining({ kind: "test", status: "failed" })]);
  });
});
