/**
 * A report ingest killed with SIGKILL (issue 10 item 6): the run is staged in many short
 * transactions before one small one shows it, so a kill can land between any two of them. Readers
 * must then see the whole run or nothing of it, and the next ingest must store it whole and clear
 * what the killed one left. The real `workdeck ingest`, killed when the database shows it at each stage.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { generatePlaywrightReport } from "../../bench/generate-playwright";
import { repoRoot, tempDir } from "../support/temp";

const TESTS = 12_000;

function workspace() {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, "sample", "openspec"), { recursive: true });
  const config = path.join(dir, "config.json");
  fs.writeFileSync(config, JSON.stringify({ projects: [{ slug: "sample", path: path.join(dir, "sample") }] }));
  const report = path.join(dir, "report.json");
  fs.writeFileSync(report, generatePlaywrightReport({ tests: TESTS, run: 1 }));
  const dbPath = path.join(dir, "workdeck.db");
  const env = { ...process.env, WORKDECK_DB: dbPath, WORKDECK_CONFIG: config, WORKDECK_LOG_LEVEL: "warn", WORKDECK_FROM_SOURCE: "1" };
  const ingest = () =>
    spawn(process.execPath, [path.join(repoRoot, "bin/workdeck.mjs"), "ingest", report, "--project", "sample"], {
      env,
      cwd: dir,
      stdio: "ignore",
    });
  return { dbPath, ingest };
}

/** What a reader sees, and what the staged run holds (its results, not visible). */
function look(dbPath: string) {
  if (!fs.existsSync(dbPath)) return null;
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const n = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    const staged = db.prepare("SELECT id FROM reports WHERE project_slug LIKE 'pending:%'").pluck().all() as number[];
    return {
      reports: n("SELECT count(*) AS n FROM reports WHERE project_slug = 'sample'"),
      results: n("SELECT count(*) AS n FROM test_results tr JOIN reports r ON r.id = tr.report_id WHERE r.project_slug = 'sample'"),
      groups: n("SELECT count(*) AS n FROM test_failures WHERE project_slug = 'sample'"),
      allResults: n("SELECT count(*) AS n FROM test_results"),
      staged: staged.length,
      stagedResults: staged.length ? n(`SELECT count(*) AS n FROM test_results WHERE report_id IN (${staged.join(",")})`) : 0,
    };
  } catch {
    return null; // not migrated yet
  } finally {
    db.close();
  }
}

/** Runs `workdeck ingest` and SIGKILLs it as soon as `when` holds for what the database shows. */
async function killWhen(
  w: ReturnType<typeof workspace>,
  when: (seen: NonNullable<ReturnType<typeof look>>) => boolean,
): Promise<"killed" | "finished"> {
  const child = w.ingest();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let done = false;
  void exited.then(() => (done = true));
  while (!done) {
    const seen = look(w.dbPath);
    if (seen && when(seen)) {
      child.kill("SIGKILL");
      await exited;
      return "killed";
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return "finished";
}

/** All or nothing: no run, no result, no group; or the whole run. */
function expectWholeOrNothing(dbPath: string) {
  const seen = look(dbPath)!;
  if (seen.reports === 0) expect(seen).toMatchObject({ results: 0, groups: 0 });
  else {
    expect(seen.reports).toBe(1);
    expect(seen.results).toBe(TESTS);
    expect(seen.groups).toBeGreaterThan(0);
  }
  return seen;
}

describe("report ingest killed mid-way", () => {
  it(
    "leaves the run wholly visible or not at all, and the next ingest stores it whole and clears the rest",
    { timeout: 600_000 },
    async () => {
      const w = workspace();
      const stages: [string, (s: NonNullable<ReturnType<typeof look>>) => boolean][] = [
        ["staging begun", (s) => s.staged > 0],
        ["results half staged", (s) => s.stagedResults >= TESTS / 2],
        ["every result staged, not shown yet", (s) => s.stagedResults >= TESTS],
      ];
      let killed = 0;
      for (const [, when] of stages) {
        if ((await killWhen(w, when)) === "killed") killed++;
        const seen = expectWholeOrNothing(w.dbPath);
        if (seen.reports === 1) break;
      }
      // Each stage was really reached and killed there (the run never landed in between).
      expect(killed).toBe(stages.length);

      expect(await killWhen(w, () => false)).toBe("finished");
      const after = expectWholeOrNothing(w.dbPath);
      // The killed ingests' staged runs were swept: only the stored run's results remain.
      expect(after).toMatchObject({ reports: 1, results: TESTS, staged: 0, allResults: TESTS });
    },
  );
});
