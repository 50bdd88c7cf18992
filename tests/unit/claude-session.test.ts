import { describe, expect, it } from "vitest";
import {
  classifyRun,
  parseMessage,
  parseUsageLimitText,
  RunAccounting,
  type ClaudeMessage,
  type ResultMessage,
} from "@/packages/claude-session/src/index";

// 2026-11-21 05:00 UTC
const NOW = new Date(Date.UTC(2026, 10, 21, 5, 0, 0));

function result(over: Partial<ResultMessage> & Record<string, unknown> = {}): ResultMessage {
  const parsed = parseMessage({
    type: "result",
    subtype: "success",
    is_error: false,
    result: "ok",
    num_turns: 1,
    total_cost_usd: 0.01,
    session_id: "s1",
    usage: { input_tokens: 100, output_tokens: 20 },
    modelUsage: {
      "claude-sonnet-5-5": { inputTokens: 100, outputTokens: 20, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, costUSD: 0.01 },
    },
    ...over,
  });
  if (parsed.kind !== "result") throw new Error("not a result");
  return parsed.msg;
}

const errorResult = (text: string, extra: Record<string, unknown> = {}) =>
  result({ is_error: true, result: text, total_cost_usd: 0, ...extra });
const classify = (r: ResultMessage | null, messages: ClaudeMessage[] = [], extra: Record<string, unknown> = {}) =>
  classifyRun({ result: r, messages, now: NOW, ...extra });

describe("parseMessage", () => {
  it("models the stream-json frames and keeps unknown fields and types", () => {
    expect(
      parseMessage({ type: "system", subtype: "init", session_id: "s", model: "claude-opus-5-5", capabilities: ["interrupt_receipt_v1"] }),
    ).toMatchObject({
      kind: "init",
      msg: { session_id: "s", capabilities: ["interrupt_receipt_v1"] },
    });
    expect(
      parseMessage({
        type: "system",
        subtype: "api_retry",
        attempt: 1,
        max_retries: 10,
        retry_delay_ms: 500,
        error_status: 529,
        error: "overloaded",
      }).kind,
    ).toBe("api_retry");
    expect(parseMessage({ type: "system", subtype: "model_fallback", trigger: "overloaded" }).kind).toBe("system");
    expect(
      parseMessage({ type: "rate_limit_event", rate_limit_info: { status: "rejected", resetsAt: 1795252196, rateLimitType: "five_hour" } })
        .kind,
    ).toBe("rate_limit");
    expect(parseMessage({ type: "stream_event", event: { type: "content_block_delta" } }).kind).toBe("stream_event");
    expect(parseMessage({ type: "user", message: { role: "user", content: [{ type: "tool_result", tool_use_id: "t" }] } }).kind).toBe(
      "user",
    );
    expect(parseMessage({ type: "tool_progress", tool_use_id: "t", elapsed_time_seconds: 3 })).toEqual({
      kind: "unknown",
      msg: { type: "tool_progress", tool_use_id: "t", elapsed_time_seconds: 3 },
    });
    // A known type with an unexpected shape is kept, not thrown.
    expect(parseMessage({ type: "assistant", message: "??" }).kind).toBe("unknown");
    expect(parseMessage(42)).toMatchObject({ kind: "unknown" });
  });
});

