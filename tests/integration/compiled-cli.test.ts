/**
 * The compiled server (issue 12): `npm run build:server` bundles server/cli and the ingest worker
 * into dist/server, and bin/workdeck.mjs runs them. Real commands, through bin/workdeck.mjs, on a
 * temp database, once from the build (WORKDECK_SERVER_BUILD=required: the build or an error, never
 * the sources) and once from the sources through tsx (=off); both must answer the same. A bundle
 * that cannot find its migrations, its worker or a chunk fails here.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { Worker } from "node:worker_threads";
import { beforeAll, describe, expect, it } from "vitest";
import type { IngestReply, IngestRequest } from "@/server/errors/ingest-thread";
import { sharedPath } from "../support/shared";
import { repoRoot, tempDemoWorkspace, tempDir } from "../support/temp";

const run = promisify(execFile);
const reports = sharedPath("playwright-sample", "reports");
const BIN = path.join(repoRoot, "bin/workdeck.mjs");

type Mode = "required" | "off";

/** The JSON an openspec command printed, without the timings `validate` reports per item. */
function withoutDurations(stdout: string): unknown {
  return JSON.parse(stdout, (key, value: unknown) => (key === "durationMs" ? undefined : value));
}

function workspace() {
  const dir = tempDir();
  const root = path.join(tempDemoWorkspace(), "billing-api");
  const config = path.join(dir, "config.json");
  fs.writeFileSync(config, JSON.stringify({ projects: [{ slug: "billing-api", path: root }] }));
  const dbPath = path.join(dir, "workdeck.db");
  const env = { ...process.env, WORKDECK_DB: dbPath, WORKDECK_CONFIG: config, WORKDECK_LOG_LEVEL: "warn", NO_COLOR: "1" };
  /** Exit code, stdout and stderr (`openspec validate` exits 1 on an invalid item, as the official CLI does). */
  const workdeckExit = async (mode: Mode, ...args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
        env: { ...env, WORKDECK_SERVER_BUILD: mode },
        cwd: dir,
        maxBuffer: 64 * 1024 * 1024,
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: unknown; stdout?: string; stderr?: string };
      if (typeof e.code !== "number") throw err;
      return { code: e.code, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
    }
  };
  /** Stdout of a command that must succeed. */
  const workdeck = async (mode: Mode, ...args: string[]) => {
    const r = await workdeckExit(mode, ...args);
    expect(r.code, `workdeck ${args.join(" ")} (${mode}): ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  return { dir, root, dbPath, workdeck, workdeckExit };
}

describe("the compiled CLI", () => {
  let built: { dir: string; stamp: string; inputs: string[] };

  beforeAll(async () => {
    // A build of the sources as they are now, as `npm run build:server` makes it.
    await run(process.execPath, [path.join(repoRoot, "scripts/build-server.mjs"), "--quiet"], { cwd: repoRoot });
    built = JSON.parse(fs.readFileSync(path.join(repoRoot, "dist/server/current.json"), "utf8"));
  }, 180_000);

  it("lists the build's inputs: every server source it compiled, none of node_modules", () => {
    expect(built.inputs).toEqual(
      expect.arrayContaining(["server/cli/main.ts", "server/errors/ingest-worker.ts", "server/db/client.ts", "package-lock.json"]),
    );
    expect(built.inputs.filter((f) => f.includes("node_modules"))).toEqual([]);
    for (const entry of ["cli.mjs", "ingest-worker.mjs"])
      expect(fs.existsSync(path.join(repoRoot, "dist/server", built.dir, entry))).toBe(true);
  });

  it("migrates, ingests and lists failure groups like the sources do", async () => {
    const compiled = workspace();
    const source = workspace();
    for (const w of [compiled, source]) {
      const mode: Mode = w === compiled ? "required" : "off";
      expect(await w.workdeck(mode, "db", "migrate")).toMatch(/^Migrated /);
      for (const n of [1, 2, 3]) {
        const summary = JSON.parse(
          await w.workdeck(mode, "ingest", path.join(reports, `run-${n}.json`), "--project", "billing-api", "--json"),
        );
        expect(summary).toMatchObject({ projectSlug: "billing-api", seq: n, duplicate: false, tests: 32 });
      }
    }
    const list = async (w: typeof compiled, mode: Mode) => {
      const groups = JSON.parse(await w.workdeck(mode, "errors", "list", "--project", "billing-api", "--json")) as Record<
        string,
        unknown
      >[];
      // Dates and ids are the run's own; everything else must agree.
      return groups.map(({ firstSeen: _f, lastSeen: _l, resolvedAt: _r, id: _i, ...g }) => g);
    };
    const fromBuild = await list(compiled, "required");
    expect(fromBuild.length).toBeGreaterThan(0);
    expect(fromBuild).toEqual(await list(source, "off"));
    // The same database read by the other path answers the same too.
    expect(await list(compiled, "off")).toEqual(fromBuild);
  }, 300_000);

  it("answers openspec list / show / validate exactly as the sources do", async () => {
    const { root, workdeck, workdeckExit } = workspace();
    for (const args of [
      ["list", "--json"],
      ["list", "--specs", "--json"],
      ["validate", "--all", "--json"],
    ]) {
      const fromBuild = await workdeckExit("required", "openspec", ...args, "--root", root);
      const fromSource = await workdeckExit("off", "openspec", ...args, "--root", root);
      expect(fromBuild.code).toBe(fromSource.code);
      expect(withoutDurations(fromBuild.stdout)).toEqual(withoutDurations(fromSource.stdout));
    }
    const changes = JSON.parse(await workdeck("required", "openspec", "list", "--json", "--root", root)) as { changes: { name: string }[] };
    expect(changes.changes.length).toBeGreaterThan(0);
    const show = ["show", changes.changes[0]!.name, "--type", "change", "--json", "--root", root];
    expect(await workdeck("required", "openspec", ...show)).toBe(await workdeck("off", "openspec", ...show));
  }, 300_000);

  it("lists sessions and installs hooks from the build", async () => {
    const { dir, workdeck } = workspace();
    expect(JSON.parse(await workdeck("required", "sessions", "list", "--json"))).toEqual([]);
    const settings = path.join(dir, "claude");
    const installed = JSON.parse(
      await workdeck("required", "hooks", "install", "--project", "billing-api", "--config-dir", settings, "--json"),
    );
    expect(installed).toMatchObject({ project: "billing-api", action: "installed" });
    expect(fs.existsSync(path.join(settings, "settings.json"))).toBe(true);
  });

  it("runs the compiled ingest worker: a report streamed to it is stored", async () => {
    const { dbPath, workdeck } = workspace();
    // The CLI creates the database and registers the project the worker stores into.
    await workdeck("required", "ingest", path.join(reports, "run-1.json"), "--project", "billing-api");
    const worker = new Worker(path.join(repoRoot, "server/errors/ingest-worker.mjs"), {
      env: { ...process.env, WORKDECK_SERVER_BUILD: "required" },
    });
    try {
      const reply = new Promise<IngestReply>((resolve, reject) => {
        worker.once("message", resolve);
        worker.once("error", reject);
      });
      const send = (m: IngestRequest) => worker.postMessage(m);
      send({
        type: "start",
        job: 1,
        dbPath,
        projectSlug: "billing-api",
        format: "auto",
        origin: { source: "compiled-cli test" },
        autoCheckpoint: 1000,
      });
      send({ type: "chunk", job: 1, data: new Uint8Array(fs.readFileSync(path.join(reports, "run-2.json"))) });
      send({ type: "end", job: 1 });
      const r = await reply;
      expect(r.type, JSON.stringify(r)).toBe("stored");
      if (r.type === "stored") expect(r.stored.summary).toMatchObject({ projectSlug: "billing-api", seq: 2, duplicate: false, tests: 32 });
    } finally {
      await worker.terminate();
    }
  });

  it("one-shot commands load neither the Agent SDK nor Next; errors list and ingest not even the runtime", async () => {
    const { dir, root, workdeck } = workspace();
    await workdeck("required", "db", "migrate");
    // Preloaded into the command: a resolve hook that fails the import of the packages named.
    fs.writeFileSync(
      path.join(dir, "refuse.mjs"),
      "let refused;\nexport function initialize(data) { refused = new RegExp(data.refuse); }\n" +
        "export async function resolve(specifier, context, next) {\n" +
        "  if (refused.test(specifier)) throw new Error(`loaded ${specifier}`);\n" +
        "  return next(specifier, context);\n}\n",
    );
    const guarded = async (refuse: string[], ...args: string[]) => {
      const guard = path.join(dir, `guard-${refuse.length}.mjs`);
      const pattern = `^(${refuse.map((p) => p.replace(/[/.]/g, "\\$&")).join("|")})(/|$)`;
      fs.writeFileSync(
        guard,
        `import { register } from "node:module";\nregister("./refuse.mjs", import.meta.url, { data: { refuse: ${JSON.stringify(pattern)} } });\n`,
      );
      const { stdout } = await run(process.execPath, ["--import", guard, BIN, ...args], {
        env: {
          ...process.env,
          WORKDECK_SERVER_BUILD: "required",
          WORKDECK_DB: path.join(dir, "workdeck.db"),
          WORKDECK_CONFIG: path.join(dir, "config.json"),
        },
      });
      return stdout;
    };
    const heavy = ["@anthropic-ai/claude-agent-sdk", "next"];
    // The runtime's logger and file watcher stand for the rest of it (session runner, OpenSpec service).
    const runtime = ["pino", "chokidar"];
    expect(
      JSON.parse(await guarded([...heavy, ...runtime], "ingest", path.join(reports, "run-1.json"), "--project", "billing-api", "--json")),
    ).toMatchObject({ seq: 1 });
    expect(
      JSON.parse(await guarded([...heavy, ...runtime], "errors", "list", "--project", "billing-api", "--json")).length,
    ).toBeGreaterThan(0);
    expect(JSON.parse(await guarded(heavy, "sessions", "list", "--json"))).toEqual([]);
    expect(JSON.parse(await guarded([...heavy, ...runtime], "openspec", "list", "--json", "--root", root)).changes.length).toBeGreaterThan(
      0,
    );
  });

  it("the server loads the MCP SDK, the Agent SDK and the config compiler only when it uses them", () => {
    const meta = JSON.parse(fs.readFileSync(path.join(repoRoot, "dist/server", built.dir, "meta.json"), "utf8")) as Metafile;
    // What `workdeck serve` loads before its first request: the CLI entry, then serve.ts's static imports.
    const atStart = staticGraph(meta, ["server/cli/main.ts", "server/http/serve.ts"]);
    expect(atStart.inputs.some((f) => f.startsWith("server/http/"))).toBe(true);
    expect(atStart.inputs.filter((f) => f.includes("node_modules/@modelcontextprotocol/"))).toEqual([]);
    // Redis (only with WORKDECK_REDIS_URL) and the report parsers (at the first report) neither (issue 12).
    expect(atStart.inputs.filter((f) => /node_modules\/(redis|@redis|fast-xml-parser)\//.test(f))).toEqual([]);
    expect(atStart.external.filter((p) => /^(@anthropic-ai\/claude-agent-sdk|esbuild|tsx)(\/|$)/.test(p))).toEqual([]);
    // They are still reachable, through import() where they are needed.
    expect(staticGraph(meta, ["server/mcp/http.ts"]).inputs.some((f) => f.includes("node_modules/@modelcontextprotocol/"))).toBe(true);
    expect(staticGraph(meta, ["node_modules/redis/dist/index.js"]).inputs.some((f) => f.includes("node_modules/@redis/client/"))).toBe(
      true,
    );
    expect(staticGraph(meta, ["server/errors/ingest.ts"]).inputs.some((f) => f.includes("node_modules/fast-xml-parser/"))).toBe(true);
  });

  it("refuses to run without a build when one is required, with one line saying what to do", async () => {
    const { dir } = workspace();
    // A checkout of its own, with the entry but no dist/: nothing to run.
    const bare = path.join(dir, "checkout");
    fs.mkdirSync(path.join(bare, "bin"), { recursive: true });
    for (const f of ["workdeck.mjs", "bundle.mjs", "hooks-send.mjs"])
      fs.copyFileSync(path.join(repoRoot, "bin", f), path.join(bare, "bin", f));
    const err = await run(process.execPath, [path.join(bare, "bin/workdeck.mjs"), "errors", "list"], {
      env: { ...process.env, WORKDECK_SERVER_BUILD: "required" },
    }).catch((e) => e as { code: number; stderr: string });
    expect(err).toMatchObject({ code: 1 });
    expect((err as { stderr: string }).stderr).toBe(
      "workdeck: WORKDECK_SERVER_BUILD=required but there is no compiled server: run `npm run build:server`\n",
    );
  });
});

type Metafile = {
  outputs: Record<
    string,
    { entryPoint?: string; inputs: Record<string, unknown>; imports: { path: string; kind: string; external?: boolean }[] }
  >;
};

/** The inputs and external packages an output loads with its static imports, from esbuild's metafile. */
function staticGraph(meta: Metafile, entryPoints: string[]): { inputs: string[]; external: string[] } {
  const todo = Object.keys(meta.outputs).filter((f) => entryPoints.includes(meta.outputs[f]!.entryPoint ?? ""));
  expect(todo.length).toBe(entryPoints.length);
  const seen = new Set<string>();
  const external = new Set<string>();
  while (todo.length) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const imp of meta.outputs[file]!.imports) {
      if (imp.kind !== "import-statement") continue;
      if (imp.external) external.add(imp.path);
      else todo.push(imp.path);
    }
  }
  return { inputs: [...seen].flatMap((f) => Object.keys(meta.outputs[f]!.inputs)), external: [...external] };
}
