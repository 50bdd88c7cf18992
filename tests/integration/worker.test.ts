/**
 * Issue 14, workers: a real `workdeck serve` (SQLite) whose only account runs on workers, and
 * real `workdeck worker` processes holding that account's login (an OAuth token in their own
 * environment, named by their own config), running the real Claude Code binary against the fake
 * Messages API. A session runs on the worker and its messages reach the server; a worker killed
 * with -9 mid-session loses it once its heartbeats stop (WORKDECK_WORKER_LOST_MS, short here),
 * and the session resumes on a second worker.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Session, SessionEvent } from "@/lib/schemas/sessions";
import type { WorkerSummary } from "@/lib/schemas/workers";
import { FakeAnthropic, mainAsking, withCredential } from "../support/fake-anthropic";
import { ensureNextBuild, trpcMutate, trpcQuery } from "../support/live-events";
import { waitFor } from "../support/session-harness";
import { repoRoot } from "../support/temp";
import { serveWorkdeck } from "../support/workdeck-server";
import { startWorkdeckWorker } from "../support/workdeck-worker";
import { freePort } from "../support/engines";

const root = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? "/tmp"), "workdeck-worker-"));
const workers: ChildProcess[] = [];
const output = new Map<string, () => string>();
let fake: FakeAnthropic;
let server: Awaited<ReturnType<typeof serveWorkdeck>>;

beforeAll(async () => {
  ensureNextBuild();
  fake = await FakeAnthropic.start();
  const project = path.join(root, "project");
  fs.mkdirSync(project, { recursive: true });
  const serverConfig = path.join(root, "server.config.json");
  fs.writeFileSync(
    serverConfig,
    JSON.stringify({
      projects: [{ slug: "demo", name: "Demo", path: project }],
      // The login is not on the server: only a worker can run this account.
      claude: {
        accounts: [{ id: "remote", configDir: path.join(root, "not-on-the-server"), runsOn: "worker" }],
        defaults: { permissionMode: "bypassPermissions", worktrees: false },
      },
    }),
  );
  server = await serveWorkdeck({
    dbPath: path.join(root, "w.db"),
    configPath: serverConfig,
    env: { WORKDECK_WORKER_LOST_MS: "4000", WORKDECK_LOG_LEVEL: "warn" },
  });
}, 300_000);

afterAll(async () => {
  for (const w of workers) w.kill("SIGKILL");
  // Closing the fake ends the requests a killed worker's Claude still waits on, so it exits.
  await fake?.close();
  await server?.stop();
  fs.rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

/** A `workdeck worker` holding account "remote": its config names the login, its environment holds it. */
function startWorker(name: string): ChildProcess {
  const worker = startWorkdeckWorker({
    name,
    serverURL: server.baseURL,
    dir: path.join(root, name),
    // Both workers share one Claude config dir, as two containers on one volume would: the second can resume the transcript.
    accounts: [{ id: "remote", configDir: path.join(root, "remote-claude"), oauthToken: "tok-remote" }],
    fakeUrl: fake.url,
  });
  output.set(name, worker.output);
  workers.push(worker.child);
  return worker.child;
}

const get = (id: number) => trpcQuery<Session>(server.baseURL, "sessions.get", { id });
const events = (id: number) => trpcQuery<SessionEvent[]>(server.baseURL, "sessions.events", { id });
const start = async (prompt: string) =>
  (await trpcMutate<{ id: number }>(server.baseURL, "sessions.start", { projectId: "demo", prompt })).id;

async function until(id: number, ok: (s: Session) => boolean, what: string, timeoutMs = 90_000): Promise<Session> {
  return waitFor(async () => {
    const s = await get(id);
    return ok(s) && s;
  }, timeoutMs).catch(async () => {
    throw new Error(
      `session ${id} never ${what}: ${JSON.stringify(await get(id))}\n${[...output].map(([n, o]) => `--- ${n}\n${o()}`).join("\n")}`,
    );
  });
}

