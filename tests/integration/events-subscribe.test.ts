/**
 * events.subscribe (issue 10 item 9): the one stream a browser tab opens. Through the tRPC caller
 * and a local-link client over a real runtime (SQLite in a temp folder, the real bus); the bus
 * events a writer would publish are published directly, and a launched session's messages are
 * stored the way the runner stores them, so no Claude Code process is needed.
 */
import { createTRPCClient, getUntypedClient, unstable_localLink } from "@trpc/client";
import { afterEach, describe, expect, it, vi } from "vitest";
import { LiveDispatcher } from "@/app/_components/shell/live-dispatch";
import type { WorkdeckEventInput } from "@/lib/schemas/events";
import type { SessionEvent } from "@/lib/schemas/sessions";
import { createTRPCOptions } from "@/lib/trpc/options";
import { QueryClient } from "@/lib/trpc/query-cache";
import { transformer } from "@/lib/trpc/transformer";
import type { Runtime } from "@/server/runtime";
import { startRuntime, stopRuntime } from "@/server/runtime-boot";
import { createContext } from "@/server/trpc/init";
import { appRouter, createCaller, type AppRouter } from "@/server/trpc/root";
import { tempDir } from "../support/temp";
import { billingApiCopy, oneProjectEnv } from "../support/runtime-env";

async function start() {
  const dir = tempDir();
  const project = billingApiCopy(dir);
  const { env } = oneProjectEnv(dir, { slug: "billing-api", path: project });
  return startRuntime(env, { watch: false });
}

type Seen = { id: string; type: string; bus: number; sessionId?: number | string; eventType?: string; event?: string };

/** Reads the subscription until `done` says so. */
async function collect(stream: unknown, done: (seen: Seen[]) => boolean): Promise<Seen[]> {
  const seen: Seen[] = [];
  // tracked(id, data) reaches a server-side caller as an [id, data, symbol] tuple.
  for await (const envelope of stream as AsyncIterable<unknown>) {
    const [id, data] = envelope as [string, { id: number; type: string }];
    seen.push({ ...data, id, bus: data.id });
    if (done(seen)) break;
  }
  return seen;
}

function subscriber(runtime: Runtime) {
  const controller = new AbortController();
  return { caller: createCaller(createContext(runtime), { signal: controller.signal }), stop: () => controller.abort() };
}

/** A launched session, as sessions.start leaves it (only the columns a read needs). */
function insertSession(runtime: Runtime): number {
  const info = runtime
    .db!.$client.prepare(
      "INSERT INTO sessions (session_type, status, project_slug, cwd, prompt, options, created_at) VALUES ('manual', 'running', 'billing-api', '/tmp', 'hi', '{}', ?)",
    )
    .run(Date.now());
  return Number(info.lastInsertRowid);
}

/** Stores one message and announces it, as the runner's note() does. */
function note(runtime: Runtime, sessionId: number, seq: number, type: string, text: string): void {
  runtime
    .db!.$client.prepare("INSERT INTO session_events (session_id, seq, type, payload, at) VALUES (?, ?, ?, ?, ?)")
    .run(sessionId, seq, type, JSON.stringify({ type, text }), Date.now());
  runtime.bus.publish({ type: "sessions.event", projectSlug: "billing-api", sessionId, seq, eventType: type });
}

const toolCall = (sessionId: string): WorkdeckEventInput => ({
  type: "agents.activity",
  projectSlug: "billing-api",
  sessionId,
  hookId: 1,
  event: "PreToolUse",
  toolName: "Bash",
  status: "active",
});

afterEach(() => stopRuntime());

