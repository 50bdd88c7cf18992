import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The shared fixtures beside the repository (`../shared`: the Playwright sample reports and
 * suite, the OpenSpec oracle). Suites that read them call `sharedPath` at load time, so a missing
 * checkout fails the whole file with this message: never a skip, never a bare ENOENT.
 */
export const sharedRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../shared");

export function sharedPath(...parts: string[]): string {
  const p = path.join(sharedRoot, ...parts);
  if (!fs.existsSync(p)) {
    throw new Error(
      `Shared test data missing: ${p}. These tests read the fixtures in ../shared beside the repository ` +
        `(${sharedRoot}); put them there. The suite fails rather than skipping without them.`,
    );
  }
  return p;
}
