/**
 * `workdeck ingest` and `workdeck errors list --json` as CI runs them: child processes against a
 * temp database and config, the public sample as input.
 */
import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { sharedPath } from "../support/shared";
import { repoRoot, tempDir } from "../support/temp";

const run = promisify(execFile);
const reports = sharedPath("playwright-sample", "reports");
const expected = JSON.parse(fs.readFileSync(sharedPath("playwright-sample", "expected.json"), "utf8")) as {
  tests: { key: string; classification: Record<string, { class: string; occurrences: number; active: boolean } | null> }[];
};

function workspace() {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, "sample", "openspec"), { recursive: true });
  const config = path.join(dir, "config.json");
  fs.writeFileSync(config, JSON.stringify({ projects: [{ slug: "sample", path: path.join(dir, "sample") }] }));
  const env = {
    ...process.env,
    WORKDECK_DB: path.join(dir, "workdeck.db"),
    WORKDECK_CONFIG: config,
    WORKDECK_LOG_LEVEL: "warn",
    NO_COLOR: "1",
  };
  const workdeck = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [path.join(repoRoot, "bin/workdeck.mjs"), ...args], {
        env,
        cwd: dir,
        maxBuffer: 64 * 1024 * 1024,
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
    }
  };
  /** Starts `workdeck …` and closes its stdout at once, like `| head` that has read enough. */
  const workdeckClosedStdout = (...args: string[]) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [path.join(repoRoot, "bin/workdeck.mjs"), ...args], {
        env,
        cwd: dir,
        stdio: ["ignore", "pipe", "pipe"],
      });
      child.stdout.destroy();
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
      child.on("close", (code) => resolve({ code, stderr }));
    });
  return { dir, env, workdeck, workdeckClosedStdout };
}

describe("workdeck ingest / errors list", () => {
  it("ingests the sample run by run and lists every failure group with the fields CI relies on", async () => {
    const { workdeck } = workspace();
    for (const n of [1, 2, 3]) {
      const r = await workdeck("ingest", path.join(reports, `run-${n}.json`), "--project", "sample", "--json");
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ projectSlug: "sample", seq: n, duplicate: false, tests: 32 });
    }
    const again = await workdeck("ingest", path.join(reports, "run-3.json"), "--project", "sample");
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/Already ingested as run 3/);

    const list = await workdeck("errors", "list", "--project", "sample", "--json");
    expect(list.code, list.stderr).toBe(0);
    const groups = JSON.parse(list.stdout) as Record<string, unknown>[];
    const byKey = new Map(groups.map((g) => [`${g.file}::${(g.titlePath as string[]).join(" > ")}::${g.projectName}`, g]));
    for (const t of expected.tests) {
      const want = t.classification["3"];
      const got = byKey.get(t.key);
      if (!want) {
        expect(got, t.key).toBeUndefined();
        continue;
      }
      expect(got, t.key).toMatchObject({ pattern: want.class, occurrences: want.occurrences, active: want.active });
    }
    for (const g of groups) {
      for (const field of [
        "file",
        "titlePath",
        "projectName",
        "pattern",
        "active",
        "decision",
        "suggestedDecision",
        "priority",
        "confidence",
        "rationale",
        "occurrences",
        "consecutiveFailures",
        "heuristics",
        "fingerprint",
        "lastMessage",
      ]) {
        expect(g, field).toHaveProperty(field);
      }
      expect(Object.keys(g.heuristics as object)).toEqual(
        expect.arrayContaining(["pathCategory", "notImplemented", "setupTeardown", "timeout"]),
      );
      expect(g.decision).toBe("pending");
    }
  });

  it("accepts JUnit XML and warns that flaky results are hidden", async () => {
    const { workdeck } = workspace();
    const r = await workdeck("ingest", path.join(reports, "run-2.junit.xml"), "--project", "sample");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/warning: JUnit cannot show flaky results/);
  });

  it("exits non-zero with a message on bad input, and stores nothing", async () => {
    const { dir, workdeck } = workspace();
    const truncated = path.join(dir, "truncated.json");
    fs.writeFileSync(truncated, fs.readFileSync(path.join(reports, "run-1.json")).subarray(0, 40_000));
    const notReport = path.join(dir, "package.json");
    fs.writeFileSync(notReport, JSON.stringify({ name: "not-a-report", version: "1.0.0" }));

    const cases: [string[], RegExp][] = [
      [["ingest", truncated, "--project", "sample"], /truncated|cut off|ends/i],
      [["ingest", notReport, "--project", "sample"], /Playwright/],
      [["ingest", path.join(reports, "run-1.json"), "--project", "nope"], /Unknown project "nope"/],
      [["ingest", path.join(dir, "missing.json"), "--project", "sample"], /no such file/],
      [["ingest", path.join(reports, "run-1.json")], /--project/],
      [["errors", "list", "--project", "nope", "--json"], /Unknown project "nope"/],
    ];
    for (const [args, message] of cases) {
      const r = await workdeck(...args);
      expect(r.code, args.join(" ")).not.toBe(0);
      expect(r.stderr, args.join(" ")).toMatch(message);
    }
    const list = await workdeck("errors", "list", "--project", "sample", "--json");
    expect(JSON.parse(list.stdout)).toEqual([]);
  });

  it("the same report sent by several processes at the same moment is stored once; the others get 'duplicate', not an error", async () => {
    const { workdeck } = workspace();
    const file = path.join(reports, "run-1.json");
    const results = await Promise.all([1, 2, 3].map(() => workdeck("ingest", file, "--project", "sample", "--json")));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const summaries = results.map((r) => JSON.parse(r.stdout) as { duplicate: boolean; seq: number });
    expect(summaries.filter((s) => !s.duplicate)).toHaveLength(1);
    expect(summaries.map((s) => s.seq)).toEqual([1, 1, 1]);
    const list = await workdeck("errors", "list", "--project", "sample", "--json");
    expect((JSON.parse(list.stdout) as { occurrences: number }[]).every((g) => g.occurrences === 1)).toBe(true);
  });

  it("`workdeck errors list | head`: a closed stdout ends quietly, without an EPIPE stack", async () => {
    const { workdeck, workdeckClosedStdout } = workspace();
    for (const n of [1, 2, 3]) expect((await workdeck("ingest", path.join(reports, `run-${n}.json`), "--project", "sample")).code).toBe(0);
    for (const args of [
      ["errors", "list", "--project", "sample"],
      ["errors", "list", "--project", "sample", "--json"],
    ]) {
      const r = await workdeckClosedStdout(...args);
      expect(r.stderr, args.join(" ")).not.toMatch(/EPIPE|Error|at /);
      expect(r.code, args.join(" ")).toBe(0);
    }
  });
});
