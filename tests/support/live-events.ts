import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import { transformer } from "@/lib/trpc/transformer";

export type LiveEvents = {
  /** Every bus event received so far, in order. */
  events: WorkdeckEvent[];
  /** Resolves with the first received event `match` accepts (already received ones count). */
  next(match: (e: WorkdeckEvent) => boolean, what: string, timeoutMs?: number): Promise<WorkdeckEvent>;
  close(): void;
};

/**
 * A browser tab's one stream, over real HTTP: GET /api/trpc/events.subscribe as text/event-stream,
 * read in the background. Resolves once the server answered with the stream's headers.
 */
export async function subscribeEvents(baseURL: string, input: object = {}): Promise<LiveEvents> {
  const controller = new AbortController();
  const url = `${baseURL}/api/trpc/events.subscribe?input=${encodeURIComponent(JSON.stringify(transformer.serialize(input)))}`;
  const res = await fetch(url, { headers: { accept: "text/event-stream" }, signal: controller.signal });
  if (!res.ok || !res.body) throw new Error(`events.subscribe answered ${res.status}`);
  const events: WorkdeckEvent[] = [];
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
          events.push(transformer.deserialize(JSON.parse(data)) as WorkdeckEvent);
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
          reject(new Error(`no ${what} on the stream; received: ${events.map((e) => e.type).join(", ") || "nothing"}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => controller.abort(),
  };
}

/** A tRPC query over real HTTP (GET, the app's transformer), as a browser tab sends it. */
export async function trpcQuery<T>(baseURL: string, procedure: string, input?: unknown): Promise<T> {
  const q = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(transformer.serialize(input)))}`;
  return answer<T>(procedure, await fetch(`${baseURL}/api/trpc/${procedure}${q}`));
}

/** A tRPC mutation over real HTTP (POST, no Origin: a CLI-like caller). */
export async function trpcMutate<T>(baseURL: string, procedure: string, input: unknown): Promise<T> {
  const res = await fetch(`${baseURL}/api/trpc/${procedure}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
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
