/**
 * Issue 14: the Errors tab's reads and triage on the SQL port, the same tests on a temp SQLite file
 * and on a real PostgreSQL. Ingest is still the synchronous SQLite path, so the public Playwright
 * sample (three real runs) is ingested into a SQLite file, and the rows the Errors tab reads are
 * copied into the store under test through the port (portable INSERTs, blobs and all). Every read
 * must then answer exactly as it does on the database the ingest wrote.
 */
import fs from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { beforeAll, expect, it } from "vitest";
import { migrateDatabase, openDatabase } from "@/server/db/client";
import { SqliteStore, type SqlStore } from "@/server/db/sql-store";
import { EventBus } from "@/server/events/bus";
import { ingestReport, type ErrorsDeps } from "@/server/errors/ingest";
import { failureSummaries, getFailure, listFailures, stats, triageFailure } from "@/server/errors/service";
import { ProjectRegistry } from "@/server/projects/service";
import type { ListFailuresInput } from "@/lib/schemas/errors";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import { describeEachDialect } from "../support/dialects";
import { sharedPath } from "../support/shared";
import { repoRoot, tempDir } from "../support/temp";

/** What the Errors tab reads, parents first. */
const TABLES = ["reports", "test_cases", "test_results", "test_failures", "error_triage"] as const;

const LOCKS = "e2e/login.spec.ts::login > locks account after 5 failed attempts::desktop-chrome";

/** The reference: the sample's three runs ingested into a SQLite file by the one ingest path. */
function ingested(): ErrorsDeps {
  const dir = tempDir();
  const db = openDatabase(path.join(dir, "workdeck.db"));
  migrateDatabase(db, path.join(repoRoot, "drizzle"));
  const projects = new ProjectRegistry(SqliteStore.on(db.$client));
  projects.replace([{ slug: "sample", name: "sample", path: dir, openspecRoot: dir, source: "config", problem: null }]);
  const deps = { db, bus: new EventBus(db), projects };
  for (const run of [1, 2, 3]) {
    const body = fs.readFileSync(sharedPath("playwright-sample", "reports", `run-${run}.json`));
    ingestReport(deps, { projectSlug: "sample", body });
  }
  return deps;
}

/** Copies the rows the Errors tab reads from the ingested SQLite file into `to`, through the port. */
async function copyRows(from: ErrorsDeps, to: SqlStore): Promise<number> {
  const source = SqliteStore.on(from.db!.$client);
  let copied = 0;
  await to.transaction(async (tx) => {
    for (const table of TABLES) {
      for (const row of await source.all<Record<string, unknown>>(sql`SELECT * FROM ${sql.identifier(table)} ORDER BY id`)) {
        const columns = Object.keys(row);
        await tx.run(
          sql`INSERT INTO ${sql.identifier(table)} (${sql.join(
            columns.map((c) => sql.identifier(c)),
            sql`, `,
          )}) VALUES (${sql.join(
            columns.map((c) => sql`${row[c]}`),
            sql`, `,
          )})`,
        );
        copied++;
      }
    }
  });
  return copied;
}

type Instance = { sqlStore: SqlStore; bus: EventBus; events: WorkdeckEvent[] };
function instance(store: SqlStore): Instance {
  const bus = new EventBus(null, store);
  const events: WorkdeckEvent[] = [];
  bus.on((e) => void events.push(e));
  return { sqlStore: store, bus, events };
}

const keyOf = (g: { file: string; titlePath: string[]; projectName: string }) => `${g.file}::${g.titlePath.join(" > ")}::${g.projectName}`;

/** The list filters the Errors tab and the CLI send; the search is in another case than the data (case-insensitive in both). */
const FILTERS: ListFailuresInput[] = [
  {},
  { projectId: "sample" },
  { projectId: "sample", status: "active" },
  { status: ["resolved", "inactive"] },
  { pattern: ["flaky", "recurring"], decision: "pending" },
  { search: "LOGIN" },
  { search: "econnrefused" },
  { search: "100%_" },
  { limit: 3 },
  { from: new Date(0), to: new Date(8.64e15) },
];