describe("usage-limit texts across versions (reference §5.2, §5.3)", () => {
  const at = (iso: string) => new Date(iso).toISOString();
  const cases: [string, string, string | null][] = [
    // 2.1.329
    ["You've hit your 5-hour limit · resets 7am (Europe/Berlin)", "five_hour", "2026-11-21T06:00:00.000Z"],
    ["You've hit your 5-hour limit · resets 6am (UTC)", "five_hour", "2026-11-21T06:00:00.000Z"],
    ["You've hit your weekly limit · resets Nov 24, 9am (Europe/Berlin)", "seven_day", "2026-11-24T08:00:00.000Z"],
    ["You've hit your Opus limit · resets 12am (America/New_York)", "seven_day_opus", "2026-11-22T05:00:00.000Z"],
    ["You've hit your Sonnet limit · resets 4:50am (UTC)", "seven_day_sonnet", "2026-11-22T04:50:00.000Z"],
    // 2.1.197 and 2.1.2xx
    ["You've hit your session limit · resets 7am (Europe/Berlin)", "five_hour", "2026-11-21T06:00:00.000Z"],
    ["You've hit your session limit · resets 5:20am (America/Denver)", "five_hour", "2026-11-21T12:20:00.000Z"],
    ["You've hit your session limit · resets 2:50am (Asia/Muscat)", "five_hour", "2026-11-21T22:50:00.000Z"],
    // 2.1.3 - 2.1.1xx
    ["You've hit your limit · resets 8am (Europe/London)", "five_hour", "2026-11-21T08:00:00.000Z"],
    ["You've hit your limit · resets Jan 30, 11:30am (Asia/Calcutta)", "seven_day", "2027-01-30T06:00:00.000Z"],
    ["You've hit your limit · resets Apr 23 at 4pm (America/Recife)", "seven_day", "2027-04-23T19:00:00.000Z"],
    // 2.0.x TUI (U+2219) and U+00B7
    ["5-hour limit reached ∙ resets 8pm", "five_hour", null],
    ["Session limit reached ∙ resets 8pm (UTC)", "five_hour", "2026-11-21T20:00:00.000Z"],
    ["Opus weekly limit reached ∙ resets Oct 31, 9am (UTC)", "seven_day_opus", "2027-10-31T09:00:00.000Z"],
    ["Weekly limit reached · resets Dec 2, 7pm (Europe/Moscow)", "seven_day", "2026-12-02T16:00:00.000Z"],
    // 1.0.x - 2.0.x
    ["Claude AI usage limit reached|1755615600", "five_hour", "2025-08-19T15:00:00.000Z"],
    ["Claude usage limit reached. Your limit will reset at 5pm (Europe/Warsaw).", "five_hour", "2026-11-21T16:00:00.000Z"],
    ["Claude usage limit reached. Your limit will reset at Oct 6, 6pm (UTC).", "five_hour", null],
    // extra usage, team pools
    ["You're out of extra usage · resets 5pm (America/Los_Angeles)", "overage", "2026-11-22T01:00:00.000Z"],
    ["Your group's usage limit is set to $0", "five_hour", null],
  ];
  it.each(cases)("%s", (text, type, reset) => {
    const parsed = parseUsageLimitText(text, NOW);
    expect(parsed).not.toBeNull();
    if (text.includes("Oct 6, 6pm")) {
      expect(parsed!.resetsAt?.toISOString()).toBe(at("2027-10-06T18:00:00Z"));
      return;
    }
    if (reset === null && text.includes("8pm")) {
      // No zone: the process's local zone, the first 8pm after now.
      expect(parsed!.resetsAt!.getTime()).toBeGreaterThan(NOW.getTime());
      expect(parsed!.resetsAt!.getHours()).toBe(20);
    } else if (reset === null) expect(parsed!.resetsAt).toBeNull();
    else expect(parsed!.resetsAt?.toISOString()).toBe(reset);
    if (!text.includes("reset at Oct")) expect(parsed!.limitType).toBe(type);
    // And as a run's result, each one is a usage limit.
    expect(classify(errorResult(text)).kind).toBe("usage_limit");
  });

  it("is not fooled by ordinary texts", () => {
    expect(parseUsageLimitText("All tests pass; the limit of 5 retries was not reached.", NOW)).toBeNull();
    expect(parseUsageLimitText("API Error: 529 Overloaded.", NOW)).toBeNull();
  });
});

