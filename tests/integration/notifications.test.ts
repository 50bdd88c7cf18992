/**
 * Notifications to Slack (issue 6) against a local HTTP server standing in for Slack: an incoming
 * webhook and chat.postMessage. Block Kit payloads are checked at compile time against
 * @slack/types (the service builds KnownBlock[]; the test reads what arrived as KnownBlock[]) and
 * at run time (checkMessage plus explicit structure assertions). Routing per project, retries
 * with backoff, deduplication, the delivery log, and that publishing never waits on Slack.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { ActionsBlock, HeaderBlock, KnownBlock, SectionBlock } from "@slack/types";
import { afterEach, describe, expect, it } from "vitest";
import { startRuntime, stopRuntime } from "@/server/runtime-boot";
import { ingestReport } from "@/server/errors/ingest";
import { buildMessage, checkMessage } from "@/server/notifications/blocks";
import { NotificationService } from "@/server/notifications/service";
import { getSettings } from "@/server/notifications/settings";
import { createContext } from "@/server/trpc/init";
import { createCaller } from "@/server/trpc/root";
import { sharedPath } from "../support/shared";
import { configEnv } from "../support/runtime-env";
import { tempDir } from "../support/temp";

const sampleReports = sharedPath("playwright-sample", "reports");

type Received = { path: string; auth: string | undefined; body: { text: string; blocks: KnownBlock[]; channel?: string } };

/** A fake Slack: `/hooks/*` is an incoming webhook, `/api/chat.postMessage` the Web API; `fail` answers 500 that many times first. */
async function fakeSlack(opts: { fail?: number; delayMs?: number } = {}) {
  const received: Received[] = [];
  let failures = opts.fail ?? 0;
  const server = http.createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", () => {
      const reply = () => {
        if (failures > 0) {
          failures--;
          res.writeHead(500).end("internal_error");
          return;
        }
        received.push({ path: req.url ?? "", auth: req.headers.authorization, body: JSON.parse(raw) });
        if (req.url?.startsWith("/api/"))
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true, ts: "1.2" }));
        else res.writeHead(200).end("ok");
      };
      if (opts.delayMs) setTimeout(reply, opts.delayMs);
      else reply();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return { url, received };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await stopRuntime();
});

async function start(
  slack: { url: string },
  notifications: unknown,
  projects: { slug: string; notifications?: unknown }[] = [{ slug: "billing-api" }],
) {
  const dir = tempDir();
  for (const p of projects) fs.mkdirSync(path.join(dir, p.slug, "openspec", "changes"), { recursive: true });
  const { env } = configEnv(dir, { projects: projects.map((p) => ({ ...p, path: path.join(dir, p.slug) })), notifications });
  const runtime = await startRuntime(env, { watch: false });
  const secrets: Record<string, string> = {
    SLACK_HOOK: `${slack.url}/hooks/T1/B1/secret`,
    SLACK_BOT: "xoxb-test-token",
    QA_HOOK: `${slack.url}/hooks/T1/QA/secret`,
  };
  const service = new NotificationService({
    sqlStore: runtime.sqlStore,
    bus: runtime.bus,
    config: runtime.config,
    log: runtime.log,
    readSecret: (name) => secrets[name],
    baseUrl: "http://workdeck.test",
    slackApiUrl: `${slack.url}/api`,
    retry: { maxAttempts: 3, baseMs: 20, maxMs: 100 },
  }).start();
  closers.push(() => service.close());
  return { runtime, service, secrets };
}

function insertSession(runtime: Awaited<ReturnType<typeof start>>["runtime"], project: string, status: string) {
  const now = Date.now();
  return Number(
    runtime
      .db!.$client.prepare(
        `INSERT INTO sessions (session_type, work_item_kind, work_item_ref, status, project_slug, cwd, prompt, options, priority, created_at, started_at, ended_at, cost_usd, num_turns, exit_reason, exit_message)
         VALUES ('spec_implementation', 'spec', 'add-dunning', ?, ?, '.', 'do it', '{}', 3, ?, ?, ?, 1.2345, 7, ?, ?)`,
      )
      .run(
        status,
        project,
        now - 180_000,
        now - 120_000,
        now,
        status === "completed" ? "success" : "max_turns",
        status === "completed" ? "Done." : "Reached the turn limit",
      ).lastInsertRowid,
  );
}

