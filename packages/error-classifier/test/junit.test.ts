import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { sharedPath } from "../../../tests/support/shared";
import { catchError } from "./catch-format-error";
import { parseJUnitReport } from "@workdeck/error-classifier";
import { parseXml, XmlError } from "@workdeck/error-classifier/xml";

const sampleDir = sharedPath("playwright-sample");
const junit = (run: number) => readFileSync(path.join(sampleDir, `reports/run-${run}.junit.xml`), "utf8");

describe("parseJUnitReport: the sample", () => {
  it("reads testcases into the normalised shape, project from hostname, title path from ' › '", () => {
    const r = parseJUnitReport(junit(2));
    expect(r.tests).toHaveLength(32);
    expect(r.projects).toEqual(["desktop-chrome", "tablet"]);
    expect(r.stats).toEqual({ expected: 16, unexpected: 14, flaky: 0, skipped: 2 });
    const t = r.tests.find((x) => x.key === "e2e/editor.spec.ts::editor autosave > autosaves draft::tablet");
    expect(t).toMatchObject({ status: "unexpected", retries: 1, line: 24, column: 3, titlePath: ["editor autosave", "autosaves draft"] });
    expect(t?.attempts.map((a) => a.status)).toEqual(["timedOut", "timedOut"]);
    expect(t?.attempts[0]?.errors.map((e) => e.message.split("\n")[0])).toEqual([
      "Test timeout of 2500ms exceeded.",
      "Error: locator.waitFor: Test timeout of 2500ms exceeded.",
    ]);
    expect(t?.attempts[0]?.errors[1]?.location).toEqual({ file: "e2e/editor.spec.ts", line: 28, column: 48 });
    expect(t?.attempts[0]?.attachmentNames).toEqual(["screenshot", "error-context"]);
  });

  it("flags that JUnit cannot show flaky results (the flaky test reads as passed)", () => {
    const r = parseJUnitReport(junit(2));
    expect(r.warnings[0]).toMatch(/JUnit cannot show flaky results/);
    expect(r.tests.find((x) => x.key === "e2e/login.spec.ts::login > keeps session with remember-me::tablet")?.status).toBe("expected");
  });

  it("keeps annotations from properties: skip and test.fail()", () => {
    const r = parseJUnitReport(junit(1));
    const skip = r.tests.find((x) => x.titlePath.at(-1) === "collapses repeated dashes");
    expect(skip).toMatchObject({ status: "skipped", expectedStatus: "skipped", didNotRun: false, annotations: [{ type: "skip" }] });
    const fail = r.tests.find((x) => x.titlePath.at(-1) === "keeps original casing in display titles");
    expect(fail).toMatchObject({ status: "expected", expectedStatus: "failed" });
  });

  it("splits expect.soft errors of each attempt", () => {
    const t = parseJUnitReport(junit(1)).tests.find(
      (x) => x.key === "unit-ish/slug.spec.ts::slug > transliterates accented titles::desktop-chrome",
    );
    expect(t?.attempts.map((a) => a.errors.map((e) => e.message.split("\n")[0]))).toEqual([
      ["Error: accents removed", "Error: length recomputed", "Error: marked lossy"],
      ["Error: accents removed", "Error: length recomputed", "Error: marked lossy"],
    ]);
  });
});

describe("parseJUnitReport: bad input", () => {
  it("rejects non-XML, pointing JSON to the JSON parser", () => {
    expect(catchError(() => parseJUnitReport("hello")).code).toBe("NOT_XML");
    expect(catchError(() => parseJUnitReport('{"suites": []}')).message).toMatch(/parsePlaywrightReport/);
  });

  it("rejects truncated XML with a position", () => {
    const text = junit(1);
    const e = catchError(() => parseJUnitReport(text.slice(0, text.length / 2)));
    expect(e.code).toBe("NOT_XML");
    expect(e.message).toMatch(/line \d+, column \d+/);
  });

  it("rejects XML that is not JUnit", () => {
    expect(catchError(() => parseJUnitReport("<html><body/></html>")).code).toBe("NOT_JUNIT_REPORT");
  });

  it("rejects an empty run (JUnit drops load errors) unless allowed", () => {
    const empty = '<testsuites id="" name="" tests="0" failures="0" skipped="0" errors="0" time="0.1">\n</testsuites>';
    const e = catchError(() => parseJUnitReport(empty));
    expect(e.code).toBe("NO_TESTS");
    expect(e.message).toMatch(/use the JSON report/);
    expect(parseJUnitReport(empty, { allowEmpty: true }).tests).toEqual([]);
  });
});

describe("parseXml", () => {
  it("reads elements, attributes, entities, CDATA, comments and self-closing tags", () => {
    const root = parseXml(
      `<?xml version="1.0"?>\n<!-- c --><a x="1 &lt; 2" y='&quot;q&quot;'><b/>t&amp;&#65;&#x42;<![CDATA[<raw & text>]]></a>`,
    );
    expect(root).toMatchObject({ name: "a", attributes: { x: "1 < 2", y: '"q"' }, text: "t&AB<raw & text>" });
    expect(root.children.map((c) => c.name)).toEqual(["b"]);
  });

  it.each([
    ["<a><b></a>", /does not match/],
    ["<a>", /Unclosed element <a>/],
    ["<a x=1/>", /must be quoted/],
    ["<a>&nbsp;</a>", /Unknown entity/],
    ["<a/><b/>", /More than one root/],
    ["text", /outside the root/],
  ])("rejects %s", (xml, message) => {
    expect(() => parseXml(xml)).toThrow(XmlError);
    expect(() => parseXml(xml)).toThrow(message);
  });
});
