/**
 * The raw Playwright JSON report: the schemas describe only what we read. Unknown keys are dropped
 * (Playwright adds and removes `config` keys between versions), but a field we need with the wrong
 * type is an error, because a silently mis-read status would corrupt every classification downstream.
 *
 * Validation goes unit by unit (the document head, each suite without its children, each spec,
 * each run error) and stops at the first unit with a problem, instead of one recursive schema over
 * the whole document: that recursion overflowed the stack on describes nested 3,000 deep, and a
 * document with hundreds of thousands of bad entries made Zod collect (and spread) as many issues,
 * which overflowed the stack too (issue 10).
 */
import { z } from "zod";
import { ReportFormatError } from "./errors";
import { MAX_FILE_CHARS, MAX_LIST_ENTRIES, MAX_NAME_CHARS, MAX_SUITE_DEPTH, MAX_TITLE_CHARS, clampDuration } from "./limits";
import { AttemptStatusSchema, ExpectedStatusSchema, TestOutcomeSchema } from "./model";

/** Strings that become part of a test's stored identity: bounded, no NUL (see limits.ts). */
const identityText = (what: string, max: number) =>
  z
    .string()
    .max(max, { error: `${what} longer than ${max.toLocaleString("en")} characters` })
    .refine((s) => !s.includes("\u0000"), { error: `${what} containing a NUL character` });
const durationMs = z.number().transform(clampDuration);
const count = z.number().int().min(0);

const PwLocationSchema = z.object({ file: z.string(), line: z.number(), column: z.number() });

const PwErrorSchema = z.object({
  message: z.string().optional(),
  stack: z.string().optional(),
  value: z.string().optional(),
  snippet: z.string().optional(),
  location: PwLocationSchema.optional(),
});
export type PwError = z.infer<typeof PwErrorSchema>;

const PwAnnotationSchema = z.object({ type: identityText("an annotation type", MAX_NAME_CHARS), description: z.string().optional() });

// `path`: where Playwright wrote the file (screenshots, videos, traces), absolute on the machine that ran it.
const PwAttachmentSchema = z.object({ name: z.string(), contentType: z.string().optional(), path: z.string().max(4096).optional() });

const PwResultSchema = z.object({
  status: AttemptStatusSchema,
  duration: durationMs,
  retry: count.default(0),
  startTime: z.string().optional(),
  error: PwErrorSchema.optional(),
  errors: z.array(PwErrorSchema).default([]),
  annotations: z.array(PwAnnotationSchema).default([]),
  attachments: z.array(PwAttachmentSchema).default([]),
});
export type PwResult = z.infer<typeof PwResultSchema>;

const PwTestSchema = z.object({
  projectName: identityText("a project name", MAX_NAME_CHARS),
  // `merge-reports` output has no projectId; we never need it.
  expectedStatus: ExpectedStatusSchema,
  status: TestOutcomeSchema,
  annotations: z.array(PwAnnotationSchema).default([]),
  results: z.array(PwResultSchema).default([]),
});
export type PwTest = z.infer<typeof PwTestSchema>;

const PwSpecSchema = z.object({
  title: identityText("a title", MAX_TITLE_CHARS),
  file: identityText("a file path", MAX_FILE_CHARS),
  line: z.number().optional(),
  column: z.number().optional(),
  tags: z.array(identityText("a tag", MAX_NAME_CHARS)).default([]),
  tests: z.array(PwTestSchema),
});
export type PwSpec = z.infer<typeof PwSpecSchema>;

/** A suite without its children: they are validated one by one (see validateReport). */
const PwSuiteHeadSchema = z.object({
  title: identityText("a title", MAX_TITLE_CHARS),
  file: identityText("a file path", MAX_FILE_CHARS).optional(),
  specs: z.array(z.unknown()).default([]),
  // Omitted (not []) when a suite has no child describes.
  suites: z.array(z.unknown()).optional(),
});

export type PwSuite = { title: string; file?: string; specs: PwSpec[]; suites?: PwSuite[] };
const PwSuiteSchema: z.ZodType<PwSuite> = z.lazy(() =>
  PwSuiteHeadSchema.extend({ specs: z.array(PwSpecSchema).default([]), suites: z.array(PwSuiteSchema).optional() }),
);

const PwStatsSchema = z.object({
  startTime: z.string().optional(),
  duration: durationMs.optional(),
  expected: count.default(0),
  unexpected: count.default(0),
  flaky: count.default(0),
  skipped: count.default(0),
});

/** `config` is informational and changes between versions: read it defensively, never reject it. */
const PwConfigSchema = z.record(z.string(), z.unknown());

/** The whole document in one schema: its type, and the format's documentation. Parsing uses validateReport. */
export const PlaywrightJsonReportSchema = z.object({
  config: PwConfigSchema.optional(),
  suites: z.array(PwSuiteSchema),
  errors: z.array(PwErrorSchema).default([]),
  stats: PwStatsSchema.optional(),
});
export type PlaywrightJsonReport = z.infer<typeof PlaywrightJsonReportSchema>;

