/**
 * Issue 14, many instances, one Workdeck, on PostgreSQL: two real `workdeck serve` processes with
 * WORKDECK_DATABASE_URL on one real PostgreSQL (migrations applied at their start, no SQLite file
 * written). A report ingested through one is listed by the other, a triage decision made on one is
 * seen on the other, and a live event published on one reaches an events.subscribe stream of the
 * other (LISTEN/NOTIFY), resumable by id on either; so does what a one-shot `workdeck ingest`
 * stores, which `workdeck errors list` then lists. A database that cannot be reached, or that
 * refuses the password, stops serve with one line that never shows the password.
 */
import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import { freePort } from "../support/engines";
import { hookSession } from "../support/hook-payloads";
import { ensureNextBuild, subscribeEvents, trpcMutate, trpcQuery, type LiveEvents } from "../support/live-events";
import { startPostgres, type PostgresServer } from "../support/postgres";
import { sharedPath } from "../support/shared";
import { serveWorkdeck } from "../support/workdeck-server";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const report = fs.readFileSync(sharedPath("playwright-sample", "reports", "run-1.json"));
const root = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? "/tmp"), "workdeck-scaleout-pg-"));
type Server = Awaited<ReturnType<typeof serveWorkdeck>>;
type Failure = { id: number; decision: string };
const stops: (() => Promise<void>)[] = [];

let postgres: PostgresServer;
let configPath: string;
/** Where a SQLite file would go if anything still reached SQLite. */
const dbPath = path.join(root, "w.db");

beforeAll(async () => {
  ensureNextBuild();
  postgres = await startPostgres();
  stops.push(() => postgres.stop());
  fs.mkdirSync(path.join(root, "sample", "openspec"), { recursive: true });
  configPath = path.join(root, "config.json");
  fs.writeFileSync(configPath, JSON.stringify({ projects: [{ slug: "sample", path: path.join(root, "sample") }] }));
}, 900_000);

afterAll(async () => {
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
  fs.rmSync(root, { recursive: true, force: true });
});

const query = <T>(s: Server, procedure: string, input?: unknown) => trpcQuery<T>(s.baseURL, procedure, input);
const mutate = <T>(s: Server, procedure: string, input: unknown) => trpcMutate<T>(s.baseURL, procedure, input);
const triaged = (failureId: number, decision: string) => (e: WorkdeckEvent) =>
  e.type === "errors.triaged" && e.failureId === failureId && e.decision === decision;

/** A stream that is surely live: it has received an event its own server published after it opened. */
async function liveStream(s: Server, failureId: number): Promise<LiveEvents> {
  const live = await subscribeEvents(s.baseURL);
  for (let attempt = 0; ; attempt++) {
    const decision = attempt % 2 ? "one_off_fix" : "pending";
    await mutate(s, "errors.triageFailure", { failureId, decision, rationale: "scale-out test" });
    try {
      await live.next(triaged(failureId, decision), "its own server's event", 2_000);
      return live;
    } catch (err) {
      if (attempt >= 10) throw err;
    }
  }
}

