import path from "node:path";
import type { Command } from "commander";

/**
 * `workdeck hooks send` (a `command` hook's stdin to POST /api/hooks; bin/workdeck.mjs runs it
 * without loading this CLI, this entry only documents it) and
 * `workdeck hooks install --project <slug> [--config-dir <dir>] [--uninstall]`.
 */
export function registerHooksCommands(program: Command): void {
  const hooks = program.command("hooks").description("Claude Code hooks: report agent activity to Workdeck");
  hooks
    .command("send")
    .description(
      "send one hook payload from stdin to the server (WORKDECK_URL, WORKDECK_AGENT_TOKEN or WORKDECK_TOKEN); always exits 0, spools while the server is down",
    )
    .action(async () => {
      const { readEnv } = await import("../env");
      const { sendHook } = await import("../../bin/hooks-send.mjs");
      await sendHook({ env: { ...process.env }, appRoot: readEnv().appRoot }).catch(() => {});
    });

  hooks
    .command("install")
    .description("merge our hooks into a project's .claude/settings.json (or <config-dir>/settings.json)")
    .requiredOption("--project <slug>", "the project whose Claude settings get the hooks")
    .option("--config-dir <dir>", "a Claude config dir (CLAUDE_CONFIG_DIR) instead of the project's .claude/")
    .option("--url <url>", "the server hooks post to (default: http://WORKDECK_HOST:WORKDECK_PORT, i.e. this install's own serve address)")
    .option("--uninstall", "remove only the hooks Workdeck added")
    .option("--json", "print the result as JSON")
    .action(async (opts: { project: string; configDir?: string; url?: string; uninstall?: boolean; json?: boolean }) => {
      const [{ readEnv }, { loadConfig }, { discoverProjects }, { installHooks, hookServerUrl, localServerUrl }, { servedDemoRoot }] =
        await Promise.all([
          import("../env"),
          import("../config"),
          import("../projects/service"),
          import("../agents/hooks-settings"),
          import("../projects/demo-workspace"),
        ]);
      const env = readEnv();
      // The config alone names the projects; no database is opened. The demo is the server's copy, never examples/.
      const loaded = await loadConfig({ appRoot: env.appRoot, configPath: env.configPath });
      const { projects } = discoverProjects(loaded, env.appRoot, servedDemoRoot(env, loaded));
      const project = projects.find((p) => p.slug === opts.project);
      if (!project) throw new Error(`Unknown project "${opts.project}". Known: ${projects.map((p) => p.slug).join(", ") || "(none)"}`);
      const settingsFile = opts.configDir
        ? path.resolve(opts.configDir, "settings.json")
        : path.join(project.path, ".claude", "settings.json");
      // The address goes into the command, so a server on any port hears its hooks.
      const url = hookServerUrl(opts.url ?? localServerUrl(env));
      const result = installHooks({ settingsFile, appRoot: env.appRoot, url, uninstall: opts.uninstall });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ project: project.slug, ...result, ...(opts.uninstall ? {} : { url }) }, null, 2)}\n`);
        return;
      }
      const what = {
        installed: `Installed Workdeck hooks (${result.events.length} events) in`,
        updated: "Updated the Workdeck hooks in",
        unchanged: "Workdeck hooks already installed in",
        uninstalled: "Removed the Workdeck hooks from",
        absent: "No Workdeck hooks in",
      }[result.action];
      process.stdout.write(`${what} ${result.file}${opts.uninstall || result.action === "absent" ? "" : ` (events go to ${url})`}\n`);
    });
}
