import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import { transformer } from "@/lib/trpc/transformer";

export type LiveStream<T> = {
  /** Every message received so far, in order. */
  events: T[];
  /** Resolves with the first received message `match` accepts (already received ones count). */
  next(match: (e: T) => boolean, what: string, timeoutMs?: number): Promise<T>;
  close(): void;
};
export type LiveEvents = LiveStream<WorkdeckEvent>;
/** The bearer token of a server started with WORKDECK_TOKEN (none: an open loopback server). */
export type Auth = { token?: string };

const authHeaders = (auth?: Auth): Record<string, string> => (auth?.token ? { authorization: `Bearer ${auth.token}` } : {});

/**
 * A browser tab's one stream, over real HTTP: GET /api/trpc/events.subscribe as text/event-stream,
 * read in the background. Resolves once the server answered with the stream's headers.
 */
export function subscribeEvents(baseURL: string, input: object = {}, auth?: Auth): Promise<LiveEvents> {
  return subscribeProcedure<WorkdeckEvent>(baseURL, "events.subscribe", input, auth);
}

/** Any tRPC subscription over real HTTP (SSE), e.g. `sessions.onEvents`, its messages read in the background. */
export async function subscribeProcedure<T>(baseURL: string, procedure: string, input: object, auth?: Auth): Promise<LiveStream<T>> {
  const controller = new AbortController();
  const url = `${baseURL}/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(transformer.serialize(input)))}`;
  const res = await fetch(url, { headers: { accept: "text/event-stream", ...authHeaders(auth) }, signal: controller.signal });
  if (!res.ok || !res.body) throw new Error(`${procedure} answered ${res.status}`);
  const events: T[] = [];
  const waiters = new Set<() => void>();
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = "message";
          let data = "";
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) event = line.slice(7);
            else if (line.startsWith("data: ")) data = line.slice(6);
          }
          if (event !== "message" || !data) continue;
          events.push(transformer.deserialize(JSON.parse(data)) as T);
          for (const w of waiters) w();
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    events,
    next(match, what, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(match);
          if (!found) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(`no ${what} on the stream; received: ${events.map((e) => (e as { type?: string }).type).join(", ") || "nothing"}`),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => controller.abort(),
  };
}

/** A tRPC query over real HTTP (GET, the app's transformer), as a browser tab sends it. */
export async function trpcQuery<T>(baseURL: string, procedure: string, input?: unknown, auth?: Auth): Promise<T> {
  const q = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(transformer.serialize(input)))}`;
  return answer<T>(procedure, await fetch(`${baseURL}/api/trpc/${procedure}${q}`, { headers: authHeaders(auth) }));
}

/** A tRPC mutation over real HTTP (POST, no Origin: a CLI-like caller). */
export async function trpcMutate<T>(baseURL: string, procedure: string, input: unknown, auth?: Auth): Promise<T> {
  const res = await fetch(`${baseURL}/api/trpc/${procedure}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...authHeaders(auth) },
    body: JSON.stringify(transformer.serialize(input)),
  });
  return answer<T>(procedure, res);
}

async function answer<T>(procedure: string, res: Response): Promise<T> {
  const body = (await res.json()) as { result?: { data: unknown }; error?: unknown };
  if (!res.ok || !body.result) throw new Error(`${procedure}: ${res.status} ${JSON.stringify(body.error)}`);
  return transformer.deserialize<T>(body.result.data);
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * `workdeck serve` answers tRPC through the Next build: on a fresh checkout (vitest runs before
 * the e2e setup builds) build it once. An existing build is used as it is: tRPC's handlers take
 * the runtime (bus, store, leader) from the serve process, which runs the current sources.
 */
export function ensureNextBuild(): void {
  if (fs.existsSync(path.join(repoRoot, ".next", "BUILD_ID"))) return;
  const result = spawnSync(process.execPath, [path.join(repoRoot, "bin/workdeck.mjs"), "build", "--if-needed"], {
    cwd: repoRoot,
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  });
  if (result.status !== 0) throw new Error("next build failed; see the output above");
}
