import { describe, expect, it } from "vitest";
import {
  classifyTest,
  fingerprintErrors,
  pathCategory,
  type HistoryEntry,
  type TestClassification,
  type TestOutcome,
} from "@workdeck/error-classifier";

const ASSERTION = {
  message: 'Error: expect(received).toBe(expected) // Object.is equality\n\nExpected: "ok"\nReceived: "ko"',
  location: { file: "e2e/a.spec.ts", line: 10, column: 5 },
};

const LETTER: Record<string, TestOutcome> = { F: "unexpected", K: "flaky", P: "expected", X: "expected", S: "skipped" };

/** "PFFK" -> one entry per letter, report ids 1..n: F unexpected, K flaky, P/X expected, S skipped. */
function history(outcomes: string, error = ASSERTION): HistoryEntry[] {
  return [...outcomes].map((letter, i) => ({
    reportId: i + 1,
    status: LETTER[letter] as TestOutcome,
    errors: letter === "F" || letter === "K" ? [error] : [],
  }));
}

function classify(
  outcomes: string,
  options: { file?: string; error?: typeof ASSERTION; latestReportId?: number } = {},
): TestClassification {
  const c = classifyTest({
    file: options.file ?? "tests/e2e/a.spec.ts",
    history: history(outcomes, options.error),
    latestReportId: options.latestReportId,
  });
  if (!c) throw new Error(`expected a classification for ${outcomes}`);
  return c;
}

describe("pattern: persistent", () => {
  it("is 5 consecutive failure runs ending at the latest report, with priority 5 and confidence 0.95", () => {
    const c = classify("FFFFF");
    expect(c.pattern).toBe("persistent");
    expect(c.consecutiveFailures).toBe(5);
    expect(c.suggestedDecision).toBe("needs_spec");
    expect(c.decisionRule).toBe("persistent");
    expect(c.priority).toBe(5);
    expect(c.confidence).toBe(0.95);
    expect(c.rationale).toMatch(/^persistent: failed in the last 5 consecutive runs \(runs 1–5\)\./);
  });

  it("is not reached with 4 consecutive failure runs (recurring instead)", () => {
    const c = classify("FFFF");
    expect(c.pattern).toBe("recurring");
    expect(c.consecutiveFailures).toBe(4);
  });

  it("names the streak in the rationale", () => {
    expect(classify("PPFFFFFF").rationale).toMatch(/^persistent: failed in the last 6 consecutive runs \(runs 3–8\)/);
  });

  it("is reset by a pass: 4 + pass + 4 failures is recurring", () => {
    const c = classify("FFFFPFFFF");
    expect(c.pattern).toBe("recurring");
    expect(c.consecutiveFailures).toBe(4);
    expect(c.occurrences).toBe(8);
  });

  it("is reset by a flaky run (a flaky run is not a failure run)", () => {
    const c = classify("FFFFKFFFF");
    expect(c.consecutiveFailures).toBe(4);
    expect(c.pattern).toBe("flaky");
  });

  it("must end at the latest report in which the test ran: a final pass ends it", () => {
    const c = classify("FFFFFP");
    expect(c.consecutiveFailures).toBe(0);
    expect(c.pattern).toBe("recurring");
    expect(c.active).toBe(false);
  });

  it("skipped runs neither break nor count toward the streak", () => {
    const c = classify("FFSFFSF");
    expect(c.pattern).toBe("persistent");
    expect(c.consecutiveFailures).toBe(5);
    expect(c.occurrences).toBe(5);
    expect(c.failureRuns).toEqual([1, 2, 4, 5, 7]);
  });

  it("still holds when the latest report skipped the test, which is then not active", () => {
    const c = classify("FFFFFS");
    expect(c.pattern).toBe("persistent");
    expect(c.active).toBe(false);
    expect(c.priority).toBe(5);
  });

  it("beats flaky", () => {
    expect(classify("KFFFFF").pattern).toBe("persistent");
  });
});