describe("events.subscribe", () => {
  it("multiplexes every kind of event on one stream, tracked by its bus id, and resumes after lastEventId without gaps or repeats", async () => {
    const runtime = await start();
    const bus = runtime.bus;
    const first = subscriber(runtime);
    const stream = await first.caller.events.subscribe({ lastEventId: await bus.latestId() });

    const published = [
      bus.publish({
        type: "openspec.changed",
        projectSlug: "billing-api",
        changeIds: ["add-invoices"],
        specIds: [],
        paths: ["changes/add-invoices/tasks.md"],
      }),
      bus.publish({ type: "errors.failureNew", projectSlug: "billing-api", reportId: 1, failureIds: [4, 5], count: 2 }),
      bus.publish({ type: "sessions.updated", projectSlug: "other", sessionId: 2, status: "running" }),
      bus.publish({ type: "agents.needsYou", projectSlug: null, sessionId: "abc", reason: "permission" }),
      bus.publish({ type: "projects.changed", projectSlug: null, slugs: [] }),
      bus.publish({ type: "sessions.event", projectSlug: "billing-api", sessionId: 2, seq: 9, eventType: "result" }),
    ];
    const seen = await collect(stream, (s) => s.length === published.length);
    first.stop();
    expect(seen.map((s) => s.type)).toEqual([
      "openspec.changed",
      "errors.failureNew",
      "sessions.updated",
      "agents.needsYou",
      "projects.changed",
      "sessions.event",
    ]);
    expect(seen.map((s) => s.id)).toEqual(published.map((e) => String(e.id)));
    expect(seen.every((s) => s.id === String(s.bus))).toBe(true);

    // A reconnect with the last id it saw gets what it missed meanwhile, and nothing twice.
    const missed = bus.publish({
      type: "errors.triaged",
      projectSlug: "billing-api",
      failureId: 4,
      decision: "ignore",
      priority: 3,
      reviewedByHuman: true,
      assignedSessionId: null,
    });
    const again = subscriber(runtime);
    const replay = await collect(
      await again.caller.events.subscribe({ lastEventId: Number(seen[2]!.id) }),
      (s) => s.at(-1)?.type === "errors.triaged",
    );
    again.stop();
    expect(replay.map((s) => Number(s.id))).toEqual([...published.slice(3).map((e) => e.id), missed.id]);
  });

  it("carries a session's conversation lines and an agent's tool calls only when the input names them", async () => {
    const runtime = await start();
    const bus = runtime.bus;
    const from = await bus.latestId();
    bus.publish({ type: "sessions.event", projectSlug: "billing-api", sessionId: 1, seq: 1, eventType: "assistant" });
    bus.publish({ type: "sessions.event", projectSlug: "billing-api", sessionId: 2, seq: 1, eventType: "assistant" });
    bus.publish(toolCall("abc"));
    bus.publish(toolCall("def"));
    const end = bus.publish({ type: "sessions.updated", projectSlug: "billing-api", sessionId: 1, status: "completed" });
    const read = async (input: Parameters<ReturnType<typeof createCaller>["events"]["subscribe"]>[0]) => {
      const s = subscriber(runtime);
      const seen = await collect(await s.caller.events.subscribe({ ...input, lastEventId: from }), (all) => all.at(-1)?.bus === end.id);
      s.stop();
      return seen.map((e) => `${e.type} ${e.sessionId}`);
    };

    // The base stream: summaries only.
    expect(await read({})).toEqual(["sessions.updated 1"]);
    // A session page and an agent page each get their own.
    expect(await read({ sessionIds: [1], agentSessionIds: ["def"] })).toEqual([
      "sessions.event 1",
      "agents.activity def",
      "sessions.updated 1",
    ]);
    // The agents table gets every tool call.
    expect(await read({ allAgentActivity: true })).toEqual(["agents.activity abc", "agents.activity def", "sessions.updated 1"]);
    // The project filter, for tools outside the UI: another project's events stay out.
    bus.publish({ type: "sessions.updated", projectSlug: "other", sessionId: 3, status: "queued" });
    const last = bus.publish({ type: "sessions.updated", projectSlug: "billing-api", sessionId: 4, status: "queued" });
    const s = subscriber(runtime);
    const scoped = await collect(
      await s.caller.events.subscribe({ projectId: "billing-api", lastEventId: end.id }),
      (all) => all.at(-1)?.bus === last.id,
    );
    s.stop();
    expect(scoped.map((e) => e.sessionId)).toEqual([4]);
  });

  it("resumes past thousands of conversation lines it does not carry", async () => {
    const runtime = await start();
    const bus = runtime.bus;
    const from = await bus.latestId();
    const before = bus.publish({
      type: "errors.reportIngested",
      projectSlug: "billing-api",
      reportId: 1,
      seq: 1,
      tests: 3,
      unexpected: 1,
      flaky: 0,
    });
    for (let seq = 1; seq <= 3000; seq++)
      bus.publish({ type: "sessions.event", projectSlug: "billing-api", sessionId: 7, seq, eventType: "stream_event" });
    const after = bus.publish({ type: "sessions.updated", projectSlug: "billing-api", sessionId: 7, status: "completed" });
    const s = subscriber(runtime);
    const seen = await collect(await s.caller.events.subscribe({ lastEventId: from }), (all) => all.at(-1)?.bus === after.id);
    s.stop();
    expect(seen.map((e) => e.bus)).toEqual([before.id, after.id]);
  });

  it("through a client and the dispatcher, a session's new messages land on its cached conversation in order, once each", async () => {
    const runtime = await start();
    const id = insertSession(runtime);
    const other = insertSession(runtime);
    note(runtime, id, 1, "workdeck/user_message", "fix it");
    note(runtime, id, 2, "system/init", "init");

    const client = createTRPCClient<AppRouter>({
      links: [unstable_localLink({ router: appRouter, createContext: async () => createContext(runtime), transformer })],
    });
    const queryClient = new QueryClient();
    const untyped = getUntypedClient(client);
    const trpc = createTRPCOptions<AppRouter>({
      query: (path, input) => untyped.query(path, input),
      mutate: (path, input) => untyped.mutation(path, input),
    });
    const key = trpc.sessions.events.queryKey({ id });
    await queryClient.fetchQuery(trpc.sessions.events.queryOptions({ id }));
    await queryClient.fetchQuery(trpc.sessions.get.queryOptions({ id }));
    const dispatcher = new LiveDispatcher({ queryClient, trpc, fetchSessionEvents: (input) => client.sessions.events.query(input) });

    let subscription: { unsubscribe(): void } | undefined;
    const lastEventId = await runtime.bus.latestId();
    await new Promise<void>((started) => {
      subscription = client.events.subscribe.subscribe(
        { sessionIds: [id], lastEventId },
        { onStarted: () => started(), onData: (envelope) => dispatcher.dispatch(envelope.data) },
      );
    });
    for (let seq = 3; seq <= 40; seq++) note(runtime, id, seq, seq === 40 ? "result" : "assistant", `line ${seq}`);
    // Another session's lines are not this tab's business.
    note(runtime, other, 1, "assistant", "elsewhere");

    await vi.waitFor(() => expect(queryClient.getQueryData<SessionEvent[]>(key)?.at(-1)?.seq).toBe(40), { timeout: 20_000 });
    await dispatcher.idle();
    await dispatcher.flush();
    subscription!.unsubscribe();
    dispatcher.dispose();
    expect(queryClient.getQueryData<SessionEvent[]>(key)!.map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(queryClient.getQueryData(trpc.sessions.events.queryKey({ id: other }))).toBeUndefined();
    // The result moved the session's totals: its cached row is stale now.
    expect(queryClient.getQueryCache().get(trpc.sessions.get.queryKey({ id }))!.state.isInvalidated).toBe(true);
  });
});
