#!/usr/bin/env node
// Entry for the `workdeck` command: loads the TypeScript sources through tsx
// with the repo's tsconfig (for its path aliases), wherever it is run from.
import path from "node:path";
import { fileURLToPath } from "node:url";

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
const { register } = await import("tsx/esm/api");
register({ tsconfig: path.join(appRoot, "tsconfig.json") });
const { main } = await import("../server/cli/main.ts");
const code = await main(process.argv.slice(2));
// `serve` never resolves; everything else exits with its status once output is flushed.
process.exitCode = code;