const PwHeadSchema = PlaywrightJsonReportSchema.extend({ suites: z.array(z.unknown()), errors: z.array(z.unknown()).default([]) });

type Path = readonly (string | number)[];

/** The document, validated unit by unit; throws NOT_PLAYWRIGHT_REPORT naming the first problem found. */
export function validateReport(value: unknown): PlaywrightJsonReport {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ReportFormatError(
      "NOT_PLAYWRIGHT_REPORT",
      `The JSON is ${value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`}, not a Playwright report (an object with "config", "suites", "errors" and "stats").`,
    );
  }
  const record = value as Record<string, unknown>;
  if (!Array.isArray(record.suites)) {
    const hint =
      "testResults" in record || "numTotalTests" in record
        ? " It looks like a Jest/Vitest report."
        : "results" in record && "tool" in record
          ? " It looks like a CTRF report."
          : "";
    throw new ReportFormatError(
      "NOT_PLAYWRIGHT_REPORT",
      `The JSON has no "suites" array, so it is not a Playwright JSON report.${hint} ` +
        `Top-level keys found: ${Object.keys(record).slice(0, 8).join(", ") || "(none)"}.`,
    );
  }
  const head = unit(PwHeadSchema, value, []);
  const errors = head.errors.map((e, i) => unit(PwErrorSchema, e, ["errors", i]));

  // Breadth first with an explicit queue: no recursion, and suites keep their order.
  const suites: PwSuite[] = new Array(head.suites.length);
  const queue: { raw: unknown; path: Path; depth: number; into: PwSuite[]; index: number }[] = head.suites.map((raw, index) => ({
    raw,
    path: ["suites", index],
    depth: 1,
    into: suites,
    index,
  }));
  for (let i = 0; i < queue.length; i++) {
    const { raw, path, depth, into, index } = queue[i]!;
    queue[i] = undefined as never; // let validated input go as we move on
    if (depth > MAX_SUITE_DEPTH) {
      throw new ReportFormatError(
        "NOT_PLAYWRIGHT_REPORT",
        `The report nests suites more than ${MAX_SUITE_DEPTH} levels deep (at ${path.slice(0, 6).join(".")}…); Playwright writes one level per describe block, ` +
          "so this file was not written by Playwright's json reporter.",
      );
    }
    const suiteHead = unit(PwSuiteHeadSchema, raw, path);
    const suite: PwSuite = {
      title: suiteHead.title,
      specs: suiteHead.specs.map((spec, s) => {
        const specPath = [...path, "specs", s];
        checkListSizes(spec, specPath);
        return unit(PwSpecSchema, spec, specPath);
      }),
    };
    if (suiteHead.file !== undefined) suite.file = suiteHead.file;
    if (suiteHead.suites) {
      const children: PwSuite[] = (suite.suites = new Array(suiteHead.suites.length));
      suiteHead.suites.forEach((child, c) =>
        queue.push({ raw: child, path: [...path, "suites", c], depth: depth + 1, into: children, index: c }),
      );
    }
    into[index] = suite;
  }
  const report: PlaywrightJsonReport = { suites, errors };
  if (head.config !== undefined) report.config = head.config;
  if (head.stats !== undefined) report.stats = head.stats;
  return report;
}

function unit<S extends z.ZodType>(schema: S, value: unknown, path: Path): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues.slice(0, 20).map((issue) => `${[...path, ...issue.path].join(".") || "(root)"}: ${issue.message}`);
  throw new ReportFormatError(
    "NOT_PLAYWRIGHT_REPORT",
    `The JSON looks like a Playwright report but does not match the format we read (first problem: ${details[0]}). ` +
      "Was it edited by hand or produced by an unsupported Playwright version?",
    { details },
  );
}

/**
 * A spec's lists, bounded before Zod sees them: Zod spreads every issue of a list into its
 * parent's (`push(...issues)`), which overflows the stack past ~100,000 bad entries.
 */
function checkListSizes(spec: unknown, path: Path): void {
  const list = (value: unknown, at: () => Path): unknown[] => {
    if (!Array.isArray(value)) return [];
    if (value.length > MAX_LIST_ENTRIES) {
      throw new ReportFormatError(
        "NOT_PLAYWRIGHT_REPORT",
        `${at().join(".")} has ${value.length.toLocaleString("en")} entries; at most ${MAX_LIST_ENTRIES.toLocaleString("en")} are read, so this is not a report Playwright wrote.`,
      );
    }
    return value;
  };
  const s = asRecord(spec);
  list(s.tags, () => [...path, "tags"]);
  list(s.tests, () => [...path, "tests"]).forEach((test, t) => {
    const tr = asRecord(test);
    list(tr.annotations, () => [...path, "tests", t, "annotations"]);
    list(tr.results, () => [...path, "tests", t, "results"]).forEach((result, r) => {
      const rr = asRecord(result);
      for (const key of ["errors", "annotations", "attachments"]) list(rr[key], () => [...path, "tests", t, "results", r, key]);
    });
  });
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
