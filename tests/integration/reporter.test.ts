/**
 * workdeck/reporter (packages/reporter): options, sending (retries, backoff, HTTP errors) against
 * the real edge check + POST /api/reports route, and real Playwright runs that load the reporter
 * by path: the body it sends is byte for byte the file Playwright's own json reporter writes (the
 * reporter composes it, it has no serialiser of its own); Workdeck being down never changes the
 * run's exit code.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WorkdeckReporter, {
  formatFailure,
  formatSummary,
  resolveOptions,
  sendReport,
  type ResolvedOptions,
} from "../../packages/reporter/index.mjs";
import type { FailureGroup } from "@/lib/schemas/errors";
import { listFailures } from "@/server/errors/service";
import { ingestReport } from "@/server/errors/ingest";
import { closedPort, runPlaywright, startWorkdeck, type WorkdeckServer } from "../fixtures/playwright-suite/harness";
import { sharedPath } from "../support/shared";

const TOKEN = "reporter-test-token-0123456789abcdef";
const sampleReports = sharedPath("playwright-sample", "reports");
const sampleRun = (n: number) => fs.readFileSync(path.join(sampleReports, `run-${n}.json`));

let work: string;
let server: WorkdeckServer;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "workdeck-reporter-"));
  server = await startWorkdeck({ dir: work, slugs: ["sample", "builtin", "file"], token: TOKEN });
});

afterAll(async () => {
  await server?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const options = (over: Partial<ResolvedOptions> = {}): ResolvedOptions & { url: string; project: string } => ({
  ...resolveOptions({ url: server.url, project: "sample", token: TOKEN, retryDelayMs: 20, timeoutMs: 10_000 }, {}),
  ...over,
  url: over.url ?? server.url,
  project: over.project ?? "sample",
});

describe("options", () => {
  it("takes options first, then WORKDECK_URL / WORKDECK_PROJECT / WORKDECK_TOKEN, with defaults", () => {
    const env = { WORKDECK_URL: "http://127.0.0.1:4000/", WORKDECK_PROJECT: "from-env", WORKDECK_TOKEN: "env-token" };
    expect(resolveOptions({}, env)).toMatchObject({
      url: "http://127.0.0.1:4000",
      project: "from-env",
      token: "env-token",
      retries: 3,
      retryDelayMs: 1000,
      timeoutMs: 30_000,
      enabled: true,
    });
    expect(resolveOptions({ url: "http://h:1", project: "p", token: "t", retries: 0 }, env)).toMatchObject({
      url: "http://h:1",
      project: "p",
      token: "t",
      retries: 0,
    });
    expect(resolveOptions({ url: "  ", retries: -1 }, {})).toMatchObject({
      url: undefined,
      project: undefined,
      token: undefined,
      retries: 3,
    });
  });

  it("says what is missing instead of sending, and never throws from onEnd", async () => {
    const lines: string[] = [];
    const reporter = new WorkdeckReporter({ log: (l) => lines.push(l) });
    // Bypass env defaults for the test: the constructor read process.env, so clear what it read.
    Object.assign(reporter.options, { url: undefined, project: undefined });
    await expect(reporter.onEnd({ status: "passed", startTime: new Date(), duration: 1 })).resolves.toBeUndefined();
    expect(lines).toEqual([
      "[workdeck] not sending the report: set the reporter's url (or WORKDECK_URL) and project (or WORKDECK_PROJECT).",
    ]);
  });

  it("with no Playwright json reporter to run, says so in one line and sends nothing (it never writes the format itself)", async () => {
    // This process runs no Playwright, and the config folder (outside the repository) has none to resolve.
    const configDir = fs.mkdtempSync(path.join(os.tmpdir(), "workdeck-reporter-nopw-"));
    try {
      const lines: string[] = [];
      const reporter = new WorkdeckReporter({ url: server.url, project: "sample", token: TOKEN, log: (l) => lines.push(l) });
      const before = server.requests.length;
      const suite = { suites: [], allTests: () => [], entries: () => [] };
      reporter.onBegin({ configFile: path.join(configDir, "playwright.config.ts"), rootDir: configDir } as never, suite as never);
      await expect(reporter.onEnd({ status: "passed", startTime: new Date(), duration: 1 })).resolves.toBeUndefined();
      expect(lines).toEqual([
        expect.stringMatching(
          /^\[workdeck\] could not run Playwright's json reporter \(Playwright's json reporter was not found in the Playwright running this reporter \(1\.40 or later is needed\)\), so the report was not sent\. Instead, add \["json", \{ outputFile: "report\.json" \}\] to the reporters and run `workdeck ingest report\.json --project sample`\. Test results are unaffected\.$/,
        ),
      ]);
      expect(server.requests.length).toBe(before);
      expect(reporter.result).toBeUndefined();
    } finally {
      fs.rmSync(configDir, { recursive: true, force: true });
    }
  });
});

describe("sendReport against the real route", () => {
  it("201 with the ingest summary, then 200 duplicate for the same body; the token goes as a bearer", async () => {
    const body = sampleRun(1);
    const first = await sendReport(body, options());
    expect(first).toMatchObject({
      ok: true,
      status: 201,
      attempts: 1,
      summary: { projectSlug: "sample", seq: 1, duplicate: false, tests: 32, failuresNew: 8 },
    });
    expect(server.requests.at(-1)).toMatchObject({ authorization: `Bearer ${TOKEN}`, status: 201 });
    if (!first.ok) throw new Error("unreachable");
    const st = first.summary.stats;
    expect(formatSummary(first.summary, server.url)).toBe(
      `[workdeck] run #1 of "sample" ingested: 32 tests (${st.unexpected} failed, ${st.flaky} flaky, ${st.skipped} skipped, ${st.expected} passed); ` +
        `failure groups: 8 new, 0 updated, 0 resolved. ${server.url}/errors?project=sample`,
    );
    const again = await sendReport(body, options());
    expect(again).toMatchObject({ ok: true, status: 200, summary: { duplicate: true, seq: 1 } });
    if (again.ok) expect(formatSummary(again.summary, server.url)).toMatch(/already ingested as run #1 of "sample"; nothing changed/);
  });

  it("retries 5xx with backoff and succeeds", async () => {
    server.failNext(2, 503);
    const before = server.requests.length;
    const started = performance.now();
    const result = await sendReport(sampleRun(2), options({ retryDelayMs: 50 }));
    expect(result).toMatchObject({ ok: true, status: 201, attempts: 3, summary: { seq: 2 } });
    expect(server.requests.slice(before).map((r) => r.status)).toEqual([503, 503, 201]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(50 + 100 - 5); // 50 ms, then 100 ms
  });

  it("gives up after the retries on 5xx and on a closed port, with one clear line", async () => {
    server.failNext(10, 502);
    const down = await sendReport(sampleRun(3), options({ retries: 2 }));
    server.failNext(0, 503);
    expect(down).toMatchObject({ ok: false, status: 502, attempts: 3, transient: true, message: "temporarily unavailable" });
    if (!down.ok)
      expect(formatFailure(down, server.url)).toBe(
        "[workdeck] Workdeck did not accept the report (HTTP 502 after 3 attempts): temporarily unavailable",
      );

    const url = `http://127.0.0.1:${await closedPort()}`;
    const refused = await sendReport(sampleRun(3), options({ url, retries: 2 }));
    expect(refused).toMatchObject({ ok: false, status: undefined, attempts: 3, transient: true });
    if (!refused.ok) {
      expect(refused.message).toMatch(/ECONNREFUSED/);
      const line = formatFailure(refused, url);
      expect(line).toMatch(
        new RegExp(
          `^\\[workdeck\\] could not reach Workdeck at ${url} \\(.*ECONNREFUSED.*; 3 attempts\\): the report was not sent\\. Test results are unaffected\\.$`,
        ),
      );
      expect(line).not.toContain("\n");
    }
  });

  it("does not retry 4xx: wrong token, unknown project, a report with no tests", async () => {
    const before = server.requests.length;
    const wrongToken = await sendReport(sampleRun(3), options({ token: "wrong-token-wrong-token" }));
    expect(wrongToken).toMatchObject({
      ok: false,
      status: 401,
      attempts: 1,
      transient: false,
      message: "A valid Workdeck token is required",
    });
    const noToken = await sendReport(sampleRun(3), options({ token: undefined }));
    expect(noToken).toMatchObject({ ok: false, status: 401, attempts: 1 });
    const unknown = await sendReport(sampleRun(3), options({ project: "nope" }));
    expect(unknown).toMatchObject({ ok: false, status: 404, attempts: 1 });
    if (!unknown.ok) expect(unknown.message).toMatch(/^NOT_FOUND: Unknown project "nope"/);
    const empty = await sendReport(JSON.stringify({ config: {}, suites: [], errors: [] }), options());
    expect(empty).toMatchObject({ ok: false, status: 422, attempts: 1 });
    if (!empty.ok)
      expect(formatFailure(empty, server.url)).toMatch(
        /^\[workdeck\] Workdeck did not accept the report \(HTTP 422\): UNPROCESSABLE: The report contains no tests/,
      );
    expect(server.requests.length - before).toBe(4);
  });
});

describe("real Playwright runs through the reporter", () => {
  const keyOf = (g: FailureGroup) => `${g.file}::${g.titlePath.join(" > ")}::${g.projectName}`;
  const groupsOf = async (projectId: string) =>
    Object.fromEntries(
      (await listFailures(server.runtime, { projectId }))
        .map(
          (g) =>
            [
              keyOf(g),
              {
                fingerprint: g.fingerprint,
                pattern: g.pattern,
                suggestedDecision: g.suggestedDecision,
                heuristics: g.heuristics,
                occurrences: g.occurrences,
                lastMessage: g.lastMessage,
              },
            ] as const,
        )
        .sort(([a], [b]) => a.localeCompare(b)),
    );

  it("sends what Playwright's own json reporter writes, byte for byte: identical classifications", async () => {
    const jsonOut = path.join(work, "jobs.json");
    const before = server.requests.length;
    const run = await runPlaywright({
      config: "playwright.reporter.config.ts",
      outputDir: path.join(work, "out"),
      args: ["--grep", "jobs api|job queue|seeded database"],
      env: {
        RUN_INDEX: "2",
        WD_JSON_OUT: jsonOut,
        WD_REPORTERS: JSON.stringify([{ url: server.url, project: "builtin", token: TOKEN }]),
      },
    });
    expect(run.code, run.stderr).toBe(1); // failing tests: Playwright's verdict, not ours
    const lines = run.stdout.split("\n").filter((l) => l.startsWith("[workdeck]"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^\[workdeck\] run #1 of "builtin" ingested: 10 tests \(5 failed, 1 flaky, 2 skipped, 2 passed\); failure groups: 6 new, 0 updated, 0 resolved\. /,
    );
    expect(server.requests.slice(before).map((r) => [r.url, r.status])).toEqual([["/api/reports?project=builtin", 201]]);

    ingestReport(server.runtime, { projectSlug: "file", body: fs.readFileSync(jsonOut) });
    const fromFile = await groupsOf("file");
    expect(Object.keys(fromFile)).toHaveLength(6);
    expect(await groupsOf("builtin")).toEqual(fromFile);
    // The body is byte for byte the file Playwright's json reporter wrote in the same run.
    const body = server.requests.find((r) => r.url === "/api/reports?project=builtin")?.body;
    expect(body?.equals(fs.readFileSync(jsonOut))).toBe(true);
  });

  it("Workdeck down or not configured: one line each, and the run's exit code is untouched", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const run = await runPlaywright({
      config: "playwright.reporter.config.ts",
      outputDir: path.join(work, "out-down"),
      args: ["--grep", "drains the queue"],
      env: {
        RUN_INDEX: "1",
        WD_REPORTERS: JSON.stringify([{ url, project: "builtin", retries: 2, retryDelayMs: 50 }, { project: "builtin" }]),
      },
    });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const lines = run.stdout.split("\n").filter((l) => l.includes("[workdeck]"));
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(
          `^\\[workdeck\\] could not reach Workdeck at ${url} \\(.*ECONNREFUSED.*; 3 attempts\\): the report was not sent\\. Test results are unaffected\\.$`,
        ),
      ),
      "[workdeck] not sending the report: set the reporter's url (or WORKDECK_URL).",
    ]);
    expect(run.stderr).not.toMatch(/Error/);
  });
});
