import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { assertChangeId, assertSpecId, findEscapingLinks, resolveInside, resolveInsideProject } from "@/server/projects/paths";
import { tempDir } from "../support/temp";

describe("item ids from requests", () => {
  it("accepts what the official CLI accepts as a directory name", () => {
    for (const id of ["add-2fa", "ACTION-1", "Uppercase_Name", "2025-01-01-x", ".hidden"]) expect(assertChangeId(id)).toBe(id);
    expect(assertSpecId("platform/auth-core")).toBe("platform/auth-core");
  });

  it("rejects traversal, separators, NUL and empty ids", () => {
    for (const id of ["..", ".", "../../etc/passwd", "a/b", "a\\b", "a\0b", "", "x".repeat(201)]) {
      expect(() => assertChangeId(id), id).toThrow(/Invalid change id/);
    }
    for (const id of ["../x", "a//b", "/abs", "a/../b", "a\0"]) expect(() => assertSpecId(id), id).toThrow(/Invalid spec id/);
  });
});

describe("resolveInside", () => {
  it("keeps paths inside the root", () => {
    const root = tempDir();
    expect(resolveInside(root, "openspec", "changes", "x")).toBe(path.join(fs.realpathSync(root), "openspec/changes/x"));
  });

  it("rejects .., absolute paths and NUL bytes", () => {
    const root = tempDir();
    expect(() => resolveInside(root, "../../etc/passwd")).toThrow(/leaves the project root/);
    expect(() => resolveInside(root, "/etc/passwd")).toThrow(/Absolute path/);
    expect(() => resolveInside(root, "a\0b")).toThrow(/NUL/);
  });

  it("rejects a symlink that leaves the root", () => {
    const root = tempDir();
    const outside = tempDir();
    fs.mkdirSync(path.join(root, "openspec/changes"), { recursive: true });
    fs.symlinkSync(outside, path.join(root, "openspec/changes/escape"));
    expect(() => resolveInside(root, "openspec", "changes", "escape")).toThrow(/through a link/);
    expect(() => resolveInside(root, "openspec", "changes", "escape", "new-file")).toThrow(/through a link/);
  });
});

describe("resolveInsideProject", () => {
  it("refuses a file that links outside, naming the path relative to the project", () => {
    const root = tempDir();
    const outside = tempDir();
    fs.writeFileSync(path.join(outside, "secret"), "x");
    fs.mkdirSync(path.join(root, "openspec/specs/leak"), { recursive: true });
    fs.symlinkSync(path.join(outside, "secret"), path.join(root, "openspec/specs/leak/spec.md"));
    let message = "";
    try {
      resolveInsideProject(root, "openspec/specs/leak/spec.md");
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/openspec\/specs\/leak\/spec.md/);
    expect(message).not.toContain(outside);
  });

  it("follows a link that stays inside and returns the real path to open", () => {
    const root = fs.realpathSync(tempDir());
    fs.mkdirSync(path.join(root, "docs"));
    fs.writeFileSync(path.join(root, "docs/spec.md"), "x");
    fs.mkdirSync(path.join(root, "openspec/specs/billing"), { recursive: true });
    fs.symlinkSync("../../../docs/spec.md", path.join(root, "openspec/specs/billing/spec.md"));
    expect(resolveInsideProject(root, "openspec/specs/billing/spec.md")).toBe(path.join(root, "docs/spec.md"));
    expect(resolveInsideProject(root, "openspec/changes/not-yet")).toBe(path.join(root, "openspec/changes/not-yet"));
  });
});

describe("findEscapingLinks", () => {
  it("reports links that leave without entering them, walks links that stay, and survives a loop", () => {
    const root = fs.realpathSync(tempDir());
    const outside = tempDir();
    fs.writeFileSync(path.join(outside, "secret"), "x");
    fs.mkdirSync(path.join(root, "openspec/changes/a"), { recursive: true });
    fs.mkdirSync(path.join(root, "docs"));
    fs.symlinkSync("/usr", path.join(root, "openspec/usr"));
    fs.symlinkSync(path.join(outside, "secret"), path.join(root, "openspec/changes/a/proposal.md"));
    fs.symlinkSync(path.join(outside, "secret"), path.join(root, "docs/deep"));
    fs.symlinkSync("../docs", path.join(root, "openspec/shared"));
    fs.symlinkSync("..", path.join(root, "openspec/changes/loop"));
    fs.symlinkSync(path.join(root, "missing"), path.join(root, "openspec/dangling"));
    const found = findEscapingLinks([root], path.join(root, "openspec"), root).sort();
    expect(found).toEqual(["openspec/changes/a/proposal.md", "openspec/shared/deep", "openspec/usr"]);
  });
});
