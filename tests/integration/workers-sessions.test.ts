/**
 * Issue 14: the procedures a `workdeck worker` calls, on a temp SQLite file and on a real
 * PostgreSQL, two runners on one database standing for two server instances. A worker claims
 * only sessions of its accounts and never one another worker got; it may stream into and finish
 * only the sessions it holds; a usage limit it reports parks the account for everyone and
 * requeues the session; what people ask of its sessions reaches its poll; and a silent worker's
 * sessions become interrupted once, resumable on another worker.
 */
import fs from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import type { SessionOptions } from "@/lib/schemas/sessions";
import type { SqlStore } from "@/server/db/sql-store";
import { EventBus } from "@/server/events/bus";
import { claimNext, dueSessions } from "@/server/sessions/queue";
import { SessionRunner } from "@/server/sessions/service";
import { heartbeat } from "@/server/workers/service";
import {
  appendFromWorker,
  claimForWorker,
  finishFromWorker,
  interruptLostWorkers,
  pollForWorker,
  type WorkerSessionDeps,
} from "@/server/workers/sessions";
import { describeEachDialect } from "../support/dialects";
import { insertQueuedSession } from "../support/queued-session";
import { harnessDeps, harnessSpec } from "../support/session-harness";
import { repoRoot, tempDir } from "../support/temp";

const LOST_MS = 10_000;
const ZERO = { costUsd: 0, inputTokens: 0, outputTokens: 0, numTurns: 0 };

/** One server instance on `store`: accounts w1 and w2 run only on workers; `local` (when asked for) on the server itself. */
function instance(store: SqlStore, root: string, withLocal = false): WorkerSessionDeps {
  const base = harnessDeps(harnessSpec(root, "http://127.0.0.1:9"), repoRoot);
  const local = path.join(root, "local-config");
  fs.mkdirSync(local, { recursive: true });
  const accounts = [
    { id: "w1", configDir: "/on-the-worker/w1", runsOn: "worker" as const },
    { id: "w2", configDir: "/on-the-worker/w2", runsOn: "worker" as const },
    ...(withLocal ? [{ id: "local", configDir: local }] : []),
  ];
  const config = { ...base.config, config: { ...base.config.config, claude: { ...base.config.config.claude, accounts } } };
  const bus = new EventBus(null, store);
  const sessions = new SessionRunner({ ...base, config, sqlStore: store, bus }, { accountCheckMs: 0 });
  return { sqlStore: store, config, bus, sessions, lostAfterMs: LOST_MS };
}

const queue = (store: SqlStore, options: SessionOptions = {}) => insertQueuedSession(store, { options, cwd: "/srv/demo" });

const beat = (deps: WorkerSessionDeps, name: string, ids: string[], at = Date.now()) =>
  heartbeat(
    deps,
    { name, accounts: ids.map((id) => ({ id, ready: true, reason: null })), capacity: 2, running: [], version: "0.1.0", host: name },
    at,
  );

const row = async (store: SqlStore, id: number) =>
  (await store.get<{ status: string; worker: string | null; exit_reason: string | null; not_before: unknown }>(
    sql`SELECT status, worker, exit_reason, not_before FROM sessions WHERE id = ${id}`,
  ))!;

