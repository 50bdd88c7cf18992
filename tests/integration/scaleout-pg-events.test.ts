/**
 * Issue 14: the event bus on a PostgreSQL store, across instances, through LISTEN/NOTIFY (no
 * polling, no Redis): each "instance" is its own pool, bus and notifier on one real PostgreSQL.
 */
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PostgresStore } from "@/server/db/sql-store";
import { EventBus } from "@/server/events/bus";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import { changedEvent, changeLabel, until } from "../support/bus-events";
import { startPostgres, type PostgresServer } from "../support/postgres";
import { migratePostgres, pgBusInstance } from "../support/pg-bus";

let server: PostgresServer;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  server = await startPostgres();
  await migratePostgres(server.url);
}, 120_000);

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query("TRUNCATE events RESTART IDENTITY");
  await admin.end();
});

afterAll(async () => {
  await server?.stop();
});

const changed = (id: string) => changedEvent(id);
const label = changeLabel;

/** One instance (tests/support/pg-bus.ts), with what its bus emitted. */
async function instance() {
  const inst = await pgBusInstance(server.url);
  const seen: WorkdeckEvent[] = [];
  inst.bus.on((e) => seen.push(e));
  cleanups.push(() => inst.close());
  return { ...inst, seen };
}

describe("events across instances on PostgreSQL (LISTEN/NOTIFY)", () => {
  it("an event published on one instance reaches the other's stream, announced by the table's trigger", async () => {
    const a = await instance();
    const b = await instance();
    expect(b.notifier.ready()).toBe(true);
    const controller = new AbortController();
    const stream = b.bus.stream({ signal: controller.signal });
    const first = stream.next();
    const published = await a.bus.publishAsync(changed("from-a"));
    const got = (await first).value as WorkdeckEvent;
    controller.abort();
    expect(got).toMatchObject({ id: published.id, type: "openspec.changed", changeIds: ["from-a"] });
    // Its own instance emitted it once, not again when its own NOTIFY came back.
    await until(() => a.seen.length === 1, "a's own event");
    await new Promise((r) => setTimeout(r, 100));
    expect(a.seen.map(label)).toEqual(["from-a"]);
  });

  it("a one-shot writer with no bus (a CLI ingest) is announced too; a rolled-back event never is", async () => {
    const b = await instance();
    const cliPool = new pg.Pool({ connectionString: server.url, max: 1 });
    cleanups.push(() => cliPool.end());
    const cli = new EventBus(null, new PostgresStore(cliPool));
    await expect(
      new PostgresStore(cliPool).transaction(async (tx) => {
        await cli.record(tx, changed("rolled-back"));
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    await cli.record(new PostgresStore(cliPool), changed("from-cli"));
    await until(() => b.seen.length >= 1, "the CLI's event");
    await new Promise((r) => setTimeout(r, 100));
    expect(b.seen.map(label)).toEqual(["from-cli"]);
  });

  it("resume by id works on any instance: a stream on one back-fills what another published", async () => {
    const a = await instance();
    const b = await instance();
    const first = await a.bus.publishAsync(changed("1"));
    await a.bus.publishAsync(changed("2"));
    await a.bus.publishAsync(changed("3"));
    const controller = new AbortController();
    const out: string[] = [];
    for await (const e of b.bus.stream({ lastEventId: first.id, signal: controller.signal })) {
      out.push(label(e));
      if (out.length === 2) void a.bus.publishAsync(changed("live"));
      if (out.length === 3) break;
    }
    controller.abort();
    expect(out).toEqual(["2", "3", "live"]);
  });

  it("writers on both instances at once: every instance sees every event once, in id order", async () => {
    const a = await instance();
    const b = await instance();
    const writes = Array.from({ length: 120 }, (_, i) => (i % 2 ? a : b).bus.publishAsync(changed(`e${i}`)));
    const ids = (await Promise.all(writes)).map((e) => e.id).sort((x, y) => x - y);
    await until(() => a.seen.length >= 120 && b.seen.length >= 120, "all events on both");
    await new Promise((r) => setTimeout(r, 100));
    for (const inst of [a, b]) {
      expect(inst.seen.map((e) => e.id)).toEqual(ids);
    }
    // Ids became visible in order: they are 1..120 with no hole.
    expect(ids).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
  });
});
