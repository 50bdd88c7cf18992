/**
 * Dependencies between work items (issue 17): work.addDependency / removeDependency through the
 * tRPC caller over a real runtime (SQLite in a temp folder, a copy of the demo project on disk,
 * a real Playwright report ingested). Cycles are refused with their path; a blocker that
 * disappears stays listed as broken; archiving or renaming a change keeps its dependencies.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startRuntime, stopRuntime } from "@/server/runtime-boot";
import { ingestReport } from "@/server/errors/ingest";
import { createContext } from "@/server/trpc/init";
import { createCaller } from "@/server/trpc/root";
import { sharedPath } from "../support/shared";
import { configEnv } from "../support/runtime-env";
import { repoRoot, tempDir } from "../support/temp";

const P = "billing-api";
const run1 = () => fs.readFileSync(sharedPath("playwright-sample", "reports", "run-1.json"), "utf8");

async function start() {
  const dir = tempDir();
  const project = path.join(dir, "ws", P);
  fs.cpSync(path.join(repoRoot, "examples/demo-workspace", P), project, { recursive: true });
  const { env } = configEnv(dir, { projects: [{ slug: P, path: project }] });
  const runtime = await startRuntime(env, { watch: false });
  const api = createCaller(createContext(runtime));
  ingestReport(runtime, { projectSlug: P, body: run1() });
  const failures = (await api.work.listAll({ projectId: P, filter: { types: ["failure"] } })).map((i) => Number(i.key.split(":")[1]));
  return { runtime, api, project, failures };
}

const failure = (failureId: number) => ({ kind: "error" as const, failureId });
const change = (changeId: string) => ({ kind: "spec" as const, projectId: P, changeId });

afterEach(() => stopRuntime());

describe("work dependencies", () => {
  it("listAll carries blockedBy, and removeDependency takes it away", async () => {
    const { runtime, api, failures } = await start();
    const [a, b] = failures;
    const heard: unknown[] = [];
    runtime.bus.on((e) => e.type === "work.dependenciesChanged" && heard.push(e));
    await api.work.addDependency({ blocker: failure(a!), blocked: change("add-multi-currency-pricing") });
    // Announced under the waiting item's project (a failure's too), so that project's open views refresh.
    await api.work.addDependency({ blocker: failure(a!), blocked: failure(b!) });
    expect(heard).toMatchObject([
      { projectSlug: P, blocker: `failure:${a}`, blocked: `change:${P}/add-multi-currency-pricing` },
      { projectSlug: P, blocker: `failure:${a}`, blocked: `failure:${b}` },
    ]);
    const items = await api.work.listAll({ projectId: P });
    const blocked = items.find((i) => i.key === `change:${P}/add-multi-currency-pricing`)!;
    expect(blocked.blockedBy).toEqual([{ key: `failure:${a}`, state: "open", label: `failure #${a}`, via: null }]);
    expect(items.find((i) => i.key === `failure:${a}`)!.blockedBy).toEqual([]);
    expect(items.find((i) => i.key === `failure:${b}`)!.blockedBy).toHaveLength(1);

    expect(await api.work.removeDependency({ blocker: failure(a!), blocked: change("add-multi-currency-pricing") })).toEqual({
      removed: true,
    });
    expect((await api.work.listAll({ projectId: P })).find((i) => i.key === blocked.key)!.blockedBy).toEqual([]);
  });

  it("refuses a cycle and names it, including one through a session's work item", async () => {
    const { runtime, api, failures } = await start();
    const [a, b, c] = failures as [number, number, number];
    await api.work.addDependency({ blocker: failure(a), blocked: failure(b) });
    await api.work.addDependency({ blocker: failure(b), blocked: change("collect-customer-tax-ids") });
    await api.work.addDependency({ blocker: change("collect-customer-tax-ids"), blocked: failure(c) });
    await expect(api.work.addDependency({ blocker: failure(c), blocked: failure(a) })).rejects.toThrow(
      `That would make a cycle: failure:${c} → failure:${a} → failure:${b} → change:${P}/collect-customer-tax-ids → failure:${c}`,
    );
    await expect(api.work.addDependency({ blocker: failure(a), blocked: failure(a) })).rejects.toThrow(/cannot wait for itself/);

    // A remediation session of failure a inherits a's blockers: a waiting for it would never start it.
    const sessionId = Number(
      runtime
        .db!.$client.prepare(
          `INSERT INTO sessions (session_type, work_item_kind, work_item_ref, status, project_slug, cwd, prompt, options, created_at) VALUES ('error_remediation', 'error', ?, 'completed', ?, '.', 'Fix it', '{}', ?)`,
        )
        .run(String(a), P, Date.now()).lastInsertRowid,
    );
    await expect(api.work.addDependency({ blocker: { kind: "session", sessionId }, blocked: failure(a) })).rejects.toThrow(
      `failure:${a} → session:${sessionId}`,
    );
    // Nothing was stored by the refusals.
    const count = runtime.db!.$client.prepare("SELECT count(*) AS n FROM work_dependencies").get() as { n: number };
    expect(count.n).toBe(3);
  });

  it("refuses items that do not exist, and bad input, changing nothing", async () => {
    const { runtime, api, failures } = await start();
    await expect(api.work.addDependency({ blocker: failure(999_999), blocked: failure(failures[0]!) })).rejects.toThrow(
      "No failure #999999",
    );
    await expect(api.work.addDependency({ blocker: change("no-such-change"), blocked: failure(failures[0]!) })).rejects.toThrow(
      `No change "no-such-change"`,
    );
    await expect(api.work.addDependency({ blocker: change("../../etc"), blocked: failure(failures[0]!) })).rejects.toThrow(
      /lowercase letters/,
    );
    await expect(api.work.addDependency({ blocker: { kind: "session", sessionId: 5 }, blocked: failure(failures[0]!) })).rejects.toThrow(
      "No session #5",
    );
    expect((runtime.db!.$client.prepare("SELECT count(*) AS n FROM work_dependencies").get() as { n: number }).n).toBe(0);
  });

  it("shows a blocker that disappeared as broken, never dropping the dependency", async () => {
    const { runtime, api, project, failures } = await start();
    const [a] = failures as [number];
    await api.work.addDependency({ blocker: change("rotate-webhook-signing-secrets"), blocked: failure(a) });
    await api.work.addDependency({ blocker: failure(failures[1]!), blocked: failure(a) });
    // The change folder is deleted by hand; the failure group is purged.
    fs.rmSync(path.join(project, "openspec/changes/rotate-webhook-signing-secrets"), { recursive: true });
    runtime.db!.$client.prepare("DELETE FROM test_failures WHERE id = ?").run(failures[1]!);
    await runtime.openspec.onFilesChanged(P, ["changes/rotate-webhook-signing-secrets/proposal.md"]);

    const item = (await api.work.listAll({ projectId: P })).find((i) => i.key === `failure:${a}`)!;
    expect(item.blockedBy).toEqual([
      {
        key: `change:${P}/rotate-webhook-signing-secrets`,
        state: "broken",
        label: "change rotate-webhook-signing-secrets (gone)",
        via: null,
      },
      { key: `failure:${failures[1]}`, state: "broken", label: `failure #${failures[1]} (gone)`, via: null },
    ]);
    expect((runtime.db!.$client.prepare("SELECT count(*) AS n FROM work_dependencies").get() as { n: number }).n).toBe(2);
    // A person removes it by the same reference.
    await api.work.removeDependency({ blocker: change("rotate-webhook-signing-secrets"), blocked: failure(a) });
    expect((await api.work.listAll({ projectId: P })).find((i) => i.key === `failure:${a}`)!.blockedBy).toHaveLength(1);
  });

  it("keeps a change's dependencies when it is archived from Workdeck, archived by hand, or renamed", async () => {
    const { runtime, api, project, failures } = await start();
    const [a, b, c] = failures as [number, number, number];
    const changes = path.join(project, "openspec/changes");
    await api.work.addDependency({ blocker: change("collect-customer-tax-ids"), blocked: failure(a) });
    await api.work.addDependency({ blocker: change("add-dunning-for-failed-payments"), blocked: failure(b) });
    await api.work.addDependency({ blocker: failure(c), blocked: change("add-multi-currency-pricing") });

    // Archived through the service (what the Archive button does).
    const { archivedAs } = await runtime.openspec.archiveChange({ projectId: P, changeId: "collect-customer-tax-ids", skipSpecs: true });
    // Archived by hand (the CLI, a file manager): the folder moved under archive/.
    fs.renameSync(
      path.join(changes, "add-dunning-for-failed-payments"),
      path.join(changes, "archive", "2026-12-01-add-dunning-for-failed-payments"),
    );
    // Renamed: same proposal, new folder name.
    fs.renameSync(path.join(changes, "add-multi-currency-pricing"), path.join(changes, "add-multi-currency-prices"));
    // What the watcher reports for those moves.
    await runtime.openspec.onFilesChanged(P, [
      "changes/add-dunning-for-failed-payments/proposal.md",
      "changes/add-multi-currency-pricing/proposal.md",
      "changes/add-multi-currency-prices/proposal.md",
    ]);

    const items = await api.work.listAll({ projectId: P });
    expect(items.find((i) => i.key === `failure:${a}`)!.blockedBy[0]).toMatchObject({
      state: "resolved",
      label: "change collect-customer-tax-ids (archived)",
    });
    expect(items.find((i) => i.key === `failure:${b}`)!.blockedBy[0]).toMatchObject({
      state: "resolved",
      label: "change add-dunning-for-failed-payments (archived)",
    });
    expect(items.find((i) => i.key === `change:${P}/add-multi-currency-prices`)!.blockedBy).toEqual([
      { key: `failure:${c}`, state: "open", label: `failure #${c}`, via: null },
    ]);
    const rows = runtime.db!.$client.prepare("SELECT blocker, blocked, blocker_archived_as FROM work_dependencies ORDER BY id").all();
    expect(rows).toEqual([
      { blocker: `change:${P}/collect-customer-tax-ids`, blocked: `failure:${a}`, blocker_archived_as: archivedAs },
      {
        blocker: `change:${P}/add-dunning-for-failed-payments`,
        blocked: `failure:${b}`,
        blocker_archived_as: "2026-12-01-add-dunning-for-failed-payments",
      },
      { blocker: `failure:${c}`, blocked: `change:${P}/add-multi-currency-prices`, blocker_archived_as: null },
    ]);
  });
});
