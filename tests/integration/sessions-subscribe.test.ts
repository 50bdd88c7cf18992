/**
 * sessions.subscribe: the Sessions tab's live feed (issue 4). Through the tRPC caller over a real
 * runtime; the runner's bus events are published directly, so no Claude Code process is needed.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startRuntime, stopRuntime } from "@/server/runtime-boot";
import { createContext } from "@/server/trpc/init";
import { createCaller } from "@/server/trpc/root";
import { tempDir } from "../support/temp";
import { billingApiCopy, oneProjectEnv } from "../support/runtime-env";

async function start() {
  const dir = tempDir();
  const project = billingApiCopy(dir);
  const { env } = oneProjectEnv(dir, { slug: "billing-api", path: project });
  return startRuntime(env, { watch: false });
}

type Seen = { id: string; type: string; sessionId?: number; status?: string; eventType?: string };

/** Reads the subscription until `done` says so (or the abort ends it). */
async function collect(stream: unknown, done: (seen: Seen[]) => boolean): Promise<Seen[]> {
  const seen: Seen[] = [];
  // tracked(id, data) reaches a server-side caller as an [id, data, symbol] tuple.
  for await (const envelope of stream as AsyncIterable<unknown>) {
    const [id, data] = envelope as [string, Omit<Seen, "id">];
    // The event carries its numeric bus id too; the tracked (string) id is the one a client resumes with.
    seen.push({ ...data, id });
    if (done(seen)) break;
  }
  return seen;
}

afterEach(() => stopRuntime());

describe("sessions.subscribe", () => {
  it("forwards created/finished and account changes of the project with tracked ids, not conversation lines, and resumes after lastEventId", async () => {
    const runtime = await start();
    const controller = new AbortController();
    const subscriber = createCaller(createContext(runtime), { signal: controller.signal });
    // From the start of the log: the generator only starts listening when first read.
    const stream = await subscriber.sessions.subscribe({ projectId: "billing-api", lastEventId: 0 });

    const bus = runtime.bus;
    bus.publish({ type: "sessions.updated", projectSlug: "billing-api", sessionId: 1, status: "queued" });
    // One conversation line: the session page's business, never the list's.
    bus.publish({ type: "sessions.event", projectSlug: "billing-api", sessionId: 1, seq: 2, eventType: "assistant" });
    bus.publish({ type: "sessions.event", projectSlug: "billing-api", sessionId: 1, seq: 3, eventType: "stream_event" });
    // Another project's session and an unrelated event are filtered out.
    bus.publish({ type: "sessions.updated", projectSlug: "other", sessionId: 2, status: "running" });
    bus.publish({ type: "projects.changed", projectSlug: null, slugs: [] });
    // A result moves a running session's totals; an account note moves the accounts view.
    bus.publish({ type: "sessions.event", projectSlug: "billing-api", sessionId: 1, seq: 4, eventType: "result" });
    bus.publish({ type: "sessions.event", projectSlug: "billing-api", sessionId: 1, seq: 5, eventType: "workdeck/account_parked" });
    const finished = bus.publish({ type: "sessions.updated", projectSlug: "billing-api", sessionId: 1, status: "completed" });

    const seen = await collect(stream, (s) => s.at(-1)?.status === "completed");
    controller.abort();
    expect(seen.map((s) => [s.type, s.status ?? s.eventType])).toEqual([
      ["sessions.updated", "queued"],
      ["sessions.event", "result"],
      ["sessions.event", "workdeck/account_parked"],
      ["sessions.updated", "completed"],
    ]);
    expect(seen.every((s) => s.sessionId === 1 && /^\d+$/.test(s.id))).toBe(true);
    expect(seen.at(-1)!.id).toBe(String(finished.id));

    // A reconnect with the last id it saw gets what it missed meanwhile, and nothing twice.
    const missed = bus.publish({ type: "sessions.updated", projectSlug: "billing-api", sessionId: 3, status: "queued" });
    const again = new AbortController();
    const resumed = await createCaller(createContext(runtime), { signal: again.signal }).sessions.subscribe({
      projectId: "billing-api",
      lastEventId: Number(seen[1]!.id),
    });
    const replay = await collect(resumed, (s) => s.at(-1)?.sessionId === 3);
    again.abort();
    expect(replay.map((s) => Number(s.id))).toEqual([Number(seen[2]!.id), finished.id, missed.id]);
  });

  it("without a project, sees every project's sessions", async () => {
    const runtime = await start();
    const controller = new AbortController();
    const stream = await createCaller(createContext(runtime), { signal: controller.signal }).sessions.subscribe({ lastEventId: 0 });
    runtime.bus.publish({ type: "sessions.updated", projectSlug: "other", sessionId: 7, status: "running" });
    runtime.bus.publish({ type: "sessions.updated", projectSlug: "billing-api", sessionId: 8, status: "running" });
    const seen = await collect(stream, (s) => s.length === 2);
    controller.abort();
    expect(seen.map((s) => s.sessionId)).toEqual([7, 8]);
  });
});
