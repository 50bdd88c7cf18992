// @ts-check
/**
 * workdeck/reporter: a Playwright reporter that sends the run to Workdeck when it ends.
 *
 *   reporter: [["list"], ["workdeck/reporter", { url: "http://127.0.0.1:3000", project: "billing-api", token }]]
 *
 * The body is exactly what Playwright's own `json` reporter writes: we run that reporter (the
 * copy inside the Playwright that is running us) into a temp file and POST the file to
 * `${url}/api/reports?project=<project>`, so Workdeck ingests through its one code path.
 * If Playwright's internals move, a serialiser of the same fields (the ones Workdeck reads) takes over.
 *
 * Plain ESM JavaScript on purpose: Playwright loads reporters with require()/import() and does
 * not transpile TypeScript inside node_modules. No dependencies beyond Node >= 18 (fetch).
 * It never fails the test run: every problem is one line on stdout.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

const PREFIX = "[workdeck]";

/** @typedef {import("./index.mjs").WorkdeckReporterOptions} WorkdeckReporterOptions */
/** @typedef {import("./index.mjs").ResolvedOptions} ResolvedOptions */
/** @typedef {import("./index.mjs").SendResult} SendResult */

/**
 * Options first, then WORKDECK_URL / WORKDECK_PROJECT / WORKDECK_TOKEN.
 * @param {WorkdeckReporterOptions} [options]
 * @param {Record<string, string | undefined>} [env]
 * @returns {ResolvedOptions}
 */
export function resolveOptions(options = {}, env = process.env) {
  const pick = (/** @type {unknown} */ value, /** @type {string | undefined} */ fallback) =>
    typeof value === "string" && value.trim() !== "" ? value.trim() : fallback && fallback.trim() !== "" ? fallback.trim() : undefined;
  const num = (/** @type {unknown} */ value, /** @type {number} */ fallback) =>
    typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : fallback;
  return {
    url: pick(options.url, env.WORKDECK_URL)?.replace(/\/+$/, ""),
    project: pick(options.project, env.WORKDECK_PROJECT),
    token: pick(options.token, env.WORKDECK_TOKEN),
    branch: pick(options.branch, undefined),
    commit: pick(options.commit, undefined),
    source: pick(options.source, undefined),
    retries: Math.floor(num(options.retries, 3)),
    retryDelayMs: num(options.retryDelayMs, 1000),
    timeoutMs: num(options.timeoutMs, 30_000),
    enabled: options.enabled !== false,
    useBuiltinJson: options.useBuiltinJson !== false,
  };
}

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Why a fetch failed, as a person reads it ("connect ECONNREFUSED 127.0.0.1:3000").
 * @param {unknown} err
 */
function networkReason(err) {
  const e = /** @type {{ name?: string; message?: string; cause?: { code?: string; message?: string } }} */ (err ?? {});
  if (e.name === "TimeoutError" || e.name === "AbortError") return "timed out";
  return e.cause?.message ?? e.cause?.code ?? e.message ?? String(err);
}

/**
 * POSTs a report body to Workdeck. Retries what can be transient (connection errors, timeouts,
 * 5xx, 429) with exponential backoff; a 4xx is the server's final word. Never throws.
 * @param {string | Uint8Array} body
 * @param {ResolvedOptions & { url: string; project: string }} options
 * @returns {Promise<SendResult>}
 */
export async function sendReport(body, options) {
  const query = new URLSearchParams({ project: options.project });
  if (options.branch) query.set("branch", options.branch);
  if (options.commit) query.set("commit", options.commit);
  if (options.source) query.set("source", options.source);
  const endpoint = `${options.url}/api/reports?${query}`;
  /** @type {Record<string, string>} */
  const headers = { "content-type": "application/json" };
  if (options.token) headers.authorization = `Bearer ${options.token}`;

  let attempts = 0;
  /** @type {string} */
  let lastReason = "";
  /** @type {number | undefined} */
  let lastStatus;
  for (;;) {
    attempts++;
    let transient = false;
    try {
      const res = await fetch(endpoint, { method: "POST", body: /** @type {BodyInit} */ (body), headers, signal: AbortSignal.timeout(options.timeoutMs || 30_000) });
      const text = await res.text();
      /** @type {any} */
      let json;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      if (res.ok && json && typeof json === "object") return { ok: true, status: res.status, attempts, summary: json };
      lastStatus = res.status;
      const apiError = json?.error;
      lastReason =
        apiError && typeof apiError === "object"
          ? `${apiError.code ? `${apiError.code}: ` : ""}${apiError.message ?? ""}`
          : (typeof apiError === "string" ? apiError : text.trim().slice(0, 300)) || res.statusText;
      if (res.ok) lastReason = `unexpected response (${lastReason || "empty body"})`;
      transient = res.status >= 500 || res.status === 429 || res.status === 408;
    } catch (err) {
      lastStatus = undefined;
      lastReason = networkReason(err);
      transient = true;
    }
    if (!transient || attempts > options.retries) {
      return { ok: false, status: lastStatus, attempts, transient, endpoint, message: lastReason };
    }
    await sleep(Math.min(options.retryDelayMs * 2 ** (attempts - 1), 15_000));
  }
}

