import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readEnv } from "@/server/env";

/**
 * How tests and benches boot a runtime in-process: a config file naming their projects and the
 * environment `readEnv` builds from it. No Vitest import here, so the benches can share it.
 */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export type RuntimeEnvOptions = {
  /** The SQLite file's name inside the folder. */
  db?: string;
  logLevel?: "debug" | "info" | "warn" | "error" | "silent";
  /** More variables, on top of the process's and the ones above (WORKDECK_TOKEN, limits…). */
  env?: Record<string, string | undefined>;
};

/** `dir/config.json` naming one project, and the env of a runtime over `dir/<db>` (w.db) with that config, the repo as its app root. */
export function oneProjectEnv(dir: string, project: { slug: string; path: string }, opts: RuntimeEnvOptions = {}) {
  return configEnv(dir, { projects: [{ slug: project.slug, path: project.path }] }, opts);
}

/** `config` written to `dir/config.json`, and the env of a runtime over `dir/<db>` (w.db) with it, the repo as its app root. */
export function configEnv(dir: string, config: Record<string, unknown>, opts: RuntimeEnvOptions = {}) {
  const configPath = path.join(dir, "config.json");
  fs.writeFileSync(configPath, JSON.stringify(config));
  const dbPath = path.join(dir, opts.db ?? "w.db");
  const env = {
    ...readEnv({
      ...process.env,
      WORKDECK_DB: dbPath,
      WORKDECK_CONFIG: configPath,
      WORKDECK_LOG_LEVEL: opts.logLevel ?? "silent",
      ...opts.env,
    }),
    appRoot: repoRoot,
  };
  return { env, configPath, dbPath };
}

/** `dir/<name>` with an empty `openspec/` folder: a project with nothing in it yet. */
export function emptyProject(dir: string, name: string): string {
  const project = path.join(dir, name);
  fs.mkdirSync(path.join(project, "openspec"), { recursive: true });
  return project;
}

/** A copy of the demo workspace's billing-api at `dir/ws/billing-api`. */
export function billingApiCopy(dir: string): string {
  const project = path.join(dir, "ws", "billing-api");
  fs.cpSync(path.join(repoRoot, "examples/demo-workspace/billing-api"), project, { recursive: true });
  return project;
}
