import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

/**
 * A local fake of the Anthropic Messages API, enough for the real Claude Code
 * binary to run a whole session offline (reference/claude-cli.md §8, §9).
 *
 * Point the binary at it with `ANTHROPIC_BASE_URL=fake.url` and a fake
 * `CLAUDE_CODE_OAUTH_TOKEN` (OAuth: the CLI then emits `rate_limit_event`s from
 * the unified headers) or `ANTHROPIC_API_KEY`.
 *
 * Scripting, per test:
 * - `fake.queue(...turns)`: answers to the *main loop* requests (those that carry
 *   tools), in order. Side requests the CLI makes without tools (title, the SDK's
 *   warm-up) get a short text and never consume the queue.
 * - `fake.when(predicate, turn, { times })`: a rule checked before the queue, e.g.
 *   "after a tool_result, answer X" or "token A gets a usage-limit 429".
 * - With nothing queued, a main request is answered with `fake.fallbackText`.
 *
 * Every request is logged (`fake.requests`) with the credential it carried, so a
 * test can prove which account served which call.
 */

export type Usage = {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
};

export type FakeTurn =
  /** A final answer: text, stop_reason end_turn. */
  | { kind: "text"; text: string; usage?: Usage; delayMs?: number }
  /** A tool call (optionally preceded by text), stop_reason tool_use. */
  | { kind: "tool_use"; name: string; input: Record<string, unknown>; id?: string; text?: string; usage?: Usage; delayMs?: number }
  /** Several tool calls in one response. */
  | { kind: "tool_uses"; calls: { name: string; input: Record<string, unknown>; id?: string }[]; text?: string; usage?: Usage }
  /** A usage-limit 429 with the unified rate-limit headers (status rejected). */
  | { kind: "usage_limit"; resetsAt: number; claim?: "five_hour" | "seven_day" | "seven_day_opus" | "seven_day_sonnet" }
  /** Any HTTP error with an Anthropic error body. */
  | { kind: "error"; status: number; type?: string; message?: string; headers?: Record<string, string> }
  /** Never answers (until the fake closes). */
  | { kind: "hang" };

export type LoggedRequest = {
  seq: number;
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The bearer token (OAuth) or x-api-key the request carried. */
  credential: string | null;
  authKind: "bearer" | "api-key" | "none";
  body: MessagesRequest | null;
  /** A main-loop request (it carries tools). */
  main: boolean;
  stream: boolean;
  /** What the fake answered: the turn kind, or "side" / "other". */
  answered: string;
  status: number;
  at: number;
};

export type MessagesRequest = {
  model: string;
  messages: { role: "user" | "assistant"; content: string | ContentBlock[] }[];
  tools?: { name: string }[];
  stream?: boolean;
  system?: unknown;
  max_tokens?: number;
  [k: string]: unknown;
};

type ContentBlock = { type: string; text?: string; tool_use_id?: string; content?: unknown; is_error?: boolean; [k: string]: unknown };

type Rule = { when: (req: LoggedRequest) => boolean; turn: FakeTurn | ((req: LoggedRequest) => FakeTurn); times: number };

export class FakeAnthropic {
  readonly requests: LoggedRequest[] = [];
  /** Answer to main requests when the queue is empty. */
  fallbackText = "Done.";
  /** Unified rate-limit headers sent with every successful reply (OAuth accounts see `rate_limit_event` allowed). */
  allowedHeaders: Record<string, string> = {
    "anthropic-ratelimit-unified-status": "allowed",
    "anthropic-ratelimit-unified-representative-claim": "five_hour",
    "anthropic-ratelimit-unified-reset": String(Math.floor(Date.now() / 1000) + 4 * 3600),
    "anthropic-ratelimit-unified-5h-status": "allowed",
    "anthropic-ratelimit-unified-5h-utilization": "0.12",
    "anthropic-ratelimit-unified-5h-reset": String(Math.floor(Date.now() / 1000) + 4 * 3600),
    "anthropic-ratelimit-unified-7d-status": "allowed",
    "anthropic-ratelimit-unified-7d-utilization": "0.30",
    "anthropic-ratelimit-unified-7d-reset": String(Math.floor(Date.now() / 1000) + 5 * 86400),
  };

