import path from "node:path";
import { describe, expect, it } from "vitest";
import { sharedPath } from "../../../tests/support/shared";
import { readReportFile } from "@workdeck/error-classifier/fs";

const reports = sharedPath("playwright-sample", "reports");

describe("readReportFile", () => {
  it("picks the parser from the content: JSON or JUnit XML", async () => {
    expect((await readReportFile(path.join(reports, "run-2.json"))).source).toBe("playwright-json");
    expect((await readReportFile(path.join(reports, "run-2.junit.xml"))).source).toBe("junit");
  });
});
