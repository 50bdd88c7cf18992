import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { transformer } from "../../lib/trpc/transformer";
import { serveWorkdeck } from "../support/workdeck-server";
import { waitForHydration } from "./fixtures";

/**
 * Issue 14, the Accounts view and workers: an account whose login lives on a `workdeck worker`
 * shows the worker holding it and that worker's health, as its heartbeats describe it.
 */

let server: Awaited<ReturnType<typeof serveWorkdeck>>;
let dir: string;

test.beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "workdeck-e2e-workers-"));
  const configPath = path.join(dir, "config.json");
  fs.mkdirSync(path.join(dir, "project"));
  fs.writeFileSync(
    configPath,
    JSON.stringify({
      projects: [{ slug: "demo", name: "Demo", path: path.join(dir, "project") }],
      claude: {
        accounts: [
          { id: "remote", configDir: path.join(dir, "on-the-worker"), runsOn: "worker" },
          { id: "spare", configDir: path.join(dir, "on-the-worker-too"), runsOn: "worker" },
        ],
      },
    }),
  );
  server = await serveWorkdeck({ dbPath: path.join(dir, "w.db"), configPath });
});

test.afterAll(async () => {
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function heartbeat(name: string, accounts: { id: string; ready: boolean; reason: string | null }[]) {
  const res = await fetch(`${server.baseURL}/api/trpc/workers.heartbeat`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(transformer.serialize({ name, accounts, capacity: 2, running: [], version: "0.1.0", host: `${name}.internal` })),
  });
  expect(res.status, await res.text()).toBe(200);
}

test("each account shows the worker holding it and its health", async ({ page }) => {
  await heartbeat("gpu-box", [
    { id: "remote", ready: true, reason: null },
    { id: "spare", ready: false, reason: "needs_login" },
  ]);
  await page.goto(`${server.baseURL}/sessions`);
  await waitForHydration(page);

  const remote = page.getByRole("list", { name: "Workers holding account remote" });
  await expect(remote.getByRole("listitem")).toHaveCount(1);
  await expect(remote.getByRole("listitem")).toContainText("gpu-box");
  await expect(remote.getByRole("listitem")).toContainText("healthy");
  const spare = page.getByRole("list", { name: "Workers holding account spare" });
  await expect(spare.getByRole("listitem")).toContainText("not ready: needs_login");
});