  private readonly turns: FakeTurn[] = [];
  private readonly rules: Rule[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly hanging = new Set<http.ServerResponse>();
  private server: http.Server | null = null;
  private seq = 0;
  private ids = 0;
  private listeners: ((req: LoggedRequest) => void)[] = [];
  url = "";

  static async start(): Promise<FakeAnthropic> {
    const fake = new FakeAnthropic();
    await fake.listen();
    return fake;
  }

  async listen(): Promise<void> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Answers for the next main-loop requests, in order. */
  queue(...turns: FakeTurn[]): this {
    this.turns.push(...turns);
    return this;
  }

  /** A rule checked before the queue; `times` defaults to unlimited. */
  when(
    predicate: (req: LoggedRequest) => boolean,
    turn: FakeTurn | ((req: LoggedRequest) => FakeTurn),
    opts: { times?: number } = {},
  ): this {
    this.rules.push({ when: predicate, turn, times: opts.times ?? Infinity });
    return this;
  }

  /** Main-loop requests (those with tools) in order. */
  get mainRequests(): LoggedRequest[] {
    return this.requests.filter((r) => r.main);
  }

  /** Resolves with the first (future or past) request matching the predicate. */
  waitFor(predicate: (req: LoggedRequest) => boolean, timeoutMs = 20_000): Promise<LoggedRequest> {
    const found = this.requests.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("fake-anthropic: no matching request in time")), timeoutMs);
      const listener = (req: LoggedRequest) => {
        if (!predicate(req)) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== listener);
        resolve(req);
      };
      this.listeners.push(listener);
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://x");
    let body: MessagesRequest | null = null;
    try {
      body = raw ? (JSON.parse(raw) as MessagesRequest) : null;
    } catch {
      body = null;
    }
    const auth = req.headers.authorization;
    const apiKey = req.headers["x-api-key"];
    const entry: LoggedRequest = {
      seq: ++this.seq,
      method: req.method ?? "GET",
      path: url.pathname,
      headers: req.headers,
      credential: auth?.startsWith("Bearer ") ? auth.slice(7) : typeof apiKey === "string" ? apiKey : null,
      authKind: auth?.startsWith("Bearer ") ? "bearer" : typeof apiKey === "string" ? "api-key" : "none",
      body,
      main: url.pathname === "/v1/messages" && Array.isArray(body?.tools) && body.tools.length > 0,
      stream: body?.stream === true,
      answered: "other",
      status: 200,
      at: Date.now(),
    };
    this.requests.push(entry);

    if (url.pathname === "/v1/messages" && req.method === "POST" && body) {
      const turn = this.pick(entry);
      entry.answered = turn ? turn.kind : "side";
      const status = await this.answer(res, entry, turn ?? { kind: "text", text: "Fix session" });
      entry.status = status;
    } else if (url.pathname === "/v1/messages/count_tokens") {
      this.json(res, 200, { input_tokens: estimateTokens(raw) });
    } else if (req.method === "HEAD" || url.pathname === "/api/hello") {
      res.writeHead(200).end();
    } else if (url.pathname.startsWith("/api/oauth/usage")) {
      this.json(res, 200, {
        five_hour: { utilization: 12, resets_at: new Date(Date.now() + 4 * 3600e3).toISOString() },
        seven_day: { utilization: 30, resets_at: new Date(Date.now() + 5 * 86400e3).toISOString() },
      });
    } else {
      // Everything else the CLI may probe (profile, settings, feature flags): a plausible empty answer.
      entry.status = 404;
      this.json(res, 404, { type: "error", error: { type: "not_found_error", message: `fake-anthropic: no ${url.pathname}` } });
    }
    for (const l of [...this.listeners]) l(entry);
  }

  private pick(entry: LoggedRequest): FakeTurn | null {
    for (const rule of this.rules) {
      if (rule.times <= 0 || !rule.when(entry)) continue;
      rule.times--;
      return typeof rule.turn === "function" ? rule.turn(entry) : rule.turn;
    }
    if (!entry.main) return null;
    return this.turns.shift() ?? { kind: "text", text: this.fallbackText };
  }

  private json(res: http.ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}) {
    res.writeHead(status, { "content-type": "application/json", "request-id": `req_fake${this.seq}`, ...headers });
    res.end(JSON.stringify(payload));
  }

  private async answer(res: http.ServerResponse, entry: LoggedRequest, turn: FakeTurn): Promise<number> {
    const body = entry.body!;
    switch (turn.kind) {
      case "hang":
        this.hanging.add(res);
        res.on("close", () => this.hanging.delete(res));
        return 0;
      case "usage_limit": {
        const claim = turn.claim ?? "five_hour";
        const short = claim === "five_hour" ? "5h" : claim === "seven_day" ? "7d" : claim === "seven_day_opus" ? "7d_opus" : "7d_sonnet";
        this.json(
          res,
          429,
          {
            type: "error",
            error: { type: "rate_limit_error", message: "This request would exceed your account's rate limit. Please try again later." },
          },
          {
            "anthropic-ratelimit-unified-status": "rejected",
            "anthropic-ratelimit-unified-reset": String(turn.resetsAt),
            "anthropic-ratelimit-unified-representative-claim": claim,
            [`anthropic-ratelimit-unified-${short}-status`]: "rejected",
            [`anthropic-ratelimit-unified-${short}-utilization`]: "1.0",
            [`anthropic-ratelimit-unified-${short}-reset`]: String(turn.resetsAt),
            "anthropic-ratelimit-unified-overage-status": "rejected",
            "anthropic-ratelimit-unified-overage-disabled-reason": "org_level_disabled",
          },
        );
        return 429;
      }
      case "error": {
        const type =
          turn.type ??
          (turn.status === 401
            ? "authentication_error"
            : turn.status === 403
              ? "permission_error"
              : turn.status === 429
                ? "rate_limit_error"
                : turn.status === 529
                  ? "overloaded_error"
                  : "api_error");
        const message =
          turn.message ??
          (turn.status === 401
            ? "Invalid bearer token"
            : turn.status === 529
              ? "Overloaded"
              : turn.status === 403
                ? "OAuth token revoked"
                : "Internal server error");
        this.json(res, turn.status, { type: "error", error: { type, message } }, turn.headers ?? {});
        return turn.status;
      }
      default:
        break;
    }
    if ("delayMs" in turn && turn.delayMs) await new Promise((r) => setTimeout(r, turn.delayMs));
    const blocks: ({ type: "text"; text: string } | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> })[] = [];
    if (turn.text) blocks.push({ type: "text", text: turn.text });
    if (turn.kind === "tool_use") blocks.push({ type: "tool_use", id: turn.id ?? this.toolId(), name: turn.name, input: turn.input });
    if (turn.kind === "tool_uses")
      for (const c of turn.calls) blocks.push({ type: "tool_use", id: c.id ?? this.toolId(), name: c.name, input: c.input });
    const stopReason = turn.kind === "text" ? "end_turn" : "tool_use";
    const usage = {
      input_tokens: turn.usage?.input_tokens ?? 100 + estimateTokens(JSON.stringify(body.messages)) / 100,
      output_tokens: turn.usage?.output_tokens ?? 20,
      cache_creation_input_tokens: turn.usage?.cache_creation_input_tokens ?? 0,
      cache_read_input_tokens: turn.usage?.cache_read_input_tokens ?? 0,
    };
    usage.input_tokens = Math.round(usage.input_tokens);
    const id = `msg_fake${++this.ids}`;
    const message = {
      id,
      type: "message",
      role: "assistant",
      model: body.model,
      content: [] as unknown[],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...usage, output_tokens: 1 },
    };
    const headers = { ...this.allowedHeaders, "request-id": `req_fake${entry.seq}` };
    if (!body.stream) {
      this.json(res, 200, { ...message, content: blocks, stop_reason: stopReason, usage }, headers);
      return 200;
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive", ...headers });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    send("message_start", { type: "message_start", message });
    blocks.forEach((block, index) => {
      if (block.type === "text") {
        send("content_block_start", { type: "content_block_start", index, content_block: { type: "text", text: "" } });
        if (index === 0) send("ping", { type: "ping" });
        for (const piece of split(block.text))
          send("content_block_delta", { type: "content_block_delta", index, delta: { type: "text_delta", text: piece } });
      } else {
        send("content_block_start", {
          type: "content_block_start",
          index,
          content_block: { type: "tool_use", id: block.id, name: block.name, input: {} },
        });
        const json = JSON.stringify(block.input);
        send("content_block_delta", { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: "" } });
        for (const piece of split(json, 24))
          send("content_block_delta", { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: piece } });
      }
      send("content_block_stop", { type: "content_block_stop", index });
    });
    send("message_delta", {
      type: "message_delta",
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: usage.output_tokens },
    });
    send("message_stop", { type: "message_stop" });
    res.end();
    return 200;
  }

  private toolId(): string {
    return `toolu_fake${String(++this.ids).padStart(6, "0")}`;
  }
}

