import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "@/server/config";
import { discoverProjects } from "@/server/projects/service";
import { repoRoot, tempDemoWorkspace, tempDir } from "../support/temp";

describe("loading projects.config.ts", () => {
  it("loads a TypeScript config that uses defineConfig", async () => {
    const dir = tempDir();
    const file = path.join(dir, "projects.config.ts");
    fs.writeFileSync(
      file,
      `import { defineConfig } from ${JSON.stringify(path.join(repoRoot, "lib/config.ts"))};\n` +
        `export default defineConfig({ scan: ["./ws"], rescanMinutes: 2, projects: [{ slug: "api", path: "./api" }] });\n`,
    );
    const loaded = await loadConfig({ appRoot: dir, configPath: file });
    expect(loaded.config).toEqual({ scan: ["./ws"], rescanMinutes: 2, projects: [{ slug: "api", path: "./api" }] });
    expect(loaded.baseDir).toBe(dir);
  });

  it("accepts a plain default-exported object and JSON", async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, "a.mjs"), `export default { rescanMinutes: 1 };`);
    fs.writeFileSync(path.join(dir, "b.json"), `{ "scan": ["~/dev"] }`);
    expect((await loadConfig({ appRoot: dir, configPath: path.join(dir, "a.mjs") })).config).toEqual({ rescanMinutes: 1 });
    expect((await loadConfig({ appRoot: dir, configPath: path.join(dir, "b.json") })).config).toEqual({ scan: ["~/dev"] });
    fs.writeFileSync(path.join(dir, "c.json"), `{ "claude": { "worktreeRetentionDays": 14, "defaults": { "worktrees": true } } }`);
    expect((await loadConfig({ appRoot: dir, configPath: path.join(dir, "c.json") })).config).toEqual({
      claude: { worktreeRetentionDays: 14, defaults: { worktrees: true } },
    });
  });

  it("names the bad field", async () => {
    const dir = tempDir();
    const cases: [string, RegExp][] = [
      [`{ "projets": [] }`, /projets: unknown field/],
      [`{ "rescanMinutes": "five" }`, /rescanMinutes: /],
      [`{ "projects": [{ "slug": "Bad Slug", "path": "." }] }`, /projects\.0\.slug: a slug is lowercase/],
      [
        `{ "claude": { "accounts": [{ "id": "a", "configDir": "x", "oauthToken": "sk-..." }] } }`,
        /claude\.accounts\.0\.oauthToken: unknown field/,
      ],
      [`{ "claude": { "worktreeRetentionDays": -1 } }`, /claude\.worktreeRetentionDays: /],
    ];
    for (const [body, message] of cases) {
      const file = path.join(dir, "c.json");
      fs.writeFileSync(file, body);
      const error = await loadConfig({ appRoot: dir, configPath: file }).catch((e) => e);
      expect(error, body).toBeInstanceOf(ConfigError);
      expect(error.message, body).toMatch(message);
    }
  });

  it("reports a config that does not load", async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, "broken.ts"), `export default { scan: [ };`);
    await expect(loadConfig({ appRoot: dir, configPath: path.join(dir, "broken.ts") })).rejects.toThrow(/could not load/);
    await expect(loadConfig({ appRoot: dir, configPath: path.join(dir, "missing.ts") })).rejects.toThrow(/file not found/);
  });

  it("treats the repository's own projects.config.ts as empty", async () => {
    const loaded = await loadConfig({ appRoot: repoRoot });
    expect(loaded.file).toBe(path.join(repoRoot, "projects.config.ts"));
    expect(loaded.config).toEqual({});
  });
});

describe("project discovery", () => {
  it("serves the demo workspace when nothing is configured", () => {
    const { projects } = discoverProjects({ config: {}, file: undefined, baseDir: repoRoot }, repoRoot);
    expect(projects.map((p) => p.slug)).toEqual(["billing-api", "mobile-sync", "web-storefront"]);
    expect(projects.every((p) => p.source === "demo" && p.problem === null)).toBe(true);
  });

  it("scans folders for children with openspec/ and lets explicit projects win a slug", () => {
    const ws = tempDemoWorkspace();
    fs.mkdirSync(path.join(ws, "not-a-project"));
    const { projects, warnings } = discoverProjects(
      {
        config: { scan: [ws], projects: [{ slug: "billing-api", name: "Billing", path: path.join(ws, "billing-api") }] },
        file: undefined,
        baseDir: ws,
      },
      repoRoot,
    );
    expect(projects.map((p) => [p.slug, p.source])).toEqual([
      ["billing-api", "config"],
      ["mobile-sync", "scan"],
      ["web-storefront", "scan"],
    ]);
    expect(projects[0]!.name).toBe("Billing");
    expect(warnings).toEqual([]);
  });

  it("keeps a configured project whose folder is gone, with the problem stated", () => {
    const { projects } = discoverProjects(
      { config: { projects: [{ slug: "gone", path: "/nonexistent/gone" }] }, file: undefined, baseDir: "/" },
      repoRoot,
    );
    expect(projects[0]!.problem).toMatch(/does not exist/);
  });

  it("warns about a scan folder that cannot be read", () => {
    const { warnings } = discoverProjects({ config: { scan: ["/nonexistent/dev"] }, file: undefined, baseDir: "/" }, repoRoot);
    expect(warnings[0]).toMatch(/Cannot scan \/nonexistent\/dev: ENOENT/);
  });
});
