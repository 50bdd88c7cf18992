import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { assertChangeId, assertSpecId, resolveInside } from "@/server/services/paths";
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
