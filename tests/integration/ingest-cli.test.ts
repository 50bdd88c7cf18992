/**
 * `workdeck ingest` fed files a CI job should never send (issue 10 item 7): each is refused with
 * exit 1 and one line a person can act on (no stack trace), and nothing is stored.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { sharedPath } from "../support/shared";
import { repoRoot, tempDir } from "../support/temp";

const run = promisify(execFile);
const sample = sharedPath("playwright-sample", "reports", "run-1.json");

function workspace(extraEnv: Record<string, string> = {}) {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, "sample", "openspec"), { recursive: true });
  const config = path.join(dir, "config.json");
  fs.writeFileSync(config, JSON.stringify({ projects: [{ slug: "sample", path: path.join(dir, "sample") }] }));
  const db = path.join(dir, "workdeck.db");
  const env = { ...process.env, WORKDECK_DB: db, WORKDECK_CONFIG: config, WORKDECK_LOG_LEVEL: "warn", ...extraEnv };
  const workdeck = async (args: string[], stdin?: string) => {
    const child = run(process.execPath, [path.join(repoRoot, "bin/workdeck.mjs"), ...args], { env, cwd: dir, maxBuffer: 16 * 1024 * 1024 });
    if (stdin !== undefined) child.child.stdin?.end(stdin);
    try {
      const { stdout, stderr } = await child;
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
    }
  };
  const reports = () => {
    if (!fs.existsSync(db)) return 0;
    const handle = new Database(db, { readonly: true });
    try {
      return (handle.prepare("SELECT count(*) AS n FROM reports").get() as { n: number }).n;
    } finally {
      handle.close();
    }
  };
  return { dir, workdeck, reports };
}

function expectRefused(result: { code: number; stderr: string }, says: RegExp) {
  expect(result.code).toBe(1);
  const lines = result.stderr.trim().split("\n");
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^workdeck: /);
  expect(lines[0]).toMatch(says);
  expect(result.stderr).not.toMatch(/\n\s+at |RangeError|Maximum call stack/);
}

describe("workdeck ingest with hostile files", () => {
  it("refuses describes nested 3,000 deep, a gzip file and invalid UTF-8 with a line that says why", async () => {
    const { dir, workdeck, reports } = workspace();
    const open = '{"title":"d","file":"a.spec.ts","specs":[],"suites":[';
    const files: [string, string | Buffer, RegExp][] = [
      ["deep.json", `{"suites":[${open.repeat(3000)}{"title":"x","specs":[]}${"]}".repeat(3000)}]}`, /more than 100 levels deep/],
      ["report.json.gz", Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]), /gzip-compressed/],
      [
        "latin1.json",
        Buffer.concat([Buffer.from('{"suites":[{"title":"caf'), Buffer.from([0xe9]), Buffer.from('","specs":[]}]}')]),
        /not valid UTF-8/,
      ],
    ];
    for (const [name, content, says] of files) {
      fs.writeFileSync(path.join(dir, name), content);
      expectRefused(await workdeck(["ingest", name, "--project", "sample"]), says);
    }
    expect(reports()).toBe(0);
  });

  it("applies the server's report size limit to files and to stdin", async () => {
    const { workdeck, reports } = workspace({ WORKDECK_MAX_REPORT_BYTES: "4096" });
    expectRefused(
      await workdeck(["ingest", sample, "--project", "sample"]),
      /run-1\.json is \d+\.\d KB; reports are limited to 4\.0 KB \(set WORKDECK_MAX_REPORT_BYTES/,
    );
    expectRefused(
      await workdeck(["ingest", "-", "--project", "sample"], fs.readFileSync(sample, "utf8")),
      /the report on stdin is over \d+\.\d KB; reports are limited to 4\.0 KB/,
    );
    expect(reports()).toBe(0);
  });
});
