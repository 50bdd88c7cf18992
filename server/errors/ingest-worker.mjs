/**
 * Entry of the ingest worker thread (ingest-thread.ts starts it). Plain JavaScript, so Node starts
 * it as it is under Vitest, `workdeck serve` and `next start` alike (Next bundles route modules,
 * never a worker's file); it loads the TypeScript sources through tsx with the repo's tsconfig
 * (for its path aliases), as bin/workdeck.mjs does.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parentPort } from "node:worker_threads";
import { tsImport } from "tsx/esm/api";

const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const { serveIngestJobs } = await tsImport(path.join(appRoot, "server/errors/ingest-worker.ts"), {
  parentURL: import.meta.url,
  tsconfig: path.join(appRoot, "tsconfig.json"),
});
serveIngestJobs(parentPort);
