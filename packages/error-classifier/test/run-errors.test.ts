import { describe, expect, it } from "vitest";
import { classifyTest, historyEntry, parsePlaywrightReport, runErrorTests, runStagePassed } from "../src/index";

const config = { rootDir: "/ci/app/tests", configFile: "/ci/app/playwright.config.ts", globalSetup: "/ci/app/global-setup.ts" };
const parse = (errors: unknown[], suites: unknown[] = []) => parsePlaywrightReport({ config, suites, errors }, { allowEmpty: true });

describe("run-level errors as synthetic test cases", () => {
  it("global setup: one failing case per file, hook globalSetup (setup), paths made relative", () => {
    const report = parse([
      {
        message: "Error: seed failed",
        stack: "Error: seed failed\n    at seed (/ci/app/global-setup.ts:3:9)",
        location: { file: "/ci/app/global-setup.ts", line: 3, column: 9 },
      },
      { message: "Error: and again", location: { file: "/ci/app/global-setup.ts", line: 7, column: 1 } },
      { message: "Testing stopped early after 3 maximum allowed failures." },
    ]);
    const tests = runErrorTests(report);
    expect(tests).toHaveLength(1);
    const [t] = tests;
    expect(t).toMatchObject({
      key: "global-setup.ts::(global setup)::",
      file: "global-setup.ts",
      titlePath: ["(global setup)"],
      projectName: "",
      status: "unexpected",
      runError: "global-setup",
      structuralHook: "globalSetup",
    });
    expect(t!.attempts[0]!.errors.map((e) => e.message)).toEqual(["Error: seed failed", "Error: and again"]);
    expect(t!.attempts[0]!.errors[0]!.stack).toBe("Error: seed failed\n    at seed (global-setup.ts:3:9)");
    const c = classifyTest({ file: t!.file, history: [historyEntry(t!, 1)] });
    expect(c?.heuristics).toMatchObject({ hook: "globalSetup", setupTeardown: "setup" });
  });

  it("a spec that does not load is its own kind (no hook), named after the spec; no location: found in the text", () => {
    const [withLocation] = runErrorTests(
      parse([
        {
          message: "SyntaxError: /ci/app/tests/e2e/x.spec.ts: Unexpected token",
          location: { file: "/ci/app/tests/e2e/x.spec.ts", line: 1, column: 1 },
        },
      ]),
    );
    expect(withLocation).toMatchObject({ file: "e2e/x.spec.ts", titlePath: ["(load error)"], runError: "load-error" });
    expect(withLocation!.structuralHook).toBeUndefined();
    expect(withLocation!.attempts[0]!.errors[0]!.message).toBe("SyntaxError: e2e/x.spec.ts: Unexpected token");
    const [noLocation] = runErrorTests(
      parse([{ message: "Error: Cannot find module './helpers' imported from /ci/app/tests/e2e/y.spec.ts" }]),
    );
    expect(noLocation).toMatchObject({ file: "e2e/y.spec.ts", runError: "load-error" });
  });

  it("absolute paths outside both roots are cut; API routes without an extension are left alone", () => {
    const [t] = runErrorTests(
      parse([
        {
          message: "Error: GET /v1/notes/n1 failed, see /home/ci/.cache/x/trace.zip and /ci/app/node_modules/pg/lib/client.js",
          location: { file: "/opt/tools/setup-db.ts", line: 1, column: 1 },
        },
      ]),
    );
    expect(t!.attempts[0]!.errors[0]!.message).toBe("Error: GET /v1/notes/n1 failed, see trace.zip and node_modules/pg/lib/client.js");
    expect(t!.file).toBe("setup-db.ts");
  });

  it("a stage passes only in runs that got past it", () => {
    const ranTests = parse(
      [],
      [
        {
          title: "a.spec.ts",
          file: "a.spec.ts",
          specs: [
            { title: "t", file: "a.spec.ts", tests: [{ projectName: "p", expectedStatus: "passed", status: "expected", results: [] }] },
          ],
        },
      ],
    );
    const teardownFailed = { ...ranTests, runErrors: [{ message: "x", messageRaw: "x", kind: "global-teardown" as const }] };
    const noTests = parse([
      { message: "SyntaxError: /ci/app/tests/b.spec.ts: x", location: { file: "/ci/app/tests/b.spec.ts", line: 1, column: 1 } },
    ]);
    expect(runStagePassed("global-setup", ranTests)).toBe(true);
    expect(runStagePassed("load-error", ranTests)).toBe(true);
    expect(runStagePassed("global-teardown", ranTests)).toBe(true);
    expect(runStagePassed("global-teardown", teardownFailed)).toBe(false);
    expect(runStagePassed("global-setup", teardownFailed)).toBe(true);
    for (const kind of ["global-setup", "global-teardown", "load-error", "other"] as const)
      expect(runStagePassed(kind, noTests)).toBe(false);
  });
});
