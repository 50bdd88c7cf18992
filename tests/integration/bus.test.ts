import path from "node:path";
import { describe, expect, it } from "vitest";
import { migrateDatabase, openDatabase } from "@/server/db/client";
import { EventBus } from "@/server/events/bus";
import type { WorkdeckEvent, WorkdeckEventInput } from "@/lib/schemas/events";
import { repoRoot, tempDir } from "../support/temp";

function makeBus(file = path.join(tempDir(), "bus.db")) {
  const db = openDatabase(file);
  migrateDatabase(db, path.join(repoRoot, "drizzle"));
  return new EventBus(db);
}

const changed = (projectSlug: string, id: string): WorkdeckEventInput => ({
  type: "openspec.changed",
  projectSlug,
  changeIds: [id],
  specIds: [],
  paths: [],
});

async function take(iter: AsyncGenerator<WorkdeckEvent>, n: number): Promise<WorkdeckEvent[]> {
  const out: WorkdeckEvent[] = [];
  for await (const e of iter) {
    out.push(e);
    if (out.length === n) break;
  }
  return out;
}

describe("event bus", () => {
  it("stores every event with an increasing id", async () => {
    const bus = makeBus();
    const a = bus.publish(changed("p", "a"));
    const b = bus.publish(changed("p", "b"));
    expect(b.id).toBeGreaterThan(a.id);
    expect((await bus.since(0)).map((e) => e.id)).toEqual([a.id, b.id]);
  });

  it("resumes after lastEventId with the missed events first, then live ones, without gaps or duplicates", async () => {
    const bus = makeBus();
    const first = bus.publish(changed("p", "1"));
    bus.publish(changed("p", "2"));
    bus.publish(changed("p", "3"));
    const controller = new AbortController();
    const stream = bus.stream({ lastEventId: first.id, signal: controller.signal });
    const pending = take(stream, 4);
    setTimeout(() => {
      bus.publish(changed("p", "4"));
      bus.publish(changed("p", "5"));
    }, 20);
    const got = await pending;
    controller.abort();
    expect(got.map((e) => (e.type === "openspec.changed" ? e.changeIds[0] : "?"))).toEqual(["2", "3", "4", "5"]);
  });

  it("filters by project and type; project-less events reach everyone", async () => {
    const bus = makeBus();
    const controller = new AbortController();
    const pending = take(
      bus.stream({ filter: { projectSlug: "a", types: ["openspec.changed", "projects.changed"] }, signal: controller.signal }),
      2,
    );
    setTimeout(() => {
      bus.publish(changed("b", "x"));
      bus.publish({ type: "openspec.archived", projectSlug: "a", changeId: "y", archivedAs: "z" });
      bus.publish(changed("a", "kept"));
      bus.publish({ type: "projects.changed", projectSlug: null, slugs: ["c"] });
    }, 20);
    const got = await pending;
    controller.abort();
    expect(got.map((e) => e.type)).toEqual(["openspec.changed", "projects.changed"]);
  });

  it("ends the stream when the request is aborted", async () => {
    const bus = makeBus();
    const controller = new AbortController();
    const stream = bus.stream({ signal: controller.signal });
    const next = stream.next();
    controller.abort();
    await expect(next).resolves.toEqual({ done: true, value: undefined });
  });

  it("relays events another process stored, once each, in order", async () => {
    const file = path.join(tempDir(), "shared.db");
    const server = makeBus(file);
    const cli = makeBus(file);
    await server.startPolling(10_000);
    const seen: string[] = [];
    server.on((e) => seen.push(e.type === "openspec.changed" ? e.changeIds[0]! : e.type));
    cli.publish(changed("p", "from-cli-1"));
    server.publish(changed("p", "local"));
    cli.publish(changed("p", "from-cli-2"));
    expect(await server.pollForeign()).toBe(2);
    expect(await server.pollForeign()).toBe(0);
    server.stopPolling();
    expect(seen).toEqual(["local", "from-cli-1", "from-cli-2"]);
  });
});

