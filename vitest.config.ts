import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@workdeck\/openspec-parser$/, replacement: here("./packages/openspec-parser/src/index.ts") },
      { find: /^@workdeck\/openspec-parser\/(.*)$/, replacement: here("./packages/openspec-parser/src/$1") },
      { find: /^@workdeck\/error-classifier$/, replacement: here("./packages/error-classifier/src/index.ts") },
      { find: /^@workdeck\/error-classifier\/(.*)$/, replacement: here("./packages/error-classifier/src/$1") },
      { find: /^@\/(.*)$/, replacement: here("./$1") },
      // `server-only` throws outside Next; tests import server modules directly.
      { find: /^server-only$/, replacement: here("./tests/support/server-only-stub.ts") },
    ],
  },
  test: {
    include: ["packages/**/*.test.ts", "tests/integration/**/*.test.ts", "tests/unit/**/*.test.ts"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // 2-core machines: keep parallelism modest so timing-sensitive watcher tests stay reliable.
    maxWorkers: 2,
  },
});
