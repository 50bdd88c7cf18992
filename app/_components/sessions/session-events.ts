import type { SessionEvent } from "@/lib/schemas/sessions";
import { formatUsd } from "./session-format";

/**
 * Stored session events (stream-json messages plus the runner's `workdeck/*` notes) turned
 * into a readable conversation. Pure, so the page can rebuild it on every new event; the
 * raw shapes are read defensively because every CLI version adds keys (reference/claude-cli.md §3).
 */

export type ToolResult = { text: string; isError: boolean };

export type ConversationItem =
  | { kind: "user"; seq: number; text: string }
  | { kind: "assistant"; seq: number; text: string; subagent: boolean }
  | { kind: "tool"; seq: number; toolUseId: string; name: string; input: unknown; result: ToolResult | null; subagent: boolean }
  | { kind: "error"; seq: number; text: string }
  | { kind: "note"; seq: number; tone: "neutral" | "amber" | "red" | "blue"; text: string }
  | { kind: "result"; seq: number; ok: boolean; text: string };

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((b) => (isObj(b) && b.type === "text" ? (str(b.text) ?? "") : isObj(b) && b.type === "image" ? "[image]" : ""))
      .filter(Boolean)
      .join("\n");
  }
  return content === undefined || content === null ? "" : JSON.stringify(content, null, 2);
}

function resetText(epochSeconds: number | null): string {
  return epochSeconds ? ` until ${new Date(epochSeconds * 1000).toLocaleString()}` : "";
}

