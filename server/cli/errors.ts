import fs from "node:fs";
import path from "node:path";
import { Option, type Command } from "commander";
import type { FailureGroup } from "@/lib/schemas/errors";

/**
 * `workdeck ingest <report> --project <slug>` (what CI pipelines call) and
 * `workdeck errors list --project <slug> --json`. Both open only the store (config, database,
 * projects; not the session runner or the OpenSpec service, issue 12), go
 * through the same services as the HTTP endpoint and the router, and exit non-zero with a
 * one-line message on bad input (main.ts prints thrown errors).
 */
export function registerErrorsCommands(program: Command): void {
  quietEpipe();
  program
    .command("ingest")
    .description("ingest a Playwright JSON (or JUnit XML) report into a project")
    .argument("<report>", "the report file (`-` reads stdin)")
    .requiredOption("--project <slug>", "the project the run belongs to")
    .addOption(new Option("--format <format>", "report format").choices(["auto", "json", "junit"]).default("auto"))
    .option("--branch <branch>", "git branch of the run (default: from the report)")
    .option("--commit <sha>", "git commit of the run (default: from the report)")
    .option("--source <source>", "where the run comes from, e.g. a CI build URL")
    .option("--json", "print the ingest summary as JSON")
    .action(
      async (
        file: string,
        opts: { project: string; format: "auto" | "json" | "junit"; branch?: string; commit?: string; source?: string; json?: boolean },
      ) => {
        await withStore(async (store) => {
          const limit = store.env.maxReportBytes;
          const body = file === "-" ? await readStdin(limit) : readReportFile(file, limit);
          const { ingestReportOnStore } = await import("../errors/ingest");
          const summary = await ingestReportOnStore(store, {
            projectSlug: opts.project,
            body,
            format: opts.format,
            branch: opts.branch,
            commit: opts.commit,
            source: opts.source,
          });
          if (opts.json) {
            process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
            return;
          }
          const s = summary.stats;
          const lines = summary.duplicate
            ? [`Already ingested as run ${summary.seq} of ${summary.projectSlug}; nothing changed.`]
            : [
                `Ingested run ${summary.seq} of ${summary.projectSlug}: ${summary.tests} tests (${s.expected} passed, ${s.unexpected} failed, ${s.flaky} flaky, ${s.skipped} skipped).`,
                `Failure groups: ${summary.failuresNew} new, ${summary.failuresUpdated} updated, ${summary.failuresResolved} resolved.`,
              ];
          for (const w of summary.warnings) lines.push(`warning: ${w}`);
          process.stdout.write(`${lines.join("\n")}\n`);
        });
      },
    );

  const errors = program.command("errors").description("failure groups and their triage");
  errors
    .command("list")
    .description("failure groups with pattern, decision and heuristics")
    .option("--project <slug>", "only this project")
    .option("--pattern <pattern...>", "new | flaky | recurring | persistent")
    .option("--decision <decision...>", "needs_spec | one_off_fix | ignore | pending")
    .option("--status <status...>", "active | inactive | resolved")
    .option("--search <text>", "substring of file, title, Playwright project or message")
    .option("--json", "print JSON (one object per failure group)")
    .action(
      async (opts: { project?: string; pattern?: string[]; decision?: string[]; status?: string[]; search?: string; json?: boolean }) => {
        await withStore(async (store) => {
          if (opts.project) store.projects.get(opts.project); // unknown slug: a clear error, not an empty list
          const { listFailures } = await import("../errors/listing");
          const { ListFailuresInputSchema } = await import("@/lib/schemas/errors");
          const parsed = ListFailuresInputSchema.safeParse({
            projectId: opts.project,
            pattern: opts.pattern,
            decision: opts.decision,
            status: opts.status,
            search: opts.search,
          });
          if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `--${String(i.path[0])}: ${i.message}`).join("; "));
          const groups = await listFailures(store, parsed.data);
          if (opts.json) {
            process.stdout.write(`${JSON.stringify(groups.map(toCliJson), null, 2)}\n`);
            return;
          }
          if (groups.length === 0) {
            process.stdout.write("No failure groups.\n");
            return;
          }
          for (const g of groups) {
            process.stdout.write(
              `#${g.id} [${g.status}] ${g.pattern.padEnd(10)} P${g.priority} ${g.decision === "pending" ? `suggested ${g.suggestedDecision}` : g.decision}  ` +
                `${g.file} › ${g.titlePath.join(" › ")} (${g.projectName})  ${g.occurrences}×\n    ${g.lastMessage.split("\n")[0]}\n`,
            );
          }
        });
      },
    );
}

