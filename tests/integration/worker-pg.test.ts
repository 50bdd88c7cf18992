/**
 * Issue 14, workers on PostgreSQL: a real PostgreSQL, two real `workdeck serve` processes on it
 * (WORKDECK_DATABASE_URL, each asking for the token), and real `workdeck worker` processes attached
 * to one serve or the other, holding the only account (`runsOn: "worker"`) with logins in their own
 * environments, running the real Claude Code binary against the fake Messages API. A session
 * started through one serve runs on a worker attached to the other, and its messages reach both;
 * a worker killed with -9 loses it once its heartbeats stop (WORKDECK_WORKER_LOST_MS, short here),
 * once for the pair of serves, and the session resumes on a second worker; a usage limit one
 * worker meets parks the account for every worker.
 *
 * Each worker's Claude carries its own OAuth token, so the fake's log says which worker asked.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session, SessionEvent } from "@/lib/schemas/sessions";
import type { WorkerSummary } from "@/lib/schemas/workers";
import { FakeAnthropic, mainAsking, withCredential, type LoggedRequest } from "../support/fake-anthropic";
import { ensureNextBuild, subscribeProcedure, trpcMutate, trpcQuery, type LiveStream } from "../support/live-events";
import { startPostgres, type PostgresServer } from "../support/postgres";
import { waitFor } from "../support/session-harness";
import { serveWorkdeck } from "../support/workdeck-server";
import { startWorkdeckWorker, type WorkerAccount, type WorkerProcess } from "../support/workdeck-worker";

type Server = Awaited<ReturnType<typeof serveWorkdeck>>;
const root = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? "/tmp"), "workdeck-worker-pg-"));
const TOKEN = "worker-pg-test-token-0123456789";
const auth = { token: TOKEN };
/** Two workers share the account's Claude config dir, as two containers on one volume would: the second can resume the transcript. */
const remoteConfigDir = path.join(root, "remote-claude");
const stops: (() => Promise<unknown>)[] = [];
const workers: WorkerProcess[] = [];

let postgres: PostgresServer;
let fake: FakeAnthropic;
let a: Server;
let b: Server;

beforeAll(async () => {
  ensureNextBuild();
  fake = await FakeAnthropic.start();
  postgres = await startPostgres();
  stops.push(() => postgres.stop());
  const project = path.join(root, "project");
  fs.mkdirSync(project, { recursive: true });
  fs.mkdirSync(path.join(root, "serve-home"), { recursive: true });
  const serveDir = (id: string) => {
    const dir = path.join(root, "serve-claude", id);
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  };
  const configPath = path.join(root, "server.config.json");
  fs.writeFileSync(
    configPath,
    JSON.stringify({
      projects: [{ slug: "demo", name: "Demo", path: project }],
      // Only workers may run these accounts, though a serve could try: their config dirs exist there
      // (a serve that did would run it itself, naming no worker).
      claude: {
        accounts: [
          { id: "remote", configDir: serveDir("remote"), runsOn: "worker" },
          { id: "other", configDir: serveDir("other"), runsOn: "worker" },
        ],
        defaults: { permissionMode: "bypassPermissions", worktrees: false },
      },
    }),
  );
  const env = {
    WORKDECK_DATABASE_URL: postgres.url,
    WORKDECK_WORKER_LOST_MS: "4000",
    WORKDECK_LOG_LEVEL: "warn",
    HOME: path.join(root, "serve-home"),
    ANTHROPIC_BASE_URL: fake.url,
  };
  // Started together: both migrate at start, one after the other (the advisory lock).
  [a, b] = await Promise.all([0, 1].map(() => serveWorkdeck({ dbPath: path.join(root, "unused.db"), configPath, token: TOKEN, env })));
  stops.push(a.stop, b.stop);
}, 900_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill("SIGKILL")));
  // Closing the fake ends the requests a killed worker's Claude still waits on, so it exits.
  await fake?.close();
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
  fs.rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

const get = (s: Server, id: number) => trpcQuery<Session>(s.baseURL, "sessions.get", { id }, auth);
const events = (s: Server, id: number) => trpcQuery<SessionEvent[]>(s.baseURL, "sessions.events", { id }, auth);
const workersOn = (s: Server) => trpcQuery<WorkerSummary[]>(s.baseURL, "workers.list", undefined, auth);
const start = async (s: Server, prompt: string, accountId?: string) =>
  (
    await trpcMutate<{ id: number }>(
      s.baseURL,
      "sessions.start",
      { projectId: "demo", prompt, ...(accountId ? { overrides: { accountId } } : {}) },
      auth,
    )
  ).id;
