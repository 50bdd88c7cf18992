/**
 * README (issue 13 item 6): it cites nothing users do not have (DESIGN.md lives outside the repo)
 * and its env table names every variable the code reads.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support/temp";

const readme = fs.readFileSync(path.join(repoRoot, "README.md"), "utf8");

function sources(dir: string): string[] {
  return fs
    .readdirSync(path.join(repoRoot, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ts|tsx|mjs)$/.test(e.name) && !e.parentPath.includes("node_modules"))
    .map((e) => fs.readFileSync(path.join(e.parentPath, e.name), "utf8"));
}

describe("README", () => {
  it("does not cite DESIGN.md", () => {
    expect(readme).not.toMatch(/DESIGN\.md/);
  });

  it("its env table names every variable the code reads", () => {
    const table = readme.split("\n").filter((l) => l.startsWith("| `"));
    const documented = new Set(table.flatMap((l) => [...l.split("|")[1]!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!)));
    const code = [...sources("server"), ...sources("lib"), ...sources("bin"), ...sources("packages/reporter")].join("\n");
    const read = new Set([...code.matchAll(/\bWORKDECK_[A-Z0-9_]+\b/g)].map((m) => m[0]));
    // server/env.ts: the schema's keys (the one reader of process.env).
    const envTs = fs.readFileSync(path.join(repoRoot, "server/env.ts"), "utf8");
    for (const m of envTs.matchAll(/^\s{2}([A-Z][A-Z0-9_]+): z\./gm)) read.add(m[1]!);
    read.add("ANTHROPIC_BASE_URL");
    expect(read.size).toBeGreaterThan(15);
    expect([...read].filter((v) => !documented.has(v)).sort()).toEqual([]);
  });
});