describe("classifyRun (reference §5.5)", () => {
  it("success, max turns, budget, execution error", () => {
    expect(classify(result({ result: "All done." }))).toEqual({ kind: "success", text: "All done." });
    expect(
      classify(result({ subtype: "error_max_turns", is_error: true, result: undefined, errors: ["Reached maximum number of turns (2)"] })),
    ).toMatchObject({
      kind: "max_turns",
      text: "Reached maximum number of turns (2)",
    });
    expect(
      classify(result({ subtype: "error_max_budget_usd", is_error: true, result: undefined, errors: ["Reached maximum budget ($0.01)"] }))
        .kind,
    ).toBe("budget");
    expect(
      classify(
        result({
          subtype: "error_during_execution",
          is_error: true,
          result: undefined,
          errors: ["No conversation found with session ID: x"],
        }),
      ).kind,
    ).toBe("execution_error");
  });

  it("usage limit from the rate_limit_event (exact reset, no clock guessing) beats the text", () => {
    const messages = [
      parseMessage({ type: "rate_limit_event", rate_limit_info: { status: "rejected", resetsAt: 1795300000, rateLimitType: "seven_day" } }),
    ];
    const o = classify(
      errorResult("You've hit your 5-hour limit · resets 6am (UTC)", { api_error: "usage_limit_reached", api_error_status: 429 }),
      messages,
    );
    expect(o).toMatchObject({ kind: "usage_limit", limitType: "seven_day", resetsAt: new Date(1795300000 * 1000) });
  });

  it("usage limit from the 2.1.329 synthetic error frame's rate_limit_info", () => {
    const frame = parseMessage({
      type: "assistant",
      message: { model: "<synthetic>", content: [{ type: "text", text: "You've hit your 5-hour limit · resets 6am (UTC)" }] },
      error: "rate_limit",
      api_error: "usage_limit_reached",
      api_error_status: 429,
      api_error_params: { rate_limit_info: { status: "rejected", resetsAt: 1795290000, rateLimitType: "five_hour" } },
    });
    expect(classify(errorResult("You've hit your 5-hour limit · resets 6am (UTC)"), [frame])).toMatchObject({
      kind: "usage_limit",
      resetsAt: new Date(1795290000 * 1000),
    });
  });

  const auth = [
    "Not logged in · Please run /login",
    "Failed to authenticate. API Error: 401 OAuth token has expired. Please obtain a new token or refresh your existing token.",
    "Failed to authenticate. API Error: 401 Invalid bearer token",
    "Failed to authenticate: OAuth token revoked. Please log in again or contact your administrator.",
    "Your account does not have access to Claude. Please login again or contact your administrator.",
    "Failed to authenticate. API Error: 403 OAuth authentication is currently not supported.",
    "Invalid API key · Fix external API key",
    'API Error: 401 {"type":"error","error":{"type":"authentication_error","message":"OAuth token has expired. …"},"request_id":"req_1"} · Please run /login',
    "Invalid API key · Please run /login",
    "Missing API key · Run /login",
  ];
  it.each(auth)("auth failure: %s", (text) => {
    expect(classify(errorResult(text)).kind).toBe("auth_failed");
  });

  it("auth failure by status or assistant error code", () => {
    expect(classify(errorResult("something", { api_error_status: 403 })).kind).toBe("auth_failed");
    const frame = parseMessage({ type: "assistant", message: { content: [{ type: "text", text: "x" }] }, error: "authentication_failed" });
    expect(classify(errorResult("x"), [frame]).kind).toBe("auth_failed");
  });

  const transient: [string, string, number | null][] = [
    ["API Error: 529 Overloaded. This is a server-side issue, usually temporary — try again in a moment.", "overloaded", 529],
    [
      "API Error: 529 Overloaded. This is a server-side issue, usually temporary — try again in a moment. If it persists, check your inference gateway (127.0.0.1).",
      "overloaded",
      null,
    ],
    ["API Error: 500 Internal server error. This is a server-side issue, usually temporary — try again in a moment.", "server_error", 500],
    ["API Error: Request rejected (429) · This request would exceed your account's rate limit.", "rate_limited", 429],
    ["API Error: Server is temporarily limiting requests (not your usage limit) · Rate limited", "rate_limited", null],
    ["API Error: Can't reach the API server — check your internet or DNS (ENOTFOUND)", "connection", null],
  ];
  it.each(transient)("transient: %s", (text, reason, status) => {
    expect(classify(errorResult(text, { api_error_status: status }))).toMatchObject({ kind: "transient", reason });
  });

  it("billing, other errors, crashes", () => {
    expect(classify(errorResult("Credit balance is too low")).kind).toBe("billing");
    expect(classify(errorResult("Prompt is too long")).kind).toBe("error");
    expect(classify(null, [], { signal: "SIGKILL" })).toMatchObject({ kind: "crashed", signal: "SIGKILL", text: "killed by SIGKILL" });
    expect(classify(null, [], { exitCode: 1, thrown: "Claude Code process exited with code 1" })).toMatchObject({
      kind: "crashed",
      exitCode: 1,
    });
  });
});

describe("RunAccounting (reference §3.5, observed 2.1.329)", () => {
  const r = (cost: number, turns: number, own: [number, number], cumulative: [number, number]) =>
    result({
      total_cost_usd: cost,
      num_turns: turns,
      usage: { input_tokens: own[0], output_tokens: own[1] },
      modelUsage: {
        m: { inputTokens: cumulative[0], outputTokens: cumulative[1], cacheReadInputTokens: 0, cacheCreationInputTokens: 0, costUSD: cost },
      },
    });

  it("in one process: latest total cost and cumulative tokens, turns summed per result", () => {
    const acc = new RunAccounting();
    acc.observe(r(0.000906, 2, [253, 40], [253, 40]));
    acc.observe(r(0.00136, 1, [127, 20], [380, 60]));
    expect(acc.run).toEqual({ costUsd: 0.00136, inputTokens: 380, outputTokens: 60, numTurns: 3 });
  });

  it("a resumed run that carries the totals over (2.1.329): the delta is the run's own", () => {
    const acc = new RunAccounting({ costUsd: 0.00136, inputTokens: 380, outputTokens: 60, numTurns: 3 }, true);
    acc.observe(r(0.001814, 1, [127, 20], [507, 80]));
    expect(acc.run).toEqual({ costUsd: 0.000454, inputTokens: 127, outputTokens: 20, numTurns: 1 });
    expect(acc.session).toEqual({ costUsd: 0.001814, inputTokens: 507, outputTokens: 80, numTurns: 4 });
  });

  it("a resumed run that starts from zero (2.1.197)", () => {
    const acc = new RunAccounting({ costUsd: 0.03742, inputTokens: 1000, outputTokens: 100, numTurns: 2 }, true);
    acc.observe(r(0.05613, 1, [500, 50], [500, 50]));
    expect(acc.run.costUsd).toBe(0.05613);
    expect(acc.session.costUsd).toBeCloseTo(0.09355, 6);
  });
});