// ----- predicates for `when` -----

/** The request's last message carries a tool_result. */
export function afterToolResult(req: LoggedRequest): boolean {
  const last = req.body?.messages.at(-1);
  return !!last && Array.isArray(last.content) && last.content.some((b) => b.type === "tool_result");
}

/** The text of the last user message (text blocks joined). */
export function lastUserText(req: LoggedRequest): string {
  const last = [...(req.body?.messages ?? [])].reverse().find((m) => m.role === "user");
  if (!last) return "";
  if (typeof last.content === "string") return last.content;
  return last.content
    .filter((b) => b.type === "text")
    .map((b) => b.text ?? "")
    .join("\n");
}

/** The request carried this credential (OAuth token or API key). */
export const withCredential = (credential: string) => (req: LoggedRequest) => req.credential === credential;

/** Main-loop request whose last user text contains `needle`. */
export const mainAsking = (needle: string) => (req: LoggedRequest) => req.main && lastUserText(req).includes(needle);

function split(text: string, size = 12): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length ? out : [""];
}

function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** A main-loop request that offers this tool (e.g. `mcp__workdeck__create_proposal` from an attached MCP server). */
export const offersTool = (name: string) => (req: LoggedRequest) => req.main && (req.body?.tools ?? []).some((t) => t.name === name);

/** The last tool_result the request carries back: its text and whether the tool reported an error. */
export function lastToolResult(req: LoggedRequest): { text: string; isError: boolean } | null {
  const last = req.body?.messages.at(-1);
  const block = Array.isArray(last?.content) ? last.content.find((b) => b.type === "tool_result") : undefined;
  if (!block) return null;
  const content = block.content;
  const text =
    typeof content === "string" ? content : Array.isArray(content) ? content.map((c: { text?: string }) => c.text ?? "").join("") : "";
  return { text, isError: block.is_error === true };
}
