import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test as base, expect } from "@playwright/test";
import { startWorkdeck, waitForHydration, type WorkdeckServer } from "./fixtures";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const TOKEN = "e2e-token-0123456789abcdef";

/** One token-protected server for this file: the default fixture runs without a token. */
const test = base.extend<{}, { secured: WorkdeckServer }>({
  secured: [
    async ({}, use) => {
      const server = await startWorkdeck({ token: TOKEN });
      await use(server.info);
      await server.stop();
    },
    { scope: "worker", timeout: 120_000 },
  ],
});

test("a browser without the token is sent to the login page, and the token lets it in", async ({ page, secured }) => {
  await page.goto(`${secured.baseURL}/specs`);
  await expect(page).toHaveURL(/\/login\?next=%2Fspecs/);
  await waitForHydration(page);
  await page.getByLabel("Token").fill("wrong-token-wrong-token");
  await page.getByRole("button", { name: /log in|sign in/i }).click();
  await expect(page).toHaveURL(/\/login\?error=1/);
  await page.getByLabel("Token").fill(TOKEN);
  await page.getByRole("button", { name: /log in|sign in/i }).click();
  await expect(page).toHaveURL(/\/specs/);
  await expect(
    page
      .getByRole("link", { name: "Specs" })
      .or(page.getByRole("tab", { name: "Specs" }))
      .first(),
  ).toBeVisible();
  // The cookie is a server-side session id, not the token.
  const session = (await page.context().cookies()).find((c) => c.name === "workdeck_session");
  expect(session?.value).toBeTruthy();
  expect(session?.value).not.toContain(TOKEN);
  expect((await page.context().cookies()).some((c) => c.value.includes(TOKEN))).toBe(false);

  // Log out ends the session on the server: a copy of the cookie no longer opens anything.
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login\?signedOut=1/);
  await expect(page.getByText("You are signed out.")).toBeVisible();
  const replay = await page.request.get(`${secured.baseURL}/api/trpc/projects.list`, {
    headers: { cookie: `workdeck_session=${session!.value}` },
  });
  expect(replay.status()).toBe(401);
  await page.goto(`${secured.baseURL}/specs`);
  await expect(page).toHaveURL(/\/login\?next=%2Fspecs/);
});

test("the API needs the bearer token", async ({ request, secured }) => {
  const url = `${secured.baseURL}/api/trpc/projects.list`;
  expect((await request.get(url)).status()).toBe(401);
  expect((await request.get(url, { headers: { authorization: "Bearer nope-nope-nope-nope" } })).status()).toBe(401);
  const ok = await request.get(url, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(ok.status()).toBe(200);
  const body = await ok.json();
  expect(body.result.data.projects.map((p: { slug: string }) => p.slug)).toEqual(["billing-api", "mobile-sync", "web-storefront"]);
});

test("mutations from another origin, foreign hosts and oversized bodies are refused", async ({ request, secured }) => {
  const auth = { authorization: `Bearer ${TOKEN}` };
  const create = `${secured.baseURL}/api/trpc/openspec.createProposal`;
  const input = {
    projectId: "billing-api",
    title: "Cross site attempt",
    description: "This request comes from another origin and must not land.",
  };

  const crossSite = await request.post(create, {
    headers: { ...auth, origin: "http://evil.example", "content-type": "application/json" },
    data: input,
  });
  expect(crossSite.status()).toBe(403);

  const huge = await request.post(create, {
    headers: { ...auth, "content-type": "application/json" },
    data: { ...input, description: "x".repeat(2 * 1024 * 1024) },
  });
  expect(huge.status()).toBe(413);

  // Bound to loopback, a foreign Host is refused even with the token (DNS rebinding).
  const rebinding = await request.get(`${secured.baseURL}/api/health`, { headers: { ...auth, host: "evil.example" } });
  expect(rebinding.status()).toBe(403);
});

test("ids that try to leave the project are rejected and nothing is read", async ({ request, secured }) => {
  const auth = { authorization: `Bearer ${TOKEN}` };
  for (const changeId of ["../../etc/passwd", "/etc/passwd", "a\u0000b", ".."]) {
    const input = encodeURIComponent(JSON.stringify({ projectId: "billing-api", changeId }));
    const res = await request.get(`${secured.baseURL}/api/trpc/openspec.showChange?input=${input}`, { headers: auth });
    expect(res.status(), changeId).toBe(400);
    const body = JSON.stringify(await res.json());
    // The refusal comes from our id check (not a schema mismatch) and leaks nothing read from disk.
    expect(body, changeId).toMatch(/Invalid change id|NUL|leaves the project/);
    expect(body).not.toContain("root:");
  }
  const unknown = encodeURIComponent(JSON.stringify({ projectId: "no-such-project", changeId: "x" }));
  expect((await request.get(`${secured.baseURL}/api/trpc/openspec.showChange?input=${unknown}`, { headers: auth })).status()).toBe(404);
});

base("a loopback server refuses foreign Host headers (DNS rebinding)", async ({ request }) => {
  const server = await startWorkdeck();
  try {
    expect((await request.get(`${server.info.baseURL}/api/health`)).status()).toBe(200);
    expect((await request.get(`${server.info.baseURL}/api/health`, { headers: { host: "evil.example:80" } })).status()).toBe(403);
  } finally {
    await server.stop();
  }
});

base("the server refuses to listen beyond loopback without a token", () => {
  const result = spawnSync(process.execPath, [path.join(repoRoot, "bin/workdeck.mjs"), "serve", "--host", "0.0.0.0", "--port", "0"], {
    cwd: repoRoot,
    env: { ...process.env, WORKDECK_TOKEN: "", WORKDECK_DB: ":memory:" },
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(result.status).not.toBe(0);
  expect(result.stderr).toContain("Refusing to listen on 0.0.0.0 without WORKDECK_TOKEN");
});
