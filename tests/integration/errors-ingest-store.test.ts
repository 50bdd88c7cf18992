/**
 * Issue 14: report ingest, re-classification and failure evidence on the SQL port, the same tests
 * on a temp SQLite file and on a real PostgreSQL. The public Playwright sample (three real runs)
 * is ingested through the port, and through the ingest worker thread with its own connection, and
 * must be grouped and classified as expected.json says, and exactly as the synchronous SQLite
 * ingest stores it. The same report sent twice at once is stored once; a malformed one changes
 * nothing.
 */
import fs from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterEach, expect, it } from "vitest";
import { AppError } from "@/server/app-error";
import { migrateDatabase, openDatabase } from "@/server/db/client";
import { SqliteStore, type SqlStore } from "@/server/db/sql-store";
import { EventBus } from "@/server/events/bus";
import { failureEvidence } from "@/server/errors/attachments";
import { ingestReport, ingestReportInWorker, ingestReportOnStore, type ErrorsDeps, type IngestDeps } from "@/server/errors/ingest";
import { ingestThread } from "@/server/errors/ingest-thread";
import { classifyFailure, getFailure, listFailures, stats } from "@/server/errors/service";
import { ProjectRegistry } from "@/server/projects/service";
import type { FailureGroup } from "@/lib/schemas/errors";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import { describeEachDialect } from "../support/dialects";
import { classificationOf, readSampleExpected } from "../support/playwright-reports";
import { sharedPath } from "../support/shared";
import { repoRoot, tempDir } from "../support/temp";

const readRun = (run: number) => fs.readFileSync(sharedPath("playwright-sample", "reports", `run-${run}.json`));
const expected = readSampleExpected();
const TABLES = ["reports", "test_cases", "test_results", "test_failures", "error_triage", "events"] as const;

const closers: (() => void)[] = [];

/** The reference: the synchronous SQLite ingest into a file of its own; its project registry serves every instance. */
function reference(): ErrorsDeps & { events: WorkdeckEvent[] } {
  const dir = tempDir();
  const db = openDatabase(path.join(dir, "reference.db"));
  closers.push(() => db.$client.close());
  migrateDatabase(db, path.join(repoRoot, "drizzle"));
  const projects = new ProjectRegistry(SqliteStore.on(db.$client));
  projects.replace([{ slug: "sample", name: "sample", path: dir, openspecRoot: dir, source: "config", problem: null }]);
  const bus = new EventBus(db);
  const events: WorkdeckEvent[] = [];
  bus.on((e) => void events.push(e));
  return { db, bus, projects, events };
}

type Instance = IngestDeps & { sqlStore: SqlStore; events: WorkdeckEvent[] };
function instance(store: SqlStore, projects: ErrorsDeps["projects"]): Instance {
  const bus = new EventBus(null, store);
  const events: WorkdeckEvent[] = [];
  bus.on((e) => void events.push(e));
  return { sqlStore: store, bus, projects, events };
}

async function rowCounts(store: SqlStore): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) out[t] = Number((await store.get<{ n: number }>(sql`SELECT count(*) AS n FROM ${sql.identifier(t)}`))!.n);
  return out;
}

const keyOf = (g: Pick<FailureGroup, "file" | "titlePath" | "projectName">) => `${g.file}::${g.titlePath.join(" > ")}::${g.projectName}`;

/** Each test's group of its latest fingerprint, by key. */
async function currentGroups(deps: IngestDeps): Promise<Map<string, FailureGroup>> {
  const out = new Map<string, FailureGroup>();
  for (const g of await listFailures(deps, { projectId: "sample" })) {
    const prev = out.get(keyOf(g));
    if (!prev || g.lastSeen.seq > prev.lastSeen.seq) out.set(keyOf(g), g);
  }
  return out;
}

