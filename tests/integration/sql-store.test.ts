/**
 * Issue 14: the dialect-neutral port (server/db/sql-store.ts) and the first service on it
 * (automations' claims), the same tests on SQLite and on a real PostgreSQL.
 */
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { AutomationRunner } from "@/server/automations/service";
import type { LoadedConfig } from "@/server/config";
import type { EventBus } from "@/server/events/bus";
import type { AutomationRule } from "@/lib/schemas/integrations";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import type { SqlStore } from "@/server/db/sql-store";
import { describeEachDialect } from "../support/dialects";

const at = new Date("2026-12-04T09:30:00.250Z");

async function addProject(store: SqlStore, slug: string): Promise<void> {
  await store.run(
    sql`INSERT INTO projects (slug, name, path, openspec_path, source, present, created_at, updated_at)
        VALUES (${slug}, ${slug}, ${`/w/${slug}`}, ${`/w/${slug}/openspec`}, 'config', ${true}, ${at}, ${at})`,
  );
}

describeEachDialect("SqlStore", ({ dialect, open, again }) => {
  it("binds dates as epoch ms and booleans as 0/1, expands lists, and reads numbers back as numbers", async () => {
    const store = await open();
    await addProject(store, "billing");
    await addProject(store, "mobile");
    const row = await store.get<{ present: number; created_at: number; id: number }>(
      sql`SELECT id, present, created_at FROM projects WHERE slug = ${"billing"}`,
    );
    expect(row).toEqual({ id: expect.any(Number), present: 1, created_at: at.getTime() });
    const some = await store.all<{ slug: string }>(
      sql`SELECT slug FROM projects WHERE slug IN ${["mobile", "billing", "nope"]} ORDER BY slug`,
    );
    expect(some.map((r) => r.slug)).toEqual(["billing", "mobile"]);
    const counted = await store.get<{ n: number }>(sql`SELECT COUNT(*) AS n FROM projects`);
    expect(Number(counted!.n)).toBe(2);
    expect(await store.get(sql`SELECT slug FROM projects WHERE slug = ${"nope"}`)).toBeUndefined();
  });

  it("run() reports changed rows, and RETURNING's row; a conflict that does nothing returns none", async () => {
    const store = await open();
    const insert = (eventId: number) =>
      store.run<{ id: number }>(
        sql`INSERT INTO automation_runs (item_key, trigger, rule_index, action, project_slug, status, event_id, created_at)
            VALUES ('deploy:1', 'deploy_failed', 0, 'notify', 'billing', 'notified', ${eventId}, ${at})
            ON CONFLICT (event_id, rule_index, item_key) DO NOTHING RETURNING id`,
      );
    const first = await insert(7);
    expect(first.changes).toBe(1);
    expect(first.row?.id).toEqual(expect.any(Number));
    expect(await insert(7)).toEqual({ changes: 0, row: undefined });
    const updated = await store.run(sql`UPDATE automation_runs SET status = 'failed' WHERE event_id IN ${[7, 8]}`);
    expect(updated.changes).toBe(1);
  });

  it("a one-row INSERT … RETURNING id returns the stored row's id, in and out of a transaction", async () => {
    const store = await open();
    const insertEvent = (tx: SqlStore, n: number) =>
      tx.run<{ id: number }>(
        sql`INSERT INTO events (type, project_slug, payload, created_at) VALUES (${`t${n}`}, 'billing', ${`{"n":${n}}`}, ${at}) RETURNING id`,
      );
    const ids: number[] = [];
    for (const n of [1, 2, 3]) {
      const inserted = await insertEvent(store, n);
      expect(inserted.changes).toBe(1);
      ids.push(Number(inserted.row!.id));
    }
    await store.transaction(async (tx) => {
      ids.push(Number((await insertEvent(tx, 4)).row!.id));
      ids.push(Number((await insertEvent(tx, 5)).row!.id));
    });

    expect(new Set(ids).size).toBe(5);
    for (const [i, id] of ids.entries()) {
      const row = await store.get<{ type: string; payload: string }>(sql`SELECT type, payload FROM events WHERE id = ${id}`);
      expect(row).toEqual({ type: `t${i + 1}`, payload: `{"n":${i + 1}}` });
    }
  });

  it("a transaction commits all of its writes, or none when its body throws", async () => {
    const store = await open();
    await store.transaction(async (tx) => {
      await addProject(tx, "a");
      await addProject(tx, "b");
    });
    await expect(
      store.transaction(async (tx) => {
        await addProject(tx, "c");
        await addProject(tx, "a"); // slug is unique
      }),
    ).rejects.toThrow();
    const slugs = await store.all<{ slug: string }>(sql`SELECT slug FROM projects ORDER BY slug`);
    expect(slugs.map((r) => r.slug)).toEqual(["a", "b"]);
  });

  it("exclusive transactions make read-then-insert claims take turns, within one instance and across two", async () => {
    const store = await open();
    const other = await again(store);
    // 24 claimers race for one key: each counts, then inserts only if nobody has. Exactly one may win.
    const claim = (s: SqlStore, n: number) =>
      s.transaction(
        async (tx) => {
          const taken = await tx.get<{ n: number }>(sql`SELECT COUNT(*) AS n FROM automation_runs WHERE item_key = 'deploy:9'`);
          if (Number(taken!.n) > 0) return false;
          await tx.run(
            sql`INSERT INTO automation_runs (item_key, trigger, rule_index, action, project_slug, status, event_id, created_at)
                VALUES ('deploy:9', 'deploy_failed', ${n}, 'launch_session', 'billing', 'launching', ${n}, ${at})`,
          );
          return true;
        },
        { exclusive: "automations:billing" },
      );
    const won = await Promise.all(Array.from({ length: 24 }, (_, n) => claim(n % 2 ? other : store, n)));
    expect(won.filter(Boolean)).toHaveLength(1);
    const rows = await store.get<{ n: number }>(sql`SELECT COUNT(*) AS n FROM automation_runs WHERE item_key = 'deploy:9'`);
    expect(Number(rows!.n)).toBe(1);
  });

  if (dialect === "sqlite") {
    it("SQLite: a statement outside an open transaction waits for it instead of landing inside it", async () => {
      const store = await open();
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const tx = store
        .transaction(async (t) => {
          await addProject(t, "inside");
          await gate;
          throw new Error("rolled back");
        })
        .catch((e: Error) => e.message);
      const outside = addProject(store, "outside");
      release();
      expect(await tx).toMatch(/rolled back|awaited something other than the database/);
      await outside;
      const slugs = await store.all<{ slug: string }>(sql`SELECT slug FROM projects`);
      expect(slugs.map((r) => r.slug)).toEqual(["outside"]);
    });

    it("SQLite: a transaction body that awaits real I/O is refused and rolled back", async () => {
      const store = await open();
      await expect(
        store.transaction(async (tx) => {
          await addProject(tx, "x");
          await new Promise((r) => setTimeout(r, 5));
        }),
      ).rejects.toThrow(/awaited something other than the database/);
      expect(await store.all(sql`SELECT slug FROM projects`)).toEqual([]);
    });
  }
});

