import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { repoRoot, tempDemoWorkspace } from "../support/temp";

const run = promisify(execFile);
const OFFICIAL = path.join(repoRoot, "node_modules/@fission-ai/openspec/bin/openspec.js");
const WORKDECK = path.join(repoRoot, "bin/workdeck.mjs");
const quietEnv = { ...process.env, OPENSPEC_TELEMETRY: "0", DO_NOT_TRACK: "1", OPENSPEC_NO_UPDATE_CHECK: "1", NO_COLOR: "1" };

async function exec(bin: string, args: string[], cwd: string): Promise<{ json: unknown; code: number }> {
  try {
    const { stdout } = await run(process.execPath, [bin, ...args], { cwd, env: quietEnv, maxBuffer: 64 * 1024 * 1024 });
    return { json: JSON.parse(stdout), code: 0 };
  } catch (err) {
    const e = err as { stdout: string; code: number };
    return { json: JSON.parse(e.stdout), code: e.code };
  }
}

const zeroDurations = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (k, val) => (k === "durationMs" ? 0 : val)));

/**
 * The `workdeck openspec` command prints exactly what the official CLI
 * prints, run here side by side on the demo workspace (which has valid and
 * broken items on purpose).
 */
describe("workdeck openspec --json matches the official CLI", () => {
  const cases: [string, string[]][] = [
    ["billing-api", ["list", "--json"]],
    ["billing-api", ["list", "--specs", "--json"]],
    ["web-storefront", ["validate", "--all", "--json"]],
    ["web-storefront", ["validate", "--all", "--strict", "--json"]],
    ["web-storefront", ["show", "add-wishlist", "--type", "change", "--json"]],
    ["billing-api", ["show", "payments/refunds", "--type", "spec", "--json"]],
    ["web-storefront", ["show", "checkout", "--type", "spec", "--json"]],
    ["billing-api", ["show", "no-such-item", "--json"]],
    ["billing-api", ["archive", "collect-customer-tax-ids", "--yes", "--json"]],
    ["web-storefront", ["archive", "improve-search-relevance", "--yes", "--json"]],
  ];

  it.each(cases)("%s: %j", async (project, args) => {
    const officialRoot = path.join(tempDemoWorkspace(), project);
    const oursRoot = path.join(tempDemoWorkspace(), project);
    // Same mtimes on both sides: `list` reports lastModified and sorts by it.
    for (const root of [officialRoot, oursRoot]) pinMtimes(root, new Date("2025-01-01T00:00:00Z"));
    const official = await exec(OFFICIAL, args, officialRoot);
    const ours = await exec(WORKDECK, ["openspec", ...args, "--root", oursRoot], repoRoot);
    const normalise = (v: unknown, root: string) =>
      JSON.parse(JSON.stringify(zeroDurations(v)).split(fs.realpathSync(root)).join("<ROOT>").split(root).join("<ROOT>"));
    expect(normalise(ours.json, oursRoot)).toEqual(normalise(official.json, officialRoot));
    expect(ours.code).toBe(official.code);
    if (args[0] === "archive") expect(readTree(oursRoot)).toEqual(readTree(officialRoot));
  });
});

function pinMtimes(dir: string, at: Date): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) pinMtimes(p, at);
    fs.utimesSync(p, at, at);
  }
  fs.utimesSync(dir, at, at);
}

function readTree(dir: string, base = dir): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) Object.assign(out, readTree(p, base));
    else out[path.relative(base, p)] = fs.readFileSync(p, "utf8");
  }
  return out;
}

describe("list --json lastModified with sub-millisecond mtimes", () => {
  it("reports the same instant as the official CLI (rounded, not truncated)", async () => {
    const officialRoot = path.join(tempDemoWorkspace(), "billing-api");
    const oursRoot = path.join(tempDemoWorkspace(), "billing-api");
    // 0.7 ms past a whole millisecond: truncating and rounding disagree by 1 ms.
    const seconds = Date.parse("2025-03-04T05:06:07.123Z") / 1000 + 0.0007;
    for (const root of [officialRoot, oursRoot]) {
      for (const file of fs.readdirSync(path.join(root, "openspec/changes"), { recursive: true, withFileTypes: true })) {
        const full = path.join(file.parentPath, file.name);
        fs.utimesSync(full, seconds, seconds);
      }
    }
    const official = (await exec(OFFICIAL, ["list", "--json"], officialRoot)).json as { changes: { lastModified: string }[] };
    const ours = (await exec(WORKDECK, ["openspec", "list", "--json", "--root", oursRoot], repoRoot)).json as {
      changes: { lastModified: string }[];
    };
    expect(official.changes.length).toBeGreaterThan(0);
    expect(official.changes.map((c) => c.lastModified)).toContain("2025-03-04T05:06:07.124Z");
    expect(ours.changes.map((c) => c.lastModified)).toEqual(official.changes.map((c) => c.lastModified));
  });
});
