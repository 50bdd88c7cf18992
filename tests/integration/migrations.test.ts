import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { migrateDatabase, openDatabase } from "@/server/db/client";
import { repoRoot, tempDir } from "../support/temp";

const migrations = path.join(repoRoot, "drizzle");

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
});