const waitFor = async (cond: () => boolean | Promise<boolean>, ms = 3000) => {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe("notifications: Block Kit", () => {
  it("messages are KnownBlock[] at compile time and pass Slack's limits at run time", () => {
    const message = buildMessage({
      kind: "session_failed",
      title: "x".repeat(400),
      body: "y".repeat(5000),
      fields: Array.from({ length: 14 }, (_, i) => [`f${i}`, "v"] as [string, string]),
      link: "http://w/s",
      project: "p",
    });
    const typed: KnownBlock[] = message.blocks;
    expect(checkMessage({ text: message.text, blocks: typed })).toEqual([]);
    // The limits are cut, not exceeded: header 150, section 3000, 10 fields.
    const [header, section] = typed as [HeaderBlock, SectionBlock];
    expect(header.text.text.length).toBe(150);
    expect(section.text!.text.length).toBe(3000);
    expect(section.fields).toHaveLength(10);
    // What the types refuse (tsc fails if this line compiles):
    // @ts-expect-error a header's text must be plain_text
    const wrong: HeaderBlock = { type: "header", text: { type: "mrkdwn", text: "*bold*" } };
    // ...and what Slack refuses at run time, named.
    expect(checkMessage({ text: "t", blocks: [wrong, { type: "section" }, { type: "bogus" }, { type: "actions", elements: [] }] })).toEqual(
      [
        "blocks[0].text: must be plain_text",
        "blocks[1]: text or fields required",
        "blocks[2]: unknown type bogus",
        "blocks[3].elements: 1 to 25",
      ],
    );
    expect(checkMessage({ blocks: [] })).toEqual(["text: a fallback text is required", "blocks: 1 to 50 blocks"]);
  });
});

describe("notifications: Slack", () => {
  it("a finished session posts a Block Kit message with cost and a link to the webhook, recorded as sent", async () => {
    const slack = await fakeSlack();
    const { runtime, service } = await start(slack, { slack: { webhookUrlEnv: "SLACK_HOOK" } });
    const id = insertSession(runtime, "billing-api", "completed");
    runtime.bus.publish({ type: "sessions.updated", projectSlug: "billing-api", sessionId: id, status: "completed" });
    // A replay of the same event (the bus relays other processes' rows) does not notify twice.
    runtime.bus.publish({ type: "sessions.updated", projectSlug: "billing-api", sessionId: id, status: "completed" });
    await service.idle();

    expect(slack.received).toHaveLength(1);
    const { path: p, body } = slack.received[0]!;
    expect(p).toBe("/hooks/T1/B1/secret");
    expect(checkMessage(body)).toEqual([]);
    expect(body.text).toBe(`Session #${id} finished (billing-api)`);
    const [header, section, actions, context] = body.blocks as [HeaderBlock, SectionBlock, ActionsBlock, KnownBlock];
    expect(header).toMatchObject({ type: "header", text: { type: "plain_text" } });
    expect(header.text.text).toContain(`Session #${id} finished`);
    expect(section.type).toBe("section");
    expect(section.text).toMatchObject({ type: "mrkdwn", text: "implementing add-dunning" });
    expect(section.fields?.map((f) => f.text)).toEqual(expect.arrayContaining(["*Cost*\n$1.23", "*Turns*\n7", "*Duration*\n2 min"]));
    expect(actions).toMatchObject({
      type: "actions",
      elements: [{ type: "button", url: `http://workdeck.test/sessions/${id}`, text: { type: "plain_text", text: "Open in Workdeck" } }],
    });
    expect(context.type).toBe("context");

    const [delivery] = await service.deliveries();
    expect(delivery).toMatchObject({
      kind: "session_finished",
      projectSlug: "billing-api",
      target: "webhook:SLACK_HOOK",
      status: "sent",
      attempts: 1,
      lastError: null,
    });
    expect(delivery!.sentAt).toBeInstanceOf(Date);
  });

  it("retries with backoff until Slack answers, and records the failure when it never does", async () => {
    const slack = await fakeSlack({ fail: 2 });
    const { runtime, service } = await start(slack, { slack: { webhookUrlEnv: "SLACK_HOOK" } });
    const id = insertSession(runtime, "billing-api", "failed");
    runtime.bus.publish({ type: "sessions.updated", projectSlug: "billing-api", sessionId: id, status: "failed" });
    await waitFor(async () => (await service.deliveries())[0]?.status === "sent");
    expect((await service.deliveries())[0]).toMatchObject({ kind: "session_failed", attempts: 3, status: "sent", lastError: null });
    expect(slack.received[0]!.body.blocks[1]).toMatchObject({
      type: "section",
      text: { text: expect.stringContaining("Reached the turn limit") },
    });

    const down = await fakeSlack({ fail: 100 });
    const broken = new NotificationService({
      sqlStore: runtime.sqlStore,
      bus: runtime.bus,
      config: runtime.config,
      log: runtime.log,
      readSecret: () => `${down.url}/hooks/x`,
      baseUrl: "http://w",
      retry: { maxAttempts: 2, baseMs: 10 },
    });
    const [result] = await broken.sendTest({});
    expect(result).toMatchObject({ kind: "test", status: "failed", attempts: 2 });
    expect(result!.lastError).toBeTruthy();
  });

  it("routes per project: its own events, its own channel for the bot, or nothing", async () => {
    const slack = await fakeSlack();
    const { runtime, service } = await start(
      slack,
      {
        slack: {
          webhookUrlEnv: "SLACK_HOOK",
          botTokenEnv: "SLACK_BOT",
          channel: "#eng",
          events: ["session_finished", "session_failed", "account_limited"],
        },
      },
      [
        { slug: "billing-api", notifications: { slack: { channel: "#qa", events: ["session_failed"] } } },
        { slug: "quiet", notifications: { slack: { enabled: false } } },
        { slug: "web" },
      ],
    );
    const publish = (project: string, status: "completed" | "failed") =>
      runtime.bus.publish({ type: "sessions.updated", projectSlug: project, sessionId: insertSession(runtime, project, status), status });
    publish("billing-api", "completed"); // not in billing-api's events
    publish("billing-api", "failed");
    publish("quiet", "failed");
    publish("web", "completed");
    await service.idle();

    const byTarget = slack.received.map((r) => `${r.path} ${r.body.channel ?? ""} ${r.body.text}`).sort();
    expect(byTarget).toEqual([
      expect.stringMatching(/^\/api\/chat\.postMessage #eng Session #\d+ finished \(web\)$/),
      expect.stringMatching(/^\/api\/chat\.postMessage #qa Session #\d+ failed \(billing-api\)$/),
      expect.stringMatching(/^\/hooks\/T1\/B1\/secret {2}Session #\d+ failed \(billing-api\)$/),
      expect.stringMatching(/^\/hooks\/T1\/B1\/secret {2}Session #\d+ finished \(web\)$/),
    ]);
    expect(slack.received.filter((r) => r.path.startsWith("/api/")).every((r) => r.auth === "Bearer xoxb-test-token")).toBe(true);
    for (const r of slack.received) expect(checkMessage(r.body)).toEqual([]);

    // The settings view names env vars, never values.
    const settings = await getSettings(runtime, (n) => (n === "SLACK_HOOK" ? "set" : undefined));
    expect(settings.targets.map((t) => t.id).sort()).toEqual(["bot:SLACK_BOT:#eng", "bot:SLACK_BOT:#qa", "webhook:SLACK_HOOK"]);
    expect(settings.secrets).toEqual([
      { env: "SLACK_HOOK", set: true },
      { env: "SLACK_BOT", set: false },
    ]);
    expect(JSON.stringify(settings)).not.toContain("xoxb-test-token");
    expect(settings.hooks.map((h) => h.projectSlug).sort()).toEqual(["billing-api", "quiet", "web"]);
    expect(settings.hooks[0]).toMatchObject({ exists: false, events: [] });
  });

  it("a failure becoming persistent, a session that needs you and a parked account each notify once", async () => {
    const slack = await fakeSlack();
    const { runtime, service } = await start(slack, { slack: { webhookUrlEnv: "SLACK_HOOK" } });
    const run1 = fs.readFileSync(path.join(sampleReports, "run-1.json"), "utf8");
    const runAt = (i: number) => {
      const r = JSON.parse(run1) as { stats: { startTime: string } };
      r.stats.startTime = new Date(Date.parse(r.stats.startTime) + i * 3600_000).toISOString();
      return JSON.stringify(r);
    };
    for (let i = 0; i < 4; i++) ingestReport(runtime, { projectSlug: "billing-api", body: runAt(i) });
    await service.idle();
    expect(slack.received).toHaveLength(0); // recurring, not yet persistent
    ingestReport(runtime, { projectSlug: "billing-api", body: runAt(4) });
    await service.idle();
    // Still failing in the next run: already persistent, no second message.
    ingestReport(runtime, { projectSlug: "billing-api", body: runAt(5) });
    await service.idle();
    const persistent = slack.received.filter((r) => r.body.text.startsWith("Persistent failure"));
    expect(persistent).toHaveLength(8);
    expect(persistent[0]!.body.blocks[0]).toMatchObject({ type: "header" });
    expect(JSON.stringify(persistent[0]!.body.blocks)).toMatch(/failed 5 runs in a row/);

    // A hook-reported agent waiting for permission.
    runtime.bus.publish({
      type: "agents.needsYou",
      projectSlug: "billing-api",
      sessionId: "claude-abc",
      reason: "Claude needs your permission to use Bash",
    });
    // The runner parked an account after a usage limit.
    const sid = insertSession(runtime, "billing-api", "queued");
    runtime
      .db!.$client.prepare("INSERT INTO session_events (session_id, seq, type, payload, at) VALUES (?, 1, 'workdeck/account_parked', ?, ?)")
      .run(sid, JSON.stringify({ accountId: "max-1", until: "2030-01-01T05:00:00.000Z", limitType: "five_hour" }), Date.now());
    runtime.bus.publish({
      type: "sessions.event",
      projectSlug: "billing-api",
      sessionId: sid,
      seq: 1,
      eventType: "workdeck/account_parked",
    });
    // A launched session asks a tool permission from its page (issue 11).
    runtime
      .db!.$client.prepare(
        "INSERT INTO session_events (session_id, seq, type, payload, at) VALUES (?, 2, 'workdeck/permission_requested', ?, ?)",
      )
      .run(
        sid,
        JSON.stringify({ requestId: "toolu_1", toolName: "Bash", input: { command: "npm test" }, rule: "Bash(npm test:*)" }),
        Date.now(),
      );
    runtime.bus.publish({
      type: "sessions.event",
      projectSlug: "billing-api",
      sessionId: sid,
      seq: 2,
      eventType: "workdeck/permission_requested",
    });
    await service.idle();
    const asked = slack.received.find((r) => r.body.text === `Session #${sid} needs you (billing-api)`);
    expect(JSON.stringify(asked?.body.blocks)).toContain("npm test");
    expect(JSON.stringify(asked?.body.blocks)).toContain(`/sessions/${sid}`);
    const texts = slack.received.map((r) => r.body.text);
    expect(texts).toContain("A Claude Code session needs you (billing-api)");
    expect(texts).toContain("Account max-1 hit its usage limit (billing-api)");
    const parked = slack.received.find((r) => r.body.text.startsWith("Account max-1"))!;
    expect(JSON.stringify(parked.body.blocks)).toContain("2030-01-01 05:00 UTC");
    const kinds = (await service.deliveries(100)).map((d) => d.kind);
    expect(kinds.filter((k) => k === "failure_persistent")).toHaveLength(8);
    expect(kinds).toEqual(expect.arrayContaining(["session_needs_you", "account_limited"]));
  });

  it("never blocks the app: publish returns at once while Slack is slow; Send test goes through the router", async () => {
    const slack = await fakeSlack({ delayMs: 300 });
    const { runtime, service } = await start(slack, { slack: { webhookUrlEnv: "SLACK_HOOK" } });
    const id = insertSession(runtime, "billing-api", "completed");
    const t0 = performance.now();
    runtime.bus.publish({ type: "sessions.updated", projectSlug: "billing-api", sessionId: id, status: "completed" });
    expect(performance.now() - t0).toBeLessThan(50);
    expect(slack.received).toHaveLength(0);
    await service.idle();
    expect(slack.received).toHaveLength(1);

    // The router's Send test uses the runtime's service (here: one built on demand from the real env).
    const api = createCaller(createContext(runtime));
    await expect(api.settings.sendTestNotification({ targetId: "webhook:NOPE" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    const [test] = await api.settings.sendTestNotification({ targetId: "webhook:SLACK_HOOK" });
    // SLACK_HOOK is not set in this process's real environment: a failed delivery that says why.
    expect(test).toMatchObject({ status: "failed", lastError: "SLACK_HOOK is not set" });
  });
});
