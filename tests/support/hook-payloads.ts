/**
 * Claude Code hook payloads as the CLI sends them (reference/claude-cli.md §4.2, observed on
 * 2.1.329): the common BaseHookInput fields plus each event's own. Used by the agents tests,
 * the e2e test and the bench, so they all post the same realistic shapes.
 */

export type HookPayload = Record<string, unknown> & { session_id: string; hook_event_name: string };

export function hookSession(sessionId: string, cwd: string, configDir = "/home/dev/.claude") {
  const transcript_path = `${configDir}/projects/${cwd.replace(/[^A-Za-z0-9]/g, "-")}/${sessionId}.jsonl`;
  const base = (event: string, extra: Record<string, unknown> = {}): HookPayload => ({
    session_id: sessionId,
    transcript_path,
    cwd,
    hook_event_name: event,
    ...(event === "SessionStart" ? {} : { permission_mode: "default", prompt_id: "5d7c6b0e-prompt" }),
    ...extra,
  });
  return {
    sessionStart: (source = "startup") => base("SessionStart", { source }),
    prompt: (prompt: string) => base("UserPromptSubmit", { prompt }),
    pre: (toolUseId: string, toolName: string, toolInput: Record<string, unknown>) =>
      base("PreToolUse", { tool_name: toolName, tool_input: toolInput, tool_use_id: toolUseId, effort: { level: "medium" } }),
    post: (toolUseId: string, toolName: string, toolInput: Record<string, unknown>, toolResponse: unknown, durationMs = 12) =>
      base("PostToolUse", {
        tool_name: toolName,
        tool_input: toolInput,
        tool_use_id: toolUseId,
        tool_response: toolResponse,
        duration_ms: durationMs,
      }),
    failure: (toolUseId: string, toolName: string, toolInput: Record<string, unknown>, error: string, durationMs = 40) =>
      base("PostToolUseFailure", {
        tool_name: toolName,
        tool_input: toolInput,
        tool_use_id: toolUseId,
        error,
        is_interrupt: false,
        duration_ms: durationMs,
      }),
    batch: (calls: { tool_name: string; tool_input: unknown; tool_use_id: string; tool_response: string }[]) =>
      base("PostToolBatch", { tool_calls: calls }),
    notification: (message = "Claude is waiting for your input") => base("Notification", { message, notification_type: "idle_prompt" }),
    permissionRequest: (toolName: string, toolInput: Record<string, unknown>) =>
      base("PermissionRequest", {
        tool_name: toolName,
        tool_input: toolInput,
        permission_suggestions: [
          { type: "addRules", rules: [{ toolName, ruleContent: "npm test" }], behavior: "allow", destination: "localSettings" },
        ],
      }),
    stop: (lastMessage = "Done.") =>
      base("Stop", { stop_hook_active: false, last_assistant_message: lastMessage, background_tasks: [], session_crons: [] }),
    sessionEnd: (reason = "other") => base("SessionEnd", { reason }),
    custom: (event: string, extra: Record<string, unknown> = {}) => base(event, extra),
  };
}

/** A whole `-p` session: start, prompt, a Read, a failing Bash, an Edit, stop, end. */
export function realisticSession(sessionId: string, cwd: string): HookPayload[] {
  const h = hookSession(sessionId, cwd);
  const read = { file_path: `${cwd}/src/app.ts` };
  const bash = { command: "npm test", description: "Run the tests" };
  const edit = { file_path: `${cwd}/src/app.ts`, old_string: "a", new_string: "b" };
  return [
    h.sessionStart(),
    h.prompt("Fix the failing test"),
    h.pre("toolu_01Read", "Read", read),
    h.post("toolu_01Read", "Read", read, {
      type: "text",
      file: { filePath: read.file_path, content: "export const a = 1;\n", numLines: 1, startLine: 1, totalLines: 1 },
    }),
    h.pre("toolu_02Bash", "Bash", bash),
    h.failure("toolu_02Bash", "Bash", bash, "Exit code 1\n\n> acme-app@1.0.0 test\n> vitest run\n\nFAIL src/app.test.ts"),
    h.batch([{ tool_name: "Bash", tool_input: bash, tool_use_id: "toolu_02Bash", tool_response: "Exit code 1" }]),
    h.pre("toolu_03Edit", "Edit", edit),
    h.post("toolu_03Edit", "Edit", edit, {
      filePath: edit.file_path,
      oldString: "a",
      newString: "b",
      originalFile: "a",
      structuredPatch: [],
      userModified: false,
      replaceAll: false,
    }),
    h.custom("MessageDisplay", { turn_id: "t1", message_id: "msg_1", index: 0, final: true, delta: "Fixed it." }),
    h.stop("Fixed the failing test."),
    h.sessionEnd("other"),
  ];
}
