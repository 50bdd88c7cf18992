/**
 * PostgreSQL column types that store exactly what the SQLite schema stores (issue 14), so one
 * schema has one meaning and raw SQL compares the same values in both dialects: instants as
 * integer milliseconds, flags as 0/1, JSON as text, deflated blobs as bytes.
 */
import { customType } from "drizzle-orm/pg-core";

/** node-postgres returns int8 as a string (it may exceed 2^53); ours are ids, counts and ms. */
const toNumber = (v: unknown): number => (typeof v === "number" ? v : Number(v));

/** An instant stored as epoch milliseconds in a bigint, read back as a Date (SQLite's `timestamp_ms`). */
export const msTime = customType<{ data: Date; driverData: string | number }>({
  dataType: () => "bigint",
  toDriver: (d) => d.getTime(),
  fromDriver: (v) => new Date(toNumber(v)),
});

/** A boolean stored as 0/1 in a smallint (SQLite's `boolean` mode), so `flag = 1` reads the same in both. */
export const flag = customType<{ data: boolean; driverData: number }>({
  dataType: () => "smallint",
  toDriver: (b) => (b ? 1 : 0),
  fromDriver: (v) => toNumber(v) !== 0,
});

/** JSON kept as text (SQLite's `json` mode): the bytes a client sent are the bytes stored. */
export const jsonText = customType<{ data: unknown; driverData: string }>({
  dataType: () => "text",
  toDriver: (v) => JSON.stringify(v),
  fromDriver: (v) => JSON.parse(v) as unknown,
});

/** Raw bytes (the deflated attempts of a failed result). */
export const bytes = customType<{ data: Buffer; driverData: Buffer }>({
  dataType: () => "bytea",
});
