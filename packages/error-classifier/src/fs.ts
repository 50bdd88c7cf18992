/**
 * The only entry that touches the file system (`@workdeck/error-classifier/fs`), so the rest of
 * the package stays pure and usable on any input the ingest service receives (HTTP bodies, CLI).
 */
import { readFile } from "node:fs/promises";
import { parseJUnitReport, type ParseJUnitOptions } from "./junit";
import type { NormalizedReport } from "./model";
import { parsePlaywrightReport, type ParseReportOptions } from "./report";

/** Reads a Playwright JSON or JUnit XML report, choosing the parser by content (not extension). */
export async function readReportFile(path: string, options: ParseReportOptions & ParseJUnitOptions = {}): Promise<NormalizedReport> {
  const bytes = await readFile(path);
  const text = new TextDecoder("utf-8").decode(bytes).replace(/^\uFEFF/, "");
  return text.trimStart().startsWith("<") ? parseJUnitReport(text, options) : parsePlaywrightReport(text, options);
}
