import { describe, expect, it } from "vitest";
import {
  detectHook,
  detectTimeout,
  fingerprintErrors,
  normalizeErrorMessage,
  normalizeText,
  splitCodeFrame,
  stripAnsi,
  type ErrorLike,
} from "@workdeck/error-classifier";

const hash = (message: string, extra: Partial<ErrorLike> = {}, rootDirs?: string[]) =>
  fingerprintErrors([{ message, ...extra }], { rootDirs }).hash;

describe("normalisation of varying tokens", () => {
  it("strips ANSI, including inverse video inside diff strings", () => {
    const coloured =
      'Error: \u001b[2mexpect(\u001b[22m\u001b[31mreceived\u001b[39m\u001b[2m).\u001b[22mtoBe\nExpected: \u001b[32m"$\u001b[7m9\u001b[27m0.00"\u001b[39m';
    expect(stripAnsi(coloured)).toBe('Error: expect(received).toBe\nExpected: "$90.00"');
    expect(hash(coloured)).toBe(hash('Error: expect(received).toBe\nExpected: "$90.00"'));
  });

  it("replaces ports in URLs and host:port pairs", () => {
    expect(normalizeText("GET http://127.0.0.1:35237/v1/notes")).toBe("GET http://127.0.0.1:<PORT>/v1/notes");
    expect(normalizeText("connect ECONNREFUSED localhost:5173")).toBe("connect ECONNREFUSED localhost:<PORT>");
    expect(hash("PATCH http://localhost:3001/x failed")).toBe(hash("PATCH http://localhost:4123/x failed"));
  });

  it("makes absolute paths relative to the report root, keeps a short tail otherwise, and leaves API routes alone", () => {
    const root = "/ci/workspace/app/tests";
    expect(normalizeText("ENOENT: /ci/workspace/app/tests/fixtures/a.json", [root])).toBe("ENOENT: fixtures/a.json");
    expect(normalizeText("ENOENT: /home/ada/src/app/tests/fixtures/a.json")).toBe("ENOENT: <PATH>/fixtures/a.json");
    expect(normalizeText("PATCH /v1/notes/n1 -> 409")).toBe("PATCH /v1/notes/n1 -> 409");
    expect(normalizeText("C:\\Users\\ada\\app\\tests\\fixtures\\a.json missing")).toBe("<PATH>/fixtures/a.json missing");
    expect(hash("ENOENT /home/ada/app/tests/x.json")).toBe(hash("ENOENT /builds/ci/app/tests/x.json"));
  });

  it("replaces temp dir names and -retryN output folders", () => {
    // Built from segments: the text is a sample error message, not a path of this machine.
    const linuxTemp = ["", "tmp", "playwright-artifacts-Xy12ab", "upload.pdf"].join("/");
    expect(normalizeText(`cannot read ${linuxTemp}`)).toBe("cannot read <TMP>/upload.pdf");
    expect(normalizeText("cannot read /var/folders/x1/ab/T/playwright-artifacts-Q9/upload.pdf")).toBe("cannot read <TMP>/upload.pdf");
    expect(hash("snapshot at test-results/a-chromium-retry1/b.png")).toBe(hash("snapshot at test-results/a-chromium/b.png"));
  });

  it("replaces UUIDs, hex ids (prefixed too), and random tokens", () => {
    expect(normalizeText("order 3f2b8c1e-9a4d-4e2f-8b1a-0c9d8e7f6a5b not found")).toBe("order <UUID> not found");
    expect(normalizeText('{"session":"sess_2b174f004133","hook":"wh_9f8e7d6c"}')).toBe('{"session":"sess_<HEX>","hook":"wh_<HEX>"}');
    expect(normalizeText("commit 4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c")).toBe("commit <HEX>");
    expect(normalizeText("token V1StGXR8Z5jdHi6BmyT9 rejected")).toBe("token <ID> rejected");
    // Plain words made of hex letters have no digit and stay.
    expect(normalizeText("decade facade")).toBe("decade facade");
  });

  it("replaces timestamps, dates and times", () => {
    expect(normalizeText('"serverTime":"2026-11-21T03:07:13.871Z"')).toBe('"serverTime":"<TIMESTAMP>"');
    expect(normalizeText("due 2026-11-21, at 03:07:13")).toBe("due <DATE>, at <TIME>");
    expect(normalizeText("Date: Sat, 21 Nov 2026 03:07:13 GMT")).toBe("Date: <TIMESTAMP>");
  });

  it("replaces durations and run-varying numbers but keeps small meaningful integers", () => {
    expect(normalizeText("locator.click: Timeout 5000ms exceeded.")).toBe("locator.click: Timeout <DURATION> exceeded.");
    expect(normalizeText('etag W/"1795230433871"')).toBe('etag W/"<N>"');
    expect(hash("Expected: 1\nReceived: 1734")).toBe(hash("Expected: 1\nReceived: 1822"));
    expect(normalizeText("Expected: 200\nReceived: 409")).toBe("Expected: 200\nReceived: 409");
    expect(hash("Expected: 200\nReceived: 409")).not.toBe(hash("Expected: 200\nReceived: 500"));
    expect(normalizeText("took 1.5s, ratio 0.731")).toBe("took <DURATION>, ratio <N>");
  });

  it("reduces a call log to its first 'waiting for' line (counts and retries vary per run)", () => {
    const run1 =
      'Error: expect(locator).toHaveText(expected) failed\n\nLocator: locator(\'nav\')\nExpected: "Home"\nTimeout: 1500ms\n\nCall log:\n  - Expect "toHaveText" with timeout 1500ms\n  - waiting for locator(\'nav\')\n    10 × locator resolved to <nav class="primary">…</nav>\n       - unexpected value "Menu"';
    const run2 = run1.replace("10 ×", "7 ×");
    expect(hash(run1)).toBe(hash(run2));
    expect(normalizeErrorMessage(run1)).toContain("- waiting for locator('nav')");
    expect(normalizeErrorMessage(run1)).not.toContain("resolved to");
  });
});

