import { z } from "zod";

/**
 * The stream-json messages Claude Code writes (reference/claude-cli.md §3), as Zod
 * schemas that keep every field they do not name: key sets grow with each CLI
 * version, and the stored event must be the message as it came.
 */

export const UsageSchema = z.looseObject({
  input_tokens: z.number().default(0),
  output_tokens: z.number().default(0),
  cache_creation_input_tokens: z.number().nullish(),
  cache_read_input_tokens: z.number().nullish(),
});
export type Usage = z.infer<typeof UsageSchema>;

export const ModelUsageSchema = z.looseObject({
  inputTokens: z.number().default(0),
  outputTokens: z.number().default(0),
  cacheReadInputTokens: z.number().default(0),
  cacheCreationInputTokens: z.number().default(0),
  costUSD: z.number().default(0),
});

export const ContentBlockSchema = z.looseObject({ type: z.string() });
export const TextBlockSchema = z.looseObject({ type: z.literal("text"), text: z.string() });
export const ToolUseBlockSchema = z.looseObject({ type: z.literal("tool_use"), id: z.string(), name: z.string(), input: z.unknown() });
export const ToolResultBlockSchema = z.looseObject({
  type: z.literal("tool_result"),
  tool_use_id: z.string(),
  content: z.unknown().optional(),
  is_error: z.boolean().optional(),
});

export const SystemInitSchema = z.looseObject({
  type: z.literal("system"),
  subtype: z.literal("init"),
  session_id: z.string(),
  cwd: z.string().optional(),
  model: z.string().optional(),
  tools: z.array(z.string()).optional(),
  permissionMode: z.string().optional(),
  apiKeySource: z.string().optional(),
  claude_code_version: z.string().optional(),
});

export const SystemApiRetrySchema = z.looseObject({
  type: z.literal("system"),
  subtype: z.literal("api_retry"),
  attempt: z.number().optional(),
  max_retries: z.number().optional(),
  retry_delay_ms: z.number().optional(),
  error_status: z.number().nullish(),
  error: z.string().nullish(),
});

/** Any other system frame (status, hook_*, model_fallback, permission_denied, compact_boundary, task_*...). */
export const SystemOtherSchema = z.looseObject({ type: z.literal("system"), subtype: z.string() });

export const RateLimitInfoSchema = z.looseObject({
  status: z.string(),
  resetsAt: z.number().optional(),
  rateLimitType: z.string().optional(),
  utilization: z.number().optional(),
  unifiedWindows: z
    .record(
      z.string(),
      z.looseObject({ utilization: z.number().optional(), resetsAt: z.number().optional(), status: z.string().optional() }),
    )
    .optional(),
});
export type RateLimitInfo = z.infer<typeof RateLimitInfoSchema>;

export const RateLimitEventSchema = z.looseObject({ type: z.literal("rate_limit_event"), rate_limit_info: RateLimitInfoSchema });

export const AssistantMessageSchema = z.looseObject({
  type: z.literal("assistant"),
  message: z.looseObject({
    id: z.string().optional(),
    model: z.string().optional(),
    content: z.array(ContentBlockSchema),
    usage: UsageSchema.optional(),
  }),
  parent_tool_use_id: z.string().nullish(),
  session_id: z.string().optional(),
  /** Set on the synthetic message an API error becomes (§3.3, §5). */
  error: z.string().optional(),
  is_api_error_message: z.boolean().optional(),
  api_error_status: z.number().nullish(),
  api_error: z.string().optional(),
  api_error_params: z.looseObject({ rate_limit_info: RateLimitInfoSchema.optional() }).optional(),
});

export const UserMessageSchema = z.looseObject({
  type: z.literal("user"),
  message: z.looseObject({ role: z.literal("user"), content: z.union([z.string(), z.array(ContentBlockSchema)]) }),
  parent_tool_use_id: z.string().nullish(),
  session_id: z.string().optional(),
  isReplay: z.boolean().optional(),
});

