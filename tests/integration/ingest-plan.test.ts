/**
 * The write plan of an ingest (issue 10 item 6): the run is staged in short transactions where no
 * reader sees it, the groups are planned on a snapshot without the write lock, and one small
 * transaction shows everything at once. It must notice when another report of the project lands
 * in between, and write only the group rows that change.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { migrateDatabase, openDatabase, type Db } from "@/server/db/client";
import { EventBus } from "@/server/events/bus";
import { failureSummaries, getFailure, listFailures } from "@/server/errors/service";
import { ingestReport } from "@/server/errors/ingest";
import { planReclassify, reclassifyTestCases } from "@/server/errors/groups";
import {
  discardStage,
  flipHolds,
  prepareFlip,
  showStage,
  stageRun,
  sweepAbandonedStages,
  type ReportValues,
} from "@/server/errors/ingest-plan";
import { prepareReport, storeReport } from "@/server/errors/ingest-store";
import { SqliteStore } from "@/server/db/sql-store";
import { ProjectRegistry } from "@/server/projects/service";
import { sharedPath } from "../support/shared";
import { repoRoot, tempDir } from "../support/temp";

const sampleReports = sharedPath("playwright-sample", "reports");
const readRun = (run: number) => fs.readFileSync(path.join(sampleReports, `run-${run}.json`));

function database(file = path.join(tempDir(), "w.db")) {
  const db = openDatabase(file);
  migrateDatabase(db, path.join(repoRoot, "drizzle"));
  const projects = new ProjectRegistry(SqliteStore.on(db.$client));
  projects.replace([{ slug: "sample", name: "sample", path: repoRoot, openspecRoot: repoRoot, source: "config" as const, problem: null }]);
  return { file, db, deps: { db, bus: new EventBus(db), projects } };
}

const values = (contentHash: string): ReportValues => ({
  contentHash,
  format: "json",
  source: null,
  branch: null,
  commit: null,
  startedAt: null,
  durationMs: null,
  stats: "{}",
  runErrors: "[]",
  testCount: 0,
  ingestedAt: Date.now(),
});

/** Everything a person can see of the project's failures: the list, each group's detail, the counts. */
async function view(deps: ReturnType<typeof database>["deps"]) {
  const list = await listFailures(deps, { projectId: "sample" });
  const details = await Promise.all(list.map((g) => getFailure(deps, { failureId: g.id })));
  // All Work reads every project's groups at once.
  const everywhere = await failureSummaries(deps);
  const visibleResults = (
    deps.db.$client
      .prepare("SELECT count(*) AS n FROM test_results tr JOIN reports r ON r.id = tr.report_id WHERE r.project_slug = 'sample'")
      .get() as { n: number }
  ).n;
  const reports = (deps.db.$client.prepare("SELECT count(*) AS n FROM reports WHERE project_slug = 'sample'").get() as { n: number }).n;
  return { list, details, everywhere, visibleResults, reports };
}

/** The same, without ids and clocks: to compare two databases. */
async function shape(deps: ReturnType<typeof database>["deps"]) {
  return (await listFailures(deps, { projectId: "sample" }))
    .map((g) => ({
      key: `${g.file} ${g.titlePath.join(" > ")}`,
      fp: g.fingerprint,
      pattern: g.pattern,
      occurrences: g.occurrences,
      recentRuns: g.recentRuns,
      status: g.status,
      active: g.active,
    }))
    .sort((a, b) => (a.key + a.fp).localeCompare(b.key + b.fp));
}

const count = (db: Db, sql: string) => (db.$client.prepare(sql).get() as { n: number }).n;

