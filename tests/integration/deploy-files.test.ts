/**
 * Issue 14: the Dockerfile and compose.yaml cannot be run here (no Docker), so they are held to
 * what can be checked: every command, flag, variable, file and route they name exists in this
 * checkout, the worker's Claude login is given to the worker only, and nothing runs as root.
 * The topology itself (serve on PostgreSQL, a worker) is tested with real processes elsewhere
 * (scaleout-pg-serve.test.ts, worker.test.ts).
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig } from "@/server/config";
import { repoRoot } from "../support/temp";

const run = promisify(execFile);

type Service = {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { disable?: boolean; test?: string[] };
};
const compose = parse(fs.readFileSync(path.join(repoRoot, "compose.yaml"), "utf8")) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const dockerfile = fs.readFileSync(path.join(repoRoot, "Dockerfile"), "utf8");

/** The WORKDECK_* variables the code reads: env.ts (the server's only reader) and the entry scripts. */
function variablesTheCodeReads(): Set<string> {
  const sources = [
    path.join(repoRoot, "server/env.ts"),
    ...fs.readdirSync(path.join(repoRoot, "bin")).map((f) => path.join(repoRoot, "bin", f)),
  ];
  return new Set(sources.flatMap((f) => fs.readFileSync(f, "utf8").match(/WORKDECK_[A-Z_]+/g) ?? []));
}

describe("compose.yaml", () => {
  it("runs the app on PostgreSQL and a worker, each from this repository's image", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["app", "db", "worker"]);
    const { app, worker, db } = compose.services;
    expect(db!.image).toMatch(/^postgres:\d+/);
    expect(app!.build).toBe(".");
    expect(worker!.build).toBe(".");
    expect(app!.environment!.WORKDECK_DATABASE_URL).toMatch(/^postgres:\/\/[^@]+@db:5432\//);
    expect(app!.depends_on).toEqual({ db: { condition: "service_healthy" } });
    expect(worker!.depends_on).toEqual({ app: { condition: "service_healthy" } });
    // Published on the host's loopback only: Workdeck starts agents that run code.
    expect(app!.ports).toEqual(["127.0.0.1:3000:3000"]);
    // Every named volume a service mounts is declared.
    const named = Object.values(compose.services)
      .flatMap((s) => s.volumes ?? [])
      .map((v) => v.split(":")[0]!)
      .filter((v) => !v.startsWith("."));
    expect(new Set(named)).toEqual(new Set(Object.keys(compose.volumes)));
  });

  it("names only variables the code reads, and requires the token on both app and worker", () => {
    const known = variablesTheCodeReads();
    for (const [name, service] of Object.entries(compose.services)) {
      for (const key of Object.keys(service.environment ?? {}).filter((k) => k.startsWith("WORKDECK_")))
        expect(known.has(key), `${name}: ${key} is read by nothing`).toBe(true);
    }
    for (const s of [compose.services.app!, compose.services.worker!])
      expect(s.environment!.WORKDECK_TOKEN).toMatch(/^\$\{WORKDECK_TOKEN:\?/);
  });

  it("gives the worker its command's real flags, and the account login to the worker only", async () => {
    const worker = compose.services.worker!;
    expect(worker.command![0]).toBe("worker");
    const { stdout: help } = await run(process.execPath, [path.join(repoRoot, "bin/workdeck.mjs"), "worker", "--help"]);
    for (const flag of worker.command!.filter((a) => a.startsWith("--"))) expect(help).toContain(flag);
    expect(worker.command![worker.command!.indexOf("--server") + 1]).toBe("http://app:3000");

    // The config both mount loads with the real loader; each worker account the worker runs has
    // its login variable set on the worker and never on the server.
    const mount = worker.volumes!.find((v) => v.startsWith("./"))!;
    const [hostPath, containerPath] = mount.split(":");
    expect(compose.services.app!.volumes).toContain(mount);
    expect(worker.environment!.WORKDECK_CONFIG).toBe(containerPath);
    const { config } = await loadConfig({ appRoot: repoRoot, configPath: path.join(repoRoot, hostPath!) });
    const runs = worker.command![worker.command!.indexOf("--accounts") + 1]!.split(",");
    const accounts = (config.claude?.accounts ?? []).filter((a) => runs.includes(a.id));
    expect(accounts.map((a) => a.id)).toEqual(runs);
    for (const a of accounts) {
      expect(a.runsOn).toBe("worker");
      expect(a.oauthTokenEnv).toBeTruthy();
      expect(Object.keys(worker.environment!)).toContain(a.oauthTokenEnv);
      expect(Object.keys(compose.services.app!.environment!)).not.toContain(a.oauthTokenEnv);
      // Its Claude folder is in the worker's own volume, which the app does not mount.
      const accountsVolume = worker.volumes!.find((v) => a.configDir.startsWith(`${v.split(":")[1]}/`));
      expect(accountsVolume, `${a.configDir} is on no worker volume`).toBeTruthy();
      expect(compose.services.app!.volumes).not.toContain(accountsVolume);
    }
  });
});

describe("Dockerfile", () => {
  it("builds with the repository's scripts, runs the command entry as a non-root user, and checks a route that exists", () => {
    const scripts = (JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { scripts: Record<string, string> })
      .scripts;
    expect(dockerfile).toContain("RUN npm ci");
    expect(scripts.build).toBeTruthy();
    expect(dockerfile).toMatch(/RUN npm run build/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile.lastIndexOf("USER node")).toBeGreaterThan(dockerfile.lastIndexOf("FROM "));
    const entry = /ENTRYPOINT \[(.*)\]/.exec(dockerfile)![1]!;
    expect(entry).toContain('"bin/workdeck.mjs"');
    expect(fs.existsSync(path.join(repoRoot, "bin/workdeck.mjs"))).toBe(true);
    const health = /HEALTHCHECK[\s\S]*?'(\/api\/[a-z]+)'/.exec(dockerfile)![1]!;
    expect(fs.existsSync(path.join(repoRoot, "app", health, "route.ts"))).toBe(true);
    for (const key of dockerfile.match(/WORKDECK_[A-Z_]+/g) ?? []) expect(variablesTheCodeReads().has(key), key).toBe(true);
    // The folders compose mounts volumes on exist in the image, owned by the user that runs it.
    for (const dir of ["/data", "/projects", "/home/node/.claude-accounts"])
      expect(dockerfile).toMatch(new RegExp(`chown node:node [^\\n]*${dir}`));
  });

  it("leaves local state and host builds out of the build context", () => {
    const ignored = fs.readFileSync(path.join(repoRoot, ".dockerignore"), "utf8").split("\n");
    for (const p of ["node_modules", ".next", "dist", "data", ".git", ".env*"]) expect(ignored).toContain(p);
  });
});