export const ResultMessageSchema = z.looseObject({
  type: z.literal("result"),
  subtype: z.string(),
  is_error: z.boolean(),
  result: z.string().optional(),
  errors: z.array(z.string()).optional(),
  duration_ms: z.number().optional(),
  num_turns: z.number().default(0),
  total_cost_usd: z.number().default(0),
  usage: UsageSchema.optional(),
  modelUsage: z.record(z.string(), ModelUsageSchema).optional(),
  session_id: z.string(),
  stop_reason: z.string().nullish(),
  api_error_status: z.number().nullish(),
  api_error: z.string().optional(),
  terminal_reason: z.string().optional(),
  permission_denials: z.array(z.unknown()).optional(),
});
export type ResultMessage = z.infer<typeof ResultMessageSchema>;

export const StreamEventSchema = z.looseObject({ type: z.literal("stream_event"), event: z.looseObject({ type: z.string() }) });

/** Everything else (tool_progress, command_lifecycle, control_response, auth_status, newer frames): kept as it came. */
export const UnknownMessageSchema = z.looseObject({ type: z.string() });

export type SystemInit = z.infer<typeof SystemInitSchema>;
export type SystemApiRetry = z.infer<typeof SystemApiRetrySchema>;
export type AssistantMessage = z.infer<typeof AssistantMessageSchema>;
export type UserMessage = z.infer<typeof UserMessageSchema>;
export type RateLimitEvent = z.infer<typeof RateLimitEventSchema>;
export type StreamEvent = z.infer<typeof StreamEventSchema>;

export type ClaudeMessage =
  | { kind: "init"; msg: SystemInit }
  | { kind: "api_retry"; msg: SystemApiRetry }
  | { kind: "system"; msg: z.infer<typeof SystemOtherSchema> }
  | { kind: "assistant"; msg: AssistantMessage }
  | { kind: "user"; msg: UserMessage }
  | { kind: "result"; msg: ResultMessage }
  | { kind: "rate_limit"; msg: RateLimitEvent }
  | { kind: "stream_event"; msg: StreamEvent }
  | { kind: "unknown"; msg: { type: string; [k: string]: unknown } };

/**
 * Classifies one stream-json message. Never throws: a frame whose known type has an
 * unexpected shape is returned as `unknown` (the stored copy is what matters).
 */
export function parseMessage(raw: unknown): ClaudeMessage {
  const base = UnknownMessageSchema.safeParse(raw);
  if (!base.success) return { kind: "unknown", msg: { type: "invalid", value: raw } };
  const type = base.data.type;
  const attempt = <K extends ClaudeMessage["kind"], S extends z.ZodType>(kind: K, schema: S): ClaudeMessage | null => {
    const r = schema.safeParse(raw);
    return r.success ? ({ kind, msg: r.data } as ClaudeMessage) : null;
  };
  let parsed: ClaudeMessage | null = null;
  if (type === "system") {
    const subtype = (raw as { subtype?: unknown }).subtype;
    parsed =
      subtype === "init"
        ? attempt("init", SystemInitSchema)
        : subtype === "api_retry"
          ? attempt("api_retry", SystemApiRetrySchema)
          : attempt("system", SystemOtherSchema);
  } else if (type === "assistant") parsed = attempt("assistant", AssistantMessageSchema);
  else if (type === "user") parsed = attempt("user", UserMessageSchema);
  else if (type === "result") parsed = attempt("result", ResultMessageSchema);
  else if (type === "rate_limit_event") parsed = attempt("rate_limit", RateLimitEventSchema);
  else if (type === "stream_event") parsed = attempt("stream_event", StreamEventSchema);
  return parsed ?? { kind: "unknown", msg: base.data };
}

/** The text blocks of an assistant message, joined. */
export function assistantText(msg: AssistantMessage): string {
  return msg.message.content
    .filter((b): b is z.infer<typeof TextBlockSchema> => b.type === "text" && typeof (b as { text?: unknown }).text === "string")
    .map((b) => b.text)
    .join("");
}