describe("pattern: flaky, recurring, new", () => {
  it("flaky beats recurring", () => {
    const c = classify("FFFK");
    expect(c.pattern).toBe("flaky");
    expect(c.suggestedDecision).toBe("one_off_fix");
    expect(c.flakyRuns).toEqual([4]);
    expect(c.occurrences).toBe(4);
  });

  it("one flaky run is enough, and stays flaky after passes", () => {
    const c = classify("PKP");
    expect(c).toMatchObject({ pattern: "flaky", active: false, occurrences: 1, consecutiveFailures: 0 });
    expect(c.rationale).toMatch(/^flaky: failed then passed on retry in 1 run \(run 2\)\./);
  });

  it("recurring = 3 failure runs, not necessarily consecutive", () => {
    const c = classify("FPFPF");
    expect(c.pattern).toBe("recurring");
    expect(c.suggestedDecision).toBe("needs_spec");
    expect(c.consecutiveFailures).toBe(1);
    expect(c.rationale).toMatch(/^recurring: failed in 3 runs \(runs 1, 3, 5\)/);
  });

  it("new = 1 or 2 failure runs", () => {
    expect(classify("PF")).toMatchObject({ pattern: "new", occurrences: 1, suggestedDecision: "one_off_fix", active: true });
    expect(classify("FPF")).toMatchObject({ pattern: "new", occurrences: 2 });
  });

  it("returns null when the test never had an occurrence (passes, test.fail() expected failures, skips)", () => {
    expect(classifyTest({ file: "a.spec.ts", history: history("PXS") })).toBeNull();
    expect(classifyTest({ file: "a.spec.ts", history: [] })).toBeNull();
  });

  it("active means an occurrence in the project's latest report, which the test may be absent from", () => {
    expect(classify("FF").active).toBe(true);
    expect(classify("FF", { latestReportId: 3 }).active).toBe(false);
  });
});

describe("decision: feature not implemented", () => {
  const notImplemented = { message: "Error: feature not implemented: PDF import", location: { file: "api.spec.ts", line: 3, column: 1 } };

  it("suggests needs_spec for a new failure", () => {
    const c = classify("F", { error: notImplemented });
    expect(c.pattern).toBe("new");
    expect(c.heuristics.notImplemented).toBe(true);
    expect(c.suggestedDecision).toBe("needs_spec");
    expect(c.decisionRule).toBe("feature-not-implemented");
    expect(c.rationale).toMatch(/feature not implemented/);
  });

  it("is not triggered by the code frame, which shows neighbouring lines", () => {
    const frameOnly = {
      message:
        "Error: expect(received).toBe(expected)\n\nExpected: 202\nReceived: 501\n\n  12 |     expect(res.status()).toBe(202);\n> 13 |   });\n  14 |   test('x', () => { throw new Error('feature not implemented: y') });",
      location: { file: "api.spec.ts", line: 13, column: 1 },
    };
    const c = classify("F", { error: frameOnly });
    expect(c.heuristics.notImplemented).toBe(false);
    expect(c.suggestedDecision).toBe("one_off_fix");
  });

  it("recurring wins the rule, feature-not-implemented raises confidence", () => {
    const plain = classify("FFF");
    const ni = classify("FFF", { error: notImplemented });
    expect(ni.decisionRule).toBe("recurring");
    expect(ni.confidence).toBeGreaterThan(plain.confidence);
  });
});