const assistantTexts = (list: SessionEvent[]) => list.filter((e) => e.type === "assistant").map((e) => JSON.stringify(e.payload));
const asked = (needle: string) => fake.mainRequests.filter(mainAsking(needle));

/** A worker attached to `server`, holding `remote` (and `extra` accounts), with a token of its own. */
async function attachWorker(name: string, server: Server, extra: WorkerAccount[] = []): Promise<WorkerProcess> {
  const w = startWorkdeckWorker({
    name,
    serverURL: server.baseURL,
    token: TOKEN,
    dir: path.join(root, name),
    accounts: [{ id: "remote", configDir: remoteConfigDir, oauthToken: `tok-${name}` }, ...extra],
    fakeUrl: fake.url,
  });
  workers.push(w);
  // Heard by the database, so by either serve.
  const other = server === a ? b : a;
  await waitFor(async () => (await workersOn(other)).some((x) => x.name === name && x.accounts.every((acc) => acc.ready)), 60_000).catch(
    () => {
      throw new Error(`worker ${name} never became ready:\n${w.output()}`);
    },
  );
  return w;
}

async function until(s: Server, id: number, ok: (x: Session) => boolean, what: string, timeoutMs = 90_000): Promise<Session> {
  return waitFor(async () => {
    const x = await get(s, id);
    // Every account here runs on workers: a run with no worker named is a serve's own.
    if (x.runs.length && x.worker === null) throw new Error("a serve ran it, not a worker");
    return ok(x) && x;
  }, timeoutMs).catch(async (err: Error) => {
    throw new Error(
      `session ${id} never ${what} (${err.message}): ${JSON.stringify(await get(s, id))}\n${workers.map((w) => `--- ${w.name}\n${w.output()}`).join("\n")}`,
    );
  });
}