export function buildConversation(events: readonly SessionEvent[]): ConversationItem[] {
  const items: ConversationItem[] = [];
  const tools = new Map<string, Extract<ConversationItem, { kind: "tool" }>>();

  for (const e of events) {
    const p: Obj = isObj(e.payload) ? e.payload : {};
    switch (e.type) {
      case "workdeck/user_message": {
        const text = str(p.text);
        if (text) items.push({ kind: "user", seq: e.seq, text });
        break;
      }
      case "assistant": {
        const message = isObj(p.message) ? p.message : {};
        const subagent = typeof p.parent_tool_use_id === "string";
        // An API error the CLI turned into a synthetic assistant message (§3.3).
        if (str(p.error) || p.is_api_error_message === true) {
          items.push({ kind: "error", seq: e.seq, text: contentText(message.content) || str(p.api_error) || str(p.error) || "API error" });
          break;
        }
        for (const block of Array.isArray(message.content) ? message.content : []) {
          if (!isObj(block)) continue;
          if (block.type === "text" && str(block.text)?.trim())
            items.push({ kind: "assistant", seq: e.seq, text: str(block.text)!, subagent });
          if (block.type === "tool_use") {
            const item = {
              kind: "tool" as const,
              seq: e.seq,
              toolUseId: str(block.id) ?? `${e.seq}`,
              name: str(block.name) ?? "tool",
              input: block.input,
              result: null,
              subagent,
            };
            tools.set(item.toolUseId, item);
            items.push(item);
          }
        }
        break;
      }
      case "user": {
        const message = isObj(p.message) ? p.message : {};
        for (const block of Array.isArray(message.content) ? message.content : []) {
          if (!isObj(block) || block.type !== "tool_result") continue;
          const tool = tools.get(str(block.tool_use_id) ?? "");
          const result = { text: contentText(block.content), isError: block.is_error === true };
          if (tool) tool.result = result;
          else items.push({ kind: result.isError ? "error" : "note", seq: e.seq, tone: "neutral", text: result.text } as ConversationItem);
        }
        break;
      }
      case "result": {
        const ok = p.is_error !== true && p.subtype === "success";
        const cost = num(p.total_cost_usd);
        const turns = num(p.num_turns);
        const detail = [turns !== null ? `${turns} turn${turns === 1 ? "" : "s"}` : null, cost !== null ? formatUsd(cost) : null]
          .filter(Boolean)
          .join(", ");
        const errors = Array.isArray(p.errors) ? p.errors.filter((x): x is string => typeof x === "string") : [];
        const text = ok
          ? `Finished${detail ? ` (${detail})` : ""}.`
          : `Ended: ${str(p.subtype) ?? "error"}${detail ? ` (${detail})` : ""}${errors.length ? ` — ${errors.join("; ")}` : str(p.result) ? ` — ${str(p.result)}` : ""}`;
        items.push({ kind: "result", seq: e.seq, ok, text });
        break;
      }
      case "rate_limit_event": {
        const info = isObj(p.rate_limit_info) ? p.rate_limit_info : {};
        const status = str(info.status) ?? "unknown";
        if (status === "allowed") break; // Sent with every reply on OAuth accounts; only warnings and refusals are news.
        const window = str(info.rateLimitType);
        const utilization = num(info.utilization);
        items.push({
          kind: "note",
          seq: e.seq,
          tone: status === "rejected" ? "red" : "amber",
          text: `Rate limit ${status}${window ? ` (${window.replace(/_/g, " ")})` : ""}${utilization !== null ? `, ${Math.round(utilization * 100)}% used` : ""}${resetText(num(info.resetsAt))}.`,
        });
        break;
      }
      case "system/api_retry":
        items.push({
          kind: "note",
          seq: e.seq,
          tone: "amber",
          text: `API error${num(p.error_status) ? ` ${num(p.error_status)}` : ""}, retrying (attempt ${num(p.attempt) ?? "?"}${num(p.max_retries) ? ` of ${num(p.max_retries)}` : ""}).`,
        });
        break;
      case "system/init":
        items.push({
          kind: "note",
          seq: e.seq,
          tone: "neutral",
          text: `Claude Code ${str(p.claude_code_version) ?? ""} started${str(p.model) ? ` on ${str(p.model)}` : ""}${str(p.permissionMode) ? `, permission mode ${str(p.permissionMode)}` : ""}.`.replace(
            "  ",
            " ",
          ),
        });
        break;
      case "workdeck/run_started":
        items.push({
          kind: "note",
          seq: e.seq,
          tone: "blue",
          text: `Run ${num(p.run) ?? ""} started on account ${str(p.accountId) ?? "?"}${p.resume ? " (resuming the conversation)" : ""}.`,
        });
        break;
      case "workdeck/run_ended": {
        const outcome = isObj(p.outcome) ? (str(p.outcome.kind) ?? str(p.outcome.reason)) : str(p.outcome);
        const stderr = str(p.stderr);
        const thrown = str(p.thrown);
        items.push({
          kind: "note",
          seq: e.seq,
          tone: thrown || stderr ? "amber" : "neutral",
          text: `Run ${num(p.run) ?? ""} ended${outcome ? `: ${outcome}` : ""}.${thrown ? ` ${thrown}` : ""}`,
        });
        break;
      }
      case "workdeck/stop_requested":
        items.push({
          kind: "note",
          seq: e.seq,
          tone: "amber",
          text: p.reason === "timeout" ? "Stopped: the session ran past its timeout." : "Stop requested.",
        });
        break;
      case "workdeck/resume_requested":
        items.push({ kind: "note", seq: e.seq, tone: "blue", text: "Resume requested." });
        break;
      case "workdeck/interrupted":
        items.push({ kind: "note", seq: e.seq, tone: "red", text: "Interrupted: the server restarted while this session ran." });
        break;
      case "workdeck/account_switched":
        items.push({
          kind: "note",
          seq: e.seq,
          tone: "amber",
          text: `Continued on account ${str(p.to) ?? "?"} (from ${str(p.from) ?? "?"}${p.transcriptCopied ? ", transcript carried over" : ""}).`,
        });
        break;
      case "workdeck/account_parked":
        items.push({
          kind: "note",
          seq: e.seq,
          tone: "amber",
          text: `Account ${str(p.accountId) ?? "?"} hit its usage limit${str(p.limitType) ? ` (${str(p.limitType)})` : ""}; parked until ${str(p.until) ? new Date(str(p.until)!).toLocaleString() : "its reset"}.`,
        });
        break;
      case "workdeck/account_needs_login":
        items.push({
          kind: "note",
          seq: e.seq,
          tone: "red",
          text: `Account ${str(p.accountId) ?? "?"} needs login${str(p.message) ? `: ${str(p.message)}` : ""}.`,
        });
        break;
      case "workdeck/retry_scheduled":
        items.push({
          kind: "note",
          seq: e.seq,
          tone: "amber",
          text: `Transient failure (${str(p.reason) ?? "error"}); retry ${num(p.attempt) ?? ""} in ${Math.round((num(p.delayMs) ?? 0) / 1000)} s.`,
        });
        break;
      case "workdeck/permission_requested":
        items.push({ kind: "note", seq: e.seq, tone: "amber", text: `Permission asked to use ${str(p.toolName) ?? "a tool"}.` });
        break;
      case "workdeck/permission_answered": {
        const how =
          p.how === "timeout"
            ? "denied: nobody answered in time"
            : p.how === "user_always"
              ? "allowed for the rest of the session"
              : p.allow
                ? "allowed once"
                : p.how === "user"
                  ? `denied${str(p.message) ? `: ${str(p.message)}` : ""}`
                  : "withdrawn: the run ended";
        items.push({
          kind: "note",
          seq: e.seq,
          tone: p.allow ? "blue" : "amber",
          text: `Permission for ${str(p.toolName) ?? "a tool"} ${how}.`,
        });
        break;
      }
      case "workdeck/waiting_for_account":
        items.push({
          kind: "note",
          seq: e.seq,
          tone: "amber",
          text: `Waiting for an available account${str(p.until) ? ` (next one frees up ${new Date(str(p.until)!).toLocaleString()})` : ""}.`,
        });
        break;
      default:
        break;
    }
  }
  return items;
}

/** The tool call still waiting for its result (the "current tool"), if the session is running. */
export function currentToolId(items: readonly ConversationItem[]): string | null {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i]!;
    if (item.kind === "tool") return item.result ? null : item.toolUseId;
    if (item.kind === "result") return null;
  }
  return null;
}