/** A hook event as ingest publishes it: the high-volume traffic that pushed other events out of a page. */
const hookActivity = (projectSlug: string | null, n: number): WorkdeckEventInput => ({
  type: "agents.activity",
  projectSlug,
  sessionId: "busy-agent",
  hookId: n,
  event: "PreToolUse",
  toolName: "Bash",
  status: "active",
});

const label = (e: WorkdeckEvent): string =>
  e.type === "openspec.changed" ? `spec:${e.changeIds[0]}` : e.type === "sessions.updated" ? `session:${e.sessionId}` : e.type;

/** Reads until the `end` marker arrives (a live event published after the stream started), so a missing event fails the test instead of hanging it. */
async function untilMarker(iter: AsyncGenerator<WorkdeckEvent>, marker: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of iter) {
    out.push(label(e));
    if (out.at(-1) === marker) break;
  }
  return out;
}

describe("resuming by id past thousands of unrelated events (issue 10 item 4)", () => {
  it("since() pages by id with the type and project filter in SQL: every match, in order", async () => {
    const bus = makeBus();
    const expected: string[] = [];
    for (let i = 0; i < 6000; i++) {
      if (i % 1500 === 750) {
        bus.publish(changed("a", `c${i}`));
        expected.push(`spec:c${i}`);
        bus.publish(changed("b", `other${i}`));
      }
      bus.publish(hookActivity("a", i));
    }
    const got = (await bus.since(0, { projectSlug: "a", types: ["openspec.changed"] })).map(label);
    expect(got).toEqual(expected);
  });

  it("a client reconnecting after 5,000 hook events gets every spec, error and session event, in order, without duplicates", async () => {
    const bus = makeBus();
    const types = ["openspec.changed", "errors.failureNew", "sessions.updated"] as const;
    const before = bus.publish(changed("a", "seen-before-the-drop"));
    const expected: string[] = [];
    for (let i = 0; i < 5000; i++) {
      bus.publish(hookActivity("a", i));
      if (i === 1200) expected.push(label(bus.publish(changed("a", "spec-1200"))));
      if (i === 2600)
        expected.push(label(bus.publish({ type: "errors.failureNew", projectSlug: "a", reportId: 1, failureIds: [7], count: 1 })));
      if (i === 4100)
        expected.push(
          label(bus.publish({ type: "sessions.updated", projectSlug: "a", sessionId: 41, status: "running" } as WorkdeckEventInput)),
        );
      if (i === 4999) expected.push(label(bus.publish(changed("a", "spec-last"))));
    }
    const controller = new AbortController();
    const stream = bus.stream({ filter: { projectSlug: "a", types: [...types] }, lastEventId: before.id, signal: controller.signal });
    const pending = untilMarker(stream, "spec:live-marker");
    setTimeout(() => bus.publish(changed("a", "live-marker")), 20);
    const got = await pending;
    controller.abort();
    expect(got).toEqual([...expected, "spec:live-marker"]);
  });

  it("pollForeign relays everything another process stored in one call, however many rows", async () => {
    const file = path.join(tempDir(), "shared.db");
    const server = makeBus(file);
    const cli = makeBus(file);
    await server.startPolling(10_000);
    const seen: number[] = [];
    server.on((e) => seen.push(e.id));
    const stored: number[] = [];
    for (let i = 0; i < 12_000; i++) stored.push(cli.publish(hookActivity("p", i)).id);
    expect(await server.pollForeign()).toBe(12_000);
    server.stopPolling();
    expect(seen).toEqual(stored);
  });
});

