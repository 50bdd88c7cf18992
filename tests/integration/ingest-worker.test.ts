/**
 * POST /api/reports off the request thread (issue 10 item 6): the body streams to the ingest
 * worker, which parses and stores the report with its own SQLite connection, while this thread
 * keeps answering; the events are still published on this thread's bus, the result is the same as
 * an in-thread ingest, and bad bodies, limits and a dying worker are answered as before.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { POST as postReportRoute } from "@/app/api/reports/route";
import { POST as postHookRoute } from "@/app/api/hooks/route";
import { startRuntime, stopRuntime } from "@/server/runtime-boot";
import { listFailures } from "@/server/errors/service";
import { ingestReport } from "@/server/errors/ingest";
import { ingestThread } from "@/server/errors/ingest-thread";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import { generatePlaywrightReport } from "../../bench/generate-playwright";
import { hookSession } from "../support/hook-payloads";
import { streamedSpaces } from "../support/report-transport";
import { sharedPath } from "../support/shared";
import { repoRoot, tempDir } from "../support/temp";
import { emptyProject, oneProjectEnv } from "../support/runtime-env";

const reports = sharedPath("playwright-sample", "reports");

async function start(extraEnv: Record<string, string> = {}) {
  const dir = tempDir();
  const project = emptyProject(dir, "sample");
  const { env } = oneProjectEnv(dir, { slug: "sample", path: project }, { env: extraEnv });
  return { dir, runtime: await startRuntime(env, { watch: false }) };
}

const postReport = (body: BodyInit, query = "") =>
  postReportRoute(
    new Request(`http://127.0.0.1/api/reports?project=sample${query}`, { method: "POST", body, duplex: "half" } as RequestInit),
  );

const postHook = (payload: unknown) =>
  postHookRoute(new Request("http://127.0.0.1/api/hooks", { method: "POST", body: JSON.stringify(payload) }));

/** A body of one chunk that says when the route has read all of it. */
function watchedBody(bytes: Uint8Array) {
  let markRead!: () => void;
  const read = new Promise<void>((resolve) => (markRead = resolve));
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes);
    },
    pull(controller) {
      controller.close();
      markRead();
    },
  });
  return { stream, read };
}

afterEach(async () => {
  await ingestThread(repoRoot).stop();
  await stopRuntime();
});

