import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describeConfigIssues, WorkdeckConfigSchema, type WorkdeckConfig } from "@/lib/schemas/config";

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly file: string | undefined,
  ) {
    super(file ? `Invalid Workdeck config (${file}):\n${message}` : `Invalid Workdeck config:\n${message}`);
    this.name = "ConfigError";
  }
}

export type LoadedConfig = {
  config: WorkdeckConfig;
  /** The file it came from; undefined when there is none and defaults apply. */
  file: string | undefined;
  /** Base for relative paths in the config. */
  baseDir: string;
};

const CONFIG_CANDIDATES = [
  "projects.config.ts",
  "projects.config.mts",
  "projects.config.mjs",
  "projects.config.js",
  "projects.config.json",
];

/** Finds, imports and validates the config. A bad file throws a ConfigError naming the field. */
export async function loadConfig(opts: { appRoot: string; configPath?: string }): Promise<LoadedConfig> {
  const file = opts.configPath ?? CONFIG_CANDIDATES.map((c) => path.join(opts.appRoot, c)).find((c) => fs.existsSync(c));
  if (!file) return { config: {}, file: undefined, baseDir: opts.appRoot };
  if (!fs.existsSync(file)) throw new ConfigError(`file not found`, file);

  let raw: unknown;
  try {
    raw = await importConfigModule(file);
  } catch (err) {
    throw new ConfigError(`could not load: ${(err as Error).message}`, file);
  }
  return { config: parseConfig(raw, file), file, baseDir: path.dirname(file) };
}

export function parseConfig(raw: unknown, file?: string): WorkdeckConfig {
  const result = WorkdeckConfigSchema.safeParse(raw ?? {});
  if (!result.success) throw new ConfigError(describeConfigIssues(result.error), file);
  return result.data;
}

async function importConfigModule(file: string): Promise<unknown> {
  if (file.endsWith(".json")) return JSON.parse(fs.readFileSync(file, "utf8"));
  const mod: { default?: unknown } =
    file.endsWith(".ts") || file.endsWith(".mts")
      ? await importTypeScript(file)
      : await import(`${pathToFileURL(file).href}?t=${Date.now()}`);
  // A CommonJS config may wrap its default export once more.
  let value: unknown = mod.default ?? mod;
  if (value && typeof value === "object" && "default" in value && Object.keys(value).length === 1) {
    value = (value as { default: unknown }).default;
  }
  return value;
}

/**
 * A TypeScript config, compiled with esbuild (tsx's compiler) into one module held in memory: a
 * plain `node` process loads it without tsx's loader hooks, which cost every CLI call a thread
 * and most of a second (issue 12). Its own imports are bundled in; `import.meta` and the
 * `require` bundled CommonJS code calls still name the config file.
 */
async function importTypeScript(file: string): Promise<{ default?: unknown }> {
  const esbuild = await import("esbuild");
  const url = pathToFileURL(file).href;
  const result = await esbuild.build({
    entryPoints: [file],
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    target: "node20",
    logLevel: "silent",
    define: {
      "import.meta.url": JSON.stringify(url),
      "import.meta.filename": JSON.stringify(file),
      "import.meta.dirname": JSON.stringify(path.dirname(file)),
    },
    banner: {
      js: `import { createRequire as __configRequire } from "node:module"; const require = __configRequire(${JSON.stringify(url)});`,
    },
  });
  const code = result.outputFiles[0]!.text;
  return import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`);
}

/** `~` and relative paths in the config are resolved against home and the config's folder. */
export function resolveConfigPath(p: string, baseDir: string): string {
  if (p === "~" || p.startsWith("~/")) return path.join(os.homedir(), p.slice(1));
  return path.resolve(baseDir, p);
}
