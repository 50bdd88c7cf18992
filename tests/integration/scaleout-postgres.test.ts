/**
 * Issue 14: the PostgreSQL harness the PostgreSQL store's tests will run on (initdb into a temp
 * folder as the `postgres` user, pg_ctl on a free port). Checked here against the real server
 * with psql, so a broken harness shows before the store depends on it.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { requireBinary } from "../support/engines";
import { startPostgres } from "../support/postgres";

describe("tests/support/postgres.ts", () => {
  it("starts a real PostgreSQL that answers queries and takes writes, and stop() removes it", async () => {
    const psql = requireBinary("psql", "postgresql-client");
    const pg = await startPostgres();
    let stopped = false;
    try {
      const q = (sql: string) => spawnSync(psql, [pg.url, "-v", "ON_ERROR_STOP=1", "-tAc", sql], { encoding: "utf8" });
      expect(q("CREATE TABLE t (id serial PRIMARY KEY, v text); INSERT INTO t (v) VALUES ('a'), ('b');").status).toBe(0);
      const read = q("SELECT string_agg(v, ',' ORDER BY id) FROM t");
      expect(read.stderr).toBe("");
      expect(read.stdout.trim()).toBe("a,b");
      // LISTEN/NOTIFY, which a PostgreSQL notifier will ride: a notification raised in a session is delivered to it.
      const notify = q("LISTEN workdeck_events; NOTIFY workdeck_events, '42';");
      expect(notify.status).toBe(0);
      expect(notify.stdout + notify.stderr).toContain('"workdeck_events" with payload "42"');
      await pg.stop();
      stopped = true;
      expect(fs.existsSync(pg.dataDir)).toBe(false);
      expect(q("SELECT 1").status).not.toBe(0);
    } finally {
      if (!stopped) await pg.stop();
    }
  });
});