/**
 * One line for a successful ingest.
 * @param {any} s the IngestSummary Workdeck returns
 * @param {string} url
 */
export function formatSummary(s, url) {
  const link = `${url}/errors?project=${encodeURIComponent(String(s.projectSlug))}`;
  if (s.duplicate) return `${PREFIX} this run was already ingested as run #${s.seq} of "${s.projectSlug}"; nothing changed. ${link}`;
  const st = s.stats ?? {};
  const counts = [`${st.unexpected ?? 0} failed`, `${st.flaky ?? 0} flaky`, `${st.skipped ?? 0} skipped`, `${st.expected ?? 0} passed`].join(", ");
  const failures = `failure groups: ${s.failuresNew ?? 0} new, ${s.failuresUpdated ?? 0} updated, ${s.failuresResolved ?? 0} resolved`;
  const runErrors = s.runErrors ? `; ${s.runErrors} run-level error${s.runErrors === 1 ? "" : "s"}` : "";
  return `${PREFIX} run #${s.seq} of "${s.projectSlug}" ingested: ${s.tests} tests (${counts}); ${failures}${runErrors}. ${link}`;
}

/**
 * One line for a failure. The test run is never affected.
 * @param {Extract<SendResult, { ok: false }>} r
 * @param {string} url
 */
export function formatFailure(r, url) {
  if (r.status === undefined) {
    return `${PREFIX} could not reach Workdeck at ${url} (${r.message}; ${r.attempts} attempt${r.attempts === 1 ? "" : "s"}): the report was not sent. Test results are unaffected.`;
  }
  const retried = r.attempts > 1 ? ` after ${r.attempts} attempts` : "";
  return `${PREFIX} Workdeck did not accept the report (HTTP ${r.status}${retried}): ${r.message}`;
}

// Building the report ----------------------------------------------------------------------------

/**
 * The Playwright runner module of the process we run in (same version as the runner), else one
 * resolved from the config folder.
 * @param {string} configDir
 * @returns {any}
 */
function loadPlaywrightRunner(configDir) {
  const require = createRequire(import.meta.url);
  for (const key of Object.keys(require.cache)) {
    if (/[\\/]playwright[\\/]lib[\\/]runner[\\/]index\.js$/.test(key)) {
      const mod = require.cache[key]?.exports;
      if (mod?.runnerReporters?.createReporters) return mod;
    }
  }
  for (const base of [configDir, process.cwd()]) {
    try {
      return createRequire(path.join(base, "workdeck-reporter.cjs"))("playwright/lib/runner");
    } catch {
      // try the next base
    }
  }
  return require("playwright/lib/runner");
}

/** Environment variables that would redirect or trim Playwright's json reporter output. */
const JSON_ENV = ["PLAYWRIGHT_JSON_OUTPUT_FILE", "PLAYWRIGHT_JSON_OUTPUT_DIR", "PLAYWRIGHT_JSON_OUTPUT_NAME", "PLAYWRIGHT_JSON_ONLY_FAILURES"];

/**
 * Runs Playwright's own json reporter over the finished run, into a temp file, and returns the text.
 * @param {any} config FullConfig
 * @param {any} suite root Suite
 * @param {unknown[]} errors run-level errors received through onError
 * @param {any} result FullResult
 * @returns {Promise<string>}
 */
