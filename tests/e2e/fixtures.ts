import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test as base, expect, type Page } from "@playwright/test";
import { FakeAnthropic } from "../support/fake-anthropic";
import { demoWorkspaceFolder, serveWorkdeck } from "../support/workdeck-server";
import { fakeClaudeEnv } from "../support/claude-env";

export type WorkdeckServer = {
  baseURL: string;
  /** The temp copy of the demo workspace this server shows. */
  workspace: string;
  dbPath: string;
  token?: string;
};

/**
 * A real Workdeck server per worker: its own temp workspace (a copy of
 * examples/demo-workspace), its own SQLite file and port.
 */
export const test = base.extend<{ app: WorkdeckServer }, { workdeck: WorkdeckServer }>({
  workdeck: [
    async ({}, use) => {
      const server = await startWorkdeck();
      await use(server.info);
      await server.stop();
    },
    { scope: "worker", timeout: 120_000 },
  ],
  app: async ({ workdeck }, use) => use(workdeck),
  baseURL: async ({ workdeck }, use) => use(workdeck.baseURL),
});

export { expect };

/**
 * A worker-scoped server whose Claude Code children (the real binary) talk to
 * a local fake Messages API, for tests that launch sessions. A factory: each
 * spec file gets its own fixture registration, so its own server and data,
 * even when Playwright runs several files in one worker.
 */
export const testWithFakeClaude = () =>
  base.extend<{ app: WorkdeckServer }, { fake: FakeAnthropic; sessionsServer: WorkdeckServer }>({
    fake: [
      async ({}, use) => {
        const fake = await FakeAnthropic.start();
        await use(fake);
        await fake.close();
      },
      { scope: "worker" },
    ],
    sessionsServer: [
      async ({ fake }, use) => {
        const claudeConfig = fs.mkdtempSync(path.join(os.tmpdir(), "workdeck-e2e-claude-"));
        const server = await startWorkdeck({
          env: fakeClaudeEnv(fake.url, claudeConfig),
        });
        await use(server.info);
        await server.stop();
        fs.rmSync(claudeConfig, { recursive: true, force: true });
      },
      { scope: "worker", timeout: 120_000 },
    ],
    app: async ({ sessionsServer }, use) => use(sessionsServer),
    baseURL: async ({ sessionsServer }, use) => use(sessionsServer.baseURL),
  });

/** `env` is added to the server's environment (e.g. ANTHROPIC_BASE_URL for a fake Messages API). */
export async function startWorkdeck(
  opts: { token?: string; host?: string; env?: Record<string, string> } = {},
): Promise<{ info: WorkdeckServer; stop(): Promise<void> }> {
  const { dir, workspace, configPath } = demoWorkspaceFolder("workdeck-e2e-", "workdeck.config.json", (workspace) => ({
    scan: [workspace],
    rescanMinutes: 60,
  }));
  const dbPath = path.join(dir, "workdeck.db");
  const server = await serveWorkdeck({ dbPath, configPath, token: opts.token, host: opts.host, env: opts.env });
  const { baseURL } = server;
  return {
    info: { baseURL, workspace, dbPath, token: opts.token },
    async stop() {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until React has hydrated, so typing and clicking reach handlers. */
export async function waitForHydration(page: Page): Promise<void> {
  await page.locator("html[data-hydrated='true']").waitFor({ timeout: 20_000 });
}
