import { defineConfig } from "@playwright/test";
import { chromiumLaunchOptions } from "./tests/support/chromium";

/**
 * End-to-end tests run against `next start` (through `workdeck serve`) in
 * Debian's Chromium. Each worker starts its own server on its own temp
 * database and temp copy of the demo workspace (tests/e2e/fixtures.ts).
 */
export default defineConfig({
  testDir: "tests/e2e",
  globalSetup: "./tests/e2e/global-setup.ts",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: process.env.CI ? 1 : 0,
  reporter: process.env.CI ? [["list"]] : [["list"]],
  use: {
    browserName: "chromium",
    launchOptions: chromiumLaunchOptions(["--disable-quic"]),
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
});
