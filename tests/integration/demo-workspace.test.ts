import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readEnv } from "@/server/env";
import { createRuntime, type Runtime } from "@/server/runtime-boot";
import { repoRoot, tempDir } from "../support/temp";

/**
 * With no config, Workdeck serves the demo workspace from a copy beside its database, a git
 * repository of its own (issue 11): proposals (and archives, and sessions) write there, never
 * into the Workdeck checkout's examples/. The app root here is a temp stand-in for the checkout
 * (its examples/ and drizzle/ copied), so a regression cannot dirty the real one.
 */

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

/** Every file under `dir` with a hash of its content. */
function fingerprint(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, file)] = crypto.createHash("sha1").update(fs.readFileSync(file)).digest("hex");
  }
  return out;
}

function fakeCheckout(): { appRoot: string; dataDir: string } {
  const base = tempDir("workdeck-demo-");
  const appRoot = path.join(base, "app");
  fs.mkdirSync(path.join(appRoot, "examples"), { recursive: true });
  fs.cpSync(path.join(repoRoot, "examples/demo-workspace"), path.join(appRoot, "examples/demo-workspace"), { recursive: true });
  fs.cpSync(path.join(repoRoot, "drizzle"), path.join(appRoot, "drizzle"), { recursive: true });
  return { appRoot, dataDir: path.join(base, "data") };
}

const start = async (appRoot: string, dataDir: string) => {
  runtime = await createRuntime(
    { ...readEnv({ WORKDECK_DB: path.join(dataDir, "workdeck.db"), WORKDECK_LOG_LEVEL: "silent" }), appRoot, configPath: undefined },
    { watch: false },
  );
  return runtime;
};

describe("the demo workspace with no config", () => {
  it("is served from a git copy beside the database: a proposal lands there and examples/ stays untouched; later starts keep the copy", async () => {
    const { appRoot, dataDir } = fakeCheckout();
    const examples = path.join(appRoot, "examples");
    const before = fingerprint(examples);

    const rt = await start(appRoot, dataDir);
    const copy = path.join(dataDir, "demo-workspace");
    expect(rt.projects.all().map((p) => [p.slug, p.source, p.path])).toEqual([
      ["billing-api", "demo", path.join(copy, "billing-api")],
      ["mobile-sync", "demo", path.join(copy, "mobile-sync")],
      ["web-storefront", "demo", path.join(copy, "web-storefront")],
    ]);
    // A git repository with one commit and nothing uncommitted, so sessions get worktrees.
    expect(execFileSync("git", ["rev-list", "--count", "HEAD"], { cwd: copy, encoding: "utf8" }).trim()).toBe("1");
    expect(execFileSync("git", ["status", "--porcelain"], { cwd: copy, encoding: "utf8" })).toBe("");

    const created = await rt.openspec.createProposal({
      projectId: "billing-api",
      title: "Demo copy proposal",
      description: "A proposal created on the demo workspace copy.",
    });
    expect(fs.existsSync(path.join(copy, "billing-api/openspec/changes", created.changeId, "proposal.md"))).toBe(true);
    expect(fingerprint(examples)).toEqual(before);

    // The user edits the copy; the next start serves it as it is.
    fs.appendFileSync(path.join(copy, "billing-api/openspec/config.yaml"), "\nMy own note.\n");
    await rt.close();
    runtime = undefined;
    const again = await start(appRoot, dataDir);
    expect(again.projects.get("billing-api").path).toBe(path.join(copy, "billing-api"));
    expect(fs.readFileSync(path.join(copy, "billing-api/openspec/config.yaml"), "utf8")).toContain("My own note.");
    expect(fs.existsSync(path.join(copy, "billing-api/openspec/changes", created.changeId))).toBe(true);
    expect(fingerprint(examples)).toEqual(before);
    expect(fs.readdirSync(dataDir).filter((f) => f.includes("partial"))).toEqual([]);
  });
});
