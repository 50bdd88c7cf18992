/**
 * The few SQL fragments that differ between SQLite and PostgreSQL (issue 14), one small function
 * each, taking `store.dialect`: services compose them into their `sql` templates and never branch
 * on the dialect themselves.
 */
import { sql, type SQL } from "drizzle-orm";
import type { Dialect } from "./sql-store";

/** Values as a comma-separated list of parameters, for `IN (${sqlValues(ids)})`: the same on both dialects. */
export function sqlValues(values: readonly (string | number)[]): SQL {
  return sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  );
}

/** A top-level number of a JSON object kept as text (`refs`, `payload`); NULL when absent. */
export function jsonNumber(dialect: Dialect, column: SQL, key: string): SQL {
  const k = plainKey(key);
  return dialect === "postgres"
    ? sql`((${column})::jsonb ->> ${sql.raw(`'${k}'`)})::bigint`
    : sql`json_extract(${column}, ${sql.raw(`'$.${k}'`)})`;
}

/**
 * `column LIKE pattern ESCAPE '\'`, case-insensitive in both (SQLite's LIKE is; PostgreSQL's is
 * not, so ILIKE). The pattern is a bound value; `\` escapes `%`, `_` and itself.
 */
export function likeText(dialect: Dialect, column: SQL, pattern: string): SQL {
  return dialect === "postgres" ? sql`${column} ILIKE ${pattern} ESCAPE '\\'` : sql`${column} LIKE ${pattern} ESCAPE '\\'`;
}

function plainKey(key: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new Error(`not a plain JSON key: ${key}`);
  return key;
}

/** A top-level string of a JSON object kept as text, as text; NULL when absent. */
export function jsonText(dialect: Dialect, column: SQL, key: string): SQL {
  const k = plainKey(key);
  return dialect === "postgres" ? sql`((${column})::jsonb ->> ${sql.raw(`'${k}'`)})` : sql`json_extract(${column}, ${sql.raw(`'$.${k}'`)})`;
}

/** True when a top-level key of a JSON object kept as text is JSON `true` (SQLite reads it as 1). */
export function jsonIsTrue(dialect: Dialect, column: SQL, key: string): SQL {
  const k = plainKey(key);
  return dialect === "postgres"
    ? sql`((${column})::jsonb -> ${sql.raw(`'${k}'`)}) = 'true'::jsonb`
    : sql`json_extract(${column}, ${sql.raw(`'$.${k}'`)}) = 1`;
}

/**
 * The length of a top-level array of a JSON object kept as text; NULL when absent or not an array
 * (PostgreSQL's jsonb_array_length throws on a scalar, and conditions on other rows may run first).
 */
export function jsonArrayLength(dialect: Dialect, column: SQL, key: string): SQL {
  const k = plainKey(key);
  if (dialect === "sqlite") return sql`json_array_length(${column}, ${sql.raw(`'$.${k}'`)})`;
  const value = sql`((${column})::jsonb -> ${sql.raw(`'${k}'`)})`;
  return sql`(CASE WHEN jsonb_typeof(${value}) = 'array' THEN jsonb_array_length(${value}) END)`;
}
