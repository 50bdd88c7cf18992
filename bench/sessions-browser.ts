import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { FakeAnthropic, type LoggedRequest } from "../tests/support/fake-anthropic";
import { startWorkdeck } from "../tests/e2e/fixtures";
import buildIfNeeded from "../tests/e2e/global-setup";
import { percentile, type BenchRow } from "./stats";
import { launchChromium } from "../tests/support/chromium";
import { fakeClaudeEnv } from "../tests/support/claude-env";

const MARKERS = 40;
const PROJECT = "billing-api";

declare global {
  interface Window {
    /** marker -> Date.now() when it first appeared in the DOM (set by the init script below). */
    __marks?: Record<string, number>;
  }
}

function toolResults(req: LoggedRequest): number {
  return (req.body?.messages ?? []).reduce(
    (n, m) => n + (Array.isArray(m.content) ? m.content.filter((b) => b.type === "tool_result").length : 0),
    0,
  );
}

/**
 * Sessions figure of issue 4: the time from an assistant message leaving the fake Messages API to
 * its text being in the session page's DOM, through everything real in between: the Claude Code
 * binary (the SDK's) parsing the stream, the runner storing the message and publishing it on the
 * bus, the `sessions.onEvents` SSE subscription of a `workdeck serve` child, and React rendering
 * it in Chromium. Each of MARKERS turns carries a unique marker; the fake stamps `Date.now()` as it
 * writes that response (the whole SSE body goes out in the same tick), and a MutationObserver in
 * the page stamps `Date.now()` when the marker's text first appears. Same machine, same clock.
 *
 * The first turn is a Bash call that waits for a gate file, written only once the page shows its
 * subscription live: what is measured is streaming, not the back-fill of stored messages.
 */
export async function benchSessionsBrowser(): Promise<BenchRow[]> {
  buildIfNeeded();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workdeck-bench-browser-"));
  const gate = path.join(dir, "subscribed");
  const claudeConfig = path.join(dir, "claude-config");
  fs.mkdirSync(claudeConfig);
  // Random per run, so no marker can be matched by the prompt or an earlier run's text.
  const tag = Math.random().toString(36).slice(2, 8);
  const markers = Array.from({ length: MARKERS }, (_, i) => `wdmark${tag}n${String(i + 1).padStart(3, "0")}`);
  const sentAt = new Map<string, number>();

  const fake = await FakeAnthropic.start();
  fake.when(
    (r) => r.main,
    (r) => {
      const done = toolResults(r);
      if (done === 0)
        return {
          kind: "tool_use",
          name: "Bash",
          input: { command: `while [ ! -e '${gate}' ]; do sleep 0.02; done` },
          text: "Waiting for the page.",
        };
      const marker = markers[done - 1];
      if (!marker) return { kind: "text", text: "All markers sent." };
      // pick() runs just before answer() writes the response synchronously: this is its send time.
      sentAt.set(marker, Date.now());
      return { kind: "tool_use", name: "Bash", input: { command: "true" }, text: `Turn ${done}: ${marker}` };
    },
  );
  let server: Awaited<ReturnType<typeof startWorkdeck>> | null = null;
  const browser = await launchChromium();
  try {
    server = await startWorkdeck({
      env: fakeClaudeEnv(fake.url, claudeConfig),
    });
    const { baseURL } = server.info;
    // A plain JSON body: the app's transformer only tags Dates, so an input without any is as-is.
    const res = await fetch(`${baseURL}/api/trpc/sessions.start`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        projectId: PROJECT,
        prompt: "Bench: run the commands you are given.",
        overrides: { permissionMode: "bypassPermissions", maxTurns: MARKERS + 10, worktrees: false },
      }),
    });
    if (!res.ok) throw new Error(`sessions.start: ${res.status} ${await res.text()}`);
    const id = ((await res.json()) as { result: { data: { id: number } } }).result.data.id;

    const page = await browser.newPage();
    await page.addInitScript((pending: string[]) => {
      const marks: Record<string, number> = {};
      window.__marks = marks;
      const left = new Set(pending);
      new MutationObserver((records) => {
        // One batch is one task's DOM changes: stamped with the callback's start, not the scan's end.
        const now = Date.now();
        for (const r of records) {
          // Only the nodes a mutation touched are searched: cheap enough not to skew what it measures.
          const text = (r.type === "characterData" ? r.target.parentNode : r.target)?.textContent;
          if (!text) continue;
          for (const m of left)
            if (text.includes(m)) {
              marks[m] = now;
              left.delete(m);
            }
        }
      }).observe(document, { subtree: true, childList: true, characterData: true });
    }, markers);
    await page.goto(`${baseURL}/sessions/${id}`);
    await page.locator('[data-testid="session-view"][data-live="true"]').waitFor({ timeout: 60_000 });
    fs.writeFileSync(gate, "");

    await page.waitForFunction((n) => Object.keys(window.__marks ?? {}).length >= n, MARKERS, { timeout: 180_000, polling: 250 });
    const marks = await page.evaluate(() => window.__marks ?? {});
    const latencies = markers.map((m) => {
      const sent = sentAt.get(m);
      const seen = marks[m];
      if (sent === undefined || seen === undefined) throw new Error(`bench sessions-browser: marker ${m} not sent or not seen`);
      return seen - sent;
    });
    await page.close();
    return [
      {
        name: `session message, fake API -> rendered in the browser, p50 (${MARKERS} messages, real claude + workdeck serve + Chromium)`,
        value: percentile(latencies, 50),
        unit: "ms",
      },
      { name: "session message, fake API -> rendered in the browser, p95", value: percentile(latencies, 95), unit: "ms", target: 150 },
      { name: "session message, fake API -> rendered in the browser, max", value: Math.max(...latencies), unit: "ms" },
    ];
  } finally {
    await browser.close();
    await server?.stop();
    await fake.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printRows } = await import("./stats");
  printRows(await benchSessionsBrowser());
}