describe("automations on the port", () => {
  describeEachDialect("AutomationRunner claims", ({ open, again }) => {
    const rule: AutomationRule = { on: "deploy_failed", action: "launch_session", maxSessionsPerHour: 2 };
    const event = (id: number, itemId: number): WorkdeckEvent =>
      ({
        id,
        type: "integrations.changed",
        projectSlug: "billing",
        itemId,
        kind: "deploy",
        change: "opened",
        at: at.getTime(),
      }) as WorkdeckEvent;

    async function runner(store: SqlStore, started: unknown[], published: unknown[]) {
      const config = { config: { automations: [rule] } } as unknown as LoadedConfig;
      return new AutomationRunner({
        sqlStore: store,
        bus: { publishAsync: async (e: unknown) => published.push(e) } as unknown as EventBus,
        config,
        // Sessions are not on the port yet: a recorder stands in for the runner's public start().
        sessions: {
          start: async (input: unknown) => (started.push(input), { id: 100 + started.length }),
          promptPreview: async () => ({ prompt: "" }),
        } as never,
        log: { warn: () => {}, error: () => {} },
        now: () => at.getTime(),
      });
    }

    async function addItem(store: SqlStore, id: number): Promise<void> {
      await store.run(
        sql`INSERT INTO integration_items (id, kind, project_slug, provider, subject_key, status, title, detail, priority, first_seen_at, last_seen_at, evidence)
            VALUES (${id}, 'deploy', 'billing', 'railway', ${`deploy:railway:api:${id}`}, 'open', 'api deploy failed', 'FAILED', 4, ${at}, ${at}, 'npm ERR! missing script: build')`,
      );
    }

    it("one event seen by two instances launches one session, built from the item's evidence", async () => {
      const store = await open();
      const other = await again(store);
      await addItem(store, 1);
      const started: { prompt: string }[] = [];
      const published: unknown[] = [];
      const a = await runner(store, started, published);
      const b = await runner(other, started, published);
      await Promise.all([a.handle(event(50, 1)), b.handle(event(50, 1))]);
      expect(started).toHaveLength(1);
      expect(started[0]!.prompt).toContain("npm ERR! missing script: build");
      const runs = await store.all<{ status: string; session_id: number }>(sql`SELECT status, session_id FROM automation_runs`);
      expect(runs).toEqual([{ status: "launched", session_id: 101 }]);
      expect(published).toEqual([{ type: "automations.ran", projectSlug: "billing", runId: expect.any(Number) }]);
    });

    it("a busy item is skipped, and the project's hourly limit holds across instances", async () => {
      const store = await open();
      const other = await again(store);
      for (const id of [1, 2, 3]) await addItem(store, id);
      const started: unknown[] = [];
      const a = await runner(store, started, []);
      const b = await runner(other, started, []);
      await a.handle(event(60, 1));
      // Session 101 counts as running for item 1 (its sessions row says so).
      await store.run(
        sql`INSERT INTO sessions (id, session_type, status, project_slug, cwd, prompt, options, created_at) VALUES (101, 'work', 'running', 'billing', '/w', 'p', '{}', ${at})`,
      );
      await b.handle(event(61, 1));
      await Promise.all([a.handle(event(62, 2)), b.handle(event(63, 3))]);
      const runs = await store.all<{ item_key: string; status: string }>(
        sql`SELECT item_key, status FROM automation_runs ORDER BY event_id`,
      );
      expect(runs.map((r) => `${r.item_key} ${r.status}`)).toEqual([
        "deploy:1 launched",
        "deploy:1 skipped",
        ...(runs[2]!.status === "launched"
          ? ["deploy:2 launched", "deploy:3 rate_limited"]
          : ["deploy:2 rate_limited", "deploy:3 launched"]),
      ]);
      expect(started).toHaveLength(2);
    });
  });
});
