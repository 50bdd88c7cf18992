import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort, requireBinary } from "./engines";

export type PostgresServer = { url: string; port: number; dataDir: string; stop(): Promise<void> };

const PG_BIN = fs.existsSync("/usr/lib/postgresql") ? fs.readdirSync("/usr/lib/postgresql").map((v) => `/usr/lib/postgresql/${v}/bin`) : [];

/**
 * A real PostgreSQL in a temp folder (issue 14): initdb, then pg_ctl on a free loopback port,
 * trust auth for the `postgres` role, fsync off (a test database). PostgreSQL refuses to run as
 * root, so as root the folder goes to the `postgres` user and both commands run as it.
 * stop() shuts it down and removes the folder.
 */
export async function startPostgres(): Promise<PostgresServer> {
  const initdb = requireBinary(
    "initdb",
    "postgresql",
    PG_BIN.map((b) => path.join(b, "initdb")),
  );
  const pgCtl = requireBinary(
    "pg_ctl",
    "postgresql",
    PG_BIN.map((b) => path.join(b, "pg_ctl")),
  );
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "workdeck-pg-"));
  const dataDir = path.join(root, "data");
  const as = runAs();
  if (as) fs.chownSync(root, as.uid, as.gid);
  const port = await freePort();
  const run = (file: string, args: string[]) => {
    const r = spawnSync(file, args, { encoding: "utf8", uid: as?.uid, gid: as?.gid, cwd: root, env: { ...process.env, LC_ALL: "C" } });
    if (r.status !== 0)
      throw new Error(
        `${path.basename(file)} ${args[0] ?? ""} failed (${r.status ?? r.signal}): ${r.error?.message ?? ""}\n${r.stdout}\n${r.stderr}`,
      );
  };
  try {
    run(initdb, ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
    run(pgCtl, [
      "-D",
      dataDir,
      "-l",
      path.join(root, "server.log"),
      "-w",
      "-t",
      "60",
      "-o",
      `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off`,
      "start",
    ]);
  } catch (err) {
    fs.rmSync(root, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    async stop() {
      spawnSync(pgCtl, ["-D", dataDir, "-m", "immediate", "-w", "stop"], { uid: as?.uid, gid: as?.gid, cwd: root });
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The `postgres` user's ids when running as root (initdb and postgres refuse root), else null. */
function runAs(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  try {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    return { uid, gid };
  } catch {
    throw new Error(
      "Running as root needs a `postgres` user to run PostgreSQL as (apt-get install -y postgresql creates it; .ci/run does).",
    );
  }
}