it("a session of a worker's account runs on the worker, with the worker's login, and its messages reach the server", async () => {
  startWorker("w-one");
  await waitFor(async () => (await trpcQuery<WorkerSummary[]>(server.baseURL, "workers.list")).some((w) => w.name === "w-one"));
  fake.queue({ kind: "text", text: "Done on the worker." });
  const id = await start("say hello from the worker");

  const s = await until(id, (x) => x.status === "completed", "completed");
  expect(s).toMatchObject({ worker: "w-one", accountId: "remote", exitReason: "success" });
  expect(s.runs).toHaveLength(1);
  const texts = (await events(id)).filter((e) => e.type === "assistant").map((e) => JSON.stringify(e.payload));
  expect(texts.some((t) => t.includes("Done on the worker."))).toBe(true);
  // The worker's own login (its environment's OAuth token) answered; the server holds none.
  expect(fake.mainRequests.filter(withCredential("tok-remote")).length).toBeGreaterThan(0);
  const [listed] = await trpcQuery<WorkerSummary[]>(server.baseURL, "workers.list");
  expect(listed).toMatchObject({ name: "w-one", health: "healthy", accounts: [{ id: "remote", ready: true }] });
}, 180_000);

it("a worker killed mid-session loses it after the heartbeat limit, and it resumes on a second worker", async () => {
  const first = workers[0]!;
  fake.when(mainAsking("a long task"), { kind: "hang" }, { times: 1 });
  const id = await start("a long task");
  await until(id, (x) => x.status === "running" && x.worker === "w-one", "ran on w-one");
  await waitFor(() => fake.mainRequests.some(mainAsking("a long task")), 60_000);
  // Its first messages (the Claude session id among them) reached the server before the worker dies.
  await waitFor(async () => (await events(id)).some((e) => e.type === "system/init"), 30_000);

  first.kill("SIGKILL");
  const lost = await until(id, (x) => x.status === "interrupted", "was interrupted", 60_000);
  expect(lost).toMatchObject({ exitReason: "worker_lost", worker: "w-one" });
  expect(lost.exitMessage).toContain("w-one");
  expect((await events(id)).filter((e) => e.type === "workdeck/interrupted")).toHaveLength(1);

  startWorker("w-two");
  fake.queue({ kind: "text", text: "Picked up where it stopped." });
  await trpcMutate(server.baseURL, "sessions.resume", { id, text: "go on" });
  const resumed = await until(id, (x) => x.status === "completed", "completed on w-two");
  expect(resumed).toMatchObject({ worker: "w-two", accountId: "remote" });
  expect(resumed.runs).toHaveLength(2);
  expect(resumed.runs[1]).toMatchObject({ accountId: "remote", resumed: true, outcome: "success" });
  const texts = (await events(id)).filter((e) => e.type === "assistant").map((e) => JSON.stringify(e.payload));
  expect(texts.some((t) => t.includes("Picked up where it stopped."))).toBe(true);
}, 240_000);

