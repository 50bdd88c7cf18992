import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, type APIRequestContext, type Page } from "@playwright/test";
import { testWithFakeClaude, waitForHydration } from "./fixtures";

/**
 * The board (issue 17) end to end: a real server whose Claude Code children (the real binary)
 * talk to the local fake Messages API. Dragging a failure to In progress launches its session;
 * the keyboard alone moves focus, opens the move menu, archives a change after confirming and
 * hears why a senseless move is refused; the graph view draws a dependency chain, live.
 */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const sampleRun1 = path.resolve(repoRoot, "../shared/playwright-sample/reports/run-1.json");

const test = testWithFakeClaude();
test.use({ viewport: { width: 1600, height: 1200 } });
test.setTimeout(120_000);

type Item = { key: string; type: string; title: string; status: string };

async function ingest(request: APIRequestContext, baseURL: string) {
  const res = await request.post(`${baseURL}/api/reports?project=billing-api`, { data: JSON.parse(fs.readFileSync(sampleRun1, "utf8")) });
  expect(res.status(), await res.text()).toBeLessThan(300);
}

async function workItems(request: APIRequestContext, baseURL: string): Promise<Item[]> {
  const res = await request.get(
    `${baseURL}/api/trpc/work.listAll?input=${encodeURIComponent(JSON.stringify({ projectId: "billing-api" }))}`,
  );
  const body = (await res.json()) as { result: { data: { json: Item[] } | Item[] } };
  const data = body.result.data;
  return Array.isArray(data) ? data : data.json;
}

async function addDependency(request: APIRequestContext, baseURL: string, blocker: unknown, blocked: unknown) {
  const res = await request.post(`${baseURL}/api/trpc/work.addDependency`, { data: { blocker, blocked } });
  expect(res.status(), await res.text()).toBe(200);
}

const column = (page: Page, name: string) => page.getByRole("region", { name, exact: true });
const focusedKey = (page: Page) => page.evaluate(() => document.activeElement?.getAttribute("data-key") ?? null);