describeEachDialect("sessions run by workers", ({ open, again }) => {
  it("a worker claims only sessions of its accounts, the server never runs a worker's account, and two workers never get the same session", async () => {
    const store = await open();
    const root = tempDir();
    const one = instance(store, root, true);
    const two = instance(await again(store), root, true);
    await beat(one, "alpha", ["w1"]);
    await beat(two, "beta", ["w1", "w2"]);
    const onW2 = await queue(store, { accountId: "w2" });
    const onLocal = await queue(store, { accountId: "local" });

    // alpha holds only w1: neither the w2 nor the local session is its.
    expect(await claimForWorker(one, { name: "alpha", accounts: ["w1"] })).toBeNull();
    // The server's own claim skips w2 (runsOn worker) and does not hold the session back for the workers.
    const { due } = await dueSessions(store);
    const server = await claimNext(
      { store, pool: one.sessions.runContext.pool, env: {} },
      due.filter((s) => s.id === onW2),
      () => ({ change: { ownerLease: "server" } }),
    );
    expect(server.claimed).toBeNull();
    expect(await row(store, onW2)).toMatchObject({ status: "queued", not_before: null });
    expect(await row(store, onLocal)).toMatchObject({ status: "queued" });

    const shared = await queue(store, { accountId: "w1" });
    const claims = await Promise.all([
      claimForWorker(one, { name: "alpha", accounts: ["w1"] }),
      claimForWorker(two, { name: "beta", accounts: ["w1"] }),
      claimForWorker(one, { name: "alpha", accounts: ["w1"] }),
    ]);
    const got = claims.filter((c) => c !== null);
    expect(got.map((c) => c.sessionId)).toEqual([shared]);
    expect(got[0]).toMatchObject({ accountId: "w1", projectSlug: "demo", cwd: "/srv/demo", resumeId: null, freshText: "do it", run: 1 });
    const holder = claims[1] ? "beta" : "alpha";
    expect(await row(store, shared)).toMatchObject({ status: "running", worker: holder });
    expect((await two.sessions.get({ id: shared })).worker).toBe(holder);

    expect((await claimForWorker(two, { name: "beta", accounts: ["w1", "w2"] }))?.sessionId).toBe(onW2);
    expect(await row(store, onLocal)).toMatchObject({ status: "queued" });
  });

  it("append and finish are the holder's alone; its messages are stored in order as a local run's", async () => {
    const store = await open();
    const root = tempDir();
    const one = instance(store, root);
    const two = instance(await again(store), root);
    await beat(one, "alpha", ["w1"]);
    await beat(two, "beta", ["w1"]);
    const id = await queue(store);
    const claim = (await claimForWorker(one, { name: "alpha", accounts: ["w1"] }))!;
    const before = await one.sessions.events({ id });

    await expect(appendFromWorker(two, { name: "beta", sessionId: id, messages: [{ type: "assistant" }] })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(
      finishFromWorker(two, { name: "beta", sessionId: id, outcome: { kind: "success", text: "done" }, run: ZERO, totals: ZERO }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await one.sessions.events({ id })).toEqual(before);
    expect(await row(store, id)).toMatchObject({ status: "running", worker: "alpha" });

    const init = { type: "system", subtype: "init", session_id: "claude-abc" };
    const assistant = { type: "assistant", message: { content: [{ type: "text", text: "on it" }] } };
    await appendFromWorker(two, { name: "alpha", sessionId: id, messages: [init, assistant] });
    const events = await one.sessions.events({ id, after: claim.after });
    expect(events.map((e) => [e.type, e.payload])).toEqual([
      ["system/init", init],
      ["assistant", assistant],
    ]);

    const totals = { costUsd: 0.25, inputTokens: 100, outputTokens: 20, numTurns: 1 };
    expect(
      await finishFromWorker(one, { name: "alpha", sessionId: id, outcome: { kind: "success", text: "done" }, run: totals, totals }),
    ).toEqual({ status: "completed" });
    const s = await two.sessions.get({ id });
    expect(s).toMatchObject({ status: "completed", worker: "alpha", claudeSessionId: "claude-abc", costUsd: 0.25, numTurns: 1 });
    expect(s.runs).toMatchObject([{ n: 1, accountId: "w1", outcome: "success", costUsd: 0.25 }]);
    await expect(appendFromWorker(one, { name: "alpha", sessionId: id, messages: [assistant] })).rejects.toMatchObject({
      code: "CONFLICT",
    });
  });

  it("a usage limit a worker reports parks the account for every instance and requeues the session for another", async () => {
    const store = await open();
    const root = tempDir();
    const one = instance(store, root);
    const two = instance(await again(store), root);
    await beat(one, "alpha", ["w1"]);
    await beat(two, "beta", ["w1", "w2"]);
    const id = await queue(store);
    await claimForWorker(one, { name: "alpha", accounts: ["w1"] });
    await appendFromWorker(one, { name: "alpha", sessionId: id, messages: [{ type: "system", subtype: "init", session_id: "claude-1" }] });
    const resetsAt = new Date(Date.now() + 3_600_000);
    const outcome = { kind: "usage_limit" as const, resetsAt, limitType: "five_hour" as const, text: "Limit reached", rateLimitInfo: null };
    expect(await finishFromWorker(one, { name: "alpha", sessionId: id, outcome, run: ZERO, totals: ZERO })).toEqual({ status: "queued" });

    expect((await two.sessions.runContext.pool.state("w1")).state).toBe("limited");
    expect(await claimForWorker(two, { name: "beta", accounts: ["w1"] })).toBeNull();
    const next = await claimForWorker(two, { name: "beta", accounts: ["w1", "w2"] });
    expect(next).toMatchObject({ sessionId: id, accountId: "w2", resumeId: "claude-1", run: 2 });
    expect(await row(store, id)).toMatchObject({ status: "running", worker: "beta" });
  });

  it("an auth failure a worker reports marks the account for everyone; a person's recheck releases it, as the login is the worker's", async () => {
    const store = await open();
    const root = tempDir();
    const one = instance(store, root);
    const two = instance(await again(store), root);
    await beat(one, "alpha", ["w1"]);
    const id = await queue(store, { accountId: "w1" });
    await claimForWorker(one, { name: "alpha", accounts: ["w1"] });
    const outcome = { kind: "auth_failed" as const, status: 401, text: "Invalid bearer token" };
    expect(await finishFromWorker(one, { name: "alpha", sessionId: id, outcome, run: ZERO, totals: ZERO })).toEqual({ status: "queued" });
    expect((await two.sessions.runContext.pool.state("w1")).state).toBe("needs_login");
    expect(await claimForWorker(one, { name: "alpha", accounts: ["w1"] })).toBeNull();

    const { check } = await two.sessions.recheckAccount({ id: "w1" });
    expect(check.message).toContain("worker");
    expect((await one.sessions.runContext.pool.state("w1")).state).toBe("available");
    expect((await claimForWorker(one, { name: "alpha", accounts: ["w1"] }))?.sessionId).toBe(id);
  });

  it("send, stop and permission answers for a worker's session reach its poll", async () => {
    const store = await open();
    const root = tempDir();
    const one = instance(store, root);
    const two = instance(await again(store), root);
    await beat(one, "alpha", ["w1"]);
    const id = await queue(store);
    const claim = (await claimForWorker(one, { name: "alpha", accounts: ["w1"] }))!;
    expect(await pollForWorker(one, { name: "alpha", sessions: [{ sessionId: id, after: claim.after }], waitMs: 0 })).toEqual({
      commands: [],
      gone: [],
    });

    // The long poll waits, and the send made on the other instance ends it.
    const polled = pollForWorker(one, { name: "alpha", sessions: [{ sessionId: id, after: claim.after }], waitMs: 20_000 });
    await two.sessions.send({ id, text: "also update the docs" });
    expect((await polled).commands).toMatchObject([{ kind: "send", sessionId: id, text: "also update the docs" }]);

    const asked = {
      requestId: "tool-1",
      toolName: "Bash",
      input: { command: "ls" },
      rule: "Bash(ls)",
      reason: null,
      expiresAt: Date.now() + 60_000,
    };
    // The worker streams its runner's notes as messages typed by the note; the pending request is read from them.
    const { lastSeq } = await appendFromWorker(one, {
      name: "alpha",
      sessionId: id,
      messages: [{ type: "workdeck/permission_requested", ...asked }],
    });
    expect((await one.sessions.events({ id, after: lastSeq - 1 }))[0]).toMatchObject({
      type: "workdeck/permission_requested",
      payload: asked,
    });
    expect(await two.sessions.pendingPermissions({ id })).toMatchObject([{ requestId: "tool-1", toolName: "Bash" }]);
    await two.sessions.answerPermission({ id, requestId: "tool-1", allow: true, always: true });
    await two.sessions.stop({ id });
    const after = await pollForWorker(one, { name: "alpha", sessions: [{ sessionId: id, after: lastSeq }], waitMs: 0 });
    expect(after.commands).toMatchObject([
      { kind: "permission", requestId: "tool-1", allow: true, always: true },
      { kind: "stop", reason: "stopped" },
    ]);
    // Another worker's poll learns nothing of it, and is told the session is not its.
    expect(await pollForWorker(two, { name: "beta", sessions: [{ sessionId: id, after: 0 }], waitMs: 0 })).toEqual({
      commands: [],
      gone: [id],
    });
  });

  it("a silent worker's sessions become interrupted once, naming it, and resume on another worker", async () => {
    const store = await open();
    const root = tempDir();
    const one = instance(store, root);
    const two = instance(await again(store), root);
    const t0 = Date.now();
    await beat(one, "alpha", ["w1"], t0);
    await beat(two, "beta", ["w1"], t0);
    const id = await queue(store);
    await claimForWorker(one, { name: "alpha", accounts: ["w1"] });
    await appendFromWorker(one, { name: "alpha", sessionId: id, messages: [{ type: "system", subtype: "init", session_id: "claude-9" }] });
    await beat(two, "beta", ["w1"], t0 + LOST_MS);

    // Not yet: alpha's silence is within the limit.
    expect(await interruptLostWorkers(one, t0 + LOST_MS - 1)).toEqual([]);
    const at = t0 + LOST_MS + 1_000;
    const [a, b] = await Promise.all([interruptLostWorkers(one, at), interruptLostWorkers(two, at)]);
    expect([...a, ...b]).toEqual([{ worker: "alpha", sessions: [id] }]);
    const s = await one.sessions.get({ id });
    expect(s).toMatchObject({ status: "interrupted", exitReason: "worker_lost", worker: "alpha" });
    expect(s.exitMessage).toContain('"alpha"');
    expect((await one.sessions.events({ id })).filter((e) => e.type === "workdeck/interrupted")).toHaveLength(1);
    // alpha's poll (if it ever comes back) tells it to drop the run.
    expect((await pollForWorker(one, { name: "alpha", sessions: [{ sessionId: id, after: 0 }], waitMs: 0 })).gone).toEqual([id]);

    await two.sessions.resume({ id, text: "go on" });
    const next = await claimForWorker(two, { name: "beta", accounts: ["w1"] });
    expect(next).toMatchObject({ sessionId: id, resumeId: "claude-9", text: "go on", run: 2 });
    expect(await row(store, id)).toMatchObject({ status: "running", worker: "beta" });
  });
  it("a stop asked while a worker's claim was being answered reaches that worker's first poll", async () => {
    const store = await open();
    const one = instance(store, tempDir());
    await beat(one, "alpha", ["w1"]);
    const id = await queue(store, { accountId: "w1" });
    // As a stop writes it when it finds the session running on a worker before the claim's answer is made.
    await one.sessions.runContext.store.note(id, "workdeck/stop_requested", { reason: "stopped" });
    const claim = (await claimForWorker(one, { name: "alpha", accounts: ["w1"] }))!;
    expect(claim.sessionId).toBe(id);

    const polled = await pollForWorker(one, { name: "alpha", sessions: [{ sessionId: id, after: claim.after }], waitMs: 0 });
    expect(polled.commands).toMatchObject([{ kind: "stop", sessionId: id, reason: "stopped" }]);
  });
});
