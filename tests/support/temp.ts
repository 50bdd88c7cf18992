import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach } from "vitest";

export const repoRoot = path.resolve(__dirname, "../..");
export const sharedRoot = path.resolve(repoRoot, "../shared");

const created: string[] = [];

/** A fresh temp folder removed after the current test. */
export function tempDir(prefix = "workdeck-test-"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** A temp copy of examples/demo-workspace. */
export function tempDemoWorkspace(): string {
  const dir = path.join(tempDir(), "workspace");
  fs.cpSync(path.join(repoRoot, "examples/demo-workspace"), dir, { recursive: true });
  return dir;
}

afterEach(() => {
  // Retries: a killed process's children may still be writing into the folder for a moment (ENOTEMPTY).
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});
