/**
 * The few SQL fragments that differ between SQLite and PostgreSQL (issue 14), one small function
 * each, taking `store.dialect`: services compose them into their `sql` templates and never branch
 * on the dialect themselves.
 */
import { sql, type SQL } from "drizzle-orm";
import type { Dialect } from "./sql-store";

/** A top-level number of a JSON object kept as text (`refs`, `payload`); NULL when absent. */
export function jsonNumber(dialect: Dialect, column: SQL, key: string): SQL {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new Error(`not a plain JSON key: ${key}`);
  return dialect === "postgres"
    ? sql`((${column})::jsonb ->> ${sql.raw(`'${key}'`)})::bigint`
    : sql`json_extract(${column}, ${sql.raw(`'$.${key}'`)})`;
}

/**
 * `column LIKE pattern ESCAPE '\'`, case-insensitive in both (SQLite's LIKE is; PostgreSQL's is
 * not, so ILIKE). The pattern is a bound value; `\` escapes `%`, `_` and itself.
 */
export function likeText(dialect: Dialect, column: SQL, pattern: string): SQL {
  return dialect === "postgres" ? sql`${column} ILIKE ${pattern} ESCAPE '\\'` : sql`${column} LIKE ${pattern} ESCAPE '\\'`;
}
