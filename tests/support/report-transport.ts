/**
 * POST /api/reports by either of its two doors, for tests that must hold for both: `workdeck
 * serve`'s edge (a real HTTP listener with the edge handler serve uses, Next never prepared) and
 * the Next route handler called in-process. Both answer a web Response.
 */
import http from "node:http";
import { afterEach } from "vitest";
import { POST } from "@/app/api/reports/route";
import type { Runtime } from "@/server/runtime";
import { listenLoopback, testEdge } from "./edge";

export type Transport = "edge" | "route";
export const TRANSPORTS: Transport[] = ["edge", "route"];

export type ReportPost = (query: string, body: BodyInit | Uint8Array, headers?: Record<string, string>) => Promise<Response>;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

export async function reportPoster(runtime: Runtime, transport: Transport): Promise<ReportPost> {
  if (transport === "route") {
    return (query, body, headers = {}) =>
      POST(
        new Request(`http://127.0.0.1/api/reports${query}`, {
          method: "POST",
          body: body as BodyInit,
          headers,
          duplex: "half",
        } as RequestInit),
      );
  }
  const url = await edgeServer(runtime);
  return (query, body, headers = {}) => httpPost(`${url}/api/reports${query}`, body, headers);
}

/** The edge serve uses, on a free port, for this runtime. */
export async function edgeServer(runtime: Runtime): Promise<string> {
  const { url, close } = await listenLoopback(testEdge(runtime, { reports: runtime }));
  closers.push(close);
  return url;
}

/** A raw POST over Node http, the body written with backpressure (a stream is pulled only as the socket takes it). */
export function httpPost(url: string, body: BodyInit | Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", headers, agent: false });
    let answered = false;
    req.on("response", (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve(
          new Response(Buffer.concat(chunks), {
            status: res.statusCode ?? 0,
            headers: { "content-type": String(res.headers["content-type"] ?? "") },
          }),
        ),
      );
      res.on("error", reject);
    });
    // A refused upload closes the connection; the answer has already arrived by then.
    req.on("error", (err) => (answered ? undefined : reject(err)));
    void write(req, body).catch(() => req.destroy());
  });
}

async function write(req: http.ClientRequest, body: BodyInit | Uint8Array): Promise<void> {
  if (typeof body === "string" || body instanceof Uint8Array) {
    req.end(body);
    return;
  }
  if (body instanceof ReadableStream) {
    const reader = body.getReader();
    for (;;) {
      if (req.destroyed) return void reader.cancel();
      const { done, value } = await reader.read();
      if (done) break;
      if (!req.write(value)) await new Promise<void>((r) => (req.once("drain", r), req.once("close", r)));
    }
    req.end();
    return;
  }
  throw new Error("httpPost: unsupported body type");
}

/** A body of spaces streamed `chunkBytes` at a time up to `totalBytes`, pulled only as the reader takes it; `sent()` says how far it got. */
export function streamedSpaces(totalBytes: number, chunkBytes: number): { stream: ReadableStream<Uint8Array>; sent(): number } {
  const chunk = new Uint8Array(chunkBytes).fill(32);
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= totalBytes) return controller.close();
      sent += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  return { stream, sent: () => sent };
}
