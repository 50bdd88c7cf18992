/**
 * Agent health (issue 17): a running session is active, idle or stuck from its heartbeat (its
 * last stream message or hook event); each change is published once, All Work shows it, and
 * Slack hears about getting stuck and getting over it once each. The real Claude Code binary,
 * held mid-turn by the fake Messages API; clocks passed in, never waited on.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import { NotificationService } from "@/server/notifications/service";
import { runningHealthOn, watchHealth } from "@/server/sessions/health";
import { SessionRunner } from "@/server/sessions/service";
import { listAll } from "@/server/work/service";
import { SqliteStore } from "@/server/db/sql-store";
import { FakeAnthropic } from "../support/fake-anthropic";
import { harnessDeps, harnessSpec, waitFor } from "../support/session-harness";
import { repoRoot, tempDir } from "../support/temp";

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function fakeSlack() {
  const received: { text: string }[] = [];
  const server = http.createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", () => {
      received.push(JSON.parse(raw));
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/x`, received };
}

describe("agent health", () => {
  it("reads active, idle and stuck from a running session's heartbeat; publishes each change once; All Work and Slack follow", async () => {
    const fake = await FakeAnthropic.start();
    closers.push(() => fake.close());
    const deps = harnessDeps(harnessSpec(tempDir("workdeck-health-"), fake.url), repoRoot);
    deps.config.config.agents = { stuckMinutes: 5 };
    deps.config.config.notifications = { slack: { webhookUrlEnv: "SLACK_WEBHOOK_URL" } };
    const runner = new SessionRunner(deps, { stopGraceMs: 2_000 });
    closers.push(
      () => void deps.db!.$client.close(),
      () => runner.close(),
    );
    const slack = await fakeSlack();
    const notes = new NotificationService({
      sqlStore: SqliteStore.on(deps.db!.$client),
      bus: deps.bus,
      config: deps.config,
      log: deps.log,
      readSecret: () => slack.url,
      baseUrl: "http://workdeck.test",
    }).start();
    closers.push(() => notes.close());
    const published: Extract<WorkdeckEvent, { type: "sessions.health" }>[] = [];
    closers.push(deps.bus.on((e) => e.type === "sessions.health" && published.push(e)));

    // The fake never answers: the session runs, silent after its first messages.
    fake.queue({ kind: "hang" });
    const { id } = await runner.start({ projectId: "demo", prompt: "HEALTH: think for a long time." });
    await waitFor(async () => (await runner.get({ id })).status === "running" && fake.mainRequests.length > 0);
    const stuckMs = 5 * 60_000;
    const store = SqliteStore.on(deps.db!.$client);
    const beat = (await runningHealthOn(store, { now: Date.now(), stuckMs })).get(id)!;
    const at = async (ms: number) => (await runningHealthOn(store, { now: beat.lastProgressAt + ms, stuckMs })).get(id)!.health;
    expect(await at(1_000)).toBe("active");
    expect(await at(2 * 60_000)).toBe("idle");
    expect(await at(stuckMs)).toBe("stuck");

    const watch = watchHealth({ db: deps.db, bus: deps.bus, log: deps.log, stuckMinutes: 5 }, 3600_000);
    closers.push(() => watch.close());
    await watch.tick(beat.lastProgressAt + 1_000);
    expect(published).toEqual([]); // a session starting active is no news
    await watch.tick(beat.lastProgressAt + stuckMs + 1_000);
    await watch.tick(beat.lastProgressAt + stuckMs + 2_000);
    expect(published.map((e) => [e.health, e.previous])).toEqual([["stuck", "active"]]);
    const items = await listAll({ ...deps, sqlStore: SqliteStore.on(deps.db!.$client), openspec: { listChanges: async () => [] } }, {});
    // All Work reads the session's health with its own clock: real time says it is active again.
    expect(items.find((i) => i.key === `session:${id}`)).toMatchObject({ health: "active", detail: "running · active" });

    await watch.tick(beat.lastProgressAt + 1_000);
    expect(published.map((e) => [e.health, e.previous])).toEqual([
      ["stuck", "active"],
      ["active", "stuck"],
    ]);
    await notes.idle();
    expect(slack.received.map((m) => m.text)).toEqual([
      expect.stringContaining(`Session #${id} looks stuck`),
      expect.stringContaining(`Session #${id} is moving again`),
    ]);

    // A stopped session leaves the watch without news; it never failed.
    await runner.stop({ id });
    await watch.tick();
    expect(published).toHaveLength(2);
  });
});
