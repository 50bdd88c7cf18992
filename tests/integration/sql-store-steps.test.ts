/**
 * Issue 12: SqlStore.steps, work written once as a generator of statements (server/db/store-steps.ts)
 * and run by the port: synchronously on SQLite, statement by statement on PostgreSQL. The same
 * tests on both dialects.
 */
import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { PreparedQuery, step, type SqlStore, type StoreSteps } from "@/server/db/sql-store";
import { describeEachDialect } from "../support/dialects";

const at = Date.UTC(2026, 11, 4, 9, 30);

function* addProject(slug: string): StoreSteps<number> {
  const { row } = yield* step.run<{ id: number }>(
    sql`INSERT INTO projects (slug, name, path, openspec_path, source, present, created_at, updated_at)
        VALUES (${slug}, ${slug}, ${`/w/${slug}`}, ${`/w/${slug}/openspec`}, 'config', 1, ${at}, ${at}) RETURNING id`,
  );
  return Number(row!.id);
}

async function slugs(store: SqlStore): Promise<string[]> {
  return (await store.all<{ slug: string }>(sql`SELECT slug FROM projects ORDER BY slug`)).map((r) => r.slug);
}

describeEachDialect("SqlStore.steps", ({ dialect, open, again }) => {
  it("runs the statements in order and hands each one's result back: run's RETURNING row, get, all, values", async () => {
    const store = await open();
    const result = await store.transaction((tx) =>
      tx.steps(
        (function* () {
          const billing = yield* addProject("billing");
          const mobile = yield* addProject("mobile");
          const one = yield* step.get<{ id: number }>(sql`SELECT id FROM projects WHERE slug = ${"mobile"}`);
          const none = yield* step.get(sql`SELECT id FROM projects WHERE slug = ${"nope"}`);
          const both = yield* step.all<{ slug: string }>(
            sql`SELECT slug FROM projects WHERE slug IN ${["mobile", "billing"]} ORDER BY slug`,
          );
          const arrays = yield* step.values(sql`SELECT slug, present FROM projects ORDER BY slug`);
          return { billing, mobile, one: Number(one!.id), none, both: both.map((r) => r.slug), arrays };
        })(),
      ),
    );
    expect(result.billing).not.toBe(result.mobile);
    expect(result).toEqual({
      billing: expect.any(Number),
      mobile: result.mobile,
      one: result.mobile,
      none: undefined,
      both: ["billing", "mobile"],
      arrays: [
        ["billing", 1],
        ["mobile", 1],
      ],
    });
    expect(await slugs(store)).toEqual(["billing", "mobile"]);
  });

  it("a statement's error is thrown into the steps, and a transaction around them stores none of their writes", async () => {
    const store = await open();
    // Outside a transaction each statement stands alone: the steps catch the duplicate and go on.
    const caught = await store.steps(
      (function* () {
        yield* addProject("a");
        try {
          yield* addProject("a"); // slug is unique
          return "stored twice";
        } catch (err) {
          yield* addProject("b");
          return `refused: ${(err as Error).message.length > 0}`;
        }
      })(),
    );
    expect(caught).toBe("refused: true");
    await expect(
      store.transaction((tx) =>
        tx.steps(
          (function* () {
            yield* addProject("c");
            yield* addProject("a");
          })(),
        ),
      ),
    ).rejects.toThrow();
    expect(await slugs(store)).toEqual(["a", "b"]);
  });

  it("a lock step needs a transaction: outside one it is refused before anything after it runs", async () => {
    const store = await open();
    await expect(
      store.steps(
        (function* () {
          yield* step.lock("projects");
          yield* addProject("after-lock");
        })(),
      ),
    ).rejects.toThrow(/lock step \(projects\) needs a transaction/);
    expect(await slugs(store)).toEqual([]);
  });

  it("a lock step makes read-then-insert claims take turns, within one instance and across two", async () => {
    const store = await open();
    const other = await again(store);
    // 16 claimers race for one slug: each looks, then inserts only if nobody has. Exactly one may win.
    const claim = (s: SqlStore, n: number) =>
      s.transaction((tx) =>
        tx.steps(
          (function* () {
            yield* step.lock("claims");
            const taken = yield* step.get(sql`SELECT id FROM projects WHERE path = ${"/w/claimed"}`);
            if (taken) return false;
            yield* step.run(
              sql`INSERT INTO projects (slug, name, path, openspec_path, source, present, created_at, updated_at)
                  VALUES (${`claim-${n}`}, 'claim', '/w/claimed', '/w/claimed/openspec', 'config', 1, ${at}, ${at})`,
            );
            return true;
          })(),
        ),
      );
    const won = await Promise.all(Array.from({ length: 16 }, (_, n) => claim(n % 2 ? other : store, n)));
    expect(won.filter(Boolean)).toHaveLength(1);
    expect(await slugs(store)).toHaveLength(1);
  });

  it("a PreparedQuery runs with its values, again and again, on every connection and instance", async () => {
    const store = await open({ poolSize: 3 });
    const other = await again(store);
    const insert = new PreparedQuery("INSERT INTO events (type, project_slug, payload, created_at) VALUES (?, ?, ?, ?) RETURNING id");
    const byType = new PreparedQuery("SELECT type, payload, created_at FROM events WHERE type = ? AND created_at >= ? ORDER BY id");
    const count = new PreparedQuery("SELECT COUNT(*) AS n FROM events WHERE project_slug = ?");
    const when = new Date(at);
    // Several at once, so a pool runs them on several connections (each prepares the statement once).
    const ids = await Promise.all(
      Array.from({ length: 12 }, (_, n) =>
        (n % 2 ? other : store).steps(
          (function* () {
            const { row } = yield* step.run<{ id: number }>(insert, [`t${n % 3}`, "billing", `{"n":${n}}`, when]);
            return Number(row!.id);
          })(),
        ),
      ),
    );
    expect(new Set(ids).size).toBe(12);
    const read = await store.steps(
      (function* () {
        const rows = yield* step.all<{ type: string; payload: string; created_at: number }>(byType, ["t1", when]);
        const none = yield* step.get(byType, ["t1", new Date(at + 1)]);
        const n = yield* step.get<{ n: number }>(count, ["billing"]);
        return { payloads: rows.map((r) => r.payload), times: rows.map((r) => Number(r.created_at)), none, n: Number(n!.n) };
      })(),
    );
    // The inserts ran at once: their ids are in any order.
    expect({ ...read, payloads: read.payloads.sort() }).toEqual({
      payloads: ['{"n":10}', '{"n":1}', '{"n":4}', '{"n":7}'],
      times: [at, at, at, at],
      none: undefined,
      n: 12,
    });
  });

  if (dialect === "sqlite") {
    it("SQLite: a transaction's steps all run within the call, before any other callback", async () => {
      const store = await open();
      const seen: string[] = [];
      await store.transaction((tx) => {
        void Promise.resolve().then(() => seen.push("microtask"));
        return tx.steps(
          (function* () {
            for (const slug of ["x", "y", "z"]) {
              yield* addProject(slug);
              seen.push(slug);
            }
          })(),
        );
      });
      expect(seen).toEqual(["x", "y", "z", "microtask"]);
    });
  }
});
