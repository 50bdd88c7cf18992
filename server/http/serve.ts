import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import type { WorkdeckEnv } from "../env";
import { startRuntime, stopRuntime, type Runtime } from "../runtime-boot";
import { authCredentials } from "../services/auth-sessions";
import { assertListenAllowed, checkRequest, stampClientAddress } from "./security";

/** Body limit checked at the edge; routes apply their own, smaller or larger. */
const EDGE_BODY_LIMIT = 256 * 1024 * 1024;

export type RunningServer = { url: string; runtime: Runtime; close(): Promise<void> };

/**
 * The dashboard server: Next's request handler behind our own HTTP edge, so
 * binding, token, Host, Origin and body-size checks run before any route.
 */
export async function serve(env: WorkdeckEnv, opts: { buildIfNeeded?: boolean; dev?: boolean } = {}): Promise<RunningServer> {
  assertListenAllowed(env.host, env.token);
  if (opts.buildIfNeeded && !opts.dev) ensureBuild(env.appRoot);

  const runtime = await startRuntime(env, { watch: true, warm: true });
  const { default: next } = await import("next");
  const app = next({ dev: Boolean(opts.dev), dir: env.appRoot, hostname: env.host, port: env.port });
  const handle = app.getRequestHandler();
  await app.prepare();

  // Login sessions and agent tokens live in the database, so every server process on it agrees.
  const credentials = authCredentials(runtime.db);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://local");
    stampClientAddress(req.headers, req.socket.remoteAddress);
    const verdict = checkRequest(
      { method: req.method ?? "GET", pathname: url.pathname, headers: req.headers },
      { bindHost: env.host, token: env.token, maxBodyBytes: EDGE_BODY_LIMIT, credentials },
    );
    if (!verdict.ok) {
      if (verdict.redirectToLogin) {
        res.writeHead(303, { location: `/login?next=${encodeURIComponent(url.pathname + url.search)}` }).end();
        return;
      }
      res.writeHead(verdict.status, { "content-type": "application/json" }).end(JSON.stringify({ error: verdict.message }));
      return;
    }
    void handle(req, res);
  });
  // SSE subscriptions are long-lived; Node's default request timeout would cut them.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(env.port, env.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : env.port;
  const hostForUrl = env.host.includes(":") ? `[${env.host}]` : env.host;
  const url = `http://${hostForUrl}:${port}`;
  runtime.log.info(`Workdeck listening on ${url}${env.token ? " (token required)" : ""}`);

  return {
    url,
    runtime,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close?.();
      await stopRuntime();
    },
  };
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
