/**
 * Issue 14: the cross-instance notifier. Two buses on one SQLite file stand for two `workdeck
 * serve` processes; each has a RedisNotifier on a real redis-server (tests/support/redis.ts). Their
 * table polls are set an hour apart, so whatever reaches the other bus here came through Redis,
 * not through polling; the last test kills Redis and checks the polling fallback takes over.
 */
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import { migrateDatabase, openDatabase } from "@/server/db/client";
import { EventBus } from "@/server/events/bus";
import { decodeAnnouncement, encodeAnnouncement } from "@/server/events/notifier";
import { RedisNotifier } from "@/server/events/redis-notifier";
import { changedEvent, changeLabel, until } from "../support/bus-events";
import { startRedis, type RedisServer } from "../support/redis";
import { repoRoot, tempDir } from "../support/temp";

const HOUR = 3_600_000;
const quiet = { info: () => {}, warn: () => {} };
let redis: RedisServer;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const changed = (id: string) => changedEvent(id);
const label = changeLabel;

/** One "instance": its own connection to the shared file, its bus, its notifier. */
async function instance(file: string, pollMs = HOUR) {
  const db = openDatabase(file);
  migrateDatabase(db, path.join(repoRoot, "drizzle"));
  const bus = new EventBus(db);
  const notifier = new RedisNotifier(redis.url, quiet);
  await bus.startPolling(pollMs);
  bus.useNotifier(notifier);
  void notifier.start();
  const seen: string[] = [];
  bus.on((e) => seen.push(label(e)));
  cleanups.push(async () => {
    bus.stopPolling();
    await notifier.close();
    db.$client.close();
  });
  await until(() => notifier.ready(), "the notifier connects");
  return { bus, notifier, seen };
}

describe("cross-instance events through Redis", () => {
  it("an event published on one instance reaches the other's listeners, fetched from the shared table by id", async () => {
    const file = path.join(tempDir(), "shared.db");
    const a = await instance(file);
    const b = await instance(file);
    const published = a.bus.publish(changed("from-a"));
    await until(() => b.seen.includes("from-a"), "b hears a's event");
    const received: WorkdeckEvent[] = [];
    b.bus.on((e) => received.push(e));
    const second = a.bus.publish(changed("again"));
    await until(() => received.length > 0, "b hears the second event");
    expect(received[0]).toEqual(second);
    expect(second.id).toBeGreaterThan(published.id);
    // Each instance emits its own event once: its own announcement is not fetched back.
    expect(a.seen).toEqual(["from-a", "again"]);
  });

  it("a burst arrives whole and in order, once each, on every other instance", async () => {
    const file = path.join(tempDir(), "shared.db");
    const a = await instance(file);
    const b = await instance(file);
    const c = await instance(file);
    const ids = Array.from({ length: 300 }, (_, i) => `e${i}`);
    for (const id of ids.slice(0, 150)) a.bus.publish(changed(id));
    for (const id of ids.slice(150)) c.bus.publish(changed(id));
    await until(() => b.seen.length >= 300, "b hears all 300");
    expect(b.seen).toEqual(ids);
    await until(() => a.seen.length >= 300 && c.seen.length >= 300, "a and c hear each other");
    expect(new Set(a.seen).size).toBe(300);
    expect(new Set(c.seen).size).toBe(300);
  });

  it("an instance's own event committed right after another's is emitted after it, so its streams miss neither", async () => {
    const file = path.join(tempDir(), "shared.db");
    const a = await instance(file);
    const b = await instance(file);
    const controller = new AbortController();
    const stream = b.bus.stream({ signal: controller.signal });
    const firstPull = stream.next();
    // a commits first; b commits before a's announcement can have reached it (same turn).
    a.bus.publish(changed("a-first"));
    b.bus.publish(changed("b-second"));
    const out = [label((await firstPull).value as WorkdeckEvent), label((await stream.next()).value as WorkdeckEvent)];
    controller.abort();
    expect(out).toEqual(["a-first", "b-second"]);
    expect(b.seen).toEqual(["a-first", "b-second"]);
  });

  it("resume by id works on any instance: a stream on one back-fills what another published", async () => {
    const file = path.join(tempDir(), "shared.db");
    const a = await instance(file);
    const b = await instance(file);
    const first = a.bus.publish(changed("1"));
    a.bus.publish(changed("2"));
    a.bus.publish(changed("3"));
    const controller = new AbortController();
    const out: string[] = [];
    for await (const e of b.bus.stream({ lastEventId: first.id, signal: controller.signal })) {
      out.push(label(e));
      if (out.length === 2) {
        a.bus.publish(changed("live"));
      }
      if (out.length === 3) break;
    }
    controller.abort();
    expect(out).toEqual(["2", "3", "live"]);
  });

  it("with Redis down, events still reach the other instance through the polling fallback, and announcements resume once it is back", async () => {
    const file = path.join(tempDir(), "shared.db");
    const a = await instance(file, 50);
    const b = await instance(file, 50);
    await redis.kill();
    await until(() => !a.notifier.ready() && !b.notifier.ready(), "both notice Redis is gone");
    a.bus.publish(changed("while-down"));
    await until(() => b.seen.includes("while-down"), "b hears a's event by polling");
    await redis.restart();
    await until(() => a.notifier.ready() && b.notifier.ready(), "both reconnect");
    a.bus.publish(changed("after"));
    await until(() => b.seen.includes("after"), "b hears a's event after the restart");
    expect(b.seen).toEqual(["while-down", "after"]);
  });
});

describe("announcements on the wire", () => {
  it("carry the sender and positive integer ids; anything else on the channel is ignored", () => {
    expect(decodeAnnouncement(encodeAnnouncement({ from: "x", ids: [3, 4] }))).toEqual({ from: "x", ids: [3, 4] });
    expect(decodeAnnouncement("not json")).toBeNull();
    expect(decodeAnnouncement(JSON.stringify({ ids: [1] }))).toBeNull();
    expect(decodeAnnouncement(JSON.stringify({ from: "x", ids: [-1, 1.5, "7"] }))).toBeNull();
    expect(decodeAnnouncement(JSON.stringify({ from: "x", ids: [0, 9] }))).toEqual({ from: "x", ids: [9] });
  });
});
