import { benchAgents } from "./agents";
import { benchBoard } from "./board";
import { benchCliCommands, benchServeProcesses } from "./cli";
import { benchErrors } from "./errors";
import { benchFrontend } from "./frontend";
import { benchHooksHttp } from "./hooks-http";
import { benchIngestHooks } from "./ingest-hooks";
import { benchOpenSpec } from "./openspec";
import { benchReportIngest } from "./report-ingest";
import { benchScaleout } from "./scaleout";
import { benchScaleoutPostgres } from "./scaleout-pg";
import { benchScaleoutWorkers } from "./scaleout-workers";
import { benchSessionsBrowser } from "./sessions-browser";
import { benchSessionsServer } from "./sessions-server";
import { printRows } from "./stats";
import { benchWork } from "./work";
import { benchWebhooks } from "./webhooks";

/** `npm run bench`: figures as absolute numbers and ratios to their targets. */
async function main() {
  process.stdout.write(`Workdeck bench on ${process.platform} ${process.arch}, Node ${process.version}\n\n`);
  process.stdout.write("OpenSpec (issue 2)\n");
  printRows(await benchOpenSpec());
  process.stdout.write("\nErrors (issue 3)\n");
  printRows(await benchErrors());
  process.stdout.write("\nIngest while hooks arrive (issue 10)\n");
  printRows(await benchIngestHooks());
  process.stdout.write("\nHook ingest over HTTP (issue 12)\n");
  printRows(await benchHooksHttp());
  process.stdout.write("\nCLI and server processes (issue 12)\n");
  printRows(await benchCliCommands());
  printRows(await benchServeProcesses());
  process.stdout.write("\nAgents (issue 5)\n");
  printRows(await benchAgents());
  process.stdout.write("\nAll Work (issue 6)\n");
  printRows(await benchWork());
  process.stdout.write("\nBoard and dependencies (issue 17)\n");
  printRows(await benchBoard());
  process.stdout.write("\nWebhook ingest (issue 15)\n");
  printRows(await benchWebhooks());
  process.stdout.write("\nScale-out: two serve processes on one database (issue 14)\n");
  printRows(await benchScaleout());
  process.stdout.write("\nScale-out: the event bus and hook ingest on a PostgreSQL store, beside SQLite (issue 14)\n");
  printRows(await benchScaleoutPostgres());
  process.stdout.write("\nScale-out: report ingest on PostgreSQL beside SQLite, through the ingest worker (issue 14)\n");
  printRows(await benchReportIngest());
  process.stdout.write("\nScale-out: sessions through the queue with 4 workers (issue 14)\n");
  printRows(await benchScaleoutWorkers());
  process.stdout.write("\nSessions (issue 4)\n");
  printRows(await benchSessionsServer());
  printRows(await benchSessionsBrowser());
  process.stdout.write("\nFront end: gzipped JS and LCP per tab (issue 12)\n");
  printRows(await benchFrontend());
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