it("a worker pointed at a server that is down says so in one line and keeps retrying; a bad URL stops it at once", async () => {
  const port = await freePort();
  const dir = path.join(root, "lonely");
  fs.mkdirSync(dir, { recursive: true });
  const config = path.join(dir, "worker.config.json");
  fs.writeFileSync(config, JSON.stringify({ claude: { accounts: [{ id: "remote", configDir: dir }] } }));
  const env: NodeJS.ProcessEnv = { NODE_ENV: "test", PATH: process.env.PATH, HOME: dir, WORKDECK_CONFIG: config };
  const args = (server: string) => [path.join(repoRoot, "bin/workdeck.mjs"), "worker", "--server", server, "--name", "lonely"];

  const down = spawn(process.execPath, args(`http://127.0.0.1:${port}`), { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
  workers.push(down);
  let out = "";
  down.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  down.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  await waitFor(() => out.includes(`cannot reach http://127.0.0.1:${port}`), 30_000);
  expect(out).toContain("retrying with backoff");
  // Still trying, and not saying it again on every attempt.
  await new Promise((r) => setTimeout(r, 3_000));
  expect(down.exitCode).toBeNull();
  expect(out.split("\n").filter((l) => l.includes("cannot reach"))).toHaveLength(1);

  const bad = spawn(process.execPath, args("workdeck.internal:3000"), { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  bad.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => bad.once("exit", resolve));
  expect(code).toBe(1);
  expect(err.trim()).toMatch(
    /^workdeck worker: --server must be an http:\/\/ or https:\/\/ URL|^workdeck worker: --server "workdeck.internal:3000" is not a URL/,
  );
}, 60_000);

it("a message sent to a session on a worker reaches its run, and Stop ends a run that hangs", async () => {
  fake.when(mainAsking("PING-FOLLOWUP"), { kind: "text", text: "Got your follow-up: PONG." }, { times: 1 });
  fake.when(mainAsking("SLOW-TASK"), { kind: "text", text: "First answer, slowly.", delayMs: 8_000 }, { times: 1 });
  const slow = await start("SLOW-TASK: answer when ready.");
  await until(slow, (x) => x.status === "running" && x.worker === "w-two", "ran on w-two");
  await waitFor(() => fake.mainRequests.some(mainAsking("SLOW-TASK")), 60_000);
  await trpcMutate(server.baseURL, "sessions.send", { id: slow, text: "PING-FOLLOWUP" });
  await until(slow, (x) => x.status === "completed", "completed");
  const texts = (await events(slow)).filter((e) => e.type === "assistant").map((e) => JSON.stringify(e.payload));
  expect(texts.some((t) => t.includes("Got your follow-up: PONG."))).toBe(true);

  fake.when(mainAsking("HANG-TASK"), { kind: "hang" }, { times: 1 });
  const hung = await start("HANG-TASK: this never returns.");
  await until(hung, (x) => x.status === "running" && x.worker === "w-two", "ran on w-two");
  await waitFor(() => fake.mainRequests.some(mainAsking("HANG-TASK")), 60_000);
  await trpcMutate(server.baseURL, "sessions.stop", { id: hung });
  const stopped = await until(hung, (x) => x.status === "stopped", "stopped", 60_000);
  expect(stopped).toMatchObject({ exitReason: "stopped", worker: "w-two" });
  expect((await events(hung)).filter((e) => e.type === "workdeck/stop_requested")).toHaveLength(1);
}, 180_000);

it("SIGTERM ends the worker's runs (their sessions become interrupted, resumable) and the worker exits", async () => {
  const second = workers.find((w) => w.spawnargs.includes("w-two"))!;
  fake.when(mainAsking("TERM-TASK"), { kind: "hang" }, { times: 1 });
  const id = await start("TERM-TASK: still going when the worker stops.");
  await until(id, (x) => x.status === "running" && x.worker === "w-two", "ran on w-two");
  await waitFor(() => fake.mainRequests.some(mainAsking("TERM-TASK")), 60_000);
  const exited = new Promise<number | null>((resolve) => second.once("exit", resolve));
  second.kill("SIGTERM");
  expect(await exited).toBe(0);
  expect(await get(id)).toMatchObject({ status: "interrupted", exitReason: "shutdown", worker: "w-two" });
}, 120_000);

it("a tool permission a worker's run asks for is listed by the server, and the answer reaches the run", async () => {
  startWorker("w-three");
  const file = path.join(root, "project", "from-the-worker.txt");
  fake.when(mainAsking("WRITE-TASK"), { kind: "tool_use", name: "Write", input: { file_path: file, content: "A\n" } }, { times: 1 });
  fake.queue({ kind: "text", text: "Written." });
  const { id } = await trpcMutate<{ id: number }>(server.baseURL, "sessions.start", {
    projectId: "demo",
    prompt: "WRITE-TASK: write one file",
    overrides: { permissionMode: "default" },
  });
  type Pending = { requestId: string; toolName: string };
  const [asked] = await waitFor(async () => {
    const pending = await trpcQuery<Pending[]>(server.baseURL, "sessions.pendingPermissions", { id });
    return pending.length > 0 && pending;
  }, 90_000);
  expect(asked).toMatchObject({ toolName: "Write" });
  expect(fs.existsSync(file)).toBe(false);

  await trpcMutate(server.baseURL, "sessions.answerPermission", { id, requestId: asked!.requestId, allow: true });
  const done = await until(id, (x) => x.status === "completed", "completed");
  expect(done).toMatchObject({ worker: "w-three", exitMessage: "Written." });
  expect(fs.readFileSync(file, "utf8")).toBe("A\n");
  expect(await trpcQuery<Pending[]>(server.baseURL, "sessions.pendingPermissions", { id })).toEqual([]);
}, 180_000);

it("a usage limit hit on a worker parks the account on the server, and the session waits queued for its reset", async () => {
  const resetsAt = Math.floor(Date.now() / 1000) + 3 * 3600;
  fake.when(mainAsking("LIMIT-TASK"), { kind: "usage_limit", resetsAt });
  const id = await start("LIMIT-TASK: this account is spent");
  const waiting = await until(id, (x) => x.status === "queued" && x.runs.length === 1 && x.runs[0]!.outcome !== null, "was requeued");
  expect(waiting).toMatchObject({ exitReason: "usage_limit", worker: "w-three" });
  expect(waiting.runs[0]).toMatchObject({ accountId: "remote", outcome: "usage_limit" });
  const accounts = await trpcQuery<{ id: string; state: string; limitedUntil: Date | null }[]>(server.baseURL, "accounts.list");
  const remote = accounts.find((a) => a.id === "remote")!;
  expect(remote.state).toBe("limited");
  expect(new Date(remote.limitedUntil!).getTime()).toBeGreaterThanOrEqual(resetsAt * 1000);
  // No worker takes it before the reset: it stays queued.
  await new Promise((r) => setTimeout(r, 2_000));
  expect((await get(id)).status).toBe("queued");
}, 180_000);

it("a worker with a wrong token says the server refused it and retries; with the server's token it is heard", async () => {
  const token = "worker-test-token-0123456789";
  const guarded = await serveWorkdeck({
    dbPath: path.join(root, "guarded.db"),
    configPath: path.join(root, "server.config.json"),
    token,
    env: { WORKDECK_LOG_LEVEL: "warn" },
  });
  try {
    const dir = path.join(root, "guarded");
    fs.mkdirSync(dir, { recursive: true });
    const config = path.join(dir, "worker.config.json");
    fs.writeFileSync(config, JSON.stringify({ claude: { accounts: [{ id: "remote", configDir: dir }] } }));
    const run = (name: string, workerToken: string) => {
      const env: NodeJS.ProcessEnv = {
        NODE_ENV: "test",
        PATH: process.env.PATH,
        HOME: dir,
        WORKDECK_CONFIG: config,
        WORKDECK_TOKEN: workerToken,
      };
      const child = spawn(
        process.execPath,
        [path.join(repoRoot, "bin/workdeck.mjs"), "worker", "--server", guarded.baseURL, "--name", name],
        {
          cwd: dir,
          env,
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      workers.push(child);
      const out = { text: "" };
      child.stdout!.on("data", (d: Buffer) => (out.text += d.toString()));
      child.stderr!.on("data", (d: Buffer) => (out.text += d.toString()));
      return { child, out };
    };
    const wrong = run("wrong-token", "not-the-token-0123456789");
    await waitFor(() => wrong.out.text.includes("refused the token (401)"), 30_000);
    expect(wrong.out.text).toContain("retrying with backoff");
    expect(wrong.child.exitCode).toBeNull();

    const right = run("right-token", token);
    await waitFor(() => right.out.text.includes("holding remote"), 30_000);
    const res = await fetch(`${guarded.baseURL}/api/trpc/workers.list`, { headers: { authorization: `Bearer ${token}` } });
    const names = JSON.stringify(await res.json());
    expect(names).toContain("right-token");
    expect(names).not.toContain("wrong-token");
  } finally {
    await guarded.stop();
  }
}, 120_000);