describe("a subscriber that does not keep up (issue 10 item 8)", () => {
  it("is dropped once its queue is full, holds nothing after, and resumes by id with everything", async () => {
    const bus = makeBus();
    const controller = new AbortController();
    const stalled = bus.stream({ signal: controller.signal });
    const first = stalled.next();
    const firstEvent = bus.publish(changed("p", "0"));
    expect((await first).value).toMatchObject({ id: firstEvent.id });
    // The consumer stops pulling (a stalled socket), while the bus keeps publishing.
    const published: number[] = [];
    const queued: number[][] = [];
    for (let i = 1; i <= 5000; i++) {
      published.push(bus.publish(changed("p", String(i))).id);
      if (i === 1000 || i === 1001) queued.push(bus.subscriberQueues?.() ?? []);
    }
    await expect(stalled.next()).rejects.toThrow(/fell behind/);
    // Full at 1,000; on the next event it is dropped, and its listener goes with it.
    expect(queued).toEqual([[1000], []]);
    expect(bus.listenerCount()).toBe(0);

    // The client reconnects with the last id it saw and gets every event it missed, once.
    const resumed = bus.stream({ lastEventId: firstEvent.id, signal: controller.signal });
    const got = await take(resumed, 5000);
    controller.abort();
    expect(got.map((e) => e.id)).toEqual(published);
  });

  it("a burst that fills the queue before anything was delivered is caught up from the table (the client has no id to resume from yet)", async () => {
    const bus = makeBus();
    const controller = new AbortController();
    const stream = bus.stream({ signal: controller.signal, maxQueue: 100 });
    const pending = take(stream, 1000);
    await new Promise((r) => setImmediate(r));
    const published: number[] = [];
    for (let i = 0; i < 1000; i++) published.push(bus.publish(hookActivity("p", i)).id);
    const got = await pending;
    controller.abort();
    expect(got.map((e) => e.id)).toEqual(published);
  });

  it("keeps at most the bound in memory however long it stalls", async () => {
    const bus = makeBus();
    const controller = new AbortController();
    const stalled = bus.stream({ signal: controller.signal, maxQueue: 50 });
    const first = stalled.next();
    bus.publish(changed("p", "0"));
    await first;
    let largest = 0;
    for (let i = 0; i < 20_000; i++) {
      bus.publish(hookActivity("p", i));
      largest = Math.max(largest, ...bus.subscriberQueues());
    }
    expect(largest).toBe(50);
    controller.abort();
  });

  it("a consumer that keeps up is never dropped, however many events pass", async () => {
    const bus = makeBus();
    const controller = new AbortController();
    const stream = bus.stream({ signal: controller.signal, maxQueue: 10 });
    const pending = take(stream, 3000);
    for (let i = 0; i < 300; i++) {
      // Bursts below the bound, with the event loop turning between them (as requests do).
      await new Promise((r) => setImmediate(r));
      for (let j = 0; j < 10; j++) bus.publish(hookActivity("p", i * 10 + j));
    }
    const got = await pending;
    controller.abort();
    expect(got).toHaveLength(3000);
  });
});

describe("polling past this process's own rows (issue 12)", () => {
  it("emits every row of others once, in id order, however they interleave with the process's own, which it does not emit again", async () => {
    const file = path.join(tempDir(), "shared.db");
    const server = makeBus(file);
    const cli = makeBus(file);
    await server.startPolling(10_000);
    const seen: number[] = [];
    server.on((e) => seen.push(e.id));
    const all: number[] = [];
    // Runs of own rows longer than a page, single foreign rows between them, and a foreign run at the end.
    for (let i = 0; i < 2_500; i++) {
      const ownRow = i % 700 !== 0 && i < 2_400;
      all.push((ownRow ? server : cli).publish(hookActivity("p", i)).id);
    }
    const foreign = all.filter((_, i) => !(i % 700 !== 0 && i < 2_400));
    const own = all.filter((id) => !foreign.includes(id));
    expect(seen).toEqual(own);
    expect(await server.pollForeign()).toBe(foreign.length);
    expect(await server.pollForeign()).toBe(0);
    server.stopPolling();
    // Its own when it stored them, the others' as the poll found them.
    expect(seen).toEqual([...own, ...foreign]);
  });
});