describe("workdeck workers with two workdeck serve processes on one PostgreSQL database", () => {
  it("a session started through B runs on a worker attached to A, streams live to both serves, and no serve runs it", async () => {
    fake.when(mainAsking("HELLO-TASK"), { kind: "text", text: "Done on the worker." }, { times: 1 });
    fake.when(mainAsking("SECOND-TASK"), { kind: "text", text: "Also on the worker." }, { times: 1 });
    const id = await start(b, "HELLO-TASK: say hello from the worker");
    // Both streams are open before any worker exists, so every message they get arrives live.
    const streams: LiveStream<SessionEvent>[] = await Promise.all(
      [a, b].map((s) => subscribeProcedure<SessionEvent>(s.baseURL, "sessions.onEvents", { id }, auth)),
    );
    try {
      await attachWorker("w-one", a);
      // One started once the worker is there: each serve hears of it at once, yet only the worker may take it.
      const second = await start(a, "SECOND-TASK: and another");
      const done = await until(b, id, (x) => x.status === "completed", "completed");
      expect(done).toMatchObject({ worker: "w-one", accountId: "remote", exitReason: "success" });
      expect(done.runs).toHaveLength(1);
      expect(await get(a, id)).toMatchObject({ status: "completed", worker: "w-one", accountId: "remote" });
      expect(await until(a, second, (x) => x.status === "completed", "completed")).toMatchObject({ worker: "w-one", accountId: "remote" });

      const stored = await events(a, id);
      expect(await events(b, id)).toEqual(stored);
      expect(assistantTexts(stored).some((t) => t.includes("Done on the worker."))).toBe(true);
      const last = stored.at(-1)!.seq;
      for (const [i, stream] of streams.entries()) {
        await stream.next((e) => e.seq === last, `the last stored message on ${i ? "B" : "A"}'s onEvents`);
        expect(stream.events.map((e) => e.seq)).toEqual(stored.map((e) => e.seq));
        expect(assistantTexts(stream.events).some((t) => t.includes("Done on the worker."))).toBe(true);
      }

      // Claude ran where the worker's login is.
      expect(asked("HELLO-TASK").length).toBeGreaterThan(0);
      expect(asked("HELLO-TASK").every(withCredential("tok-w-one"))).toBe(true);
      expect(asked("SECOND-TASK").every(withCredential("tok-w-one"))).toBe(true);
      const [listed] = await workersOn(b);
      expect(listed).toMatchObject({ name: "w-one", health: "healthy", accounts: [{ id: "remote", ready: true }] });
    } finally {
      for (const s of streams) s.close();
    }
  }, 240_000);

  it("a worker killed mid-session loses it once for both serves after the heartbeat limit, and it resumes on a worker of the other serve", async () => {
    const one = workers.find((w) => w.name === "w-one")!;
    fake.when(mainAsking("LONG-TASK"), { kind: "hang" }, { times: 1 });
    const id = await start(b, "LONG-TASK: still working when the worker dies");
    await until(a, id, (x) => x.status === "running" && x.worker === "w-one", "ran on w-one");
    await fake.waitFor(mainAsking("LONG-TASK"), 60_000);
    // Its first messages (the Claude session id among them) reached the database before the worker dies.
    await waitFor(async () => (await events(b, id)).some((e) => e.type === "system/init"), 30_000);

    await one.kill("SIGKILL");
    const lost = await until(b, id, (x) => x.status === "interrupted", "was interrupted", 60_000);
    expect(lost).toMatchObject({ exitReason: "worker_lost", worker: "w-one" });
    expect(lost.exitMessage).toContain("w-one");
    expect(await get(a, id)).toMatchObject({ status: "interrupted", exitReason: "worker_lost" });

    await attachWorker("w-two", b);
    fake.when(mainAsking("GO-ON"), { kind: "text", text: "Picked up where it stopped." }, { times: 1 });
    await trpcMutate(a.baseURL, "sessions.resume", { id, text: "GO-ON" }, auth);
    const resumed = await until(a, id, (x) => x.status === "completed", "completed on w-two");
    expect(resumed).toMatchObject({ worker: "w-two", accountId: "remote" });
    expect(resumed.runs).toHaveLength(2);
    expect(resumed.runs[1]).toMatchObject({ accountId: "remote", resumed: true, outcome: "success" });
    const stored = await events(b, id);
    expect(assistantTexts(stored).some((t) => t.includes("Picked up where it stopped."))).toBe(true);
    // The second worker's Claude resumed the first one's conversation: the first prompt is in its request.
    const [resumeRequest] = asked("GO-ON") as [LoggedRequest];
    expect(resumeRequest.credential).toBe("tok-w-two");
    expect(JSON.stringify(resumeRequest.body?.messages)).toContain("LONG-TASK");
    // Interrupted once, though both serves sweep for lost workers (only the leader acts); by now
    // both have swept many times over, the resumed run included.
    expect(stored.filter((e) => e.type === "workdeck/interrupted")).toHaveLength(1);
    expect((await workersOn(a)).find((w) => w.name === "w-one")).toMatchObject({ health: "lost" });
  }, 300_000);

  it("a usage limit met on one worker parks the account for another worker, which goes on with its other account", async () => {
    const resetsAt = Math.floor(Date.now() / 1000) + 3 * 3600;
    fake.when(mainAsking("LIMIT-TASK"), { kind: "usage_limit", resetsAt });
    const limited = await start(a, "LIMIT-TASK: this account is spent", "remote");
    const waiting = await until(
      b,
      limited,
      (x) => x.status === "queued" && x.runs.length === 1 && x.runs[0]!.outcome !== null,
      "was requeued",
    );
    expect(waiting).toMatchObject({ exitReason: "usage_limit", worker: "w-two" });
    expect(waiting.runs[0]).toMatchObject({ accountId: "remote", outcome: "usage_limit" });
    for (const s of [a, b]) {
      const accounts = await trpcQuery<{ id: string; state: string; limitedUntil: Date | null }[]>(
        s.baseURL,
        "accounts.list",
        undefined,
        auth,
      );
      const remote = accounts.find((x) => x.id === "remote")!;
      expect(remote.state).toBe("limited");
      expect(new Date(remote.limitedUntil!).getTime()).toBeGreaterThanOrEqual(resetsAt * 1000);
    }

    // A second worker, on the other serve, holding "remote" (first) and "other". The limited
    // session was queued before the one below: had "remote" not been parked for it, its claim
    // would have taken that one first.
    await attachWorker("w-three", a, [{ id: "other", configDir: path.join(root, "other-claude"), oauthToken: "tok-other" }]);
    fake.when(mainAsking("OTHER-TASK"), { kind: "text", text: "Done on the other account." }, { times: 1 });
    const other = await start(b, "OTHER-TASK: on the account that is not spent", "other");
    expect(await until(a, other, (x) => x.status === "completed", "completed on w-three")).toMatchObject({
      worker: "w-three",
      accountId: "other",
    });

    expect(await get(a, limited)).toMatchObject({ status: "queued", worker: "w-two" });
    expect((await get(b, limited)).runs).toHaveLength(1);
    expect(asked("LIMIT-TASK").every(withCredential("tok-w-two"))).toBe(true);
  }, 300_000);
});
