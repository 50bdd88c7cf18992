/**
 * Issue 14: with several instances on one database, a session runs in whichever one claimed it,
 * and a person's follow-up message or permission answer may reach any of them. Two runners on one
 * database (a temp SQLite file, a real PostgreSQL), real Claude Code against the fake API: the
 * asked instance stores the message or answer once, the one that runs the session applies it.
 */
import fs from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import type { SessionOptions } from "@/lib/schemas/sessions";
import type { SqlStore } from "@/server/db/sql-store";
import type { SessionRunner } from "@/server/sessions/service";
import { describeEachDialect } from "../support/dialects";
import { insertQueuedSession } from "../support/queued-session";
import { twoRunners } from "../support/two-runners";

const enqueue = (store: SqlStore, cwd: string, options: SessionOptions) => insertQueuedSession(store, { cwd, prompt: "a task", options });

/** The texts pushed into the session's run on `runner` (its input queue), as they are pushed. */
function pushedInto(runner: SessionRunner, id: number): string[] {
  const run = runner.runContext.active.get(id)!;
  const pushed: string[] = [];
  const push = run.input.push.bind(run.input);
  run.input.push = (text: string) => {
    pushed.push(text);
    push(text);
  };
  return pushed;
}

const storedMessages = async (runner: SessionRunner, id: number) =>
  (await runner.events({ id })).filter((e) => e.type === "workdeck/user_message").map((e) => (e.payload as { text: string }).text);