describe("two workdeck serve processes on one PostgreSQL database", () => {
  let a: Server;
  let b: Server;
  let failures: Failure[];

  beforeAll(async () => {
    // Started together: both apply the migrations at start, one after the other (the advisory lock).
    [a, b] = await Promise.all(
      [0, 1].map(() => serveWorkdeck({ dbPath, configPath, env: { WORKDECK_LOG_LEVEL: "warn", WORKDECK_DATABASE_URL: postgres.url } })),
    );
    stops.push(a.stop, b.stop);
  }, 300_000);

  it("a report ingested through one is listed by the other, and no SQLite file is written", async () => {
    const res = await fetch(`${a.baseURL}/api/reports?project=sample&branch=main`, {
      method: "POST",
      body: report,
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(201);
    failures = await query<Failure[]>(b, "errors.listFailures");
    expect(failures.length).toBeGreaterThan(0);
    expect(failures).toEqual(await query<Failure[]>(a, "errors.listFailures"));
    expect(fs.existsSync(dbPath)).toBe(false);
  });

  it("a triage decision made on one is seen on the other", async () => {
    const target = failures[0]!;
    await mutate(b, "errors.triageFailure", { failureId: target.id, decision: "ignore", rationale: "decided on instance B" });
    const seen = (await query<Failure[]>(a, "errors.listFailures")).find((f) => f.id === target.id);
    expect(seen).toMatchObject({ id: target.id, decision: "ignore" });
  });

  it("a live event published on one reaches an events.subscribe stream of the other, resumable by id on either", async () => {
    const [first, second] = failures;
    const live = await liveStream(b, first!.id);
    try {
      await mutate(a, "errors.triageFailure", { failureId: second!.id, decision: "needs_spec", rationale: "scale-out test" });
      const event = await live.next(triaged(second!.id, "needs_spec"), "event published on A");
      const resumed = await subscribeEvents(b.baseURL, { lastEventId: event.id - 1 });
      try {
        expect(await resumed.next((e) => e.id === event.id, "the same event resumed on B")).toEqual(event);
      } finally {
        resumed.close();
      }
    } finally {
      live.close();
    }
  });
  it("every tab answers from PostgreSQL: its pages and reads, and a Claude Code session's hooks posted to one listed by the other", async () => {
    const hooks = hookSession("0f8e1c52-pg-serve", path.join(root, "sample"));
    for (const payload of [hooks.sessionStart(), hooks.prompt("fix the flaky test")]) {
      const res = await fetch(`${a.baseURL}/api/hooks`, {
        method: "POST",
        body: JSON.stringify(payload),
        headers: { "content-type": "application/json" },
      });
      expect(res.status).toBeLessThan(300);
    }
    const agents = await query<{ sessionId: string; projectSlug: string | null }[]>(b, "agents.listActive");
    expect(agents).toEqual([expect.objectContaining({ sessionId: "0f8e1c52-pg-serve", projectSlug: "sample" })]);
    const work = await query<{ type: string }[]>(b, "work.listAll");
    expect(work.filter((w) => w.type === "failure")).toHaveLength(failures.length);
    for (const [procedure, input] of [
      ["work.stats", undefined],
      ["work.activity", undefined],
      ["agents.getMetrics", undefined],
      ["sessions.list", undefined],
      ["accounts.list", undefined],
      ["settings.get", undefined],
      ["deploys.timeline", undefined],
      ["deploys.automations", undefined],
      ["errors.stats", undefined],
      ["errors.getFailure", { failureId: failures[0]!.id }],
    ] as const)
      await expect(query(b, procedure, input), procedure).resolves.toBeDefined();
    for (const page of ["/", "/work", "/board", "/errors", `/errors/${failures[0]!.id}`, "/sessions", "/agents", "/deploys", "/settings"]) {
      const res = await fetch(`${b.baseURL}${page}`);
      expect(res.status, page).toBe(200);
    }
  });

  it("the one-shot CLI works on the database too: an ingest's events reach a stream of A, and errors list shows the groups", async () => {
    const live = await liveStream(a, failures[0]!.id);
    try {
      const ingest = await workdeck(["ingest", sharedPath("playwright-sample", "reports", "run-2.json"), "--project", "sample", "--json"]);
      const summary = JSON.parse(ingest) as { seq: number; duplicate: boolean };
      expect(summary).toMatchObject({ seq: 2, duplicate: false });
      await live.next((e) => e.type === "errors.reportIngested" && e.seq === 2, "the CLI's ingest event");
    } finally {
      live.close();
    }
    const listed = JSON.parse(await workdeck(["errors", "list", "--project", "sample", "--json"])) as Failure[];
    expect(listed.map((f) => f.id).sort()).toEqual((await query<Failure[]>(b, "errors.listFailures")).map((f) => f.id).sort());
    expect(fs.existsSync(dbPath)).toBe(false);
  });
});

/** A one-shot `workdeck` command on the test database; its stdout. */
async function workdeck(args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(repoRoot, "bin/workdeck.mjs"), ...args], {
    cwd: repoRoot,
    env: {
      ...process.env,
      WORKDECK_DB: dbPath,
      WORKDECK_CONFIG: configPath,
      WORKDECK_LOG_LEVEL: "error",
      WORKDECK_DATABASE_URL: postgres.url,
    },
  });
  return stdout;
}

/** `workdeck serve` run until it exits (it must, on a bad database). */
function serveUntilExit(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, "bin/workdeck.mjs"), "serve", "--port", "0"], {
      cwd: repoRoot,
      env: {
        ...process.env,
        WORKDECK_DB: dbPath,
        WORKDECK_CONFIG: configPath,
        WORKDECK_LOG_LEVEL: "warn",
        NEXT_TELEMETRY_DISABLED: "1",
        ...env,
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => (child.kill("SIGKILL"), reject(new Error(`serve did not exit:\n${stderr}`))), 90_000);
    child.once("exit", (code) => (clearTimeout(timer), resolve({ code, stderr })));
  });
}

describe("a bad WORKDECK_DATABASE_URL", () => {
  it("unreachable: serve exits non-zero with one line naming the database without its password", async () => {
    const port = await freePort();
    const { code, stderr } = await serveUntilExit({
      WORKDECK_DATABASE_URL: `postgres://workdeck:hunter2-secret@127.0.0.1:${port}/workdeck`,
    });
    expect(code).not.toBe(0);
    const lines = stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("cannot open the PostgreSQL database");
    expect(lines[0]).toContain(`127.0.0.1:${port}/workdeck`);
    expect(stderr).not.toContain("hunter2-secret");
  }, 120_000);

  it("wrong password: serve exits non-zero with PostgreSQL's reason and without the password", async () => {
    // The test server trusts every login; this role must give its password.
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    try {
      await admin.query("CREATE ROLE workdeck_pw LOGIN PASSWORD 'right-password'");
      const hba = path.join(postgres.dataDir, "pg_hba.conf");
      fs.writeFileSync(hba, `host all workdeck_pw 127.0.0.1/32 scram-sha-256\n${fs.readFileSync(hba, "utf8")}`);
      await admin.query("SELECT pg_reload_conf()");
    } finally {
      await admin.end();
    }
    const url = postgres.url.replace("postgres://postgres@", "postgres://workdeck_pw:wrong-password-123@");
    const { code, stderr } = await serveUntilExit({ WORKDECK_DATABASE_URL: url });
    expect(code).not.toBe(0);
    const lines = stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("cannot open the PostgreSQL database");
    expect(lines[0]).toContain('password authentication failed for user "workdeck_pw"');
    expect(stderr).not.toContain("wrong-password-123");
  }, 120_000);
});