describe("Playwright action timeouts: the call log's length never splits a group", () => {
  // Call logs as Playwright 1.5x prints them (dim ANSI per line) for a click on a disabled button.
  // How far the action gets before the timeout depends on the timeout and on the machine's load:
  // a 300 ms run on a busy machine may not even resolve the locator, a 3 s run retries 9 times.
  const dim = (lines: string[]) => lines.map((l) => `\u001b[2m${l}\u001b[22m`).join("\n");
  const retry = (action: string, times: string, wait: string, state = "visible, enabled and stable") => [
    `    ${times}waiting for element to be ${state}`,
    "      - element is not enabled",
    `    - retrying ${action} action`,
    `      - waiting ${wait}`,
  ];
  const clickLog = (retries: string[][], target = "locator('#save')", html = '<button disabled id="save">Save</button>') =>
    dim([
      `  - waiting for ${target}`,
      ...(retries.length > 0 ? [`    - locator resolved to ${html}`, "  - attempting click action", ...retries.flat()] : []),
    ]);
  const click = (ms: number, log: string, action = "click") =>
    `TimeoutError: locator.${action}: Timeout ${ms}ms exceeded.\nCall log:\n${log}`;
  const frame = (code: string) =>
    `\n\n   8 |   await page.setContent(html);\n>  9 |   ${code}\n     |                               ^\n  10 | });\n    at /ci/app/tests/e2e/ui.spec.ts:9:31`;
  const at = (message: string, code = 'await page.locator("#save").click({ timeout });') => ({
    message: message + frame(code),
    location: { file: "e2e/ui.spec.ts", line: 9, column: 31 },
  });
  const fp = (...errors: ErrorLike[]) => fingerprintErrors(errors, { rootDirs: ["/ci/app/tests"] });

  // Real outputs of the fixture suite's "saves the settings form" (300 ms, 500 ms, 1 s, 3 s).
  const loaded300 = click(300, clickLog([]));
  const run500 = click(500, clickLog([[...retry("click", "2 × ", "20ms"), "    - waiting for element to be visible, enabled and stable"]]));
  const run1000 = click(1000, clickLog([retry("click", "2 × ", "20ms"), retry("click", "2 × ", "100ms"), retry("click", "- ", "500ms")]));
  const run3000 = click(3000, clickLog([retry("click", "2 × ", "20ms"), retry("click", "2 × ", "100ms"), retry("click", "5 × ", "500ms")]));

  it("gives call logs of 1 to 15 lines, with any retry counts, one fingerprint", () => {
    const hashes = [loaded300, run500, run1000, run3000].map((m) => fp(at(m)).hash);
    expect(new Set(hashes).size).toBe(1);
    for (const m of [loaded300, run500, run1000, run3000]) expect(fp(at(m)).timeout).toBe(true);
  });

  it("keeps the action, the locator and the timeout kind in the signature, and none of the retry lines", () => {
    const { signature } = fp(at(run3000));
    expect(signature).toContain("TimeoutError: locator.click: Timeout <DURATION> exceeded.");
    expect(signature).toContain("- waiting for locator('#save')");
    expect(signature).not.toMatch(/resolved to|attempting|retrying|element is not|waiting for element|waiting <DURATION>|×/);
  });

  it("tells apart another locator, another action and a test timeout interrupting the same click", () => {
    const base = fp(at(run1000)).hash;
    const otherLocator = click(1000, clickLog([retry("click", "2 × ", "20ms")], "getByRole('button', { name: 'Save' })"));
    expect(fp(at(otherLocator)).hash).not.toBe(base);
    const fill = click(
      1000,
      dim([
        "  - waiting for locator('#save')",
        '    - locator resolved to <input disabled id="save"/>',
        '    - fill("x")',
        "  - attempting fill action",
        ...retry("fill", "2 × ", "20ms", "visible, enabled and editable"),
      ]),
      "fill",
    );
    expect(fp(at(fill)).hash).not.toBe(base);
    // Same statement, same locator: only the kind of timeout differs (real output, test.setTimeout(2000)).
    const testTimeout = [
      { message: "\u001b[31mTest timeout of 2000ms exceeded.\u001b[39m" },
      at(
        `Error: locator.click: Test timeout of 2000ms exceeded.\nCall log:\n${clickLog([["    - waiting for element to be visible, enabled and stable"]])}`,
      ),
    ];
    const interrupted = fp(...testTimeout);
    expect(interrupted.timeout).toBe(true);
    expect(interrupted.hash).not.toBe(base);
    // ...and that test timeout is itself stable however far the interrupted click got.
    const interruptedLater = [
      testTimeout[0]!,
      at(
        `Error: locator.click: Test timeout of 2000ms exceeded.\nCall log:\n${clickLog([retry("click", "2 × ", "20ms"), retry("click", "2 × ", "100ms")])}`,
      ),
    ];
    expect(fp(...interruptedLater).hash).toBe(interrupted.hash);
  });
});