async function builtinJsonReport(config, suite, errors, result) {
  const configDir = config.configFile ? path.dirname(config.configFile) : config.rootDir;
  const runner = loadPlaywrightRunner(configDir);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workdeck-reporter-"));
  const outputFile = path.join(dir, "report.json");
  const saved = Object.fromEntries(JSON_ENV.map((k) => [k, process.env[k]]));
  try {
    /** @type {any[]} */
    let reporters;
    try {
      for (const k of JSON_ENV) delete process.env[k];
      reporters = await runner.runnerReporters.createReporters({ configDir, config: { reporter: [], tags: [] } }, "test", [["json", { outputFile }]]);
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
    }
    const json = reporters.find((r) => r?.constructor?.name === "JSONReporter") ?? reporters.find((r) => typeof r?.printsToStdio === "function" && !r.printsToStdio());
    if (!json) throw new Error("Playwright's json reporter was not found");
    json.onConfigure?.(config);
    json.onBegin?.(suite);
    for (const error of errors) json.onError?.(error);
    await json.onEnd(result);
    return fs.readFileSync(outputFile, "utf8");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * Same fields as Playwright's json reporter (those Workdeck reads, and a few more), from the
 * public reporter API only. Used when Playwright's internals cannot be reached.
 * @param {any} config
 * @param {any} suite
 * @param {any[]} errors
 * @param {any} result
 * @returns {string}
 */
export function serializeReport(config, suite, errors, result) {
  const rootDir = String(config.rootDir ?? "");
  const posix = (/** @type {string} */ p) => p.replace(/\\/g, "/");
  const rel = (/** @type {any} */ loc) =>
    loc ? { file: posix(path.relative(rootDir, loc.file)), line: loc.line, column: loc.column } : { file: "", line: 0, column: 0 };
  /** @param {any} e */
  const formatError = (e) => {
    const message = e.message ?? e.value ?? "";
    if (!e.stack && !e.location) return { message };
    const stackLines = e.stack ? String(e.stack).split("\n") : [];
    const firstAt = stackLines.findIndex((l) => /^\s*at\s/.test(l));
    const text = e.stack ? (firstAt >= 0 ? stackLines.slice(0, firstAt) : stackLines).join("\n") : message;
    const tokens = [text];
    if (e.snippet) tokens.push("", String(e.snippet).replace(ANSI, ""));
    if (firstAt >= 0) tokens.push(stackLines.slice(firstAt).join("\n"));
    return { message: tokens.join("\n"), ...(e.location ? { location: e.location } : {}) };
  };
  /** @param {string | Buffer} chunk */
  const stdio = (chunk) => (typeof chunk === "string" ? { text: chunk } : { buffer: Buffer.from(chunk).toString("base64") });
  /** First stack frame with a location, as Playwright's `errorLocation`. @param {string | undefined} stack */
  const stackLocation = (stack) => {
    const m = /^\s*at (?:.*\()?(.+?):(\d+):(\d+)\)?\s*$/m.exec(stack ?? "");
    return m ? { file: m[1], line: Number(m[2]), column: Number(m[3]) } : undefined;
  };
  /** @param {any} test @param {string} projectName */
  const serializeTest = (test, projectName) => ({
    timeout: test.timeout,
    annotations: test.annotations,
    expectedStatus: test.expectedStatus,
    projectId: projectName,
    projectName,
    results: test.results.map((/** @type {any} */ r) => {
      const errorLocation = stackLocation(r.error?.stack);
      return {
        workerIndex: r.workerIndex,
        parallelIndex: r.parallelIndex,
        status: r.status,
        duration: r.duration,
        error: r.error,
        errors: r.errors.map(formatError),
        stdout: (r.stdout ?? []).map(stdio),
        stderr: (r.stderr ?? []).map(stdio),
        retry: r.retry,
        startTime: r.startTime instanceof Date ? r.startTime.toISOString() : r.startTime,
        annotations: r.annotations,
        attachments: r.attachments.map((/** @type {any} */ a) => ({ name: a.name, contentType: a.contentType, path: a.path, body: a.body ? Buffer.from(a.body).toString("base64") : undefined })),
        ...(errorLocation ? { errorLocation } : {}),
      };
    }),
    status: test.outcome(),
  });
  /** @param {any} s @param {string} projectName @returns {any} */
  const serializeSuite = (s, projectName) => {
    const entries = typeof s.entries === "function" ? s.entries() : [...s.suites, ...s.tests];
    const suites = entries.filter((/** @type {any} */ e) => e.type !== "test").map((/** @type {any} */ c) => serializeSuite(c, projectName)).filter(Boolean);
    const tests = entries.filter((/** @type {any} */ e) => e.type === "test");
    if (!tests.length && !suites.length) return null;
    return {
      title: s.title,
      ...rel(s.location),
      specs: tests.map((/** @type {any} */ t) => ({
        title: t.title,
        ok: t.ok(),
        tags: (t.tags ?? []).map((/** @type {string} */ tag) => tag.replace(/^@/, "")),
        tests: [serializeTest(t, projectName)],
        id: t.id,
        ...rel(t.location),
      })),
      suites: suites.length ? suites : undefined,
    };
  };
  /** @param {any} to @param {any} from */
  const merge = (to, from) => {
    const same = (/** @type {any} */ a, /** @type {any} */ b) => a.title === b.title && a.file === b.file && a.line === b.line && a.column === b.column;
    for (const child of from.suites ?? []) {
      const target = (to.suites ?? []).find((/** @type {any} */ s) => same(s, child));
      if (target) merge(target, child);
      else (to.suites ??= []).push(child);
    }
    for (const spec of from.specs ?? []) {
      const target = to.specs.find((/** @type {any} */ s) => same(s, spec));
      if (target) target.tests.push(...spec.tests);
      else to.specs.push(spec);
    }
  };
  /** @type {Map<string, any>} */
  const files = new Map();
  for (const projectSuite of suite.suites) {
    const projectName = projectSuite.project()?.name ?? "";
    for (const fileSuite of projectSuite.suites) {
      const serialized = serializeSuite(fileSuite, projectName);
      if (!serialized) continue;
      let target = files.get(serialized.file);
      if (!target) {
        target = { title: serialized.title, file: serialized.file, column: 0, line: 0, specs: [] };
        files.set(serialized.file, target);
      }
      merge(target, serialized);
    }
  }
  const stats = { startTime: result.startTime instanceof Date ? result.startTime.toISOString() : undefined, duration: result.duration, expected: 0, skipped: 0, unexpected: 0, flaky: 0 };
  for (const test of suite.allTests()) stats[/** @type {"expected"} */ (test.outcome())]++;
  const { projects: _projects, ...rest } = config;
  const report = {
    config: {
      ...Object.fromEntries(Object.entries(rest).filter(([k]) => !k.startsWith("_"))),
      rootDir: posix(rootDir),
      projects: (config.projects ?? []).map((/** @type {any} */ p) => ({
        outputDir: posix(p.outputDir),
        repeatEach: p.repeatEach,
        retries: p.retries,
        metadata: p.metadata,
        id: p.name,
        name: p.name,
        testDir: posix(p.testDir),
        testIgnore: [p.testIgnore].flat().map(String),
        testMatch: [p.testMatch].flat().map(String),
        timeout: p.timeout,
      })),
    },
    suites: [...files.values()],
    errors,
    stats,
  };
  return JSON.stringify(report, undefined, 2);
}

// The reporter -----------------------------------------------------------------------------------

export default class WorkdeckReporter {
  /** @param {WorkdeckReporterOptions} [options] */
  constructor(options = {}) {
    this.options = resolveOptions(options);
    /** @type {(line: string) => void} */
    this.print = typeof options.log === "function" ? options.log : (line) => process.stdout.write(`${line}\n`);
    /** @type {any} */
    this.config = undefined;
    /** @type {any} */
    this.suite = undefined;
    /** @type {unknown[]} */
    this.errors = [];
    /** @type {SendResult | undefined} the outcome, for callers and tests */
    this.result = undefined;
  }

  /** Playwright adds its default line/dot reporter when no reporter prints to stdio. */
  printsToStdio() {
    return false;
  }

  /** @param {any} config @param {any} suite */
  onBegin(config, suite) {
    this.config = config;
    this.suite = suite;
  }

  /** @param {unknown} error */
  onError(error) {
    this.errors.push(error);
  }

  /** @param {any} result */
  async onEnd(result) {
    try {
      await this.send(result);
    } catch (err) {
      this.print(`${PREFIX} the report was not sent: ${err instanceof Error ? err.message : String(err)}. Test results are unaffected.`);
    }
    // Nothing returned: the run's status is Playwright's alone.
  }

  /** @param {any} result */
  async send(result) {
    const o = this.options;
    if (!o.enabled) return;
    if (!o.url || !o.project) {
      const missing = [!o.url && "url (or WORKDECK_URL)", !o.project && "project (or WORKDECK_PROJECT)"].filter(Boolean).join(" and ");
      this.print(`${PREFIX} not sending the report: set the reporter's ${missing}.`);
      return;
    }
    if (!this.config || !this.suite) {
      this.print(`${PREFIX} not sending the report: Playwright ended before the run began.`);
      return;
    }
    let body;
    if (o.useBuiltinJson) {
      try {
        body = await builtinJsonReport(this.config, this.suite, this.errors, result);
      } catch {
        body = undefined; // Playwright's internals moved: fall back to our serialiser below.
      }
    }
    body ??= serializeReport(this.config, this.suite, this.errors, result);
    const sent = await sendReport(body, { ...o, url: o.url, project: o.project });
    this.result = sent;
    if (sent.ok) {
      this.print(formatSummary(sent.summary, o.url));
      for (const warning of sent.summary.warnings ?? []) if (!sent.summary.duplicate) this.print(`${PREFIX} warning: ${warning}`);
    } else {
      this.print(formatFailure(sent, o.url));
    }
  }
}
