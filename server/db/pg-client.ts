/**
 * The PostgreSQL store (issue 14): `WORKDECK_DATABASE_URL=postgres://…` puts the same tables on
 * PostgreSQL through node-postgres and Drizzle's pg dialect; SQLite stays the zero-setup default.
 * Migrations live in drizzle/pg, generated from schema.pg.ts, which is generated from the SQLite
 * schema (scripts/gen-pg-schema.ts), so both dialects hold one schema.
 */
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import * as schema from "./schema.pg";

export type PgDb = NodePgDatabase<typeof schema> & { $client: pg.Pool };

/**
 * int8 and numeric come back as strings by default; ours are ids, counts and epoch ms, all < 2^53.
 * Set on the module's parsers, not per pool: Drizzle's raw queries (`db.execute`) pass their own
 * type config, which falls back to these.
 */
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));

export function isPostgresUrl(url: string | undefined): url is string {
  return !!url && /^postgres(ql)?:\/\//i.test(url);
}

/**
 * A pool on the database. Nothing connects until the first query, so opening is cheap and a
 * wrong URL surfaces at migrate time with PostgreSQL's own message (never the password: see
 * describePgUrl).
 */
export function openPgDatabase(url: string, opts: { max?: number; applicationName?: string } = {}): PgDb {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    application_name: opts.applicationName ?? "workdeck",
    // A dead server must not hang a request forever.
    connectionTimeoutMillis: 10_000,
  });
  // An idle client losing its connection (a server restart) emits on the pool; without a
  // listener that would crash the process. The next query reconnects.
  pool.on("error", () => {});
  return drizzle(pool, { schema }) as PgDb;
}

/** Applies the committed PostgreSQL migrations (drizzle/pg). Idempotent; safe from several processes at once. */
export async function migratePgDatabase(db: PgDb, migrationsFolder: string): Promise<void> {
  // Two instances starting together would both try to apply the same migration: one waits on the
  // other through an advisory lock held for the duration.
  const client = await db.$client.connect();
  try {
    await client.query("SELECT pg_advisory_lock(hashtext('workdeck:migrate'))");
    try {
      await migrate(drizzle(client, { schema }), { migrationsFolder });
    } finally {
      await client.query("SELECT pg_advisory_unlock(hashtext('workdeck:migrate'))");
    }
  } finally {
    client.release();
  }
}

/** The URL without its password, for logs and error messages. */
export function describePgUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "postgres://(unparseable URL)";
  }
}
