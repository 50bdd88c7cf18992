import path from "node:path";

/** The environment a Workdeck server needs to run the real Claude Code binary against the fake Anthropic API (tests/support/fake-anthropic.ts). */
export function fakeClaudeEnv(fakeUrl: string, claudeConfigDir: string): Record<string, string> {
  return {
    ANTHROPIC_BASE_URL: fakeUrl,
    ANTHROPIC_API_KEY: "sk-fake",
    IS_SANDBOX: "1",
    CLAUDE_CONFIG_DIR: claudeConfigDir,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_AUTOUPDATER: "1",
  };
}

/**
 * What a Claude child started by an in-process runtime inherits (the runtime reads the environment
 * once, at start): the fake API, a HOME and config dir of its own, and an OAuth token to pass on.
 */
export function fakeClaudeChildEnv(fakeUrl: string, home: string, oauthToken: string): Record<string, string> {
  return {
    ANTHROPIC_BASE_URL: fakeUrl,
    HOME: home,
    CLAUDE_CONFIG_DIR: path.join(home, "claude-config"),
    CLAUDE_CODE_OAUTH_TOKEN: oauthToken,
    IS_SANDBOX: "1",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_AUTOUPDATER: "1",
  };
}
