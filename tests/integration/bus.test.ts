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

const changed = (projectSlug: string, id: string): WorkdeckEventInput => ({ type: "openspec.changed", projectSlug, changeIds: [id], specIds: [], paths: [] });

async function take(iter: AsyncGenerator<WorkdeckEvent>, n: number): Promise<WorkdeckEvent[]> {
  const out: WorkdeckEvent[] = [];
  for await (const e of iter) {
    out.push(e);
    if (out.length === n) break;
  }
  return out;
}

describe("event bus", () => {
  it("stores every event with an increasing id", () => {
    const bus = makeBus();
    const a = bus.publish(changed("p", "a"));
    const b = bus.publish(changed("p", "b"));
    expect(b.id).toBeGreaterThan(a.id);
    expect(bus.since(0).map((e) => e.id)).toEqual([a.id, b.id]);
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
    const pending = take(bus.stream({ filter: { projectSlug: "a", types: ["openspec.changed", "projects.changed"] }, signal: controller.signal }), 2);
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
    server.startPolling(10_000);
    const seen: string[] = [];
    server.on((e) => seen.push(e.type === "openspec.changed" ? e.changeIds[0]! : e.type));
    cli.publish(changed("p", "from-cli-1"));
    server.publish(changed("p", "local"));
    cli.publish(changed("p", "from-cli-2"));
    expect(server.pollForeign()).toBe(2);
    expect(server.pollForeign()).toBe(0);
    server.stopPolling();
    expect(seen).toEqual(["local", "from-cli-1", "from-cli-2"]);
  });
});
