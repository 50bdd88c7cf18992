/**
 * A browser that stops reading its SSE stream (issue 10 item 8), through the real tRPC route
 * handler (GET /api/trpc/events.subscribe) over a real runtime: its events queue on the server
 * until the bound, then the subscription ends with a retryable error, which is what makes tRPC's
 * httpSubscriptionLink reconnect with the last id it saw; the reconnect gets every event it missed.
 */
import { retryableRpcCodes } from "@trpc/server/unstable-core-do-not-import";
import { afterEach, describe, expect, it } from "vitest";
import { GET } from "@/app/api/trpc/[trpc]/route";
import type { WorkdeckEvent, WorkdeckEventInput } from "@/lib/schemas/events";
import { transformer } from "@/lib/trpc/transformer";
import { startRuntime, stopRuntime } from "@/server/runtime-boot";
import { tempDir } from "../support/temp";
import { emptyProject, oneProjectEnv } from "../support/runtime-env";

async function start() {
  const dir = tempDir();
  const project = emptyProject(dir, "billing-api");
  const { env } = oneProjectEnv(dir, { slug: "billing-api", path: project });
  return startRuntime(env, { watch: false });
}

type Sse = { event: string; id?: string; data: string };

/** Reads SSE messages off a response body until `stop` says so. */
async function readSse(body: ReadableStream<Uint8Array>, stop: (m: Sse, all: Sse[]) => boolean): Promise<Sse[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const all: Sse[] = [];
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return all;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (!block.trim()) continue;
        const m: Sse = { event: "message", data: "" };
        for (const line of block.split("\n")) {
          const at = line.indexOf(": ");
          const [field, val] = at < 0 ? [line.replace(/:$/, ""), ""] : [line.slice(0, at), line.slice(at + 2)];
          if (field === "event") m.event = val;
          else if (field === "id") m.id = val;
          else if (field === "data") m.data = val;
        }
        all.push(m);
        if (stop(m, all)) return all;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

function subscribe(input: object, signal: AbortSignal, lastEventId?: string): Promise<Response> {
  const url = `http://127.0.0.1/api/trpc/events.subscribe?input=${encodeURIComponent(JSON.stringify(transformer.serialize(input)))}`;
  const headers: Record<string, string> = { accept: "text/event-stream" };
  if (lastEventId) headers["last-event-id"] = lastEventId;
  return GET(new Request(url, { headers, signal }));
}

const specChanged = (i: number): WorkdeckEventInput => ({
  type: "openspec.changed",
  projectSlug: "billing-api",
  changeIds: [`c${i}`],
  specIds: [],
  paths: [],
});
const busId = (m: Sse) => (transformer.deserialize(JSON.parse(m.data)) as WorkdeckEvent).id;

afterEach(() => stopRuntime());

describe("events.subscribe with a client that stops reading", () => {
  it("drops it with a retryable error once its queue is full; resuming by Last-Event-ID gets every event, once, in order", async () => {
    const runtime = await start();
    // In-process consumers (notifications, dependencies) listen too; only the stream's listener must go.
    const listenersBefore = runtime.bus.listenerCount();
    const controller = new AbortController();
    const stalledResponse = await subscribe({ projectId: "billing-api" }, controller.signal);
    expect(stalledResponse.headers.get("content-type")).toMatch(/text\/event-stream/);
    // Let the handler start listening before the burst.
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 10));
    // Events arrive as requests do, a burst at a time with the event loop turning in between,
    // so the handler sends what the response can take before it stalls.
    const published: number[] = [];
    for (let burst = 0; burst < 50; burst++) {
      for (let i = 0; i < 100; i++) published.push(runtime.bus.publish(specChanged(burst * 100 + i)).id);
      await new Promise((r) => setImmediate(r));
    }

    // Only now does the browser read: what was in flight, then the error that ends the stream.
    const stalled = await readSse(
      stalledResponse.body!,
      (m, all) => m.event === "serialized-error" || m.event === "return" || all.length > published.length,
    );
    const last = stalled.at(-1)!;
    expect(last.event).toBe("serialized-error");
    const error = transformer.deserialize(JSON.parse(last.data)) as { code: number; message: string };
    expect(retryableRpcCodes).toContain(error.code);
    expect(error.message).toMatch(/fell behind/);
    const delivered = stalled.filter((m) => m.event === "message");
    expect(delivered.length).toBeGreaterThan(0);
    expect(delivered.length).toBeLessThan(50);
    expect(runtime.bus.listenerCount()).toBe(listenersBefore);

    // httpSubscriptionLink reconnects with the last id it saw.
    const resumedResponse = await subscribe({ projectId: "billing-api" }, controller.signal, delivered.at(-1)?.id);
    const resumed = await readSse(
      resumedResponse.body!,
      (_m, all) => all.filter((x) => x.event === "message").length >= published.length - delivered.length,
    );
    controller.abort();
    const ids = [...delivered, ...resumed.filter((m) => m.event === "message")].map(busId);
    expect(ids).toEqual(published);
  });
});
