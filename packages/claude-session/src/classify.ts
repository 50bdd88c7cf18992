import { isUsageLimitText, limitTypeFromText, parseUsageLimitText, type LimitType } from "./limits";
import type { AssistantMessage, ClaudeMessage, RateLimitInfo, ResultMessage } from "./messages";

/**
 * What a run's end means for the runner (reference/claude-cli.md §5.5):
 * - usage_limit: park the account until `resetsAt`, continue on another one;
 * - auth_failed: the account needs a new login, skip it;
 * - transient: overloaded / 5xx / a 429 that is not a usage limit / offline: retry later, same account;
 * - max_turns, budget, execution_error, billing, error: the run is over (failed);
 * - crashed: no result line (killed by a signal, OOM).
 */
export type Outcome =
  | { kind: "success"; text: string | null }
  | { kind: "usage_limit"; resetsAt: Date | null; limitType: LimitType; text: string | null; rateLimitInfo: RateLimitInfo | null }
  | { kind: "auth_failed"; status: number | null; text: string }
  | { kind: "transient"; reason: "overloaded" | "server_error" | "rate_limited" | "connection"; status: number | null; text: string }
  | { kind: "max_turns"; text: string }
  | { kind: "budget"; text: string }
  | { kind: "billing"; text: string }
  | { kind: "execution_error"; text: string }
  | { kind: "error"; text: string }
  | { kind: "crashed"; signal: string | null; exitCode: number | null; text: string };

export type OutcomeKind = Outcome["kind"];

export type RunObservation = {
  /** The last `result` of the run (the one that ended it), if any. */
  result: ResultMessage | null;
  /** The run's frames: rate_limit_events and synthetic error assistants are read. */
  messages: readonly ClaudeMessage[];
  exitCode?: number | null;
  signal?: string | null;
  /** What the SDK threw, if anything (it throws after an error result, and on a dead process). */
  thrown?: string | null;
  now?: Date;
};

const AUTH_RE =
  /Not logged in|Failed to authenticate|Invalid API key|Please run \/login|Run \/login|OAuth token (?:has expired|revoked)|does not have access to Claude|authentication_error|Invalid bearer token|Missing API key/i;
const OVERLOADED_RE = /Overloaded|\b529\b/i;
const SERVER_RE = /server-side issue|Internal server error|API Error: 5\d\d/i;
const CONNECTION_RE = /Can't reach the API|ENOTFOUND|ECONNREFUSED|connection_failed|Connection error/i;
const TRANSIENT_429_RE = /temporarily limiting requests|Request rejected \(429\)/i;
const BILLING_RE = /Credit balance is too low/i;
const AUTH_ERRORS = new Set(["authentication_failed", "oauth_org_not_allowed", "account_on_hold", "verification_required"]);

export function classifyRun(obs: RunObservation): Outcome {
  const now = obs.now ?? new Date();
  const r = obs.result;
  const rejected = lastRejected(obs.messages);
  const errorFrame = lastErrorAssistant(obs.messages);
  const text = (r?.result ?? r?.errors?.join("\n") ?? errorFrameText(errorFrame) ?? obs.thrown ?? "").trim();

  if (!r) {
    return {
      kind: "crashed",
      signal: obs.signal ?? null,
      exitCode: obs.exitCode ?? null,
      text: text || (obs.signal ? `killed by ${obs.signal}` : "the process ended without a result"),
    };
  }
  if (!r.is_error) return { kind: "success", text: r.result ?? null };
  if (r.subtype === "error_max_turns") return { kind: "max_turns", text };
  if (r.subtype === "error_max_budget_usd") return { kind: "budget", text };

  // Usage limit: the structured event first (exact reset), then any known wording.
  const frameInfo = errorFrame?.api_error_params?.rate_limit_info ?? null;
  if (rejected || r.api_error === "usage_limit_reached" || errorFrame?.api_error === "usage_limit_reached" || isUsageLimitText(text)) {
    const info = rejected ?? (frameInfo?.status === "rejected" ? frameInfo : null);
    const parsed = parseUsageLimitText(text, now);
    const resetsAt = info?.resetsAt ? new Date(info.resetsAt * 1000) : (parsed?.resetsAt ?? null);
    const limitType = (info?.rateLimitType as LimitType | undefined) ?? parsed?.limitType ?? limitTypeFromText(text);
    return { kind: "usage_limit", resetsAt, limitType, text: text || null, rateLimitInfo: info };
  }

  const status = r.api_error_status ?? errorFrame?.api_error_status ?? null;
  if (status === 401 || status === 403 || (errorFrame?.error && AUTH_ERRORS.has(errorFrame.error)) || AUTH_RE.test(text)) {
    return { kind: "auth_failed", status, text };
  }
  if (errorFrame?.error === "billing_error" || BILLING_RE.test(text)) return { kind: "billing", text };
  if (status === 429 || TRANSIENT_429_RE.test(text)) return { kind: "transient", reason: "rate_limited", status, text };
  if (status === 529 || OVERLOADED_RE.test(text)) return { kind: "transient", reason: "overloaded", status, text };
  if ((status !== null && status >= 500) || SERVER_RE.test(text)) return { kind: "transient", reason: "server_error", status, text };
  if (CONNECTION_RE.test(text) || r.api_error === "connection_failed") return { kind: "transient", reason: "connection", status, text };
  if (r.subtype === "error_during_execution") return { kind: "execution_error", text };
  return { kind: "error", text };
}

/** The latest rejected rate-limit info the run saw (event or error frame). */
function lastRejected(messages: readonly ClaudeMessage[]): RateLimitInfo | null {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.kind === "rate_limit" && m.msg.rate_limit_info.status === "rejected") return m.msg.rate_limit_info;
  }
  return null;
}

/** The latest rate-limit info of any status (for the accounts view). */
export function lastRateLimitInfo(messages: readonly ClaudeMessage[]): RateLimitInfo | null {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.kind === "rate_limit") return m.msg.rate_limit_info;
  }
  return null;
}

function lastErrorAssistant(messages: readonly ClaudeMessage[]): AssistantMessage | null {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.kind === "assistant" && m.msg.error) return m.msg;
  }
  return null;
}

function errorFrameText(m: AssistantMessage | null): string | null {
  if (!m) return null;
  const t = m.message.content.map((b) => (b.type === "text" ? String((b as { text?: unknown }).text ?? "") : "")).join("");
  return t || null;
}

/** Outcomes after which the runner tries again (another account, or the same one later). */
export function isRetryable(o: Outcome): boolean {
  return o.kind === "usage_limit" || o.kind === "auth_failed" || o.kind === "transient";
}