test("dragging a failure to In progress launches its remediation session against the fake API", async ({ page, request, app, fake }) => {
  await ingest(request, app.baseURL);
  fake.queue({ kind: "text", text: "The selector was stale; fixed it." });
  await page.goto("/board?project=billing-api&type=failure");
  await waitForHydration(page);
  // The drag layer loads after the first paint.
  const card = column(page, "Open").locator('[data-testid="board-card"][data-drag="on"]').first();
  await expect(card).toBeVisible({ timeout: 20_000 });
  const key = await card.getAttribute("data-key");

  const from = (await card.boundingBox())!;
  const to = (await column(page, "In progress").boundingBox())!;
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(from.x + from.width / 2 + 20, from.y + from.height / 2, { steps: 4 });
  await page.mouse.move(to.x + to.width / 2, to.y + 80, { steps: 12 });
  await page.mouse.up();

  await expect(page.getByTestId("board-message")).toContainText(/session #\d+ launched/, { timeout: 20_000 });
  const sessionId = Number(/session #(\d+) launched/.exec((await page.getByTestId("board-message").textContent()) ?? "")![1]);
  await expect.poll(() => fake.mainRequests.length, { timeout: 60_000 }).toBeGreaterThan(0);
  // The session is the failure's: its page names the failure it fixes.
  await expect
    .poll(async () => (await workItems(request, app.baseURL)).find((i) => i.key === `session:${sessionId}`)?.title ?? "", {
      timeout: 30_000,
    })
    .toContain(`Fix failure #${key!.split(":")[1]}`);
});

test("keyboard only: arrows move the focus, Enter opens the move menu, a change is archived after confirming, a senseless move is refused", async ({
  page,
  request,
  app,
}) => {
  await ingest(request, app.baseURL);
  await page.goto("/board?project=billing-api&type=change");
  await waitForHydration(page);
  const target = "change:billing-api/collect-customer-tax-ids";
  await expect(page.locator('[data-testid="board-card"][data-drag="on"]').first()).toBeVisible({ timeout: 20_000 });
  await page.locator('[data-testid="board-card"][tabindex="0"]').focus();
  // The arrows move the focus between cards (four changes: down a column, or across).
  const first = await focusedKey(page);
  await page.keyboard.press("ArrowDown");
  if ((await focusedKey(page)) === first) await page.keyboard.press("ArrowRight");
  expect(await focusedKey(page)).not.toBe(first);
  // Walk to the change with the arrows alone: the leftmost column, then up to a column's top, down it, then right.
  for (let i = 0; i < 4; i++) await page.keyboard.press("ArrowLeft");
  for (let col = 0; col < 4 && (await focusedKey(page)) !== target; col++) {
    for (let i = 0; i < 6; i++) await page.keyboard.press("ArrowUp");
    for (let i = 0; i < 6 && (await focusedKey(page)) !== target; i++) await page.keyboard.press("ArrowDown");
    if ((await focusedKey(page)) !== target) await page.keyboard.press("ArrowRight");
  }
  expect(await focusedKey(page)).toBe(target);
  const change = target;
  await page.keyboard.press("Enter");
  const menu = page.getByRole("menu");
  await expect(menu).toBeVisible();
  // Every task of this change is ticked: it waits under Needs you for a person to archive it.
  await expect(column(page, "Needs you").locator(`[data-key="${change}"]`)).toBeVisible();
  // Open is the first entry: refused, with the reason.
  await expect(page.getByRole("menuitem").first()).toBeFocused();
  await expect(page.getByRole("menuitem").first()).toHaveText("Open: not possible");
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("board-message")).toContainText("to Open: A change is open until a session works on it or it is archived.");

  await page.keyboard.press("m");
  await expect(menu).toBeVisible();
  await page.keyboard.press("ArrowUp"); // wraps to the last entry: Done
  await expect(page.getByRole("menuitem", { name: /^Done: archive it/ })).toBeFocused();
  await page.keyboard.press("Enter");
  const confirm = page.getByRole("alertdialog");
  await expect(confirm).toContainText(`Archive change ${change.split("/")[1]}?`);
  await page.keyboard.press("Shift+Tab");
  await expect(confirm.getByRole("button", { name: "Archive" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("board-message")).toContainText("archived", { timeout: 20_000 });
  await expect(page.locator(`[data-testid="board-card"][data-key="${change}"]`)).toHaveCount(0, { timeout: 20_000 });
});

test("the graph view draws a dependency chain and follows new dependencies live", async ({ page, request, app }) => {
  await ingest(request, app.baseURL);
  const items = await workItems(request, app.baseURL);
  const failures = items.filter((i) => i.type === "failure").map((i) => Number(i.key.split(":")[1]));
  const changes = items.filter((i) => i.type === "change").map((i) => i.key.split("/")[1]!);
  await addDependency(request, app.baseURL, { kind: "error", failureId: failures[0] }, { kind: "error", failureId: failures[1] });
  await addDependency(
    request,
    app.baseURL,
    { kind: "error", failureId: failures[1] },
    { kind: "spec", projectId: "billing-api", changeId: changes[0] },
  );

  await page.goto("/board?project=billing-api&view=graph");
  await waitForHydration(page);
  const graph = page.getByRole("region", { name: "Dependency graph" });
  await expect(graph.locator(".react-flow__node")).toHaveCount(3, { timeout: 20_000 });
  await expect(graph.locator(".react-flow__edge")).toHaveCount(2);
  // Laid out left to right: blocker, then what waits for it.
  const x = async (key: string) => (await graph.locator(`.react-flow__node[data-id="${key}"]`).boundingBox())!.x;
  expect(await x(`failure:${failures[0]}`)).toBeLessThan(await x(`failure:${failures[1]}`));
  expect(await x(`failure:${failures[1]}`)).toBeLessThan(await x(`change:billing-api/${changes[0]}`));

  // A cycle is refused; a new link shows up without a reload.
  const cycle = await request.post(`${app.baseURL}/api/trpc/work.addDependency`, {
    data: { blocker: { kind: "spec", projectId: "billing-api", changeId: changes[0] }, blocked: { kind: "error", failureId: failures[0] } },
  });
  expect(cycle.status()).toBe(409);
  expect(await cycle.text()).toContain("That would make a cycle");
  await addDependency(request, app.baseURL, { kind: "error", failureId: failures[2] }, { kind: "error", failureId: failures[1] });
  await expect(graph.locator(".react-flow__node")).toHaveCount(4, { timeout: 20_000 });
  await expect(graph.locator(".react-flow__edge")).toHaveCount(3);
});
