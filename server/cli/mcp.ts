import type { Command } from "commander";

/**
 * `workdeck mcp [--project <slug>]`: Workdeck's MCP server over stdio, for an MCP client that
 * starts it (Claude Code's `.mcp.json`, an IDE). It opens the database like any CLI command; what
 * it changes reaches a running `workdeck serve` through the shared event table. Sessions it
 * starts are only queued: the server's runner takes them (this process exits with its client).
 */
export function registerMcpCommand(program: Command): void {
  program
    .command("mcp")
    .description("serve Workdeck's MCP tools and resources over stdio")
    .option("--project <slug>", "only this project's work")
    .action(async (opts: { project?: string }) => {
      const [{ readEnv }, { createRuntime }, { runStdioMcp }] = await Promise.all([
        import("../env"),
        import("../runtime-boot"),
        import("../mcp/stdio"),
      ]);
      const runtime = await createRuntime(readEnv(), { watch: false });
      try {
        if (opts.project) runtime.projects.get(opts.project);
        // Queue only: a run started here would die with this process when the client disconnects.
        await runtime.sessions.close();
        await runStdioMcp(runtime, { projectSlug: opts.project ?? null, sessionId: null });
      } finally {
        await runtime.close();
      }
    });
}