describe("heuristics: path category, hooks, timeouts", () => {
  it("derives the path category from the file path", () => {
    expect(pathCategory("tests/e2e/login.spec.ts")).toBe("e2e");
    expect(pathCategory("login.e2e.spec.ts")).toBe("e2e");
    expect(pathCategory("tests/integration/notes-api.spec.ts")).toBe("integration");
    expect(pathCategory("unit-ish/slug.spec.ts")).toBe("other");
    expect(pathCategory("tests\\e2e\\win.spec.ts")).toBe("e2e");
  });

  const beforeEachError = {
    message:
      "Error: could not provision tenant: 429\n\n  22 |     test.beforeEach(async ({ request }) => {\n  23 |       const res = await request.post('/t');\n> 24 |       if (!res.ok()) throw new Error('could not provision tenant');\n     |                            ^\n  25 |     });",
    location: { file: "integration/api.spec.ts", line: 24, column: 28 },
  };

  it("flags a setup hook, raises priority and lowers confidence, without changing the decision", () => {
    const plain = classify("PF", { file: "tests/integration/api.spec.ts" });
    const hook = classify("PF", { file: "tests/integration/api.spec.ts", error: beforeEachError });
    expect(hook.heuristics).toMatchObject({ hook: "beforeEach", setupTeardown: "setup", pathCategory: "integration" });
    expect(hook.suggestedDecision).toBe(plain.suggestedDecision);
    expect(hook.priority).toBe(plain.priority + 1);
    expect(hook.confidence).toBeLessThan(plain.confidence);
    expect(hook.rationale).toMatch(/Raised in a beforeEach hook \(setup\)/);
  });

  it("takes a beforeAll inferred from the report structure", () => {
    const c = classifyTest({
      file: "a.spec.ts",
      history: [{ reportId: 1, status: "unexpected", errors: [ASSERTION], structuralHook: "beforeAll" }],
    });
    expect(c?.heuristics).toMatchObject({ hook: "beforeAll", setupTeardown: "setup" });
  });

  it("flags timeouts (attempt timedOut) and lowers confidence", () => {
    const timeout = { message: "Test timeout of 3000ms exceeded." };
    const c = classifyTest({
      file: "e2e/a.spec.ts",
      history: [{ reportId: 1, status: "unexpected", errors: [timeout], attemptStatuses: ["timedOut"] }],
    });
    expect(c?.heuristics.timeout).toBe(true);
    expect(c?.confidence).toBeLessThan(classify("F").confidence);
    expect(c?.rationale).toMatch(/timed out/);
  });

  it("a persistent failure keeps priority 5 / confidence 0.95 whatever the heuristics", () => {
    const c = classify("FFFFF", { error: beforeEachError });
    expect(c.priority).toBe(5);
    expect(c.confidence).toBe(0.95);
  });
});

describe("fingerprints and identity in the output", () => {
  it("lists each distinct failure group with its first/last seen run, and reports the latest one", () => {
    const other = { message: "Error: something else broke", location: { file: "e2e/a.spec.ts", line: 3, column: 1 } };
    const entries: HistoryEntry[] = [
      { reportId: 1, status: "unexpected", errors: [ASSERTION] },
      { reportId: 2, status: "unexpected", errors: [ASSERTION] },
      { reportId: 3, status: "unexpected", errors: [other] },
    ];
    const c = classifyTest({ file: "e2e/a.spec.ts", history: entries });
    expect(c?.fingerprints.map((f) => [f.occurrences, f.firstSeen, f.lastSeen])).toEqual([
      [2, 1, 2],
      [1, 3, 3],
    ]);
    expect(c?.fingerprint.hash).toBe(fingerprintErrors([other]).hash);
    expect(c?.firstSeen).toBe(1);
    expect(c?.lastSeen).toBe(3);
  });

  it("uses report labels in the rationale when ids are not run numbers", () => {
    const entries: HistoryEntry[] = ["a1", "b2", "c3"].map((id, i) => ({
      reportId: id,
      status: "unexpected",
      errors: [ASSERTION],
      label: `#${i + 10}`,
    }));
    expect(classifyTest({ file: "x.spec.ts", history: entries })?.rationale).toMatch(/^recurring: failed in 3 runs \(#10, #11, #12\)/);
  });

  it("classifies 10,000 tests with 20 reports of history in well under a second per thousand", () => {
    const fingerprint = fingerprintErrors([ASSERTION]);
    const outcomes = "PFKSFFFPFFFFFSFFPFFF";
    const entries: HistoryEntry[] = [...outcomes].map((l, i) => ({ reportId: i + 1, status: LETTER[l] as TestOutcome, fingerprint }));
    const started = performance.now();
    for (let i = 0; i < 10_000; i++) classifyTest({ file: `tests/e2e/f${i}.spec.ts`, history: entries });
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
