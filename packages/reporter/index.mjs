// @ts-check
/**
 * workdeck/reporter: a Playwright reporter that sends the run to Workdeck when it ends.
 *
 *   reporter: [["list"], ["workdeck/reporter", { url: "http://127.0.0.1:3000", project: "billing-api", token }]]
 *
 * The body is exactly what Playwright's own `json` reporter writes: we run that reporter (the
 * copy inside the Playwright that is running us) into a temp file and POST the file to
 * `${url}/api/reports?project=<project>`, so Workdeck ingests through its one code path.
 * We compose rather than re-serialise: the format is Playwright's, and only Playwright keeps it
 * right. Where its json reporter cannot be reached, we say so in one line and send nothing.
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
      const res = await fetch(endpoint, {
        method: "POST",
        body: /** @type {BodyInit} */ (body),
        headers,
        signal: AbortSignal.timeout(options.timeoutMs || 30_000),
      });
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
  const counts = [
    `${st.unexpected ?? 0} failed`,
    `${st.flaky ?? 0} flaky`,
    `${st.skipped ?? 0} skipped`,
    `${st.expected ?? 0} passed`,
  ].join(", ");
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
 * A module the running Playwright has already loaded, by the end of its path.
 * @param {NodeJS.Require} require
 * @param {RegExp} pathEnd
 * @returns {any}
 */
function loadedModule(require, pathEnd) {
  for (const key of Object.keys(require.cache)) if (pathEnd.test(key)) return require.cache[key]?.exports;
  return undefined;
}

/**
 * Playwright's own json reporter, from the Playwright that is running us (so the output is that
 * version's). Where it lives depends on the version; we found out by watching what each version
 * loads (module paths and exported names), not by reading its code:
 * - 1.60 and later bundle the built-in reporters in `playwright/lib/runner` (an exported subpath),
 *   whose `runnerReporters.createReporters` builds them from `[name, options]` pairs;
 * - 1.40 to 1.59 have no such subpath; the reporter is `playwright/lib/reporters/json.js`, already
 *   loaded by the runner, its default export the reporter class taking the documented options.
 * This lookup is the one adapter we keep: the JSON itself is always Playwright's.
 * @param {string} configDir
 * @param {string} outputFile absolute
 * @returns {Promise<any>} the reporter, driven through onConfigure / onBegin / onError / onEnd
 */
async function createJsonReporter(configDir, outputFile) {
  const require = createRequire(import.meta.url);
  const Legacy = loadedModule(require, /[\\/]playwright[\\/]lib[\\/]reporters[\\/]json\.js$/)?.default;
  let runner = loadedModule(require, /[\\/]playwright[\\/]lib[\\/]runner[\\/]index\.js$/);
  if (!runner?.runnerReporters && typeof Legacy !== "function") {
    // Not loaded under either name: the config folder's Playwright (never our own copy, which
    // could be another version than the one that ran the tests).
    try {
      runner = createRequire(path.join(configDir, "workdeck-reporter.cjs"))("playwright/lib/runner");
    } catch {
      runner = undefined;
    }
  }
  if (runner?.runnerReporters?.createReporters) {
    /** @type {any[]} */
    const reporters = await runner.runnerReporters.createReporters({ configDir, config: { reporter: [], tags: [] } }, "test", [
      ["json", { outputFile }],
    ]);
    const json =
      reporters.find((r) => r?.constructor?.name === "JSONReporter") ??
      reporters.find((r) => typeof r?.printsToStdio === "function" && !r.printsToStdio());
    if (json) return json;
  }
  if (typeof Legacy === "function") return new Legacy({ outputFile, configDir });
  throw new Error("Playwright's json reporter was not found in the Playwright running this reporter (1.40 or later is needed)");
}

/** Environment variables that would redirect or trim Playwright's json reporter output. */
const JSON_ENV = [
  "PLAYWRIGHT_JSON_OUTPUT_FILE",
  "PLAYWRIGHT_JSON_OUTPUT_DIR",
  "PLAYWRIGHT_JSON_OUTPUT_NAME",
  "PLAYWRIGHT_JSON_ONLY_FAILURES",
];

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
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workdeck-reporter-"));
  const outputFile = path.join(dir, "report.json");
  const saved = Object.fromEntries(JSON_ENV.map((k) => [k, process.env[k]]));
  try {
    /** @type {any} */
    let json;
    try {
      for (const k of JSON_ENV) delete process.env[k];
      json = await createJsonReporter(configDir, outputFile);
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
    }
    json.onConfigure?.(config);
    json.onBegin?.(suite);
    for (const error of errors) json.onError?.(error);
    await json.onEnd(result);
    return fs.readFileSync(outputFile, "utf8");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
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
    try {
      body = await builtinJsonReport(this.config, this.suite, this.errors, result);
    } catch (err) {
      this.print(
        `${PREFIX} could not run Playwright's json reporter (${(err instanceof Error ? err.message : String(err)).split("\n")[0]}), so the report was not sent. ` +
          `Instead, add ["json", { outputFile: "report.json" }] to the reporters and run \`workdeck ingest report.json --project ${o.project}\`. Test results are unaffected.`,
      );
      return;
    }
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