/** The CLI's JSON: the group with the names issue 3 lists first, dates as ISO strings. */
function toCliJson(g: FailureGroup) {
  return {
    id: g.id,
    project: g.projectSlug,
    file: g.file,
    titlePath: g.titlePath,
    projectName: g.projectName,
    pattern: g.pattern,
    active: g.active,
    status: g.status,
    decision: g.decision,
    suggestedDecision: g.suggestedDecision,
    overriddenSuggestion: g.overriddenSuggestion,
    priority: g.priority,
    confidence: g.confidence,
    rationale: g.rationale,
    humanRationale: g.humanRationale,
    occurrences: g.occurrences,
    consecutiveFailures: g.consecutiveFailures,
    heuristics: g.heuristics,
    fingerprint: g.fingerprint,
    lastMessage: g.lastMessage,
    firstSeen: { run: g.firstSeen.seq, at: g.firstSeen.at.toISOString() },
    lastSeen: { run: g.lastSeen.seq, at: g.lastSeen.at.toISOString() },
    resolvedAt: g.resolvedAt?.toISOString() ?? null,
    assignedSessionId: g.assignedSessionId,
    specChangeId: g.specChangeId,
    runErrorKind: g.runErrorKind,
    recentRuns: g.recentRuns,
  };
}

/**
 * `workdeck errors list | head`: once the reader is gone, writes fail with EPIPE, emitted as an
 * 'error' on stdout that would otherwise crash the process with a stack trace. The output is no
 * longer wanted: drop it quietly (the command still finishes and closes the database).
 */
let epipeHandled = false;
function quietEpipe(): void {
  if (epipeHandled) return;
  epipeHandled = true;
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") return;
    process.stderr.write(`workdeck: cannot write output (${err.code ?? err.message})\n`);
    process.exitCode = 1;
  });
}

/** The report file, named as the user typed it in every message; the server's body limit applies here too. */
function readReportFile(file: string, limit: number): Buffer {
  const full = path.resolve(file);
  let size: number;
  try {
    const stat = fs.statSync(full);
    if (!stat.isFile()) throw new Error(`${file} is not a file`);
    size = stat.size;
  } catch (err) {
    throw readError(file, err);
  }
  if (size > limit) throw tooLarge(file, size, limit);
  try {
    return fs.readFileSync(full);
  } catch (err) {
    throw readError(file, err);
  }
}

/** `workdeck ingest -`: stdin, refused as soon as it passes the limit instead of after filling memory. */
async function readStdin(limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > limit) throw tooLarge("the report on stdin", size, limit, true);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

function readError(file: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code;
  return new Error(code === "ENOENT" ? `${file}: no such file` : code ? `${file}: cannot read (${code})` : (err as Error).message);
}

function tooLarge(what: string, size: number, limit: number, atLeast = false): Error {
  return new Error(
    `${what} is ${atLeast ? "over " : ""}${bytes(size)}; reports are limited to ${bytes(limit)} (set WORKDECK_MAX_REPORT_BYTES to change it).`,
  );
}

function bytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KB` : `${n} bytes`;
}

async function withStore(fn: (store: import("../store").Store) => Promise<void>): Promise<void> {
  const [{ openStore, registerProjects }, { readEnv }] = await Promise.all([import("../store"), import("../env")]);
  const env = readEnv();
  const store = await openStore(env);
  try {
    const { warnings } = await registerProjects(store);
    if (env.logLevel !== "silent" && env.logLevel !== "error") for (const w of warnings) process.stderr.write(`workdeck: warning: ${w}\n`);
    await fn(store);
  } finally {
    await store.close();
  }
}
