/**
 * Issue 14 follow-ups, on SQLite and on a real PostgreSQL:
 * - two ingests of *different* reports of one project at the same time, each through its own pool
 *   (two instances, or the ingest worker and a CLI). Both must be stored, and every group must
 *   count as if they had come one after the other, in the order they landed. On PostgreSQL they
 *   deadlocked (40P01) on the failure groups new in both: one ingest's flip, holding the project's
 *   lock, waited on a group the other had inserted ahead (hidden) without it, whose transaction
 *   waited on the flip's in turn; and a case's letters could be those of the other report's run.
 * - the plan an ingest reads before its flip is read on one snapshot: another report landing while
 *   it is read changes nothing in it (on PostgreSQL each statement used to see the database anew).
 * - the backstop: a flip PostgreSQL still picks as a deadlock's victim (a writer outside the lock
 *   order) is run again rather than failing the upload.
 */
import path from "node:path";
import { is, SQL, sql, StringChunk } from "drizzle-orm";
import pg from "pg";
import { afterEach, expect, it } from "vitest";
import { migrateDatabase, openDatabase } from "@/server/db/client";
import type { SqlStore } from "@/server/db/sql-store";
import { EventBus } from "@/server/events/bus";
import { runOnStore } from "@/server/db/sql-steps";
import { ingestReport, ingestReportInWorker, ingestReportOnStore, type ErrorsDeps, type IngestDeps } from "@/server/errors/ingest";
import { ingestThread } from "@/server/errors/ingest-thread";
import { prepareReport } from "@/server/errors/ingest-store";
import { groupsLock } from "@/server/errors/groups";
import { discardStageSteps, readFlipPlanSteps, stageRunSteps } from "@/server/errors/ingest-plan";
import { listFailures } from "@/server/errors/service";
import type { FailureGroup } from "@/lib/schemas/errors";
import { generatePlaywrightReport, reversedReport } from "../../bench/generate-playwright";
import { describeEachDialect } from "../support/dialects";
import { repoRoot, tempDir } from "../support/temp";

const SLUG = "app";
const projects = {
  get: (slug: string) => {
    if (slug !== SLUG) throw new Error(`unknown project ${slug}`);
    return { slug, name: slug, path: "/nowhere", openspecRoot: "/nowhere", source: "config" as const, problem: null };
  },
};
const closers: (() => void)[] = [];
afterEach(async () => {
  await ingestThread(repoRoot).stop();
  for (const close of closers.splice(0)) close();
});

const bodyOf = (text: string) =>
  (async function* () {
    yield new TextEncoder().encode(text);
  })();

/**
 * A report of `tests` tests where most fail, so most groups are new in both reports of a pair;
 * `reversed` lists the files, describes and specs backwards (another shard's or reporter's order),
 * so the two ingests meet the same tests, and the same new groups, in opposite orders.
 */
function report(run: number, opts: { reversed?: boolean; tests?: number } = {}): string {
  const body = generatePlaywrightReport({ tests: opts.tests ?? 600, run, fragileEvery: 2, oneOffRate: 0.5 });
  return opts.reversed ? reversedReport(body) : body;
}

/** The reference: the same reports one after the other into a SQLite file of its own. */
function referenceOf(bodies: string[]): ErrorsDeps {
  const db = openDatabase(path.join(tempDir(), "reference.db"));
  closers.push(() => db.$client.close());
  migrateDatabase(db, path.join(repoRoot, "drizzle"));
  const deps: ErrorsDeps = { db, bus: new EventBus(db), projects };
  for (const body of bodies) ingestReport(deps, { projectSlug: SLUG, body });
  return deps;
}

const instance = (store: SqlStore): IngestDeps & { sqlStore: SqlStore } => ({ sqlStore: store, bus: new EventBus(null, store), projects });

/** A group as a person sees it, without the ids each database numbered on its own. */
const withoutIds = (g: FailureGroup) => ({
  ...g,
  id: 0,
  testCaseId: 0,
  firstSeen: { ...g.firstSeen, id: 0 },
  lastSeen: { ...g.lastSeen, id: 0 },
});
const byKey = (a: ReturnType<typeof withoutIds>, b: ReturnType<typeof withoutIds>) =>
  `${a.file}${a.titlePath.join(">")}${a.fingerprint}`.localeCompare(`${b.file}${b.titlePath.join(">")}${b.fingerprint}`);

/** A query's text, its values as `?`. */
const textOf = (query: SQL): string =>
  query.queryChunks.map((c) => (is(c, StringChunk) ? c.value.join("") : is(c, SQL) ? textOf(c) : "?")).join("");

