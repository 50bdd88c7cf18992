import path from "node:path";
import { Command, CommanderError, Option } from "commander";
import { readEnv } from "../env";
import { registerErrorsCommands } from "./errors";
import { registerHooksCommands } from "./hooks";
import { registerMcpCommand } from "./mcp";
import { registerWorkerCommand } from "./worker";
import { registerOpenSpecCommands } from "./openspec";

/**
 * `workdeck`: the dashboard server and the commands CI pipelines use.
 * Errors print one line to stderr and exit non-zero; JSON goes to stdout.
 */
export async function main(argv: string[]): Promise<number> {
  const program = new Command("workdeck")
    .description("Workdeck: OpenSpec changes, Playwright failures and Claude Code sessions in one dashboard")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command("serve")
    .description("run the dashboard (what `npm start` runs)")
    .addOption(new Option("-p, --port <port>", "port to listen on").argParser(parsePort))
    .option("-H, --host <host>", "address to listen on (loopback unless WORKDECK_TOKEN is set)")
    .option("--build-if-needed", "run `next build` first when there is no build or the sources changed")
    .option("--dev", "run Next in development mode")
    .action(async (opts: { port?: number; host?: string; buildIfNeeded?: boolean; dev?: boolean }) => {
      const env = readEnv();
      if (opts.port !== undefined) env.port = opts.port;
      if (opts.host) env.host = opts.host;
      const { serve } = await import("../http/serve");
      let server: Awaited<ReturnType<typeof serve>>;
      try {
        server = await serve(env, { buildIfNeeded: opts.buildIfNeeded, dev: opts.dev });
      } catch (err) {
        process.stderr.write(`workdeck: ${(err as Error).message}\n`);
        // A server that failed to start exits now: a library's leftover handle must not keep it hanging.
        process.exit(1);
      }
      process.stdout.write(`Workdeck is running at ${server.url}\n`);
      const shutdown = () => void server.close().finally(() => process.exit(0));
      process.once("SIGINT", shutdown);
      process.once("SIGTERM", shutdown);
      await new Promise(() => {});
    });

  program
    .command("build")
    .description("build the dashboard (`next build`)")
    .option("--if-needed", "only when there is no build or the sources changed")
    .action(async (opts: { ifNeeded?: boolean }) => {
      const env = readEnv();
      const { ensureBuild } = await import("../http/serve");
      ensureBuild(env.appRoot, { force: !opts.ifNeeded });
    });

  const db = program.command("db").description("database maintenance");
  db.command("migrate")
    .description("apply the committed migrations to WORKDECK_DATABASE_URL (PostgreSQL) or else WORKDECK_DB (SQLite)")
    .action(async () => {
      const env = readEnv();
      if (env.databaseUrl) {
        const { describePgUrl, migratePgDatabase, openPgDatabase } = await import("../db/pg-client");
        const pgDb = openPgDatabase(env.databaseUrl, { max: 1 });
        try {
          await migratePgDatabase(pgDb, path.join(env.appRoot, "drizzle", "pg"));
        } finally {
          await pgDb.$client.end();
        }
        process.stdout.write(`Migrated ${describePgUrl(env.databaseUrl)}\n`);
        return;
      }
      const { openDatabase, migrateDatabase } = await import("../db/client");
      const handle = openDatabase(env.dbPath);
      migrateDatabase(handle, path.join(env.appRoot, "drizzle"));
      handle.$client.close();
      process.stdout.write(`Migrated ${env.dbPath}\n`);
    });

  const sessionsCmd = program.command("sessions").description("Claude Code sessions launched by Workdeck");
  sessionsCmd
    .command("list")
    .description("sessions with status, account, cost")
    .option("--project <slug>", "only this project's sessions")
    .option("--json", "print JSON")
    .action(async (opts: { project?: string; json?: boolean }) => {
      const { createRuntime } = await import("../runtime-boot");
      const runtime = await createRuntime(readEnv(), { watch: false });
      try {
        const list = await runtime.sessions.list({ projectId: opts.project });
        const rows = list.map((s) => ({
          id: s.id,
          status: s.status,
          sessionType: s.sessionType,
          projectSlug: s.projectSlug,
          workItem: s.workItem,
          accountId: s.accountId,
          claudeSessionId: s.claudeSessionId,
          costUsd: s.costUsd,
          numTurns: s.numTurns,
          inputTokens: s.inputTokens,
          outputTokens: s.outputTokens,
          exitReason: s.exitReason,
          createdAt: s.createdAt.toISOString(),
          endedAt: s.endedAt?.toISOString() ?? null,
        }));
        if (opts.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        else
          for (const r of rows)
            process.stdout.write(
              `${r.id}\t${r.status}\t${r.projectSlug}\t${r.accountId ?? "-"}\t$${r.costUsd.toFixed(4)}\t${r.exitReason ?? ""}\n`,
            );
      } finally {
        await runtime.close();
      }
    });

  registerOpenSpecCommands(program);
  registerErrorsCommands(program);
  registerHooksCommands(program);
  registerMcpCommand(program);
  registerWorkerCommand(program);

  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    process.stderr.write(`workdeck: ${(err as Error).message}\n`);
    return 1;
  }
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid port: ${value}`);
  return port;
}