describeEachDialect("steering a session another instance runs", (dialect) => {
  it("a message sent through an instance that does not run the session reaches its run, stored once", async () => {
    const { store, fake, cwd, runs, other, close } = await twoRunners(dialect);
    try {
      // The first turn runs a tool that waits for the test, so the message comes while the run works.
      const go = path.join(cwd, "go");
      fake.queue({ kind: "tool_use", name: "Bash", input: { command: `until [ -f ${go} ]; do sleep 0.1; done; echo waited` } });
      fake.fallbackText = "Done, docs too.";
      const id = await enqueue(store, cwd, { permissionMode: "bypassPermissions" });
      await runs.schedule();
      await fake.waitFor((r) => r.main);
      const pushed = pushedInto(runs, id);

      await other.send({ id, text: "also update the docs" });
      await expect.poll(() => pushed, { timeout: 30_000 }).toEqual(["also update the docs"]);
      fs.writeFileSync(go, "");

      expect(await runs.waitForEnd(id, 60_000)).toMatchObject({ status: "completed" });
      const later = fake.mainRequests.slice(1).map((r) => JSON.stringify(r.body?.messages));
      expect(later.some((m) => m.includes("also update the docs"))).toBe(true);
      // Stored once, by the asked instance: the prompt, then the message.
      expect(await storedMessages(runs, id)).toEqual(["a task", "also update the docs"]);

      // No run anywhere: the same refusal as ever, and nothing stored.
      const before = (await other.events({ id })).length;
      await expect(other.send({ id, text: "late" })).rejects.toThrow(/Session \d+ is completed: only a running session takes messages/);
      const queued = await enqueue(store, cwd, { permissionMode: "bypassPermissions" });
      await expect(other.send({ id: queued, text: "early" })).rejects.toThrow(/is queued: only a running session takes messages/);
      expect((await other.events({ id })).length).toBe(before);
      expect(await other.events({ id: queued })).toEqual([]);
    } finally {
      await close();
    }
  }, 120_000);

  it("a message stored before the run's result that its instance has not heard of yet still reaches the run", async () => {
    const { store, fake, cwd, runs, other, runsBus, close } = await twoRunners(dialect);
    try {
      const go = path.join(cwd, "go");
      fake.queue(
        { kind: "tool_use", name: "Bash", input: { command: `until [ -f ${go} ]; do sleep 0.1; done; echo waited` } },
        { kind: "text", text: "Tool done." },
      );
      fake.fallbackText = "Done, docs too.";
      const id = await enqueue(store, cwd, { permissionMode: "bypassPermissions" });
      await runs.schedule();
      await fake.waitFor((r) => r.main);
      // The running instance hears nothing from the other one now: only its run's result brings the message in.
      runsBus.stopPolling();

      await other.send({ id, text: "also update the docs" });
      fs.writeFileSync(go, "");

      expect(await runs.waitForEnd(id, 60_000)).toMatchObject({ status: "completed", exitMessage: "Done, docs too." });
      expect(JSON.stringify(fake.mainRequests.at(-1)?.body?.messages)).toContain("also update the docs");
      expect(await storedMessages(runs, id)).toEqual(["a task", "also update the docs"]);
    } finally {
      await close();
    }
  }, 120_000);

  it("a permission request of a run on one instance is listed and allowed through another, and the tool runs", async () => {
    const { store, fake, cwd, runs, other, close } = await twoRunners(dialect, { permissionTimeoutMs: 60_000 });
    try {
      const file = path.join(cwd, "a.txt");
      fake.queue({ kind: "tool_use", name: "Write", input: { file_path: file, content: "A\n" } }, { kind: "text", text: "Written." });
      const id = await enqueue(store, cwd, { permissionMode: "default" });
      await runs.schedule();

      await expect.poll(async () => (await other.pendingPermissions({ id })).length, { timeout: 30_000 }).toBe(1);
      const [asked] = await other.pendingPermissions({ id });
      expect(asked).toMatchObject({ toolName: "Write", input: { file_path: file } });
      expect(await runs.pendingPermissions({ id })).toEqual([asked]);
      expect(fs.existsSync(file)).toBe(false);

      await other.answerPermission({ id, requestId: asked!.requestId, allow: true });
      // Answered: listed nowhere, and a second answer (on either instance) is refused.
      expect(await other.pendingPermissions({ id })).toEqual([]);
      await expect(other.answerPermission({ id, requestId: asked!.requestId, allow: false })).rejects.toThrow(
        /not waiting on permission request/,
      );

      expect(await runs.waitForEnd(id, 60_000)).toMatchObject({ status: "completed", exitMessage: "Written." });
      expect(fs.readFileSync(file, "utf8")).toBe("A\n");
      await expect(runs.answerPermission({ id, requestId: asked!.requestId, allow: false })).rejects.toThrow(
        /not waiting on permission request/,
      );
      const events = await runs.events({ id });
      expect(events.filter((e) => e.type === "workdeck/permission_answer")).toHaveLength(1);
      expect(events.filter((e) => e.type === "workdeck/permission_answered").map((e) => e.payload)).toEqual([
        expect.objectContaining({ requestId: asked!.requestId, allow: true, how: "user" }),
      ]);
    } finally {
      await close();
    }
  }, 120_000);

  it("a permission request denied through another instance: the tool does not run and Claude reads why", async () => {
    const { store, fake, cwd, runs, other, close } = await twoRunners(dialect, { permissionTimeoutMs: 60_000 });
    try {
      const file = path.join(cwd, "no.txt");
      fake.queue({ kind: "tool_use", name: "Write", input: { file_path: file, content: "no\n" } }, { kind: "text", text: "Not written." });
      const id = await enqueue(store, cwd, { permissionMode: "default" });
      await runs.schedule();
      await expect.poll(async () => (await other.pendingPermissions({ id })).length, { timeout: 30_000 }).toBe(1);
      const [asked] = await other.pendingPermissions({ id });
      await expect(other.answerPermission({ id, requestId: "no-such-request", allow: true })).rejects.toThrow(
        /not waiting on permission request "no-such-request"/,
      );

      await other.answerPermission({ id, requestId: asked!.requestId, allow: false, message: "Not that file, please" });

      expect(await runs.waitForEnd(id, 60_000)).toMatchObject({ status: "completed", exitMessage: "Not written." });
      expect(fs.existsSync(file)).toBe(false);
      expect(JSON.stringify(fake.mainRequests.map((r) => r.body?.messages.at(-1)))).toContain("Not that file, please");
      expect((await runs.events({ id })).find((e) => e.type === "workdeck/permission_answered")?.payload).toMatchObject({
        allow: false,
        how: "user",
      });
    } finally {
      await close();
    }
  }, 120_000);
});
