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
