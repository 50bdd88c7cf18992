/**
 * The write plan of an ingest (issue 10 item 6): worked out from a snapshot before the write lock,
 * it must notice when another report of the project lands in between, and what the plan inserted
 * early (new test cases) must stay invisible until the run itself is stored.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { migrateDatabase, openDatabase } from "@/server/db/client";
import { EventBus } from "@/server/events/bus";
import { listFailures } from "@/server/errors/service";
import { ingestReport } from "@/server/errors/ingest";
import { planHolds, planWrite } from "@/server/errors/ingest-plan";
import { prepareReport, storeReport } from "@/server/errors/ingest-store";
import { ProjectRegistry } from "@/server/projects/service";
import { sharedPath } from "../support/shared";
import { repoRoot, tempDir } from "../support/temp";

const sampleReports = sharedPath("playwright-sample", "reports");
const readRun = (run: number) => fs.readFileSync(path.join(sampleReports, `run-${run}.json`));

function database() {
  const file = path.join(tempDir(), "w.db");
  const db = openDatabase(file);
  migrateDatabase(db, path.join(repoRoot, "drizzle"));
  return { file, db };
}

describe("ingest write plan", () => {
  it("no longer holds once another report of the project lands after the snapshot", () => {
    const { file, db } = database();
    const other = openDatabase(file);
    try {
      const plan = planWrite(db.$client, "sample", prepareReport(readRun(2)));
      expect(plan.seq).toBe(1);
      expect(planHolds(db.$client, "sample", plan)).toBe(true);

      storeReport(other.$client, "sample", prepareReport(readRun(1)));
      expect(planHolds(db.$client, "sample", plan)).toBe(false);
      // Another project's report does not matter to this one's plan.
      const fresh = planWrite(db.$client, "sample", prepareReport(readRun(2)));
      storeReport(other.$client, "elsewhere", prepareReport(readRun(1)));
      expect(planHolds(db.$client, "sample", fresh)).toBe(true);
    } finally {
      other.$client.close();
      db.$client.close();
    }
  });

  it("inserts new test cases before the run, invisible until the run is stored, and the run classifies as if written at once", () => {
    const { db } = database();
    const projects = new ProjectRegistry(db);
    projects.replace([{ slug: "sample", name: "sample", path: repoRoot, openspecRoot: repoRoot, source: "config" as const, problem: null }]);
    const deps = { db, bus: new EventBus(db), projects };

    planWrite(db.$client, "sample", prepareReport(readRun(1)));
    const cases = (db.$client.prepare("SELECT count(*) AS n FROM test_cases").get() as { n: number }).n;
    expect(cases).toBe(32);
    expect(listFailures(deps, { projectId: "sample" })).toEqual([]);
    expect((db.$client.prepare("SELECT count(*) AS n FROM test_results").get() as { n: number }).n).toBe(0);

    // The next ingest reuses those cases; the outcome is the one of a database that never saw the plan.
    for (const run of [1, 2, 3]) ingestReport(deps, { projectSlug: "sample", body: readRun(run) });
    const { db: clean } = database();
    const cleanDeps = { db: clean, bus: new EventBus(clean), projects };
    for (const run of [1, 2, 3]) ingestReport(cleanDeps, { projectSlug: "sample", body: readRun(run) });
    const view = (d: typeof deps) =>
      listFailures(d, { projectId: "sample" }).map((g) => ({ key: `${g.file} ${g.titlePath.join(" > ")}`, pattern: g.pattern, occurrences: g.occurrences, recentRuns: g.recentRuns, status: g.status }));
    expect(view(deps)).toEqual(view(cleanDeps));
    expect((db.$client.prepare("SELECT count(*) AS n FROM test_cases").get() as { n: number }).n).toBe(cases);
  });
});
