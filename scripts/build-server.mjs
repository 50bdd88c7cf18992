#!/usr/bin/env node
/**
 * `npm run build:server [-- --if-needed]`: compiles the CLI and the `workdeck serve` process
 * (server/cli/main.ts) and the ingest worker thread into dist/server/ with esbuild, so they start
 * without tsx compiling TypeScript on every run (issue 12). bin/workdeck.mjs uses the build while
 * every input is unchanged (bin/bundle.mjs), and falls back to tsx otherwise.
 *
 * Dynamic `import()`s stay separate chunks (code splitting), so a command loads only what it uses.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { bundleDir, freshBundle, inputStamp, POINTER } from "../bin/bundle.mjs";

const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Entry points: the names bin/workdeck.mjs and the ingest worker's loader import. */
export const ENTRIES = { cli: "server/cli/main.ts", "ingest-worker": "server/errors/ingest-worker.ts" };

/**
 * Kept as imports of node_modules: better-sqlite3 is native; next, the Agent SDK and tsx are large
 * and locate their own files (binaries, loaders, .next); pino starts worker threads by file path.
 */
const EXTERNAL = [
  "better-sqlite3",
  "next",
  "next/*",
  "@next/env",
  "@anthropic-ai/claude-agent-sdk",
  "tsx",
  "tsx/*",
  "pino",
  "chokidar",
  "proper-lockfile",
  "esbuild",
];

/** Builds kept besides the current one, for processes still running them (their chunks load lazily). */
const KEEP_OLD = 3;

/** Compiles into a new folder, then points dist/server/current.json at it. Returns the CLI's file. */
export async function buildServer({ ifNeeded = false, quiet = false } = {}) {
  if (ifNeeded) {
    const fresh = freshBundle(appRoot);
    if (fresh) return fresh;
  }
  const started = performance.now();
  const root = bundleDir(appRoot);
  const id = `build-${Date.now().toString(36)}-${process.pid}`;
  const outdir = path.join(root, id);
  const result = await esbuild.build({
    absWorkingDir: appRoot,
    entryPoints: ENTRIES,
    outdir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node20.19",
    tsconfig: "tsconfig.json",
    external: EXTERNAL,
    // Bundled CommonJS packages call require(): give the ESM output one.
    banner: { js: 'import { createRequire as __workdeckRequire } from "node:module"; const require = __workdeckRequire(import.meta.url);' },
    // Maps on disk only: Node reads them with --enable-source-maps, never by default (they cost start time).
    sourcemap: "linked",
    metafile: true,
    logLevel: "warning",
  });
  const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.includes("node_modules/") && !f.startsWith("<"));
  // Also what decides how they compile: the lockfile (bundled packages' versions), tsconfig, this script.
  inputs.push("package-lock.json", "tsconfig.json", "scripts/build-server.mjs");
  inputs.sort();
  // What each chunk imports, statically or not (tests check what a process loads at start).
  fs.writeFileSync(path.join(outdir, "meta.json"), JSON.stringify(result.metafile));
  const pointer = { dir: id, stamp: inputStamp(appRoot, inputs), inputs };
  // Replaced by a rename: a process starting meanwhile reads the old pointer or the new one, whole.
  const tmp = path.join(root, `${POINTER}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, JSON.stringify(pointer, null, 1));
  fs.renameSync(tmp, path.join(root, POINTER));
  pruneOldBuilds(root, id);
  if (!quiet)
    process.stderr.write(
      `[workdeck] compiled the server into ${path.relative(appRoot, outdir)} (${inputs.length} sources, ${Math.round(performance.now() - started)} ms)\n`,
    );
  return path.join(outdir, "cli.mjs");
}

function pruneOldBuilds(root, current) {
  const builds = fs
    .readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name.startsWith("build-") && d.name !== current)
    .map((d) => ({ name: d.name, mtime: fs.statSync(path.join(root, d.name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const old of builds.slice(KEEP_OLD)) fs.rmSync(path.join(root, old.name), { recursive: true, force: true });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await buildServer({ ifNeeded: process.argv.includes("--if-needed"), quiet: process.argv.includes("--quiet") });
  } catch (err) {
    // esbuild has printed the errors with their files and lines already.
    if (!err?.errors) process.stderr.write(`build:server failed: ${err?.message ?? err}\n`);
    process.exit(1);
  }
}