/** What expected.json says after `run`, against what is stored. */
async function expectClassifiedAsExpected(deps: IngestDeps, run: number): Promise<void> {
  const groups = await currentGroups(deps);
  for (const t of expected.tests) {
    const want = t.classification[String(run)];
    const got = groups.get(t.key);
    if (!want) {
      expect(got, `${t.key} after run ${run}: no failure group`).toBeUndefined();
      continue;
    }
    expect(got, `${t.key} after run ${run}`).toBeDefined();
    const detail = await getFailure(deps, { failureId: got!.id });
    const runsWith = (status: string) => detail.runs.filter((r) => r.status === status).map((r) => r.report.seq);
    expect(
      {
        class: got!.pattern,
        active: got!.active,
        occurrences: got!.occurrences,
        failureRuns: runsWith("unexpected"),
        flakyRuns: runsWith("flaky"),
        consecutiveFailuresAtEnd: got!.consecutiveFailures,
      },
      `${t.key} after run ${run}`,
    ).toEqual(classificationOf(want));
  }
}

/** A group as a person sees it, without the ids each database numbered on its own. */
const withoutIds = (g: FailureGroup) => ({
  ...g,
  id: 0,
  testCaseId: 0,
  firstSeen: { ...g.firstSeen, id: 0 },
  lastSeen: { ...g.lastSeen, id: 0 },
});

const bodyOf = (bytes: Uint8Array) =>
  (async function* () {
    yield bytes;
  })();

afterEach(async () => {
  await ingestThread(repoRoot).stop();
  for (const close of closers.splice(0)) close();
});

