import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readEnv } from "@/server/env";
import { createRuntime, type Runtime } from "@/server/runtime-boot";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import { repoRoot, tempDemoWorkspace, tempDir } from "../support/temp";

let runtime: Runtime | undefined;

afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

async function start(opts: { watch?: boolean } = {}) {
  const workspace = tempDemoWorkspace();
  const dir = tempDir();
  const configPath = path.join(dir, "config.json");
  fs.writeFileSync(configPath, JSON.stringify({ scan: [workspace] }));
  const env = {
    ...readEnv({ WORKDECK_DB: path.join(dir, "w.db"), WORKDECK_CONFIG: configPath, WORKDECK_LOG_LEVEL: "silent" }),
    appRoot: repoRoot,
  };
  runtime = await createRuntime(env, { watch: opts.watch ?? false, warm: true });
  return { runtime, workspace };
}

function nextEvent(rt: Runtime, predicate: (e: WorkdeckEvent) => boolean, timeoutMs = 10_000): Promise<WorkdeckEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error("no matching event"));
    }, timeoutMs);
    const off = rt.bus.on((e) => {
      if (!predicate(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

describe("OpenSpec service over the demo workspace", () => {
  it("lists every project's changes grouped by progress, with titles and validation", async () => {
    const { runtime } = await start();
    const changes = await runtime.openspec.listChanges({ projectId: "billing-api" });
    const byId = Object.fromEntries(changes.map((c) => [c.id, c]));
    expect(byId["add-multi-currency-pricing"]).toMatchObject({ group: "draft", totalTasks: 0 });
    expect(byId["add-dunning-for-failed-payments"]).toMatchObject({ group: "active", completedTasks: 3, totalTasks: 8 });
    expect(byId["collect-customer-tax-ids"]).toMatchObject({ group: "completed", completedTasks: 8, totalTasks: 8 });
    expect(byId["collect-customer-tax-ids"]!.title).not.toBe("collect-customer-tax-ids");

    const broken = (await runtime.openspec.listChanges({ projectId: "web-storefront" })).find((c) => c.id === "add-wishlist")!;
    expect(broken.validation.valid).toBe(false);
    expect(broken.validation.issues[0]!.message).toMatch(/must include at least one scenario/);

    const all = await runtime.openspec.listChanges({});
    expect(new Set(all.map((c) => c.projectSlug))).toEqual(new Set(["billing-api", "web-storefront", "mobile-sync"]));
    expect((await runtime.openspec.listChanges({ status: ["completed"] })).every((c) => c.group === "completed")).toBe(true);
  });

  it("shows specs with requirement names and broken specs with their issues", async () => {
    const { runtime } = await start();
    const nested = await runtime.openspec.showSpec({ projectId: "billing-api", specId: "payments/refunds" });
    expect(nested.requirements.length).toBe(4);
    expect(nested.requirements[0]!.name).toBeTruthy();
    const broken = await runtime.openspec.showSpec({ projectId: "web-storefront", specId: "checkout" });
    expect(broken.validation.valid).toBe(false);
    expect(broken.validation.issues[0]!.message).toMatch(/Purpose/);
  });

  it("rejects unknown projects and ids that leave the project", async () => {
    const { runtime } = await start();
    await expect(runtime.openspec.showChange({ projectId: "nope", changeId: "x" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(runtime.openspec.showChange({ projectId: "billing-api", changeId: "../../etc" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await expect(runtime.openspec.showChange({ projectId: "billing-api", changeId: "no-such-change" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(runtime.openspec.showSpec({ projectId: "billing-api", specId: "../specs" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
  });

  it("creates a proposal in the official layout and refuses a collision", async () => {
    const { runtime, workspace } = await start();
    const created = await runtime.openspec.createProposal({
      projectId: "mobile-sync",
      title: "Compress sync payloads",
      description: "Large sync batches waste metered data; compressing them cuts transfer size for every user.",
      tasks: ["Add gzip encoding", "Measure payload sizes"],
    });
    expect(created.changeId).toBe("compress-sync-payloads");
    const dir = path.join(workspace, "mobile-sync/openspec/changes/compress-sync-payloads");
    expect(fs.readFileSync(path.join(dir, "proposal.md"), "utf8")).toMatch(/^# Compress sync payloads\n[\s\S]*## Why\n/);
    expect(fs.readFileSync(path.join(dir, "tasks.md"), "utf8")).toMatch(/- \[ \] 1\.1 Add gzip encoding/);
    const listed = (await runtime.openspec.listChanges({ projectId: "mobile-sync" })).find((c) => c.id === "compress-sync-payloads");
    expect(listed).toMatchObject({ title: "Compress sync payloads", totalTasks: 2, group: "active" });
    await expect(
      runtime.openspec.createProposal({
        projectId: "mobile-sync",
        title: "Compress sync payloads",
        description: "A second proposal with the same title must be refused.",
      }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("previews and archives a change, merging its deltas; refusals carry the official code", async () => {
    const { runtime, workspace } = await start();
    const preview = await runtime.openspec.previewArchive({ projectId: "billing-api", changeId: "collect-customer-tax-ids" });
    expect(preview.refusal).toBeNull();
    expect(preview.archivedAs).toMatch(/^\d{4}-\d{2}-\d{2}-collect-customer-tax-ids$/);
    const result = await runtime.openspec.archiveChange({ projectId: "billing-api", changeId: "collect-customer-tax-ids" });
    expect(result.archivedAs).toBe(preview.archivedAs);
    expect(fs.existsSync(path.join(workspace, "billing-api/openspec/changes/archive", result.archivedAs))).toBe(true);
    expect((await runtime.openspec.listChanges({ projectId: "billing-api" })).some((c) => c.id === "collect-customer-tax-ids")).toBe(false);

    const refused = await runtime.openspec.previewArchive({ projectId: "web-storefront", changeId: "improve-search-relevance" });
    expect(refused.refusal?.code).toBe("archive_spec_update_failed");
    await expect(
      runtime.openspec.archiveChange({ projectId: "web-storefront", changeId: "improve-search-relevance" }),
    ).rejects.toMatchObject({
      code: "CONFLICT",
      reason: "archive_spec_update_failed",
    });
    expect(fs.existsSync(path.join(workspace, "web-storefront/openspec/changes/improve-search-relevance"))).toBe(true);
  });

  it("sees an edit on disk: the watcher invalidates the cache and publishes an event", async () => {
    const { runtime, workspace } = await start({ watch: true });
    const before = (await runtime.openspec.listChanges({ projectId: "mobile-sync" })).find(
      (c) => c.id === "defer-uploads-on-metered-networks",
    )!;
    const tasks = path.join(workspace, "mobile-sync/openspec/changes/defer-uploads-on-metered-networks/tasks.md");
    const event = nextEvent(runtime, (e) => e.type === "openspec.changed" && e.projectSlug === "mobile-sync");
    fs.writeFileSync(tasks, fs.readFileSync(tasks, "utf8").replace("- [ ]", "- [x]"));
    const received = await event;
    expect(received.type === "openspec.changed" && received.changeIds).toEqual(["defer-uploads-on-metered-networks"]);
    const after = (await runtime.openspec.listChanges({ projectId: "mobile-sync" })).find(
      (c) => c.id === "defer-uploads-on-metered-networks",
    )!;
    expect(after.completedTasks).toBe(before.completedTasks + 1);
  });
});