describe("POST /api/reports off the request thread", () => {
  it("answers hook POSTs while a 20,000-test report is still being parsed and stored", async () => {
    const { dir, runtime } = await start();
    const agent = hookSession("s-during-ingest", path.join(dir, "sample"));
    const body = watchedBody(Buffer.from(generatePlaywrightReport({ tests: 20_000, run: 1 })));

    let reportAnswered = false;
    const report = postReport(body.stream).finally(() => (reportAnswered = true));
    await body.read;
    // The whole report is in; before, parsing and storing it held this thread until the answer.
    const answeredDuringIngest: boolean[] = [];
    for (const payload of [agent.sessionStart(), agent.prompt("hello"), agent.pre("t1", "Bash", { command: "ls" }), agent.stop()]) {
      const hook = await postHook(payload);
      expect(hook.status, await hook.clone().text()).toBe(201);
      answeredDuringIngest.push(!reportAnswered);
    }
    expect(answeredDuringIngest).toEqual([true, true, true, true]);

    const res = await report;
    expect(res.status, await res.clone().text()).toBe(201);
    expect(await res.json()).toMatchObject({ seq: 1, tests: 20_000, duplicate: false });
    const stored = runtime.db!.$client.prepare("SELECT count(*) AS n FROM test_results").get() as { n: number };
    expect(stored.n).toBe(20_000);
  });

  it("stores exactly what an in-thread ingest stores, and publishes the events on this thread's bus", async () => {
    const { runtime } = await start();
    const events: WorkdeckEvent[] = [];
    runtime.bus.on((e) => events.push(e));
    const viaRoute = [];
    for (const run of [1, 2, 3]) {
      const res = await postReport(fs.readFileSync(path.join(reports, `run-${run}.json`)));
      expect(res.status).toBe(201);
      viaRoute.push(await res.json());
    }
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(["errors.reportIngested", "errors.failureNew", "errors.failureUpdated"]),
    );
    expect(events.filter((e) => e.type === "errors.reportIngested").map((e) => (e as { seq: number }).seq)).toEqual([1, 2, 3]);

    const other = await (async () => {
      const dir = tempDir();
      const { openDatabase, migrateDatabase } = await import("@/server/db/client");
      const { EventBus } = await import("@/server/events/bus");
      const db = openDatabase(path.join(dir, "direct.db"));
      migrateDatabase(db, path.join(repoRoot, "drizzle"));
      return { db, bus: new EventBus(db), projects: runtime.projects };
    })();
    const direct = [1, 2, 3].map((run) =>
      ingestReport(other, { projectSlug: "sample", body: fs.readFileSync(path.join(reports, `run-${run}.json`)) }),
    );
    const strip = ({ durationMs: _d, ...rest }: { durationMs: number }) => rest;
    expect(viaRoute.map(strip)).toEqual(direct.map(strip));
    // Times are each ingest's own clock; everything else must match.
    const groups = async (deps: Parameters<typeof listFailures>[0]) =>
      (await listFailures(deps, { projectId: "sample" })).map(({ firstSeen, lastSeen, resolvedAt, ...g }) => ({
        ...g,
        first: firstSeen.seq,
        last: lastSeen.seq,
        resolved: resolvedAt !== null,
      }));
    expect(await groups(runtime)).toEqual(await groups(other));
    other.db.$client.close();
  });

  it("refuses a streamed body over the limit, stores nothing, and the worker goes on serving", async () => {
    const { runtime } = await start({ WORKDECK_MAX_REPORT_BYTES: String(256 * 1024) });
    const body = streamedSpaces(8 * 1024 * 1024, 32 * 1024);
    const refused = await postReport(body.stream);
    expect(refused.status).toBe(413);
    expect(body.sent()).toBeLessThan(8 * 1024 * 1024);
    expect((runtime.db!.$client.prepare("SELECT count(*) AS n FROM reports").get() as { n: number }).n).toBe(0);

    const ok = await postReport(fs.readFileSync(path.join(reports, "run-1.json")));
    expect(ok.status).toBe(201);
  });

  it("answers 500 without detail when the worker dies mid-report, and the next report gets a new worker", async () => {
    const { runtime } = await start();
    let feed!: ReadableStreamDefaultController<Uint8Array>;
    let askedForMore!: () => void;
    const firstChunkTaken = new Promise<void>((resolve) => (askedForMore = resolve));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        feed = controller;
        controller.enqueue(Buffer.from('{"suites":['));
      },
      pull: () => askedForMore(),
    });
    const pending = postReport(stream);
    await firstChunkTaken; // the job has started in the worker; the body is not complete
    await ingestThread(repoRoot).stop();
    try {
      feed.enqueue(Buffer.from("]}"));
      feed.close();
    } catch {
      // The route already stopped reading the upload (cancelled it) when it saw the worker gone.
    }
    const res = await pending;
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: "INTERNAL", message: "Ingest failed; see the server log." } });
    expect((runtime.db!.$client.prepare("SELECT count(*) AS n FROM reports").get() as { n: number }).n).toBe(0);

    const next = await postReport(fs.readFileSync(path.join(reports, "run-1.json")));
    expect(next.status).toBe(201);
  });

  it("ingests on the request thread when the database is in memory (a worker cannot share it)", async () => {
    await start({ WORKDECK_DB: ":memory:" });
    const res = await postReport(fs.readFileSync(path.join(reports, "run-1.json")));
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ seq: 1, tests: 32 });
  });
});