describeEachDialect("errors reads and triage on the SQL port", ({ dialect, open, again }) => {
  let reference: ErrorsDeps;
  beforeAll(() => {
    reference = ingested();
  });

  async function seeded(): Promise<SqlStore> {
    const store = await open();
    expect(await copyRows(reference, store)).toBeGreaterThan(0);
    return store;
  }

  it("listFailures, stats, getFailure and failureSummaries answer as on the ingested SQLite file", async () => {
    const store = await seeded();
    const here = instance(store);
    const list = await listFailures(here, {});
    expect(list.length).toBeGreaterThan(5);
    expect(list.some((g) => g.status === "resolved")).toBe(true);
    for (const filter of FILTERS)
      expect(await listFailures(here, filter), JSON.stringify(filter)).toEqual(await listFailures(reference, filter));
    expect((await listFailures(here, { search: "LOGIN" })).length, "case-insensitive search").toBeGreaterThan(0);
    expect(await stats(here, { projectId: "sample" })).toEqual(await stats(reference, { projectId: "sample" }));
    expect(await stats(here)).toEqual(await stats(reference));
    for (const g of list) expect(await getFailure(here, { failureId: g.id })).toEqual(await getFailure(reference, { failureId: g.id }));
    expect(await failureSummaries(here)).toEqual(await failureSummaries(reference));
    // A flaky test reads its flakiness over the window from the stored letters.
    expect(list.filter((g) => g.flakiness.flaky > 0).length).toBe(
      (await listFailures(reference)).filter((g) => g.flakiness.flaky > 0).length,
    );
  });

  it("the port's array rows (the list's read) keep the selected order and leave the statement reading objects", async () => {
    const store = await seeded();
    const q = sql`SELECT id, project_slug AS slug, seq FROM reports ORDER BY seq`;
    expect(await store.values(q)).toEqual([
      [expect.any(Number), "sample", 1],
      [expect.any(Number), "sample", 2],
      [expect.any(Number), "sample", 3],
    ]);
    expect(await store.all(q)).toEqual([1, 2, 3].map((seq) => ({ id: expect.any(Number), slug: "sample", seq })));
    expect(await store.transaction((tx) => tx.values(sql`SELECT seq FROM reports ORDER BY seq`))).toEqual([[1], [2], [3]]);
  });

  it(`a triage decision made through one instance is read by another (${dialect})`, async () => {
    const storeA = await seeded();
    const a = instance(storeA);
    const b = instance(await again(storeA));
    const locks = (await listFailures(b, { projectId: "sample" })).find((g) => keyOf(g) === LOCKS && g.status === "active")!;
    expect(locks).toMatchObject({ decision: "pending", reviewedByHuman: false });

    // Against the suggestion without a reason: refused, nothing changed, nothing published.
    await expect(triageFailure(a, { failureId: locks.id, decision: "ignore" })).rejects.toThrow(/rationale is required/);
    await expect(triageFailure(a, { failureId: 999_999, decision: "ignore", rationale: "x" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(a.events).toEqual([]);
    expect(await getFailure(b, { failureId: locks.id })).toEqual(await getFailure(reference, { failureId: locks.id }));

    const decided = await triageFailure(a, {
      failureId: locks.id,
      decision: "ignore",
      rationale: "lockout is being redesigned",
      priority: 1,
    });
    expect(decided).toMatchObject({
      decision: "ignore",
      reviewedByHuman: true,
      priority: 1,
      humanRationale: "lockout is being redesigned",
    });
    expect(decided.overriddenSuggestion).toBe(locks.suggestedDecision);
    expect(a.events).toEqual([
      expect.objectContaining({ type: "errors.triaged", failureId: locks.id, decision: "ignore", priority: 1, reviewedByHuman: true }),
    ]);

    // The other instance reads the decision, and the event row the same transaction stored.
    expect(await getFailure(b, { failureId: locks.id })).toMatchObject({
      decision: "ignore",
      reviewedByHuman: true,
      overriddenSuggestion: locks.suggestedDecision,
      humanRationale: "lockout is being redesigned",
      priority: 1,
    });
    expect(await stats(b, { projectId: "sample" })).toMatchObject({ reviewed: 1, agreed: 0, agreementRate: 0 });
    const stored = await b.sqlStore.all<{ type: string; payload: string }>(sql`SELECT type, payload FROM events ORDER BY id`);
    expect(stored.map((e) => [e.type, (JSON.parse(e.payload) as { failureId: number }).failureId])).toEqual([["errors.triaged", locks.id]]);

    // The same decision on the ingested file gives the same list, the same detail and the same counts.
    await triageFailure(
      { ...reference },
      { failureId: locks.id, decision: "ignore", rationale: "lockout is being redesigned", priority: 1 },
    );
    expect(await listFailures(b, {})).toEqual(await listFailures(reference, {}));
    expect(await stats(b)).toEqual(await stats(reference));

    // Handed back to the engine from the second instance: the first reads the suggested priority again.
    const back = await triageFailure(b, { failureId: locks.id, decision: "pending" });
    expect(back).toMatchObject({
      decision: "pending",
      reviewedByHuman: false,
      overriddenSuggestion: null,
      priority: locks.suggestedPriority,
    });
    expect(await getFailure(a, { failureId: locks.id })).toMatchObject({ decision: "pending", priority: locks.suggestedPriority });
    await triageFailure({ ...reference }, { failureId: locks.id, decision: "pending" });
  });
});
