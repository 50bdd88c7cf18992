// ESLint (flat config, issue 18): typescript-eslint strict, React's hook rules for the app, and no
// import cycles. Style is Prettier's (.prettierrc); nothing here overlaps it.
import { defineConfig, globalIgnores } from "eslint/config";
import tseslint from "typescript-eslint";
import reactHooks from "eslint-plugin-react-hooks";
import importX from "eslint-plugin-import-x";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";

export default defineConfig(
  globalIgnores([
    "node_modules/",
    ".next/",
    "dist/",
    "coverage/",
    "test-results/",
    "playwright-report/",
    "drizzle/",
    "next-env.d.ts",
    "tests/fixtures/**/node_modules/",
    // Scratch files people keep while working, and a fixture that is broken on purpose.
    "tests/.tmp/",
    "bench/_*",
    "tests/fixtures/playwright-suite/broken/",
  ]),
  {
    files: ["**/*.{ts,tsx,mts,cts,js,mjs,cjs}"],
    extends: [tseslint.configs.strict],
    plugins: { "import-x": importX },
    settings: {
      "import-x/resolver-next": [createTypeScriptImportResolver({ alwaysTryTypes: true })],
      // no-cycle follows imports by parsing each file: TypeScript files need TypeScript's parser.
      "import-x/parsers": { "@typescript-eslint/parser": [".ts", ".tsx", ".cts", ".mts"] },
      "import-x/extensions": [".ts", ".tsx", ".cts", ".mts", ".js", ".jsx", ".cjs", ".mjs"],
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      // Unused bindings are errors, except the deliberate `_name` ones (a skipped tuple slot, an unused callback parameter).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none", ignoreRestSiblings: true },
      ],
      // `x!` is the codebase's way to say "checked just above" (map lookups, regex groups, array ends under noUncheckedIndexedAccess).
      "@typescript-eslint/no-non-null-assertion": "off",
      // `delete env[name]` is how a child's environment loses a variable (and a copy loses a key); a Map would not be an env.
      "@typescript-eslint/no-dynamic-delete": "off",
    },
  },
  {
    // Playwright's fixture idiom: `base.extend<{}, WorkerFixtures>` (no test-scoped fixtures).
    files: ["tests/e2e/**/*.ts"],
    rules: { "@typescript-eslint/no-empty-object-type": ["error", { allowObjectTypes: "always" }] },
  },
  {
    // The server's SQL moves onto an async port (issue 14): a forgotten await there is a write that
    // may land after its caller answered, or never. Type-aware, so only where it matters.
    files: ["server/**/*.ts"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      // Passing an async callback where a void one is expected is how listeners and timers start work here.
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: false }],
    },
  },
  {
    files: ["app/**/*.{ts,tsx}"],
    plugins: { "react-hooks": reactHooks },
    rules: { "react-hooks/rules-of-hooks": "error", "react-hooks/exhaustive-deps": "warn" },
  },
  {
    // Plain Node scripts and CommonJS shims (bin/, config files) run as written.
    files: ["**/*.{js,mjs,cjs}"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
