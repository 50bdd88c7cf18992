/**
 * Report ingest on PostgreSQL and on a SQLite file, side by side (issue 14): a 60,000-test
 * (about 36 MB) Playwright report through the ingest worker thread, as `POST /api/reports` runs it
 * (on SQLite the worker's own file connection, on PostgreSQL its own small pool), into an empty
 * project and then as the project's second run; and two different 10,000-test reports of one
 * project sent at once from two instances (two pools), where both must land. Rounds alternate
 * between the dialects (the machine's load varies). Run alone: `npx tsx --tsconfig tsconfig.json bench/report-ingest.ts`.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { migrateDatabase, openDatabase } from "@/server/db/client";
import { PostgresStore, SqliteStore, type SqlStore } from "@/server/db/sql-store";
import { EventBus } from "@/server/events/bus";
import { ingestReportInWorker, ingestReportOnStore, type IngestDeps } from "@/server/errors/ingest";
import { ingestThread } from "@/server/errors/ingest-thread";
import { startPostgres } from "../tests/support/postgres";
import { databaseUrl, migratePostgres } from "../tests/support/pg-bus";
import { generatePlaywrightReport, reversedReport } from "./generate-playwright";
import { percentile, type BenchRow } from "./stats";

const repoRoot = path.resolve(import.meta.dirname, "..");
const ROUNDS = 3;
const SLUG = "bench";
const projects = {
  get: (slug: string) => {
    if (slug !== SLUG) throw new Error(`unknown project ${slug}`);
    return { slug, name: slug, path: repoRoot, openspecRoot: repoRoot, source: "config" as const, problem: null };
  },
};

/** Every measured time of the last run (the standalone run prints them). */
let raw: unknown = null;

const once = (bytes: Buffer) =>
  (async function* () {
    yield new Uint8Array(bytes);
  })();

export async function benchReportIngest(): Promise<BenchRow[]> {
  const server = await startPostgres();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workdeck-bench-report-"));
  const admin = new pg.Client({ connectionString: server.url });
  const closers: (() => unknown)[] = [];
  try {
    await admin.connect();
    const big = [1, 2].map((run) => Buffer.from(generatePlaywrightReport({ tests: 60_000, run })));
    // The second of the pair lists its tests backwards (another shard's order): the two meet the same new groups in opposite orders.
    const pair = [3, 4].map((run) => generatePlaywrightReport({ tests: 10_000, run, oneOffRate: 0.05 }));
    pair[1] = reversedReport(pair[1]!);
    const times = {
      sqlite: { first: [] as number[], second: [] as number[] },
      postgres: { first: [] as number[], second: [] as number[] },
    };
    const pairs: number[] = [];
    let refused = 0;
    let db = 0;

    const pgDatabase = async () => {
      const name = `bench_${++db}`;
      await admin.query(`CREATE DATABASE ${name}`);
      const url = databaseUrl(server.url, name);
      await migratePostgres(url);
      return url;
    };
    const pgInstance = (url: string): IngestDeps & { sqlStore: SqlStore } => {
      const pool = new pg.Pool({ connectionString: url, max: 4 });
      closers.push(() => pool.end());
      const store = new PostgresStore(pool);
      return { sqlStore: store, bus: new EventBus(null, store), projects };
    };

    // Warm-up: the worker thread's start (it compiles the sources) is not counted.
    const warm = pgInstance(await pgDatabase());
    await ingestReportOnStore(warm, { projectSlug: SLUG, body: generatePlaywrightReport({ tests: 100, run: 99 }) });

    for (let round = 0; round < ROUNDS; round++) {
      for (const dialect of round % 2 ? (["postgres", "sqlite"] as const) : (["sqlite", "postgres"] as const)) {
        let deps: Parameters<typeof ingestReportInWorker>[0];
        if (dialect === "sqlite") {
          const file = path.join(dir, `r${round}.db`);
          const sqlite = openDatabase(file);
          migrateDatabase(sqlite, path.join(repoRoot, "drizzle"));
          closers.push(() => sqlite.$client.close());
          deps = { db: sqlite, sqlStore: SqliteStore.on(sqlite.$client), bus: new EventBus(sqlite), projects, env: { appRoot: repoRoot } };
        } else {
          const url = await pgDatabase();
          deps = { ...pgInstance(url), env: { appRoot: repoRoot, databaseUrl: url } };
        }
        for (const [i, body] of big.entries()) {
          const t = performance.now();
          const summary = await ingestReportInWorker(deps, { projectSlug: SLUG, body: once(body) });
          if (summary.seq !== i + 1) throw new Error(`expected run ${i + 1}, stored ${summary.seq}`);
          times[dialect][i ? "second" : "first"].push(performance.now() - t);
        }
      }
      // Two instances, two different reports of one project at once (PostgreSQL; SQLite serialises them on its write lock).
      const url = await pgDatabase();
      const [a, b] = [pgInstance(url), pgInstance(url)];
      const t = performance.now();
      const landed = await Promise.allSettled([
        ingestReportOnStore(a, { projectSlug: SLUG, body: pair[0]! }),
        ingestReportOnStore(b, { projectSlug: SLUG, body: pair[1]! }),
      ]);
      // Before issue 14's follow-up, one of the two could fail with a deadlock (40P01).
      refused += landed.filter((s) => s.status === "rejected" || s.value.duplicate).length;
      pairs.push(performance.now() - t);
    }

    raw = { ...times, pairs };
    const mb = (big[0]!.byteLength / 1024 / 1024).toFixed(0);
    const row = (name: string, values: number[]): BenchRow => ({ name, value: percentile(values, 50), unit: "ms" });
    return [
      row(`report ingest through the worker, ${mb} MB / 60,000 tests, empty project, SQLite (median of ${ROUNDS})`, times.sqlite.first),
      row(`same, PostgreSQL`, times.postgres.first),
      row(`report ingest through the worker, ${mb} MB, the project's second run, SQLite`, times.sqlite.second),
      row(`same, PostgreSQL`, times.postgres.second),
      row(`two different 10,000-test reports of one project at once from two instances, PostgreSQL (both done)`, pairs),
      { name: `uploads of those pairs that failed (of ${2 * ROUNDS})`, value: refused, unit: "x" },
    ];
  } finally {
    await ingestThread(repoRoot).stop();
    for (const close of closers.reverse()) await close();
    await admin.end().catch(() => {});
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printRows } = await import("./stats");
  printRows(await benchReportIngest());
  process.stderr.write(`${JSON.stringify(raw, (_k, v: unknown) => (typeof v === "number" ? Math.round(v) : v))}\n`);
}