describeEachDialect("report ingest on the SQL port", ({ dialect, open, again, location }) => {
  /** What ingestReportInWorker needs: the worker opens its own connection, a PostgreSQL pool from the URL or the SQLite file. */
  function viaWorker(here: Instance) {
    if (dialect === "postgres") return { ...here, env: { appRoot: repoRoot, databaseUrl: location(here.sqlStore) } };
    const db = openDatabase(location(here.sqlStore));
    closers.push(() => db.$client.close());
    return { ...here, sqlStore: undefined, db, env: { appRoot: repoRoot } };
  }

  it("groups and classifies the public sample run by run as expected.json says, as the SQLite ingest does", async () => {
    const ref = reference();
    const here = instance(await open(), ref.projects);
    for (const run of expected.runs) {
      const summary = await ingestReportOnStore(here, { projectSlug: "sample", body: readRun(run) });
      expect(summary).toMatchObject({
        seq: run,
        duplicate: false,
        tests: expected.tests.length,
        stats: expected.expectedStats[String(run)],
      });
      const want = ingestReport(ref, { projectSlug: "sample", body: readRun(run) });
      expect({ ...summary, durationMs: 0 }).toEqual({ ...want, reportId: summary.reportId, durationMs: 0 });
      await expectClassifiedAsExpected(here, run);
    }
    expect((await listFailures(here)).map(withoutIds)).toEqual((await listFailures(ref)).map(withoutIds));
    expect(await stats(here)).toEqual(await stats(ref));
    const announced = (events: WorkdeckEvent[]) => events.map((e) => [e.type, "count" in e ? e.count : null]);
    expect(announced(here.events)).toEqual(announced(ref.events));
    expect(here.events.filter((e) => e.type === "errors.reportIngested")).toHaveLength(3);
  });

  it(`the ingest worker thread stores through its own connection (${dialect}), and re-classification and evidence read it back`, async () => {
    const ref = reference();
    const store = await open();
    const here = instance(store, ref.projects);
    const deps = viaWorker(here);
    for (const run of expected.runs) {
      const summary = await ingestReportInWorker(deps, { projectSlug: "sample", body: bodyOf(readRun(run)) });
      expect(summary).toMatchObject({ seq: run, duplicate: false, tests: expected.tests.length });
      ingestReport(ref, { projectSlug: "sample", body: readRun(run) });
    }
    await expectClassifiedAsExpected(here, 3);
    expect(here.events.filter((e) => e.type === "errors.reportIngested")).toHaveLength(3);

    // Re-classification through the port: the same verdict, nothing to write, nothing published.
    const group = (await currentGroups(here)).get(
      "integration/notes-api.spec.ts::notes api > POST /v1/notes/import accepts a PDF::tablet",
    )!;
    const before = here.events.length;
    const why = await classifyFailure(here, { failureId: group.id });
    expect(why.currentGroup).toBe(true);
    expect(why.classification).toMatchObject({ pattern: "recurring", suggestedDecision: "needs_spec", failureRuns: [1, 2, 3] });
    expect(why.failure).toEqual(group);
    expect(here.events.length).toBe(before);
    // A group changed behind the engine's back is put right, and announced.
    await store.run(sql`UPDATE test_failures SET occurrences = 99 WHERE id = ${group.id}`);
    expect((await classifyFailure(here, { failureId: group.id })).failure.occurrences).toBe(3);
    expect(here.events.at(-1)).toMatchObject({ type: "errors.failureUpdated", failureIds: [group.id] });

    // Evidence reads the stored attempts: the same as on the reference, for every group.
    const config = { config: {} };
    const refGroups = await currentGroups(ref);
    let attachments = 0;
    for (const [key, g] of await currentGroups(here)) {
      const got = await failureEvidence({ ...here, config }, g.id);
      const want = await failureEvidence({ ...ref, config }, refGroups.get(key)!.id);
      expect(got.source, key).toEqual(want.source);
      expect(
        got.attachments.map((a) => ({ ...a, reportId: 0 })),
        key,
      ).toEqual(want.attachments.map((a) => ({ ...a, reportId: 0 })));
      attachments += got.attachments.length;
    }
    expect(attachments).toBeGreaterThan(0);
  });

  it("the same report sent twice at once, through the worker and through another instance, is stored once", async () => {
    const ref = reference();
    const store = await open();
    const a = instance(store, ref.projects);
    const b = instance(await again(store), ref.projects);
    await ingestReportOnStore(a, { projectSlug: "sample", body: readRun(1) });

    const sent = await Promise.all([
      ingestReportInWorker(viaWorker(a), { projectSlug: "sample", body: bodyOf(readRun(2)) }),
      ingestReportOnStore(b, { projectSlug: "sample", body: readRun(2) }),
      ingestReportOnStore(a, { projectSlug: "sample", body: readRun(2) }),
    ]);
    expect(sent.filter((s) => !s.duplicate)).toHaveLength(1);
    expect(new Set(sent.map((s) => s.reportId))).toEqual(new Set([sent[0]!.reportId]));
    expect(sent.map((s) => s.seq)).toEqual([2, 2, 2]);

    ingestReport(ref, { projectSlug: "sample", body: readRun(1) });
    ingestReport(ref, { projectSlug: "sample", body: readRun(2) });
    const counts = await rowCounts(store);
    // The reference published its events on its own bus (stored in its file); here, through the port.
    expect(counts).toEqual(await rowCounts(SqliteStore.on(ref.db!.$client)));
    // No staged run left behind by the copies that lost.
    expect(await store.all(sql`SELECT id FROM reports WHERE project_slug LIKE 'pending:%'`)).toEqual([]);
    expect((await listFailures(a)).map(withoutIds)).toEqual((await listFailures(ref)).map(withoutIds));
  });

  it("a malformed report is refused and changes nothing, through the port and through the worker", async () => {
    const ref = reference();
    const store = await open();
    const here = instance(store, ref.projects);
    await ingestReportOnStore(here, { projectSlug: "sample", body: readRun(1) });
    const before = await rowCounts(store);
    const worker = viaWorker(here);
    const bad: { body: string; format?: "junit"; code: string }[] = [
      { body: '{"suites": [', code: "BAD_REQUEST" },
      {
        body: JSON.stringify({ config: {}, suites: [], errors: [], stats: { startTime: new Date(0).toISOString() } }),
        code: "UNPROCESSABLE",
      },
      { body: readRun(2).toString("utf8"), format: "junit", code: "BAD_REQUEST" },
    ];
    for (const { body, format, code } of bad) {
      await expect(ingestReportOnStore(here, { projectSlug: "sample", body, format }), body.slice(0, 20)).rejects.toMatchObject({ code });
      const refused = await ingestReportInWorker(worker, { projectSlug: "sample", body: bodyOf(Buffer.from(body)), format }).catch(
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(AppError);
      expect(refused).toMatchObject({ code });
      expect(await rowCounts(store)).toEqual(before);
    }
    await expect(ingestReportOnStore(here, { projectSlug: "nope", body: readRun(2) })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await rowCounts(store)).toEqual(before);
  });
});