describe("ingest write plan", () => {
  it("stages a run no reader sees, then shows it all at once, as if written in one go", async () => {
    const { db, deps } = database();
    ingestReport(deps, { projectSlug: "sample", body: readRun(1) });
    const before = await view(deps);

    const prepared = prepareReport(readRun(2));
    const stage = stageRun(db.$client, "sample", prepared, values(prepared.contentHash));
    const plan = prepareFlip(db.$client, "sample", stage);
    // Staged: every result is stored, the first groups of tests new to failing too, and nothing a reader asks for has changed.
    expect(count(db, `SELECT count(*) AS n FROM test_results WHERE report_id = ${stage.reportId}`)).toBe(stage.run.size);
    expect(plan.hidden).toBeGreaterThan(0);
    expect(count(db, `SELECT count(*) AS n FROM test_failures WHERE project_slug = '${stage.marker}'`)).toBe(plan.hidden);
    expect(await view(deps)).toEqual(before);

    db.$client.transaction(() => showStage(db.$client, "sample", prepared, stage, plan, [], Date.now())).immediate();
    const { deps: clean } = database();
    for (const run of [1, 2]) ingestReport(clean, { projectSlug: "sample", body: readRun(run) });
    expect(await shape(deps)).toEqual(await shape(clean));
    expect((await view(deps)).visibleResults).toBe((await view(clean)).visibleResults);
  });

  it("plans again under the lock when another report of the project lands after the snapshot", async () => {
    const { file, db, deps } = database();
    const other = openDatabase(file);
    try {
      ingestReport(deps, { projectSlug: "sample", body: readRun(1) });
      const prepared = prepareReport(readRun(3));
      const stage = stageRun(db.$client, "sample", prepared, values(prepared.contentHash));
      const plan = prepareFlip(db.$client, "sample", stage);
      expect(plan.seq).toBe(2);
      expect(flipHolds(db.$client, "sample", plan)).toBe(true);

      // Another process stores run 2 meanwhile: the staged run lands after it, as run 3.
      storeReport(other.$client, "sample", prepareReport(readRun(2)));
      expect(flipHolds(db.$client, "sample", plan)).toBe(false);
      const shown = db.$client.transaction(() => showStage(db.$client, "sample", prepared, stage, plan, [], Date.now())).immediate();
      expect(shown.seq).toBe(3);

      const { deps: clean } = database();
      for (const run of [1, 2, 3]) ingestReport(clean, { projectSlug: "sample", body: readRun(run) });
      expect(await shape(deps)).toEqual(await shape(clean));
    } finally {
      other.$client.close();
    }
  });

  it("writes only the group rows that change: planning again with nothing new writes nothing", () => {
    const { db, deps } = database();
    for (const run of [1, 2, 3]) ingestReport(deps, { projectSlug: "sample", body: readRun(run) });
    const cases = (db.$client.prepare("SELECT DISTINCT test_case_id FROM test_failures").pluck().all() as number[]).sort((a, b) => a - b);
    expect(cases.length).toBeGreaterThan(5);
    expect(planReclassify(db.$client, "sample", cases).writes).toEqual([]);
    const outcome = db.$client.transaction(() => reclassifyTestCases(db.$client, "sample", cases))();
    expect(outcome).toMatchObject({ newIds: [], updatedIds: [], resolvedIds: [] });
  });

  it("a staged run that is given up (or whose process died) leaves nothing behind", async () => {
    const { db, deps } = database();
    ingestReport(deps, { projectSlug: "sample", body: readRun(1) });
    const rows = () => ({
      results: count(db, "SELECT count(*) AS n FROM test_results"),
      reports: count(db, "SELECT count(*) AS n FROM reports"),
      groups: count(db, "SELECT count(*) AS n FROM test_failures"),
    });
    const before = rows();

    const prepared = prepareReport(readRun(2));
    const stage = stageRun(db.$client, "sample", prepared, values(prepared.contentHash));
    expect(rows().results).toBeGreaterThan(before.results);
    prepareFlip(db.$client, "sample", stage);
    discardStage(db.$client, stage);
    expect(rows()).toEqual(before);

    // A stage of a process that is gone: swept by the next ingest (here: a pid that cannot exist).
    const orphan = stageRun(db.$client, "sample", prepared, values(prepared.contentHash));
    prepareFlip(db.$client, "sample", orphan);
    const dead = orphan.marker.replace(`pending:${process.pid}:`, "pending:2147483646:");
    db.$client.prepare("UPDATE reports SET project_slug = ? WHERE id = ?").run(dead, orphan.reportId);
    db.$client.prepare("UPDATE test_failures SET project_slug = ? WHERE project_slug = ?").run(dead, orphan.marker);
    expect(sweepAbandonedStages(db.$client)).toBe(1);
    expect(rows()).toEqual(before);
    ingestReport(deps, { projectSlug: "sample", body: readRun(2) });
    const { deps: clean } = database();
    for (const run of [1, 2]) ingestReport(clean, { projectSlug: "sample", body: readRun(run) });
    expect(await shape(deps)).toEqual(await shape(clean));
  });
});
