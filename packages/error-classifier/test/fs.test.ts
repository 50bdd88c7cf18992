import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readReportFile } from "@workdeck/error-classifier/fs";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const reports = path.resolve(repoRoot, "../shared/playwright-sample/reports");

describe("readReportFile", () => {
  it("picks the parser from the content: JSON or JUnit XML", async () => {
    expect((await readReportFile(path.join(reports, "run-2.json"))).source).toBe("playwright-json");
    expect((await readReportFile(path.join(reports, "run-2.junit.xml"))).source).toBe("junit");
  });
});
