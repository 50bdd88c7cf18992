/**
 * The dialect matrix (issue 14): the same tests on a temp SQLite file and on a real PostgreSQL
 * (initdb + pg_ctl in a temp folder, started once per file). Each `open()` is a fresh, migrated
 * database: a copy of a migrated template on PostgreSQL, a new file on SQLite.
 */
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe } from "vitest";
import { migrateDatabase, openDatabase } from "@/server/db/client";
import { PostgresStore, SqliteStore, type Dialect, type SqlStore } from "@/server/db/sql-store";
import { startPostgres, type PostgresServer } from "./postgres";
import { repoRoot, tempDir } from "./temp";
import { databaseUrl, migratePostgres } from "./pg-bus";

export type OpenStore = (opts?: { poolSize?: number }) => Promise<SqlStore>;
export type DialectContext = {
  dialect: Dialect;
  /** A fresh migrated database; the same database again for `again(store)` (a second instance on it). */
  open: OpenStore;
  /**
   * A second instance on the database behind `store`. PostgreSQL: another pool, as a second process
   * has. SQLite: the same connection, because two synchronous connections in one thread would
   * block each other on the write lock (across processes, BEGIN IMMEDIATE does the work).
   */
  again(store: SqlStore): Promise<SqlStore>;
  /** Where `store`'s database is, for a connection of another thread's own: its PostgreSQL URL, or its SQLite file. */
  location(store: SqlStore): string;
};

const TEMPLATE = "workdeck_template";

export function describeEachDialect(name: string, body: (ctx: DialectContext) => void): void {
  describe.each<Dialect>(["sqlite", "postgres"])(`${name} (%s)`, (dialect) => {
    const closers: (() => Promise<void> | void)[] = [];
    const where = new Map<SqlStore, string>();
    let server: PostgresServer | undefined;
    let admin: pg.Client | undefined;
    let seq = 0;

    if (dialect === "postgres") {
      beforeAll(async () => {
        server = await startPostgres();
        admin = new pg.Client({ connectionString: server.url });
        await admin.connect();
        await admin.query(`CREATE DATABASE ${TEMPLATE}`);
        await migratePostgres(databaseUrl(server.url, TEMPLATE));
      }, 120_000);
    }

    afterAll(async () => {
      for (const close of closers.splice(0).reverse()) await close();
      await admin?.end();
      await server?.stop();
    });

    const openPg = async (database: string, poolSize = 10): Promise<SqlStore> => {
      const pool = new pg.Pool({ connectionString: databaseUrl(server!.url, database), max: poolSize });
      pool.on("error", () => {});
      closers.push(() => pool.end());
      const store = new PostgresStore(pool);
      where.set(store, database);
      return store;
    };

    const openSqlite = (file: string): SqlStore => {
      const db = openDatabase(file);
      migrateDatabase(db, path.join(repoRoot, "drizzle"));
      closers.push(() => void db.$client.close());
      const store = SqliteStore.on(db.$client);
      where.set(store, file);
      return store;
    };

    body({
      dialect,
      async open(opts = {}) {
        if (dialect === "sqlite") {
          const file = path.join(tempDir(), "matrix.db");
          return openSqlite(file);
        }
        const database = `workdeck_t${++seq}`;
        await admin!.query(`CREATE DATABASE ${database} TEMPLATE ${TEMPLATE}`);
        return openPg(database, opts.poolSize);
      },
      async again(store) {
        const at = where.get(store);
        if (!at) throw new Error("again(): not a store this matrix opened");
        return dialect === "sqlite" ? store : openPg(at);
      },
      location(store) {
        const at = where.get(store);
        if (!at) throw new Error("location(): not a store this matrix opened");
        return dialect === "sqlite" ? at : databaseUrl(server!.url, at);
      },
    });
  });
}