describe("what the fingerprint keeps and drops", () => {
  const frame = (line: number, code: string, colour = false) => {
    const body = `   ${line - 1} |   test('x', async () => {\n> ${line} |     ${code}\n     |     ^\n   ${line + 1} |   });`;
    return colour ? body.replace(/\|/g, "\u001b[90m|\u001b[39m") : body;
  };
  const message = 'Error: expect(received).toBe(expected) // Object.is equality\n\nExpected: "a"\nReceived: "b"';

  it("ignores the code frame's colours and the line numbers (location and frame)", () => {
    const a = {
      message: `${message}\n\n${frame(19, "expect(v).toBe('a');")}\n    at /ci/app/tests/e2e/a.spec.ts:19:5`,
      location: { file: "e2e/a.spec.ts", line: 19, column: 5 },
    };
    const b = {
      message: `${message}\n\n${frame(23, "expect(v).toBe('a');", true)}\n    at /ci/app/tests/e2e/a.spec.ts:23:5`,
      location: { file: "e2e/a.spec.ts", line: 23, column: 5 },
    };
    expect(fingerprintErrors([a]).hash).toBe(fingerprintErrors([b]).hash);
  });

  it("keeps the failing statement and file: the same message from another assertion is another group", () => {
    const a = { message: `${message}\n\n${frame(19, "expect(v).toBe('a');")}`, location: { file: "e2e/a.spec.ts", line: 19, column: 5 } };
    const b = { message: `${message}\n\n${frame(19, "expect(w).toBe('a');")}`, location: { file: "e2e/a.spec.ts", line: 19, column: 5 } };
    const c = { ...a, location: { file: "e2e/b.spec.ts", line: 19, column: 5 } };
    expect(fingerprintErrors([a]).hash).not.toBe(fingerprintErrors([b]).hash);
    expect(fingerprintErrors([a]).hash).not.toBe(fingerprintErrors([c]).hash);
  });

  it("fingerprints expect.soft errors as a set: order does not matter, membership does", () => {
    const e1 = { message: 'Error: accents removed\n\nExpected: "Creme"' };
    const e2 = { message: "Error: length recomputed\n\nExpected: 12\nReceived: 13" };
    const e3 = { message: "Error: marked lossy\n\nExpected: false\nReceived: true" };
    const all = fingerprintErrors([e1, e2, e3]);
    expect(fingerprintErrors([e3, e1, e2]).hash).toBe(all.hash);
    expect(fingerprintErrors([e1, e2]).hash).not.toBe(all.hash);
    expect(fingerprintErrors([e1, e1, e2, e3]).hash).toBe(all.hash);
    expect(all.errorCount).toBe(3);
    expect(all.headline).toBe("Error: accents removed");
  });

  it("gives a test.fail() test that passed (no error) a stable fingerprint of its own", () => {
    const passed = fingerprintErrors([], { expectedStatus: "failed" });
    expect(passed.signature).toMatch(/expected to fail, but passed/);
    expect(passed.hash).toBe(fingerprintErrors([], { expectedStatus: "failed" }).hash);
    expect(passed.hash).not.toBe(fingerprintErrors([]).hash);
  });

  it("is a 16-hex-digit hash", () => {
    expect(fingerprintErrors([{ message }]).hash).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe("splitCodeFrame", () => {
  it("separates the text from the frame and the stack line", () => {
    const split = splitCodeFrame(
      "Error: boom\n\nExpected: 1\n\n  4 |   a();\n> 5 |   b();\n    |   ^\n  6 | });\n    at /abs/x.spec.ts:5:3",
    );
    expect(split.text).toBe("Error: boom\n\nExpected: 1");
    expect(split.frame).toHaveLength(4);
  });

  it("drops stack `at` lines when there is no frame", () => {
    expect(splitCodeFrame("Error: boom\n    at foo (/abs/x.ts:1:2)\n    at /abs/y.ts:3:4").text).toBe("Error: boom");
  });
});

describe("hooks and timeouts", () => {
  const withFrame = (lines: string[], failingIndex: number): ErrorLike => ({
    message: `Error: x\n\n${lines.map((l, i) => `${i === failingIndex ? ">" : " "} ${10 + i} | ${l}`).join("\n")}`,
  });

  it.each([
    ["beforeAll", "test.beforeAll(async () => {"],
    ["beforeEach", "test.beforeEach(async ({ page }) => {"],
    ["afterAll", "test.afterAll(async () => {"],
    ["afterEach", "afterEach(async () => {"],
  ])("detects a %s hook from the code frame", (hook, call) => {
    expect(detectHook([withFrame([call, "  const r = await f();", "  throw new Error('x');", "});"], 2)])).toBe(hook);
  });

  it("does not blame a hook when a test declaration is closer to the failing line", () => {
    const e = withFrame(["test.beforeEach(async () => {});", "test('t', async () => {", "  throw new Error('x');", "});"], 2);
    expect(detectHook([e])).toBeNull();
  });

  it("reads the hook from the hook-timeout wording", () => {
    expect(detectHook([{ message: 'Test timeout of 4000ms exceeded while running "beforeEach" hook.' }])).toBe("beforeEach");
  });

  it("falls back to the structural hint", () => {
    expect(detectHook([{ message: "Error: x" }], "beforeAll")).toBe("beforeAll");
    expect(fingerprintErrors([{ message: "Error: x" }], { structuralHook: "afterAll" }).setupTeardown).toBe("teardown");
  });

  it("detects test and action timeouts, not retrying-assertion timeouts", () => {
    expect(detectTimeout([{ message: "\u001b[31mTest timeout of 3000ms exceeded.\u001b[39m" }])).toBe(true);
    expect(detectTimeout([{ message: "Error: locator.click: Timeout 5000ms exceeded.\nCall log:\n  - waiting for locator('#b')" }])).toBe(
      true,
    );
    expect(detectTimeout([{ message: "Error: x" }], ["timedOut"])).toBe(true);
    expect(detectTimeout([{ message: "Error: expect(locator).toHaveText(expected) failed\n\nTimeout: 5000ms" }])).toBe(false);
  });

  it("keeps a timeout grouped when only the configured timeout changes", () => {
    expect(hash("Test timeout of 3000ms exceeded.")).toBe(hash("Test timeout of 4500ms exceeded."));
  });
});
