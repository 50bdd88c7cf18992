/**
 * Issue 14, workers: a message stored just before a worker's run reaches its result, that the
 * worker's long poll has not brought yet (held here through WORKDECK_TEST_WORKER_HOLD_POLLS, as a
 * slow network would), is still answered: at the result, which ends the run's input, the worker
 * fetches the commands stored so far and applies them first. A real `workdeck serve`, a real
 * `workdeck worker`, the real Claude Code binary against the fake Messages API.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Session, SessionEvent } from "@/lib/schemas/sessions";
import type { WorkerSummary } from "@/lib/schemas/workers";
import { FakeAnthropic } from "../support/fake-anthropic";
import { ensureNextBuild, trpcMutate, trpcQuery } from "../support/live-events";
import { waitFor } from "../support/session-harness";
import { serveWorkdeck } from "../support/workdeck-server";
import { startWorkdeckWorker, type WorkerProcess } from "../support/workdeck-worker";

const root = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? "/tmp"), "workdeck-worker-late-"));
const project = path.join(root, "project");
const hold = path.join(root, "hold-polls");
let fake: FakeAnthropic;
let server: Awaited<ReturnType<typeof serveWorkdeck>>;
let worker: WorkerProcess | null = null;

beforeAll(async () => {
  ensureNextBuild();
  fake = await FakeAnthropic.start();
  fs.mkdirSync(project, { recursive: true });
  const serverConfig = path.join(root, "server.config.json");
  fs.writeFileSync(
    serverConfig,
    JSON.stringify({
      projects: [{ slug: "demo", name: "Demo", path: project }],
      claude: {
        accounts: [{ id: "remote", configDir: path.join(root, "not-on-the-server"), runsOn: "worker" }],
        defaults: { permissionMode: "bypassPermissions", worktrees: false },
      },
    }),
  );
  server = await serveWorkdeck({ dbPath: path.join(root, "w.db"), configPath: serverConfig, env: { WORKDECK_LOG_LEVEL: "warn" } });
}, 300_000);

afterAll(async () => {
  fs.rmSync(hold, { force: true });
  await worker?.kill("SIGKILL");
  await fake?.close();
  await server?.stop();
  fs.rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

const get = (id: number) => trpcQuery<Session>(server.baseURL, "sessions.get", { id });

it("a message stored before the run's result that the worker's long poll has not brought yet is still answered", async () => {
  // Whatever the long poll brings waits while this file exists: only the run's result can bring the message in.
  fs.writeFileSync(hold, "");
  worker = startWorkdeckWorker({
    name: "w-late",
    serverURL: server.baseURL,
    dir: path.join(root, "w-late"),
    accounts: [{ id: "remote", configDir: path.join(root, "remote-claude"), oauthToken: "tok-remote" }],
    fakeUrl: fake.url,
    env: { WORKDECK_TEST_WORKER_HOLD_POLLS: hold },
  });
  await waitFor(async () => (await trpcQuery<WorkerSummary[]>(server.baseURL, "workers.list")).some((w) => w.name === "w-late"));
  const go = path.join(root, "go");
  fake.queue(
    { kind: "tool_use", name: "Bash", input: { command: `until [ -f ${go} ]; do sleep 0.1; done; echo waited` } },
    { kind: "text", text: "Tool done." },
  );
  fake.fallbackText = "Done, docs too.";
  const id = (await trpcMutate<{ id: number }>(server.baseURL, "sessions.start", { projectId: "demo", prompt: "a task" })).id;
  await fake.waitFor((r) => r.main, 60_000);

  // Stored while the run still takes messages (its result comes only once the tool ends).
  await trpcMutate(server.baseURL, "sessions.send", { id, text: "also update the docs" });
  fs.writeFileSync(go, "");

  const s = await waitFor(async () => {
    const x = await get(id);
    return x.status !== "running" && x.status !== "queued" && x;
  }, 90_000).catch(() => {
    throw new Error(`session ${id} never ended\n${worker?.output()}`);
  });
  expect(s, worker.output()).toMatchObject({ status: "completed", worker: "w-late", exitMessage: "Done, docs too." });
  expect(JSON.stringify(fake.mainRequests.at(-1)?.body?.messages)).toContain("also update the docs");
  const said = (await trpcQuery<SessionEvent[]>(server.baseURL, "sessions.events", { id })).filter(
    (e) => e.type === "workdeck/user_message",
  );
  expect(said.map((e) => (e.payload as { text?: string }).text)).toContain("also update the docs");
}, 180_000);
