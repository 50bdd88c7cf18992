import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { migrateDatabase, openDatabase } from "@/server/db/client";
import { repoRoot, tempDir } from "../support/temp";

const migrations = path.join(repoRoot, "drizzle");
const run = promisify(execFile);

const tables = (db: ReturnType<typeof openDatabase>) =>
  (
    db.$client.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as {
      name: string;
    }[]
  ).map((r) => r.name);

describe("migrations", () => {
  it("apply to an empty file, are idempotent, and set WAL and foreign keys", () => {
    const db = openDatabase(path.join(tempDir(), "m.db"));
    migrateDatabase(db, migrations);
    migrateDatabase(db, migrations);
    expect(tables(db)).toEqual(expect.arrayContaining(["__drizzle_migrations", "events", "projects"]));
    expect(db.$client.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.$client.pragma("foreign_keys", { simple: true })).toBe(1);
  });

  it("every migration has a down path that undoes it, after which it applies again", () => {
    const journal = JSON.parse(fs.readFileSync(path.join(migrations, "meta/_journal.json"), "utf8")) as { entries: { tag: string }[] };
    const db = openDatabase(path.join(tempDir(), "m.db"));
    migrateDatabase(db, migrations);
    const full = tables(db);
    for (const { tag } of [...journal.entries].reverse()) {
      const down = path.join(migrations, "down", `${tag}.sql`);
      expect(fs.existsSync(down), `missing down migration for ${tag}`).toBe(true);
      db.$client.exec(fs.readFileSync(down, "utf8"));
      db.$client.prepare("DELETE FROM __drizzle_migrations WHERE created_at = (SELECT max(created_at) FROM __drizzle_migrations)").run();
    }
    expect(tables(db)).toEqual(["__drizzle_migrations"]);
    migrateDatabase(db, migrations);
    expect(tables(db)).toEqual(full);
  });

  // Three `workdeck ingest` runs started together on a new database failed in CI: the second
  // process opened the file while the first switched it to WAL, or found the tables it was about to
  // create already made. Eight processes per round made one round in eight fail before the fix.
  it("several processes migrating one new file at the same moment all succeed, and the file is migrated once", async () => {
    for (let round = 0; round < 3; round++) {
      const dbPath = path.join(tempDir(), "race.db");
      const env = { ...process.env, WORKDECK_DB: dbPath, NO_COLOR: "1" };
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          run(process.execPath, [path.join(repoRoot, "bin/workdeck.mjs"), "db", "migrate"], { env }).then(
            () => "",
            (err: { stderr?: string }) => err.stderr ?? String(err),
          ),
        ),
      );
      expect(results.filter(Boolean)).toEqual([]);
      const db = openDatabase(dbPath);
      const applied = db.$client.prepare("SELECT count(*) AS n FROM __drizzle_migrations").get() as { n: number };
      const journal = JSON.parse(fs.readFileSync(path.join(migrations, "meta/_journal.json"), "utf8")) as { entries: unknown[] };
      expect(applied.n).toBe(journal.entries.length);
      db.$client.close();
    }
  }, 120_000);
});
