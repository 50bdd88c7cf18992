import { spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";

/**
 * The real engines the scale-out suites start (issue 14). A missing one fails the whole suite with
 * this message, never a skip: `.ci/run` installs them.
 */
export function requireBinary(name: string, apt: string, candidates: string[] = []): string {
  for (const c of candidates) if (fs.existsSync(c)) return c;
  const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).stdout.trim();
  if (found) return found;
  throw new Error(
    `${name} is not installed: these tests start a real one. Install it (apt-get install -y ${apt}; .ci/run does). The suite fails rather than skipping without it.`,
  );
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}
