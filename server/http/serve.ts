import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import nextEnv from "@next/env";
import { readSecret, type WorkdeckEnv } from "../env";
import { startRuntime, stopRuntime, type Runtime } from "../runtime-boot";
import { authCredentials } from "../auth/credentials";
import { edgeHandler } from "./edge";
import { assertListenAllowed } from "./security";

export type RunningServer = { url: string; runtime: Runtime; close(): Promise<void> };

/**
 * The dashboard server: Next's request handler behind our own HTTP edge, so
 * binding, token, Host, Origin and body-size checks run before any route.
 *
 * It binds before anything else (issue 10 item 1): a second `workdeck serve` on a taken port
 * or a bad host fails at once with one line, before it builds, opens the runtime or recovers
 * sessions, which belong to the server already there. Until the app is ready it answers 503.
 */
export async function serve(env: WorkdeckEnv, opts: { buildIfNeeded?: boolean; dev?: boolean } = {}): Promise<RunningServer> {
  assertListenAllowed(env.host, env.token);
  let handler: http.RequestListener | null = null;
  const server = http.createServer((req, res) => {
    if (handler) return handler(req, res);
    res.writeHead(503, { "content-type": "application/json", "retry-after": "1" }).end(JSON.stringify({ error: "Workdeck is starting" }));
  });
  // SSE subscriptions are long-lived; Node's default request timeout would cut them.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  await listen(server, env.port, env.host);
  const address = server.address();
  // With --port 0 the port is known only now; hooks of launched sessions need the real one.
  env = { ...env, port: typeof address === "object" && address ? address.port : env.port };
  const hostForUrl = env.host.includes(":") ? `[${env.host}]` : env.host;
  const url = `http://${hostForUrl}:${env.port}`;

  let runtime: Runtime | null = null;
  let nextApp: Promise<NextApp> | null = null;
  let app: NextApp | null = null;
  try {
    if (opts.buildIfNeeded && !opts.dev) ensureBuild(env.appRoot);
    // Next loads and prepares while the runtime opens the database and reads the projects: the two
    // wait on files at different moments (issue 12: first answer). Route handlers reach the
    // runtime only when a request arrives, after both.
    nextApp = prepareNext(env, Boolean(opts.dev));
    nextApp.catch(() => {}); // awaited below; a failure surfaces there
    // The OpenSpec cache warms once Next can answer: a first page does not wait for every project's read.
    runtime = await startRuntime(env, { watch: true, warm: false });
    // Hooks are answered as soon as the database is open, before Next is prepared (issue 12).
    // Login sessions and agent tokens live in the database, so every server process on it agrees.
    let nextHandle: http.RequestListener | null = null;
    handler = edgeHandler({
      bindHost: env.host,
      token: env.token,
      credentials: authCredentials(runtime.sqlStore),
      hooks: runtime,
      reports: runtime,
      webhooks: { ...runtime, readSecret: (name) => readSecret(name) },
      mcp: runtime,
      next: () => nextHandle,
    });
    app = await nextApp;
    const handle = app.getRequestHandler();
    nextHandle = (req, res) => void handle(req, res);
    void runtime.openspec.warm();
  } catch (err) {
    // Nothing half-started may keep the process (and the port) alive.
    server.closeAllConnections();
    server.close();
    await nextApp?.then((app) => app.close()).catch(() => {});
    await stopRuntime().catch(() => {});
    throw err;
  }
  runtime.log.info(`Workdeck listening on ${url}${env.token ? " (token required)" : ""}`);

  return {
    url,
    runtime,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app?.close();
      await stopRuntime();
    },
  };
}

/**
 * Serves with the config `next build` resolved and wrote beside its output, as Next's standalone
 * server does: otherwise Next compiles next.config.ts again at every start, and loads its native
 * SWC compiler (23 MB resident for the life of the process) for that alone (issue 12). Next then
 * skips its .env loading too, so it is done here, as Next does it. No build yet: Next loads both.
 */
function useBuiltConfig(appRoot: string): void {
  let config: unknown;
  try {
    config = (JSON.parse(fs.readFileSync(path.join(appRoot, ".next", "required-server-files.json"), "utf8")) as { config: unknown }).config;
  } catch {
    return;
  }
  if (!config || typeof config !== "object") return;
  nextEnv.loadEnvConfig(appRoot, false, { info: () => {}, error: () => {} });
  process.env.__NEXT_PRIVATE_STANDALONE_CONFIG = JSON.stringify(config);
}

type NextApp = { getRequestHandler(): (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>; close(): Promise<void> };

async function prepareNext(env: WorkdeckEnv, dev: boolean): Promise<NextApp> {
  const { default: next } = await import("next");
  if (!dev) useBuiltConfig(env.appRoot);
  const app = next({ dev, dir: env.appRoot, hostname: env.host, port: env.port });
  await app.prepare();
  return app;
}

/** Binds, or fails with one line a person can act on (never Node's stack or errno soup). */
function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => reject(new Error(listenFailure(err, port, host))));
    server.listen(port, host, () => resolve());
  });
}

function listenFailure(err: NodeJS.ErrnoException, port: number, host: string): string {
  switch (err.code) {
    case "EADDRINUSE":
      return `port ${port} on ${host} is already in use (another Workdeck?)`;
    case "EACCES":
      return `cannot listen on ${host}:${port}: permission denied (ports below 1024 need privileges; pick another with --port)`;
    case "EADDRNOTAVAIL":
      return `cannot listen on ${host}: it is not an address of this machine (use 127.0.0.1, or one this machine has)`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_FAIL":
    case "EAI_NONAME":
      return `cannot listen on ${host}: no such host`;
    default:
      return `cannot listen on ${host}:${port}: ${err.message}`;
  }
}

const BUILD_INPUTS = ["app", "lib", "server", "packages", "next.config.ts", "postcss.config.mjs", "package-lock.json", "tsconfig.json"];

/** Runs `next build` when there is no build or the sources changed since the last one. */
export function ensureBuild(appRoot: string, opts: { force?: boolean } = {}): void {
  const stampFile = path.join(appRoot, ".next", "workdeck-build-stamp");
  const stamp = sourceStamp(appRoot);
  const built = fs.existsSync(path.join(appRoot, ".next", "BUILD_ID"));
  if (!opts.force && built && fs.existsSync(stampFile) && fs.readFileSync(stampFile, "utf8") === stamp) return;
  process.stderr.write("[workdeck] building the dashboard (first start or sources changed)...\n");
  const result = spawnSync(process.execPath, [nextBinPath(appRoot), "build"], {
    cwd: appRoot,
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  });
  if (result.status !== 0) throw new Error(`next build failed (exit ${result.status ?? result.signal})`);
  fs.writeFileSync(stampFile, stamp);
}

function nextBinPath(appRoot: string): string {
  return path.join(appRoot, "node_modules", "next", "dist", "bin", "next");
}

/** A hash of the paths, sizes and mtimes of everything the build reads. */
function sourceStamp(appRoot: string): string {
  const hash = createHash("sha256");
  const visit = (p: string) => {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const name of fs.readdirSync(p).sort()) {
        if (name === "node_modules" || name === "test" || name === "tests" || name.startsWith(".")) continue;
        visit(path.join(p, name));
      }
    } else {
      hash.update(`${path.relative(appRoot, p)}:${st.size}:${st.mtimeMs}\n`);
    }
  };
  for (const input of BUILD_INPUTS) visit(path.join(appRoot, input));
  return hash.digest("hex");
}
