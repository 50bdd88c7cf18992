/**
 * Issue 14: with several instances on one database, a session runs in whichever one claimed it,
 * and a person's Stop may reach any of them. Two runners on one database (a temp SQLite file, a
 * real PostgreSQL), real Claude Code against the fake API: the one that runs the session ends it
 * when the other is asked, and a stop asked while the run is still being launched is not lost.
 */
import { expect, it } from "vitest";
import type { SqlStore } from "@/server/db/sql-store";
import { stopAskedAt } from "@/server/sessions/run";
import { describeEachDialect } from "../support/dialects";
import { insertQueuedSession } from "../support/queued-session";
import { twoRunners } from "../support/two-runners";

const enqueue = (store: SqlStore, cwd: string) =>
  insertQueuedSession(store, { cwd, prompt: "a long task", options: { permissionMode: "bypassPermissions" } });

describeEachDialect("stopping a session another instance runs", (dialect) => {
  async function twoHangingRunners() {
    const two = await twoRunners(dialect);
    // Every run waits on the API until it is stopped.
    two.fake.when((r) => r.main, { kind: "hang" });
    return two;
  }

  it("a stop asked of an instance that does not run the session ends its run on the one that does", async () => {
    const { store, cwd, runs, other, close } = await twoHangingRunners();
    try {
      const id = await enqueue(store, cwd);
      await runs.schedule();
      expect(runs.runningCount()).toBe(1);

      const answered = await other.stop({ id });
      expect(answered.status).toBe("running");
      const ended = await runs.waitForEnd(id, 60_000);
      expect(ended).toMatchObject({ status: "stopped", exitReason: "stopped" });
      expect(runs.runningCount()).toBe(0);
      // One stop note: the one the asking instance wrote.
      const stops = (await other.events({ id })).filter((e) => e.type === "workdeck/stop_requested");
      expect(stops).toHaveLength(1);
    } finally {
      await close();
    }
  }, 120_000);

  it("a stop noted after the claim and before the run was launched ends the run once it starts", async () => {
    const { store, cwd, runs, notes, close } = await twoHangingRunners();
    try {
      // As another instance's stop does when it finds the session running before its run is under way.
      const id = await enqueue(store, cwd);
      await notes.note(id, "workdeck/stop_requested", { reason: "stopped" });
      await runs.schedule();
      expect(await runs.waitForEnd(id, 60_000)).toMatchObject({ status: "stopped", exitReason: "stopped" });

      // A resume is a new request: the old stop note is not one for it.
      await runs.resume({ id, text: "go on" });
      await expect.poll(async () => (await runs.get({ id })).status, { timeout: 30_000 }).toBe("running");
      expect(await stopAskedAt(notes, id)).toBeNull();
      await runs.stop({ id });
      expect(await runs.waitForEnd(id, 60_000)).toMatchObject({ status: "stopped" });
    } finally {
      await close();
    }
  }, 120_000);
});
