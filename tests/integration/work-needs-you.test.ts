/**
 * "Needs you" (issue 13 item 6) counts untriaged persistent failures, beside pending permissions
 * and agents waiting: a failure that fails five runs in a row and nobody has triaged needs a
 * person; triaged (or not persistent), it does not.
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
import { tempDir } from "../support/temp";

const reports = sharedPath("playwright-sample", "reports");
const LOCKS = "locks account after 5 failed attempts";

afterEach(() => stopRuntime());

describe("work: needs you", () => {
  it("an untriaged persistent failure needs you until a person decides", async () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, "p", "openspec"), { recursive: true });
    const { env } = configEnv(dir, { projects: [{ slug: "p", path: path.join(dir, "p") }] });
    const runtime = await startRuntime(env, { watch: false });
    const api = createCaller(createContext(runtime));
    // Run 1 five times, an hour apart: its failures fail five runs in a row.
    const run1 = JSON.parse(fs.readFileSync(path.join(reports, "run-1.json"), "utf8")) as { stats: { startTime: string } };
    for (let i = 0; i < 5; i++) {
      const r = structuredClone(run1);
      r.stats.startTime = new Date(Date.parse(run1.stats.startTime) + i * 3600_000).toISOString();
      ingestReport(runtime, { projectSlug: "p", body: JSON.stringify(r) });
    }
    const failures = await api.errors.listFailures({ projectId: "p" });
    const persistent = failures.filter((f) => f.pattern === "persistent" && f.decision === "pending" && f.status === "active");
    expect(persistent.length).toBeGreaterThan(0);

    const items = await api.work.listAll({ projectId: "p" });
    const needsYou = items.filter((i) => i.status === "needs_you");
    expect(needsYou.map((i) => i.key).sort()).toEqual(persistent.map((f) => `failure:${f.id}`).sort());
    expect((await api.work.stats({ projectId: "p" })).byStatus.needs_you).toBe(persistent.length);

    const locks = persistent.find((f) => f.titlePath.at(-1) === LOCKS) ?? persistent[0]!;
    await api.errors.triageFailure({ failureId: locks.id, decision: "needs_spec" });
    const after = await api.work.listAll({ projectId: "p" });
    expect(after.find((i) => i.key === `failure:${locks.id}`)!.status).toBe("open");
    expect((await api.work.stats({ projectId: "p" })).byStatus.needs_you).toBe(persistent.length - 1);
  });
});
