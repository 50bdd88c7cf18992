#!/usr/bin/env node
// Entry for the `workdeck` command: loads the TypeScript sources through tsx
// with the repo's tsconfig (for its path aliases), wherever it is run from.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
process.env.NEXT_TELEMETRY_DISABLED ??= "1";
process.env.WORKDECK_APP_ROOT ??= appRoot;
register({ tsconfig: path.join(appRoot, "tsconfig.json") });
const { main } = await import("../server/cli/main.ts");
const code = await main(process.argv.slice(2));
// `serve` never resolves; everything else exits with its status once output is flushed.
process.exitCode = code;
