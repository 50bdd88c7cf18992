/**
 * Issue 14: background jobs run in one process per database. Two elections on one database
 * stand for two servers (on PostgreSQL, each with its own pool); their heartbeats are driven with
 * explicit clock values so the TTL takeover is checked without waiting on time. The same tests
 * run on SQLite and on a real PostgreSQL. The two-process version (kill -9 of a real leader) is
 * in scaleout.test.ts.
 */
import { expect, it } from "vitest";
import type { SqlStore } from "@/server/db/sql-store";
import { LeaderElection } from "@/server/leader";
import { describeEachDialect } from "../support/dialects";

const quiet = { info: () => {}, warn: () => {}, error: () => {} };

function server(sqlStore: SqlStore, log: string[], ttlMs = 1_000) {
  const election = new LeaderElection({ sqlStore, log: quiet }, "leader", ttlMs);
  const name = `s${log.filter((l) => l.startsWith("new")).length}`;
  log.push(`new ${name}`);
  election.whileLeading("job", () => {
    log.push(`${name} started`);
    return { close: () => void log.push(`${name} stopped`) };
  });
  return { election, name };
}

describeEachDialect("leader election", ({ open, again }) => {
  it("runs the jobs in one process; another takes them over once the leader's row expires, and the old one stops them", async () => {
    const store = await open();
    const log: string[] = [];
    const a = server(store, log);
    const b = server(await again(store), log);
    const t0 = Date.now();
    await a.election.tick(t0);
    await b.election.tick(t0 + 10);
    expect([a.election.isLeader(), b.election.isLeader()]).toEqual([true, false]);
    await a.election.tick(t0 + 500);
    await b.election.tick(t0 + 1_400);
    expect(b.election.isLeader()).toBe(false);
    // a stopped renewing at t0 + 500 (a stalled or killed process): its row expires at t0 + 1,500.
    await b.election.tick(t0 + 1_501);
    expect(b.election.isLeader()).toBe(true);
    await a.election.tick(t0 + 1_502);
    expect(a.election.isLeader()).toBe(false);
    await new Promise((r) => setImmediate(r));
    expect(log.filter((l) => !l.startsWith("new"))).toEqual(["s0 started", "s1 started", "s0 stopped"]);
    await a.election.close();
    await b.election.close();
  });

  it("a clean stop hands the lead on at the next heartbeat, not after the TTL", async () => {
    const store = await open();
    const log: string[] = [];
    const a = server(store, log, 60_000);
    const b = server(await again(store), log, 60_000);
    const t0 = Date.now();
    await a.election.tick(t0);
    await b.election.tick(t0 + 1);
    await a.election.close();
    await b.election.tick(t0 + 2);
    expect(b.election.isLeader()).toBe(true);
    expect(log.filter((l) => !l.startsWith("new"))).toEqual(["s0 started", "s0 stopped", "s1 started"]);
    await b.election.close();
  });

  it("a job registered while leading starts at once; one that throws on start is logged and the others still run", async () => {
    const sqlStore = await open();
    const errors: string[] = [];
    const election = new LeaderElection({ sqlStore, log: { ...quiet, error: (_o, msg) => void errors.push(msg) } }, "leader", 1_000);
    await election.tick(Date.now());
    const ran: string[] = [];
    election.whileLeading("broken", () => {
      throw new Error("boom");
    });
    election.whileLeading("fine", () => (ran.push("fine"), { close() {} }));
    expect(ran).toEqual(["fine"]);
    expect(errors).toEqual(["background job failed to start"]);
    await election.close();
  });
});
