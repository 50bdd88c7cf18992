import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { query, type SDKMessage, type SDKUserMessage } from "@anthropic-ai/claude-agent-sdk";
import { afterToolResult, FakeAnthropic } from "../support/fake-anthropic";
import { tempDir } from "../support/temp";

/**
 * The fake Messages API is good enough for the real Claude Code binary (the one the
 * SDK ships) to run a tool-using session offline: the spike every session test builds on.
 */
let fake: FakeAnthropic | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

function childEnv(fakeUrl: string, configDir: string, home: string): Record<string, string | undefined> {
  return {
    PATH: process.env.PATH,
    HOME: home,
    CLAUDE_CONFIG_DIR: configDir,
    ANTHROPIC_BASE_URL: fakeUrl,
    CLAUDE_CODE_OAUTH_TOKEN: "sk-ant-oat01-fake-A",
    // As root the binary refuses bypassPermissions without it.
    IS_SANDBOX: "1",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_AUTOUPDATER: "1",
  };
}

describe("fake Anthropic API + the real Claude Code binary", () => {
  it("runs a tool-using session through the SDK's query(): Write, then a final answer, as stream-json", async () => {
    fake = await FakeAnthropic.start();
    const root = tempDir();
    const cwd = path.join(root, "project");
    const configDir = path.join(root, "account-a");
    fs.mkdirSync(cwd);
    fs.mkdirSync(configDir);
    fake.queue({
      kind: "tool_use",
      name: "Write",
      input: { file_path: path.join(cwd, "hello.txt"), content: "hello from the agent\n" },
      text: "Writing the file.",
    });
    fake.when(afterToolResult, { kind: "text", text: "All done." }, { times: 1 });

    async function* input(): AsyncGenerator<SDKUserMessage> {
      yield { type: "user", message: { role: "user", content: "Write hello.txt" }, parent_tool_use_id: null };
    }
    const messages: SDKMessage[] = [];
    for await (const m of query({
      prompt: input(),
      options: {
        cwd,
        permissionMode: "bypassPermissions",
        allowDangerouslySkipPermissions: true,
        settingSources: [],
        env: childEnv(fake.url, configDir, root),
      },
    }))
      messages.push(m);

    expect(fs.readFileSync(path.join(cwd, "hello.txt"), "utf8")).toBe("hello from the agent\n");
    const kinds = messages.map((m) => ("subtype" in m && m.type === "system" ? `system/${m.subtype}` : m.type));
    expect(kinds[0]).toBe("system/init");
    expect(kinds.at(-1)).toBe("result");
    expect(kinds).toEqual(expect.arrayContaining(["assistant", "user", "rate_limit_event"]));

    // One assistant frame per content block, sharing the message id (reference §3.3).
    const assistant = messages.filter((m) => m.type === "assistant");
    const blocks = assistant.map((m) => m.message.content.map((b) => b.type).join(","));
    expect(blocks.slice(0, 2)).toEqual(["text", "tool_use"]);
    expect(assistant[0]!.message.id).toBe(assistant[1]!.message.id);
    const toolUse = assistant[1]!.message.content[0] as { type: "tool_use"; id: string; name: string };
    expect(toolUse.name).toBe("Write");
    const toolResult = messages.find((m) => m.type === "user")!;
    expect(JSON.stringify(toolResult.message.content)).toContain(toolUse.id);

    const result = messages.at(-1)!;
    if (result.type !== "result") throw new Error("no result");
    expect(result.subtype).toBe("success");
    expect(result.is_error).toBe(false);
    expect(result.num_turns).toBe(2);
    expect(result.total_cost_usd).toBeGreaterThan(0);
    if (result.subtype === "success") expect(result.result).toBe("All done.");

    // OAuth: bearer token, no API key; the transcript lands in the account's config dir.
    const posts = fake.requests.filter((r) => r.path === "/v1/messages");
    expect(posts.every((r) => r.authKind === "bearer" && r.credential === "sk-ant-oat01-fake-A")).toBe(true);
    expect(fake.mainRequests).toHaveLength(2);
    const init = messages[0]!;
    if (init.type !== "system" || init.subtype !== "init") throw new Error("no init");
    const transcripts = fs.readdirSync(path.join(configDir, "projects"), { recursive: true }).map(String);
    expect(transcripts.some((f) => f.endsWith(`${init.session_id}.jsonl`))).toBe(true);
  });

  it("answers non-streaming requests, count_tokens and errors as the real API shapes them", async () => {
    fake = await FakeAnthropic.start();
    fake.queue({ kind: "text", text: "plain" }, { kind: "error", status: 529 });
    const post = (body: unknown) =>
      fetch(`${fake!.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": "k" },
        body: JSON.stringify(body),
      });
    const req = { model: "claude-sonnet-5-5", max_tokens: 10, tools: [{ name: "Bash" }], messages: [{ role: "user", content: "hi" }] };
    const ok = await post(req);
    expect(ok.headers.get("anthropic-ratelimit-unified-status")).toBe("allowed");
    expect(await ok.json()).toMatchObject({
      type: "message",
      role: "assistant",
      stop_reason: "end_turn",
      content: [{ type: "text", text: "plain" }],
    });
    const overloaded = await post(req);
    expect(overloaded.status).toBe(529);
    expect(await overloaded.json()).toMatchObject({ type: "error", error: { type: "overloaded_error" } });
    const count = await fetch(`${fake.url}/v1/messages/count_tokens`, { method: "POST", body: JSON.stringify(req) });
    expect(((await count.json()) as { input_tokens: number }).input_tokens).toBeGreaterThan(0);
    expect(fake.requests.map((r) => r.credential)).toEqual(["k", "k", null]);
  });
});
