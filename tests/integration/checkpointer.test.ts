/**
 * WAL checkpoints off the hot path (issue 12): the server's connection never checkpoints inside a
 * commit (that made a hook batch wait for a copy of tens of megabytes after a report ingest); a
 * background thread does, and the WAL is reused rather than growing with every write.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startCheckpointer, type Checkpointer } from "@/server/db/checkpointer";
import { migrateDatabase, openDatabase } from "@/server/db/client";
import { repoRoot, tempDir } from "../support/temp";

const MB = 1024 * 1024;
const stops: (Checkpointer | null)[] = [];
afterEach(async () => {
  for (const c of stops.splice(0)) await c?.close();
});

/** Resolves once `done` holds, checking every few milliseconds (no assertion on how long it takes). */
async function eventually(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setTimeout(r, 10));
}

describe("background WAL checkpointer", () => {
  it(
    "keeps checkpoints out of commits, copies the WAL into the database from its own thread, and the WAL is reused",
    { timeout: 120_000 },
    async () => {
      const file = path.join(tempDir(), "w.db");
      const db = openDatabase(file);
      migrateDatabase(db, path.join(repoRoot, "drizzle"));
      const sqlite = db.$client;
      // Small numbers so that a few megabytes show it: the server's are 250 ms, 4 MB and 64 MB.
      const checkpointer = startCheckpointer(db, repoRoot, { intervalMs: 20, startAbovePages: 64, restartAbovePages: 256 });
      stops.push(checkpointer);
      expect(sqlite.pragma("wal_autocheckpoint", { simple: true })).toBe(0);

      sqlite.exec("CREATE TABLE filler (b BLOB)");
      const insert = sqlite.prepare("INSERT INTO filler VALUES (randomblob(16000))");
      const writeMb = (mb: number) =>
        sqlite.transaction(() => {
          for (let i = 0; i < (mb * MB) / 16000; i++) insert.run();
        })();
      const size = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : 0);

      // Each round's pages reach the database file without any commit of ours checkpointing.
      let largestWal = 0;
      for (let round = 1; round <= 8; round++) {
        writeMb(2);
        await eventually(() => size(file) >= round * 2 * MB);
        largestWal = Math.max(largestWal, size(`${file}-wal`));
      }
      // 16 MB written; the WAL started over after each checkpoint instead of holding it all.
      expect(largestWal).toBeLessThan(8 * MB);
    },
  );

  it("runs its thread only while the WAL has frames to copy", { timeout: 120_000 }, async () => {
    const file = path.join(tempDir(), "idle.db");
    const db = openDatabase(file);
    migrateDatabase(db, path.join(repoRoot, "drizzle"));
    const sqlite = db.$client;
    sqlite.exec("CREATE TABLE filler (b BLOB)");
    const insert = sqlite.prepare("INSERT INTO filler VALUES (randomblob(16000))");
    // Checkpointed once by hand: the migrations' frames are not this test's.
    sqlite.pragma("wal_checkpoint(TRUNCATE)");
    const checkpointer = startCheckpointer(db, repoRoot, { intervalMs: 20, startAbovePages: 64, stopAfterQuietMs: 100 })!;
    stops.push(checkpointer);

    // A few pages below the threshold: no thread.
    insert.run();
    await new Promise((r) => setTimeout(r, 200));
    expect(checkpointer.active()).toBe(false);

    // 2 MB (512 pages) in the WAL: the thread starts and copies them into the database file.
    sqlite.transaction(() => {
      for (let i = 0; i < (2 * MB) / 16000; i++) insert.run();
    })();
    await eventually(() => checkpointer.active());
    await eventually(() => fs.statSync(file).size >= 2 * MB);
    // Nothing more to copy: it stops again, and the commits still never checkpoint.
    await eventually(() => !checkpointer.active());
    expect(sqlite.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
  });

  it("does nothing for an in-memory database", () => {
    const db = openDatabase(":memory:");
    expect(startCheckpointer(db, repoRoot)).toBeNull();
    db.$client.close();
  });
});
