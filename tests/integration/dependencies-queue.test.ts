/**
 * The session queue obeys dependencies (issue 17): a session started on a blocked failure stays
 * queued with its blocker named, starts by itself when a passing report resolves the blocker,
 * and is cancelled with a message when the blocker is ignored instead. The real Claude Code
 * binary against the local fake Messages API; a real SQLite file and real Playwright reports.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { addDependency, watchDependencies } from "@/server/dependencies/service";
import { ingestReport } from "@/server/errors/ingest";
import { triageFailure } from "@/server/errors/service";
import { SqliteStore } from "@/server/db/sql-store";
import { SessionRunner } from "@/server/sessions/service";
import { listAll } from "@/server/work/service";
import { FakeAnthropic } from "../support/fake-anthropic";
import { harnessDeps, harnessSpec } from "../support/session-harness";
import { sharedPath } from "../support/shared";
import { repoRoot, tempDir } from "../support/temp";
import { passingReport } from "../support/playwright-reports";

const LOCKS = "locks account after 5 failed attempts";
const reports = sharedPath("playwright-sample", "reports");

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

async function setup() {
  const fake = await FakeAnthropic.start();
  const deps = harnessDeps(harnessSpec(tempDir("workdeck-deps-queue-"), fake.url), repoRoot);
  const runner = new SessionRunner(deps, { retryBaseMs: 100, retryMaxMs: 400, stopGraceMs: 3_000 });
  // What runtime-boot wires for the server: blocker moves wake the queue.
  const unwatch = watchDependencies(deps, () => runner.schedule());
  cleanup = async () => {
    unwatch();
    await runner.close();
    await fake.close();
    deps.db!.$client.close();
  };
  ingestReport(deps, { projectSlug: "demo", body: fs.readFileSync(path.join(reports, "run-1.json"), "utf8") });
  const groups = deps
    .db!.$client.prepare("SELECT f.id, c.title_path FROM test_failures f JOIN test_cases c ON c.id = f.test_case_id ORDER BY f.id")
    .all() as { id: number; title_path: string }[];
  const blocker = groups.find((g) => g.title_path.includes(LOCKS))!.id;
  const blocked = groups.find((g) => !g.title_path.includes(LOCKS))!.id;
  await addDependency(deps, { blocker: { kind: "error", failureId: blocker }, blocked: { kind: "error", failureId: blocked } });
  return { fake, deps, runner, blocker, blocked };
}

describe("the session queue obeys dependencies", () => {
  it("holds a session on a blocked failure, names the blocker, and starts it by itself once a passing report resolves the blocker", async () => {
    const { fake, deps, runner, blocker, blocked } = await setup();
    fake.queue({ kind: "text", text: "Fixed it." });

    const { id } = await runner.start({ projectId: "demo", workItem: { kind: "error", failureId: blocked } });
    const waiting = await runner.get({ id });
    expect(waiting).toMatchObject({ status: "queued", exitReason: "blocked", exitMessage: `Waiting for failure #${blocker}` });
    expect(fake.mainRequests).toHaveLength(0);
    // All Work names the blocker too, as the session's (inherited from its failure).
    const item = (
      await listAll({ ...deps, sqlStore: SqliteStore.on(deps.db!.$client), openspec: { listChanges: async () => [] } }, {})
    ).find((i) => i.key === `session:${id}`)!;
    expect(item.detail).toBe(`queued · waiting for failure #${blocker}`);
    expect(item.blockedBy).toEqual([{ key: `failure:${blocker}`, state: "open", label: `failure #${blocker}`, via: `failure:${blocked}` }]);

    ingestReport(deps, { projectSlug: "demo", body: JSON.stringify(passingReport(LOCKS)) });
    const done = await runner.waitForEnd(id, 120_000);
    expect(done).toMatchObject({ status: "completed", exitReason: "success" });
    expect(fake.mainRequests.length).toBeGreaterThan(0);
    const kinds = (await runner.events({ id })).map((e) => e.type);
    expect(kinds.indexOf("workdeck/blocked")).toBeGreaterThan(-1);
    expect(kinds.indexOf("workdeck/blocked")).toBeLessThan(kinds.indexOf("workdeck/run_started"));
  });

  it("cancels the waiting session with a message when its blocker is ignored", async () => {
    const { fake, deps, runner, blocker, blocked } = await setup();
    const { id } = await runner.start({ projectId: "demo", workItem: { kind: "error", failureId: blocked } });
    expect((await runner.get({ id })).status).toBe("queued");

    await triageFailure(deps, { failureId: blocker, decision: "ignore", rationale: "Flaky lab machine" });
    const ended = await runner.waitForEnd(id, 30_000);
    expect(ended).toMatchObject({
      status: "stopped",
      exitReason: "blocker_dropped",
      exitMessage: `Cancelled: it was waiting for failure #${blocker} (ignored)`,
    });
    expect(fake.mainRequests).toHaveLength(0);
    expect((await runner.events({ id })).map((e) => e.type)).toContain("workdeck/cancelled");
  });

  it("starts a session at once when its item's blockers are already resolved", async () => {
    const { fake, deps, runner, blocker, blocked } = await setup();
    ingestReport(deps, { projectSlug: "demo", body: JSON.stringify(passingReport(LOCKS)) });
    fake.queue({ kind: "text", text: "Fixed it." });
    const { id } = await runner.start({ projectId: "demo", workItem: { kind: "error", failureId: blocked } });
    expect((await runner.get({ id })).exitReason).not.toBe("blocked");
    expect(await runner.waitForEnd(id, 120_000)).toMatchObject({ status: "completed" });
    void blocker;
  });
});
