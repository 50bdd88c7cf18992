/**
 * POST /api/reports fed hostile bodies (issue 10 item 7), at the edge and through the route: every
 * one is answered with a 4xx JSON error a person can act on, nothing is stored, and no response
 * names a path of the server (the repo, the temp folder, the database) or carries a stack trace.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "@/server/runtime";
import { startRuntime, stopRuntime } from "@/server/runtime-boot";
import { reportPoster, TRANSPORTS, type Transport } from "../support/report-transport";
import { sharedPath } from "../support/shared";
import { configEnv } from "../support/runtime-env";
import { repoRoot } from "../support/temp";

const sample = fs.readFileSync(sharedPath("playwright-sample", "reports", "run-1.json"), "utf8");
const sampleJunit = fs.readFileSync(sharedPath("playwright-sample", "reports", "run-1.junit.xml"), "utf8");

/** A minimal valid report whose one spec can be bent into each hostile shape. */
function report(spec: Record<string, unknown> = {}, extra: Record<string, unknown> = {}, test: Record<string, unknown> = {}) {
  return JSON.stringify({
    config: { rootDir: "/ci/app/tests" },
    suites: [
      {
        title: "a.spec.ts",
        file: "a.spec.ts",
        specs: [
          {
            title: "works",
            file: "a.spec.ts",
            tests: [
              {
                projectName: "chromium",
                expectedStatus: "passed",
                status: "expected",
                results: [{ status: "passed", duration: 5, retry: 0 }],
                ...test,
              },
            ],
            ...spec,
          },
        ],
      },
    ],
    errors: [],
    ...extra,
  });
}

/** Describe blocks nested `depth` levels, a passing test at the bottom: the shape that overflowed the recursive schema. */
function deepSuites(depth: number): string {
  const leaf = JSON.stringify(JSON.parse(report()).suites[0]);
  const open = '{"title":"d","file":"a.spec.ts","specs":[],"suites":[';
  return `{"config":{},"suites":[${open.repeat(depth)}${leaf}${"]}".repeat(depth)}],"errors":[]}`;
}

