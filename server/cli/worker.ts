import type { Command } from "commander";

/**
 * `workdeck worker --server <url> [--token T] [--name N] [--accounts a,b] [--max-concurrent K]`
 * (issue 14): the command; what it does is in worker-loop.ts, loaded when it runs.
 */
export function registerWorkerCommand(program: Command): void {
  program
    .command("worker")
    .description("run Claude Code sessions for a Workdeck server, with this machine's account logins")
    .requiredOption("--server <url>", "the Workdeck server (e.g. http://workdeck.internal:3000)")
    .option("--token <token>", "the server's WORKDECK_TOKEN (default: $WORKDECK_TOKEN)")
    .option("--name <name>", "this worker's name, unique across the deployment (default: the host name)")
    .option("--accounts <ids>", "the claude.accounts of this machine's config to run, comma-separated (default: all)")
    .option("--max-concurrent <n>", "sessions run at once", (v) => Number.parseInt(v, 10), 2)
    .action(async (opts: { server: string; token?: string; name?: string; accounts?: string; maxConcurrent: number }) => {
      try {
        const { runWorker } = await import("./worker-loop");
        await runWorker(opts);
      } catch (err) {
        process.stderr.write(`workdeck worker: ${(err as Error).message}\n`);
        process.exit(1);
      }
    });
}
