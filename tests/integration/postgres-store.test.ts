/**
 * Issue 14: the PostgreSQL store's schema and migrations, against a real PostgreSQL (initdb + pg_ctl
 * in a temp folder). The PostgreSQL schema is generated from the SQLite one, so the two must hold
 * the same tables, columns, nullability and indexes, and store the same values.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateDatabase, openDatabase } from "@/server/db/client";
import { describePgUrl, migratePgDatabase, openPgDatabase, type PgDb } from "@/server/db/pg-client";
import * as pgSchema from "@/server/db/schema.pg";
import { startPostgres, type PostgresServer } from "../support/postgres";
import { repoRoot, tempDir } from "../support/temp";

const PG_MIGRATIONS = path.join(repoRoot, "drizzle", "pg");

let server: PostgresServer;
let db: PgDb;

beforeAll(async () => {
  server = await startPostgres();
  db = openPgDatabase(server.url);
}, 120_000);

afterAll(async () => {
  await db?.$client.end();
  await server?.stop();
});

type ColumnShape = { table: string; column: string; nullable: boolean };

async function pgTables(): Promise<string[]> {
  const r = await db.$client.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
  );
  return r.rows.map((x) => x.name);
}

function sqliteShape(): { columns: ColumnShape[]; indexes: string[] } {
  const lite = openDatabase(path.join(tempDir(), "shape.db"));
  migrateDatabase(lite, path.join(repoRoot, "drizzle"));
  const tables = (
    lite.$client
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__drizzle%'")
      .all() as {
      name: string;
    }[]
  ).map((t) => t.name);
  const columns = tables.flatMap((table) =>
    (
      lite.$client.prepare(`SELECT name, "notnull" AS nn, pk FROM pragma_table_info(?)`).all(table) as {
        name: string;
        nn: number;
        pk: number;
      }[]
    ).map((c) => ({ table, column: c.name, nullable: c.nn === 0 && c.pk === 0 })),
  );
  const indexes = (
    lite.$client.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").all() as { name: string }[]
  ).map((i) => i.name);
  lite.$client.close();
  return { columns, indexes };
}

const byKey = (a: ColumnShape, b: ColumnShape) => `${a.table}.${a.column}`.localeCompare(`${b.table}.${b.column}`);

describe("PostgreSQL store: schema and migrations", () => {
  it("the committed PostgreSQL schema is what the generator makes of the SQLite schema", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "scripts/gen-pg-schema.ts", "--check"], { cwd: repoRoot, encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("migrations apply, are idempotent, and survive two instances starting at once", async () => {
    const second = openPgDatabase(server.url);
    try {
      await Promise.all([migratePgDatabase(db, PG_MIGRATIONS), migratePgDatabase(second, PG_MIGRATIONS)]);
      await migratePgDatabase(db, PG_MIGRATIONS);
    } finally {
      await second.$client.end();
    }
    const applied = await db.$client.query<{ n: number }>("SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations");
    const journal = JSON.parse(fs.readFileSync(path.join(PG_MIGRATIONS, "meta/_journal.json"), "utf8")) as { entries: unknown[] };
    expect(applied.rows[0]!.n).toBe(journal.entries.length);
  });

  it("holds the same tables, columns, nullability and indexes as the SQLite store", async () => {
    await migratePgDatabase(db, PG_MIGRATIONS);
    const lite = sqliteShape();
    const cols = await db.$client.query<{ table: string; column: string; nullable: string }>(
      "SELECT table_name AS table, column_name AS column, is_nullable AS nullable FROM information_schema.columns WHERE table_schema = 'public'",
    );
    const pgColumns = cols.rows.map((c) => ({ table: c.table, column: c.column, nullable: c.nullable === "YES" }));
    expect(pgColumns.sort(byKey)).toEqual([...lite.columns].sort(byKey));
    const ix = await db.$client.query<{ name: string }>(
      "SELECT indexname AS name FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT LIKE '%_pkey'",
    );
    // A column UNIQUE is an index named <table>_<column>_unique in both (PostgreSQL: the constraint's index).
    const pgIndexes = ix.rows.map((r) => r.name);
    expect(pgIndexes.sort()).toEqual([...lite.indexes].sort());
  });

  it("stores the values SQLite stores: ms instants, 0/1 flags, JSON text, bytes", async () => {
    await migratePgDatabase(db, PG_MIGRATIONS);
    const at = new Date("2026-12-04T10:00:00.123Z");
    await db
      .insert(pgSchema.projects)
      .values({ slug: "billing", name: "Billing", path: "/w/billing", openspecPath: "/w/billing/openspec", source: "config" });
    const [project] = await db.select().from(pgSchema.projects).where(eq(pgSchema.projects.slug, "billing"));
    expect(project).toMatchObject({ slug: "billing", present: true });
    expect(Math.abs(project!.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
    const raw = await db.$client.query<{ present: number; created_at: number }>(
      "SELECT present, created_at FROM projects WHERE slug = 'billing'",
    );
    expect(raw.rows[0]).toEqual({ present: 1, created_at: project!.createdAt.getTime() });

    const [event] = await db
      .insert(pgSchema.events)
      .values({ type: "errors.failureNew", projectSlug: "billing", payload: { failureId: 7, title: 'ü \u2028 "q"' }, createdAt: at })
      .returning();
    expect(event!.id).toBeTypeOf("number");
    expect(event!.payload).toEqual({ failureId: 7, title: 'ü \u2028 "q"' });
    expect(event!.createdAt).toEqual(at);
    const byJson = await db.execute<{ id: number }>(sql`SELECT id FROM events WHERE (payload::jsonb ->> 'failureId')::int = 7`);
    expect(byJson.rows.map((r) => r.id)).toEqual([event!.id]);

    // The partial index (hooks.tool_use_id IS NOT NULL) is gone since 0003 (issue 12); its down path
    // brings it back with its condition, and the migration drops it again.
    const partial = () =>
      db.$client.query<{ def: string }>("SELECT indexdef AS def FROM pg_indexes WHERE indexname = 'hooks_tool_use_idx'");
    expect((await partial()).rows).toEqual([]);
    await db.$client.query(fs.readFileSync(path.join(PG_MIGRATIONS, "down", "0003_drop_tool_use_idx.sql"), "utf8"));
    expect((await partial()).rows[0]!.def).toMatch(/WHERE \(tool_use_id IS NOT NULL\)/);
    await db.$client.query(fs.readFileSync(path.join(PG_MIGRATIONS, "0003_drop_tool_use_idx.sql"), "utf8"));
    expect((await partial()).rows).toEqual([]);
  });

  it("every migration has a down path that undoes it, after which it applies again", async () => {
    await migratePgDatabase(db, PG_MIGRATIONS);
    const full = await pgTables();
    const journal = JSON.parse(fs.readFileSync(path.join(PG_MIGRATIONS, "meta/_journal.json"), "utf8")) as { entries: { tag: string }[] };
    for (const { tag } of [...journal.entries].reverse()) {
      const down = path.join(PG_MIGRATIONS, "down", `${tag}.sql`);
      expect(fs.existsSync(down), `missing down migration for ${tag}`).toBe(true);
      await db.$client.query(fs.readFileSync(down, "utf8"));
      await db.$client.query(
        "DELETE FROM drizzle.__drizzle_migrations WHERE created_at = (SELECT max(created_at) FROM drizzle.__drizzle_migrations)",
      );
    }
    expect(await pgTables()).toEqual([]);
    await migratePgDatabase(db, PG_MIGRATIONS);
    expect(await pgTables()).toEqual(full);
  });

  it("`workdeck db migrate` prepares a PostgreSQL database named by WORKDECK_DATABASE_URL, and the data commands then run on it alone", async () => {
    await db.$client.query("CREATE DATABASE cli_target");
    const url = server.url.replace(/\/postgres$/, "/cli_target").replace("postgres@", "postgres:hunter2@");
    const env = {
      ...process.env,
      WORKDECK_SERVER_BUILD: "off",
      WORKDECK_DATABASE_URL: url,
      WORKDECK_DB: path.join(tempDir(), "unused.db"),
    };
    const cli = (...args: string[]) => spawnSync(process.execPath, ["bin/workdeck.mjs", ...args], { cwd: repoRoot, env, encoding: "utf8" });
    const migrated = cli("db", "migrate");
    expect(migrated.stderr).toBe("");
    expect(migrated.status).toBe(0);
    expect(migrated.stdout).toContain("Migrated postgres://postgres:***@127.0.0.1:");
    expect(migrated.stdout).not.toContain("hunter2");
    const target = openPgDatabase(url);
    try {
      const r = await target.$client.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'",
      );
      const created = fs
        .readdirSync(PG_MIGRATIONS)
        .filter((f) => f.endsWith(".sql"))
        .reduce((n, f) => n + (fs.readFileSync(path.join(PG_MIGRATIONS, f), "utf8").match(/^CREATE TABLE /gm)?.length ?? 0), 0);
      expect(r.rows[0]!.n).toBe(created);
    } finally {
      await target.$client.end();
    }
    // Served from that database (it used to be refused): an empty list, and no SQLite file made.
    const listed = cli("errors", "list", "--json");
    expect(listed.stderr).toBe("");
    expect(listed.status).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([]);
    expect(fs.existsSync(env.WORKDECK_DB)).toBe(false);
    const bad = spawnSync(process.execPath, ["bin/workdeck.mjs", "db", "migrate"], {
      cwd: repoRoot,
      env: { ...env, WORKDECK_DATABASE_URL: "mysql://root@localhost/db" },
      encoding: "utf8",
    });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("WORKDECK_DATABASE_URL must be a postgres:// or postgresql:// URL");
  });

  it("a URL's password never reaches a message", () => {
    expect(describePgUrl("postgres://workdeck:s3cret@db.internal:5432/workdeck")).toBe("postgres://workdeck:***@db.internal:5432/workdeck");
    expect(describePgUrl("postgres://[bad")).not.toContain("bad");
  });
});
