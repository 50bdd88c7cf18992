#!/usr/bin/env node
// Entry for the `workdeck` command, wherever it is run from. It runs the compiled server
// (dist/server/, `npm run build:server`) when that build matches the sources, and otherwise
// loads the TypeScript sources through tsx with the repo's tsconfig (for its path aliases).
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
if (args[0] === "hooks" && args[1] === "send" && !args.includes("--help") && !args.includes("-h")) {
  // Runs on every tool call of every agent: skip tsx and the full CLI (see hooks-send.mjs).
  // The entry hands it the environment, as it hands WORKDECK_APP_ROOT to the rest.
  const { sendHook } = await import("./hooks-send.mjs");
  await sendHook({ env: process.env, appRoot }).catch(() => {});
  process.exit(0);
}
process.env.NEXT_TELEMETRY_DISABLED ??= "1";
process.env.WORKDECK_APP_ROOT ??= appRoot;
const { main } = await loadCli();
const code = await main(args);
// `serve` never resolves. Everything else is done: exit once stdout and stderr are flushed,
// whatever timer or handle a library left behind.
process.exitCode = code;
await Promise.all([process.stdout, process.stderr].map((s) => new Promise((resolve) => s.write("", () => resolve()))));
process.exit(code);

/**
 * The compiled CLI when it is fresh (see bundle.mjs). `build` and `serve --build-if-needed`
 * compile it first when it is missing or stale.
 */
async function loadCli() {
  const { compiledEntry } = await import("./bundle.mjs");
  const building = args[0] === "build" || (args[0] === "serve" && args.includes("--build-if-needed") && !args.includes("--dev"));
  if (building && process.env.WORKDECK_SERVER_BUILD !== "off" && !compiledEntry(appRoot, "cli.mjs", { WORKDECK_SERVER_BUILD: "auto" })) {
    const { buildServer } = await import("../scripts/build-server.mjs");
    await buildServer();
  }
  let file;
  try {
    file = compiledEntry(appRoot, "cli.mjs");
  } catch (err) {
    process.stderr.write(`workdeck: ${err.message}\n`);
    process.exit(1);
  }
  if (file) return import(pathToFileURL(file).href);
  const { register } = await import("tsx/esm/api");
  register({ tsconfig: path.join(appRoot, "tsconfig.json") });
  return import("../server/cli/main.ts");
}
