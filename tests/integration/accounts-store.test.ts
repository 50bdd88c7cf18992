/**
 * Issue 14: the account pool's rows on the SQL port, the same tests on SQLite and on a real
 * PostgreSQL. Two stores on one database stand for two instances (`again`): a usage limit seen by
 * one parks the account for both. Clocks are explicit values, never waited on.
 */
import { expect, it } from "vitest";
import { AccountRows } from "@/server/accounts/rows";
import { describeEachDialect } from "../support/dialects";

describeEachDialect("account rows", ({ open, again }) => {
  it("an account parked by one instance is parked for the other until its reset, then released once", async () => {
    const store = await open();
    const one = new AccountRows(store);
    const two = new AccountRows(await again(store));
    await one.register("work", "/home/me/.claude-work");
    await two.register("work", "/home/me/.claude-work");
    expect(await two.state("work")).toEqual({ state: "available", limitedUntil: null });
    expect(await two.state("nobody")).toEqual({ state: "disabled", limitedUntil: null });

    const t0 = Date.now();
    const until = new Date(t0 + 60_000);
    const info = { status: "rejected", rateLimitType: "five_hour", resetsAt: Math.floor(until.getTime() / 1000) };
    await one.park("work", until, info, "Usage limit reached");
    expect(await two.state("work", t0 + 1)).toEqual({ state: "limited", limitedUntil: until });
    expect(await two.get("work")).toMatchObject({ state: "limited", lastRateLimit: info, lastError: "Usage limit reached" });

    // Past the reset: released, and seen released by the other.
    expect(await two.state("work", until.getTime())).toEqual({ state: "available", limitedUntil: null });
    expect(await one.state("work", until.getTime() + 1)).toEqual({ state: "available", limitedUntil: null });

    // A release judged on an older clock never undoes a newer park.
    const later = new Date(until.getTime() + 120_000);
    await one.park("work", later, undefined, "Usage limit reached again");
    expect(await two.state("work", until.getTime() + 2)).toEqual({ state: "limited", limitedUntil: later });
    // The info of the earlier limit stays when the new one names none.
    expect((await one.get("work"))?.lastRateLimit).toEqual(info);

    // Registering again (a restart) keeps the state and counters, and updates the config dir.
    await one.register("work", "/elsewhere");
    expect(await two.get("work")).toMatchObject({ configDir: "/elsewhere", state: "limited" });
  });

  it("state changes and usage from two instances add up", async () => {
    const store = await open();
    const one = new AccountRows(store);
    const two = new AccountRows(await again(store));
    await one.register("a", null);
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? one : two).addUsage("a", { costUsd: 0.25, inputTokens: 100, outputTokens: 10 }, i < 3)),
    );
    expect(await one.get("a")).toMatchObject({ costUsd: 2.5, inputTokens: 1000, outputTokens: 100, sessionsCount: 3 });

    await two.set("a", { state: "needs_login", lastError: "Invalid bearer token" });
    expect(await one.state("a")).toEqual({ state: "needs_login", limitedUntil: null });
    await one.set("a", { state: "available", lastError: null, lastRateLimit: null });
    expect(await two.get("a")).toMatchObject({ state: "available", lastError: null, lastRateLimit: null });
  });
});
