/**
 * The compiled server (dist/server/, written by scripts/build-server.mjs) and whether it still
 * matches the sources. WORKDECK_SERVER_BUILD chooses: `auto` (default) runs the build when it is
 * fresh and the sources through tsx otherwise; `off` always runs the sources; `required` runs the
 * current build even if sources changed since, and fails when there is none (tests and benches
 * that must exercise the compiled code, never quietly the sources). Each build goes to its own folder named in dist/server/current.json, so a
 * rebuild never pulls a lazily loaded chunk from under a process still running the previous one.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export const POINTER = "current.json";

export function bundleDir(appRoot) {
  return path.join(appRoot, "dist", "server");
}

/** A hash of the paths, sizes and mtimes of the build's inputs (a missing one counts as such). */
export function inputStamp(appRoot, inputs) {
  const hash = createHash("sha256");
  for (const rel of inputs) {
    let st = null;
    try {
      st = fs.statSync(path.join(appRoot, rel));
    } catch {}
    hash.update(st ? `${rel}:${st.size}:${st.mtimeMs}\n` : `${rel}:missing\n`);
  }
  return hash.digest("hex");
}

/** The current build's folder and pointer, or null when there is none or it cannot be read. */
export function currentBuild(appRoot) {
  try {
    const pointer = JSON.parse(fs.readFileSync(path.join(bundleDir(appRoot), POINTER), "utf8"));
    if (typeof pointer.dir !== "string" || typeof pointer.stamp !== "string" || !Array.isArray(pointer.inputs)) return null;
    return { ...pointer, path: path.join(bundleDir(appRoot), pointer.dir) };
  } catch {
    return null;
  }
}

/** The compiled CLI's file when a build exists and none of its sources changed since; null otherwise. */
export function freshBundle(appRoot, entry = "cli.mjs") {
  const build = currentBuild(appRoot);
  if (!build || inputStamp(appRoot, build.inputs) !== build.stamp) return null;
  const file = path.join(build.path, entry);
  return fs.existsSync(file) ? file : null;
}

/** The compiled file to run for `entry` under WORKDECK_SERVER_BUILD, or null to run the sources. */
export function compiledEntry(appRoot, entry, env = process.env) {
  const mode = env.WORKDECK_SERVER_BUILD || "auto";
  if (mode === "off") return null;
  if (mode !== "required") return freshBundle(appRoot, entry);
  const build = currentBuild(appRoot);
  const file = build && path.join(build.path, entry);
  if (!file || !fs.existsSync(file))
    throw new Error("WORKDECK_SERVER_BUILD=required but there is no compiled server: run `npm run build:server`");
  return file;
}