const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<testsuites><testsuite name="a.spec.ts"><testcase name="&lol9;" classname="a.spec.ts"/></testsuite></testsuites>`;

const XXE = `<?xml version="1.0"?>
<!DOCTYPE t [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<testsuites><testsuite name="a.spec.ts"><testcase name="&xxe;" classname="a.spec.ts"><failure message="&xxe;">&xxe;</failure></testcase></testsuite></testsuites>`;

const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : Buffer.from(p))));

const badSpecs = (n: number) =>
  `{"suites":[{"title":"a.spec.ts","specs":[${Array(n).fill('{"title":"t","file":"a.spec.ts","tests":[{"projectName":"c","expectedStatus":"passed","status":"bogus"}]}').join(",")}]}]}`;
const manyTests = (n: number) =>
  `{"suites":[{"title":"a.spec.ts","specs":[{"title":"t","file":"a.spec.ts","tests":[${Array(n).fill('{"projectName":"c","expectedStatus":"passed","status":"bogus"}').join(",")}]}]}]}`;

/** [name, query, body, what the message must say]: each must be refused with a 4xx. */
const HOSTILE: [string, string, string | Uint8Array, RegExp?][] = [
  ["describes nested 3,000 levels deep", "", deepSuites(3000), /more than 100 levels deep/],
  ["arrays nested 200,000 levels deep", "", `{"suites":${"[".repeat(200_000)}${"]".repeat(200_000)}}`],
  ["objects nested 200,000 levels deep", "", `{"suites":[${'{"suites":['.repeat(200_000)}${"]}".repeat(200_000)}]}`],
  ["nesting that never closes", "", `{"suites":${"[".repeat(500_000)}`, /cut off/],
  [
    "300,000 specs with a bad status (Zod spread its issues into a stack overflow)",
    "",
    badSpecs(300_000),
    /first problem: suites\.0\.specs\.0\.tests\.0\.status/,
  ],
  ["a spec with 300,000 tests", "", manyTests(300_000), /300,000 entries/],
  ["an empty body", "", "", /empty/],
  ["whitespace only", "", "  \n\t ", /empty/],
  ["plain text", "", "hello, this is not a report", /not JSON/],
  ["an HTML error page", "", "<!doctype html><html><body>502 Bad Gateway</body></html>", /HTML page/],
  ["JSON null", "", "null", /JSON is null/],
  ["a JSON number", "", "42", /JSON is a number/],
  ["a JSON string", "", '"report"', /JSON is a string/],
  ["a JSON array", "", "[]", /an array/],
  ["an object without suites", "", '{"config":{}}', /no "suites" array/],
  ["suites of the wrong type", "", '{"suites":"all of them"}', /no "suites" array/],
  ["a suite title that is a number", "", '{"suites":[{"title":1,"specs":[]}]}', /suites\.0\.title/],
  ["a million empty suites", "", `{"suites":[${Array(1_000_000).fill("{}").join(",")}]}`, /first problem: suites\.0\.title/],
  ["an unknown test status", "", report({}, {}, { status: "exploded" }), /status/],
  ["a negative retry", "", report({}, {}, { results: [{ status: "failed", duration: 5, retry: -1 }], status: "unexpected" }), /retry/],
  ["an infinite duration", "", report().replace('"duration":5', '"duration":1e999'), /duration/],
  ["stats that are not numbers", "", report({}, { stats: { expected: "many" } }), /stats\.expected/],
  ["a 2 MB test title", "", report({ title: "x".repeat(2 * 1024 * 1024) }), /title longer than 4,096/],
  ["a 2 MB file name", "", report({ file: `${"d/".repeat(1024 * 1024)}a.spec.ts` }), /file path longer than 4,096/],
  ["a NUL byte in a file name", "", report({ file: "a\u0000.spec.ts" }), /NUL/],
  ["raw NUL bytes in the body", "", bytes('{"suites":', [0, 0, 0], "[]}"), /not valid JSON/],
  ["invalid UTF-8", "", bytes(report().slice(0, 60), [0xc3, 0x28, 0xff, 0xfe], report().slice(60)), /not valid UTF-8/],
  ["UTF-16 with a byte-order mark", "", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(report(), "utf16le")]), /UTF-16/],
  ["a gzip-compressed body", "", bytes([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 3], "garbage"), /gzip/],
  ["truncated JSON", "", sample.slice(0, Math.floor(sample.length / 2)), /cut off/],
  ["JSON with a trailing comma", "", report().replace(/}$/, ",}"), /not valid JSON/],
  ["a BOM and then garbage", "", `\uFEFF${"{".repeat(3)}`],
  ["JUnit with an entity bomb", "", BILLION_LAUGHS, /declares its own entities/],
  ["JUnit with an external entity", "", XXE, /declares its own entities/],
  ["JUnit cut off", "", sampleJunit.slice(0, Math.floor(sampleJunit.length / 2)), /not well-formed XML/],
  ["JUnit nested 200,000 elements deep", "", `<testsuites>${"<x>".repeat(200_000)}${"</x>".repeat(200_000)}</testsuites>`],
  [
    "JUnit with a 2 MB test name",
    "",
    `<testsuites><testsuite name="a.spec.ts"><testcase name="${"x".repeat(2 * 1024 * 1024)}" classname="a.spec.ts"/></testsuite></testsuites>`,
    /at most 16,384/,
  ],
  ["JUnit sent as JSON", "&format=json", sampleJunit, /the json format was asked for\. Ask for junit/],
  ["JSON sent as JUnit", "&format=junit", sample, /the junit format was asked for\. Ask for json/],
];

let runtime: Runtime;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "workdeck-hostile-"));
  fs.mkdirSync(path.join(dir, "sample", "openspec"), { recursive: true });
  const { env } = configEnv(dir, { projects: [{ slug: "sample", path: path.join(dir, "sample") }] });
  runtime = await startRuntime(env, { watch: false });
});

afterAll(async () => {
  await stopRuntime();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Through the edge (`workdeck serve`) or the Next route handler: both must answer alike. */
const poster = (transport: Transport) => async (query: string, body: BodyInit | Uint8Array) =>
  (await reportPoster(runtime, transport))(query, body);

const storedRows = () =>
  ["reports", "test_cases", "test_results", "test_failures", "events"].map(
    (t) => (runtime.db!.$client.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n,
  );

/** Absolute paths of this server that must never reach a client. */
function serverPaths(): string[] {
  return [repoRoot, dir, fs.realpathSync(dir), os.tmpdir(), os.homedir(), path.join(repoRoot, "node_modules"), runtime.env.dbPath].filter(
    (p) => p.length > 1,
  );
}

function expectSafeError(name: string, status: number, text: string) {
  expect(status, `${name}: ${text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
  expect(status, `${name}: ${text.slice(0, 300)}`).toBeLessThan(500);
  const json = JSON.parse(text) as { error: { code: string; message: string } };
  expect(json.error.message.length, name).toBeGreaterThan(20);
  expect(json.error.message.length, `${name}: a message to read, not a dump`).toBeLessThan(1000);
  for (const p of serverPaths()) expect(text, `${name} names the server path ${p}`).not.toContain(p);
  expect(text, `${name}: no stack trace`).not.toMatch(/\n\s+at |\bat .+\.(?:ts|js|mjs):\d+/);
  expect(text, `${name}: no leaked file content`).not.toContain("root:x:0:0");
}

describe.each(TRANSPORTS)("POST /api/reports with hostile bodies (%s)", (transport: Transport) => {
  const post = (query: string, body: BodyInit | Uint8Array) => poster(transport)(`?project=sample${query}`, body);

  it.each(HOSTILE)("%s: a 4xx with an actionable message, no server path, nothing stored", async (name, query, body, says) => {
    const before = storedRows();
    const res = await post(query, body as BodyInit);
    const text = await res.text();
    expectSafeError(name, res.status, text);
    if (says) expect((JSON.parse(text) as { error: { message: string } }).error.message, name).toMatch(says);
    expect(storedRows(), name).toEqual(before);
  });

  it("a project slug that tries to walk out is a 4xx that names no path", async () => {
    for (const slug of ["../../etc/passwd", dir, "%00", "sample\u0000x"]) {
      const res = await poster(transport)(`?project=${encodeURIComponent(slug)}`, sample);
      expectSafeError(slug, res.status, await res.text());
    }
  });

  it("a valid report with a huge failure message is stored, not refused", async () => {
    // Its own text per door: the same bytes twice would be answered as a duplicate.
    const message = `Error: expected a diff (${transport})\n${"- line\n+ other\n".repeat(200_000)}`;
    const body = report({}, {}, { status: "unexpected", results: [{ status: "failed", duration: 5, retry: 0, errors: [{ message }] }] });
    const res = await post("", body);
    expect(res.status, (await res.clone().text()).slice(0, 300)).toBe(201);
    expect(await res.json()).toMatchObject({ tests: 1, failuresNew: 1 });
  });
});