/**
 * `store`, where `writer` runs (once, awaited) right after the first statement whose text has
 * `marker` returned, inside whatever transaction that statement ran in: another writer landing
 * between two reads of a plan. `fired()` says whether it ran, `seen()` how often such a statement ran.
 */
function interleaved(
  store: SqlStore,
  marker: string,
  writer: () => Promise<unknown>,
): { store: SqlStore; fired: () => boolean; seen: () => number } {
  let seen = 0;
  const after = async <R>(query: SQL, result: R): Promise<R> => {
    if (textOf(query).includes(marker) && ++seen === 1) await writer();
    return result;
  };
  const wrap = (inner: SqlStore): SqlStore => {
    const own: Partial<SqlStore> = {
      all: async (q) => after(q, await inner.all(q)),
      get: async (q) => after(q, await inner.get(q)),
      values: async (q) => after(q, await inner.values(q)),
      run: async (q) => after(q, await inner.run(q)),
      transaction: (fn, opts) => inner.transaction((tx) => fn(wrap(tx)), opts),
    };
    // Everything else (the dialect, the bus's own paths) is the store's.
    return new Proxy(inner, {
      get: (target, prop, receiver) => {
        if (prop in own) return own[prop as keyof SqlStore];
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
  return { store: wrap(store), fired: () => seen > 0, seen: () => seen };
}

/** A statement only the flip runs, under the project's lock (ingest-plan.ts showStageSteps). */
const FLIP_FIRST_READ = "SELECT count(*) AS n FROM test_failures WHERE project_slug = ";

/** The first statement of an ingest's plan (ingest-plan.ts planFlipSteps): the seq its run will get. */
const PLAN_FIRST_READ = "coalesce(max(seq), 0) + 1 AS seq";

describeEachDialect("two reports of one project ingested at once", ({ dialect, open, again, location }) => {
  /**
   * Another writer on the same database, as another process would be: on PostgreSQL an instance
   * with its own pool; on SQLite a connection of its own, whose synchronous ingest commits while
   * the plan's read transaction stays open on the first.
   */
  async function otherWriter(store: SqlStore): Promise<(body: string) => Promise<unknown>> {
    if (dialect === "postgres") {
      const other = instance(await again(store));
      return (body) => ingestReportOnStore(other, { projectSlug: SLUG, body });
    }
    const db = openDatabase(location(store));
    closers.push(() => db.$client.close());
    const other: ErrorsDeps = { db, bus: new EventBus(db), projects };
    return async (body) => ingestReport(other, { projectSlug: SLUG, body });
  }

  /** What ingestReportInWorker needs: the worker opens its own connection, a PostgreSQL pool from the URL or the SQLite file. */
  function viaWorker(store: SqlStore): Parameters<typeof ingestReportInWorker>[0] {
    if (dialect === "postgres") return { ...instance(store), env: { appRoot: repoRoot, databaseUrl: location(store) } };
    const db = openDatabase(location(store));
    closers.push(() => db.$client.close());
    return { db, bus: new EventBus(db), projects, env: { appRoot: repoRoot } };
  }

  it("a plan read while another report lands is the plan of the database as it was when the read began", async () => {
    const store = await open();
    await ingestReportOnStore(instance(store), { projectSlug: SLUG, body: report(1, { tests: 200 }) });
    const prepared = prepareReport(report(2));
    const stage = await runOnStore(
      store,
      stageRunSteps(SLUG, prepared, {
        contentHash: prepared.contentHash,
        format: prepared.format,
        source: null,
        branch: null,
        commit: null,
        startedAt: Date.parse(prepared.report.startTime!),
        durationMs: null,
        stats: JSON.stringify(prepared.report.stats),
        runErrors: "[]",
        testCount: prepared.report.tests.length,
        ingestedAt: Date.now(),
      }),
    );
    const quiet = await runOnStore(store, readFlipPlanSteps(SLUG, stage));
    expect(quiet.seq).toBe(2);
    expect(quiet.reclassify.writes.length).toBeGreaterThan(100);

    // Run 3 lands between the plan's first read (its seq) and the rest (reports, results, groups).
    const land = await otherWriter(store);
    const moving = interleaved(store, PLAN_FIRST_READ, () => land(report(3, { reversed: true })));
    const plan = await runOnStore(moving.store, readFlipPlanSteps(SLUG, stage));
    expect(moving.fired()).toBe(true);
    expect(plan).toEqual(quiet);

    // The database did move: read now, the plan is another one (the flip re-checks and plans again under the lock).
    const now = await runOnStore(store, readFlipPlanSteps(SLUG, stage));
    expect(now.seq).toBe(3);
    expect(now).not.toEqual(quiet);
    await runOnStore(store, discardStageSteps(stage));
  });

  if (dialect === "postgres")
    it("a flip PostgreSQL picks as a deadlock's victim is run again, once the deadlock is gone (the backstop)", async () => {
      const store = await open();
      const first = report(1, { tests: 200 });
      await ingestReportOnStore(instance(store), { projectSlug: SLUG, body: first });
      // A writer outside the lock order: it holds the staged report's row and then waits for the
      // project's lock, which the flip holds while it goes for that row.
      const other = new pg.Client({ connectionString: location(store) });
      await other.connect();
      closers.push(() => void other.end());
      let otherDone: Promise<unknown> = Promise.resolve();
      const moving = interleaved(store, FLIP_FIRST_READ, async () => {
        // Its own deadlock check comes long after the flip's (1 s): the flip is the victim.
        await other.query("SET deadlock_timeout = '30s'");
        await other.query("BEGIN");
        await other.query("SELECT id FROM reports WHERE project_slug LIKE 'pending:%' FOR UPDATE");
        otherDone = other.query("SELECT pg_advisory_xact_lock(hashtext($1))", [groupsLock(SLUG)]).then(() => other.query("COMMIT"));
      });
      const mine = report(2);
      const summary = await ingestReportOnStore(instance(moving.store), { projectSlug: SLUG, body: mine });
      await otherDone;
      expect(summary).toMatchObject({ seq: 2, duplicate: false });
      // The flip ran twice: rolled back once as the victim, then stored.
      expect(moving.seen()).toBe(2);
      const want = (await listFailures(referenceOf([first, mine]), { projectId: SLUG })).map(withoutIds).sort(byKey);
      expect((await listFailures(instance(store), { projectId: SLUG })).map(withoutIds).sort(byKey)).toEqual(want);
    });

  it("an ingest whose plan is read while another report lands stores both, counted in the order they landed", async () => {
    const store = await open();
    const first = report(1, { tests: 200 });
    await ingestReportOnStore(instance(store), { projectSlug: SLUG, body: first });
    const [mine, theirs] = [report(2), report(3, { reversed: true })];
    const land = await otherWriter(store);
    const moving = interleaved(store, PLAN_FIRST_READ, () => land(theirs));
    const summary = await ingestReportOnStore(instance(moving.store), { projectSlug: SLUG, body: mine });
    expect(moving.fired()).toBe(true);
    expect(summary).toMatchObject({ seq: 3, duplicate: false });

    const want = (await listFailures(referenceOf([first, theirs, mine]), { projectId: SLUG })).map(withoutIds).sort(byKey);
    const got = (await listFailures(instance(store), { projectId: SLUG })).map(withoutIds).sort(byKey);
    expect(got.length).toBeGreaterThan(300);
    expect(got).toEqual(want);
  });

  it("both are stored, and every group counts both runs in the order they landed", async () => {
    for (let round = 0; round < 3; round++) {
      const store = await open();
      const a = instance(store);
      const b = instance(await again(store));
      // A first run both build on: some groups exist already, most of the pair's are new.
      const first = report(1, { tests: 200 });
      await ingestReportOnStore(a, { projectSlug: SLUG, body: first });

      const bodies = [report(2 + 2 * round), report(3 + 2 * round, { reversed: true })];
      // The last round sends the first of the pair through the ingest worker thread (the server's path), with its own connection.
      const [one, two] = await Promise.all([
        round === 2
          ? ingestReportInWorker(viaWorker(store), { projectSlug: SLUG, body: bodyOf(bodies[0]!) })
          : ingestReportOnStore(a, { projectSlug: SLUG, body: bodies[0]! }),
        ingestReportOnStore(b, { projectSlug: SLUG, body: bodies[1]! }),
      ]);
      expect([one.duplicate, two.duplicate]).toEqual([false, false]);
      expect(new Set([one.seq, two.seq])).toEqual(new Set([2, 3]));

      const landed = one.seq < two.seq ? [bodies[0]!, bodies[1]!] : [bodies[1]!, bodies[0]!];
      const ref = referenceOf([first, ...landed]);
      const want = (await listFailures(ref, { projectId: SLUG })).map(withoutIds).sort(byKey);
      const got = (await listFailures(a, { projectId: SLUG })).map(withoutIds).sort(byKey);
      expect(got.length).toBeGreaterThan(300);
      expect(got).toEqual(want);
      // Nothing staged is left behind, and no group is hidden.
      expect(await store.all(sql`SELECT id FROM reports WHERE project_slug LIKE 'pending:%'`)).toEqual([]);
      expect(await store.all(sql`SELECT id FROM test_failures WHERE project_slug LIKE 'pending:%'`)).toEqual([]);
    }
  });
});
