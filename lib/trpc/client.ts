import { transformer } from "./transformer";

/**
 * The browser's side of tRPC's HTTP protocol over the same routes (`/api/trpc/<procedure>`):
 * queries as GET, batched per tick (`a,b?batch=1&input={"0":…}`), mutations as POST, and
 * subscriptions as server-sent events through the browser's EventSource, which resumes with
 * `Last-Event-ID` by itself. @trpc/client does the same in ~10 KB gzipped; this is ~1.5 KB
 * (issue 12). Requests and answers are the wire format the server's fetch adapter speaks.
 */

const BASE = "/api/trpc";
/** Past this, a batch goes as separate requests (servers cap the request line). */
const MAX_URL_LENGTH = 4_000;

/** What the server's error formatter puts in `data` (server/trpc/init.ts). */
export type TRPCErrorData = {
  code?: string;
  httpStatus?: number;
  reason?: string | null;
  details?: unknown;
  zodIssues?: { path: string[]; message: string }[] | null;
};

/** A procedure's error as the server answered it (or the network failed: no data). */
export class TRPCClientError extends Error {
  constructor(
    message: string,
    readonly data: TRPCErrorData | null = null,
  ) {
    super(message);
    this.name = "TRPCClientError";
  }
}

type Envelope = { result?: { data?: unknown }; error?: { message?: string; data?: TRPCErrorData } };

function unwrap(envelope: Envelope | undefined, status: number): unknown {
  if (envelope?.result) return transformer.deserialize(envelope.result.data);
  const error = envelope?.error ? (transformer.deserialize(envelope.error) as Envelope["error"]) : undefined;
  throw new TRPCClientError(error?.message ?? `The server answered ${status}`, error?.data ?? null);
}

async function send(url: string, init?: RequestInit): Promise<{ status: number; body: unknown }> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (err) {
    throw new TRPCClientError(err instanceof Error ? err.message : "Network error");
  }
  const body: unknown = await res.json().catch(() => undefined);
  return { status: res.status, body };
}

const encodeInput = (input: unknown) => encodeURIComponent(JSON.stringify(transformer.serialize(input)));

type Pending = { path: string; input: unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void };
let queue: Pending[] = [];

async function flush(batch: Pending[]): Promise<void> {
  const inputs = Object.fromEntries(batch.map((op, i) => [i, transformer.serialize(op.input)]));
  const url = `${BASE}/${batch.map((op) => op.path).join(",")}?batch=1&input=${encodeURIComponent(JSON.stringify(inputs))}`;
  if (batch.length > 1 && url.length > MAX_URL_LENGTH) {
    for (const op of batch) void flush([op]);
    return;
  }
  try {
    const { status, body } = await send(url);
    batch.forEach((op, i) => {
      try {
        op.resolve(unwrap(Array.isArray(body) ? (body[i] as Envelope) : (body as Envelope), status));
      } catch (err) {
        op.reject(err);
      }
    });
  } catch (err) {
    for (const op of batch) op.reject(err);
  }
}

/** A query; the queries asked for in one tick share one request. */
export function query<T>(path: string, input?: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    if (queue.length === 0)
      setTimeout(() => {
        const batch = queue;
        queue = [];
        void flush(batch);
      });
    queue.push({ path, input, resolve: resolve as (v: unknown) => void, reject });
  });
}

export async function mutate<T>(path: string, input?: unknown): Promise<T> {
  const { status, body } = await send(`${BASE}/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(transformer.serialize(input)),
  });
  return unwrap(body as Envelope, status) as T;
}

/** "open" once the server said `connected`; "connecting" while the browser reconnects; "error" while we wait to retry. */
export type StreamState = "connecting" | "open" | "error";

export type SubscribeHandlers<T> = {
  /** Each time the stream (re)opens. */
  onStarted?: () => void;
  onData: (envelope: { id: string; data: T }) => void;
  onState: (state: StreamState) => void;
};

/**
 * A subscription over SSE. The server pings every 10 s and asks the client to reconnect after
 * 25 s of silence (server/trpc/init.ts); a dropped or failed stream reopens after the last id seen.
 */
export function subscribe<T>(
  path: string,
  input: Record<string, unknown>,
  handlers: SubscribeHandlers<T>,
  inactivityMs = 25_000,
): () => void {
  let source: EventSource | null = null;
  let lastEventId: string | null = null;
  let failures = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const reopenLater = (ms: number) => {
    source?.close();
    clearTimeout(timer);
    timer = setTimeout(open, ms);
  };
  const heard = () => {
    clearTimeout(timer);
    timer = setTimeout(() => reopenLater(0), inactivityMs);
  };
  function open() {
    if (closed) return;
    handlers.onState("connecting");
    const es = (source = new EventSource(`${BASE}/${path}?input=${encodeInput(lastEventId ? { ...input, lastEventId } : input)}`));
    heard();
    es.addEventListener("connected", () => {
      failures = 0;
      heard();
      handlers.onState("open");
      handlers.onStarted?.();
    });
    es.addEventListener("ping", heard);
    es.addEventListener("message", (e) => {
      heard();
      lastEventId = e.lastEventId || lastEventId;
      handlers.onData({ id: e.lastEventId, data: transformer.deserialize<T>(JSON.parse(e.data as string)) });
    });
    // The server ended the stream with an error (a consumer too slow to keep up is dropped): resume.
    es.addEventListener("serialized-error", () => {
      handlers.onState("error");
      reopenLater(1_000);
    });
    es.addEventListener("error", () => {
      if (es.readyState === EventSource.CONNECTING) return handlers.onState("connecting");
      // Refused (an HTTP error): the browser gives up, so retry with backoff.
      handlers.onState("error");
      reopenLater(Math.min(1_000 * 2 ** failures++, 30_000));
    });
  }
  open();
  return () => {
    closed = true;
    clearTimeout(timer);
    source?.close();
  };
}
