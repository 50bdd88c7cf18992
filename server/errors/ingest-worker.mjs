/**
 * Entry of the ingest worker thread (ingest-thread.ts starts it). Plain JavaScript, so Node starts
 * it as it is under Vitest, `workdeck serve` and `next start` alike (Next bundles route modules,
 * never a worker's file). Like bin/workdeck.mjs, it runs the compiled worker (dist/server) when
 * that build matches the sources, and otherwise loads the TypeScript sources through tsx with the
 * repo's tsconfig (for its path aliases).
 */
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parentPort } from "node:worker_threads";
import { compiledEntry } from "../../bin/bundle.mjs";

const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const compiled = compiledEntry(appRoot, "ingest-worker.mjs");
const { serveIngestJobs } = compiled
  ? await import(pathToFileURL(compiled).href)
  : await (
      await import("tsx/esm/api")
    ).tsImport(path.join(appRoot, "server/errors/ingest-worker.ts"), {
      parentURL: import.meta.url,
      tsconfig: path.join(appRoot, "tsconfig.json"),
    });
serveIngestJobs(parentPort);
