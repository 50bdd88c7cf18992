import { defineConfig } from "drizzle-kit";

/** PostgreSQL (issue 14): the same tables, generated from the SQLite schema by scripts/gen-pg-schema.ts. */
export default defineConfig({
  dialect: "postgresql",
  schema: "./server/db/schema.pg.ts",
  out: "./drizzle/pg",
});
