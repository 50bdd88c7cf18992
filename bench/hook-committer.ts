/**
 * Issue 12: the hook committer alone, in process, on a temp SQLite file set up as `workdeck serve`
 * sets it (no auto-checkpoint, the checkpointer thread, the bus polling): 16 agents each submitting
 * its next event once the previous one committed, the bodies of bench/hooks-http.ts. Prints the
 * process's CPU per event (all threads), which moves less with the machine's other load than
 * events/s. Usage: `npx tsx bench/hook-committer.ts` (HOOK_EVENTS, HOOK_ROUNDS to change the run).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { HookCommitter } from "../server/agents/hook-ingest";
import { startCheckpointer } from "../server/db/checkpointer";
import { migrateDatabase, openDatabase } from "../server/db/client";
import { SqliteStore } from "../server/db/sql-store";
import { EventBus } from "../server/events/bus";
import { agentTraffic } from "./hooks-http";

const AGENTS = 16;
const EVENTS = Number(process.env.HOOK_EVENTS ?? 20_000);
const ROUNDS = Number(process.env.HOOK_ROUNDS ?? 3);

const repoRoot = path.resolve(import.meta.dirname, "..");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workdeck-bench-committer-"));
const db = openDatabase(path.join(dir, "workdeck.db"), { autoCheckpoint: 0 });
migrateDatabase(db, path.join(repoRoot, "drizzle"));
const sqlStore = SqliteStore.on(db.$client);
const checkpointer = startCheckpointer(db, repoRoot);
const bus = new EventBus(db, sqlStore);
await bus.startPolling(500);
bus.on(() => {});
const cwd = path.join(dir, "project");
const projects = [{ slug: "bench", name: "bench", path: cwd, openspecRoot: cwd, source: "config" as const, problem: null }];
const committer = new HookCommitter({ sqlStore, bus, projects: { all: () => projects }, config: { config: {} } });

async function drive(tag: string, events: number): Promise<void> {
  let left = events;
  await Promise.all(
    Array.from({ length: AGENTS }, async (_, a) => {
      // 64 bodies made once per agent and sent in turn: making them is the client's work, not the committer's.
      const next = agentTraffic(`${tag}-${a}`, cwd);
      const bodies = Array.from({ length: 64 }, () => Buffer.from(next()));
      for (let i = 0; left > 0; i++) {
        left--;
        await committer.submit({ body: bodies[i % bodies.length]! });
      }
    }),
  );
}

try {
  await drive("warm", 5_000);
  for (let round = 0; round < ROUNDS; round++) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    await drive(`r${round}`, EVENTS);
    const used = process.cpuUsage(cpu);
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `round ${round}: ${((used.user + used.system) / EVENTS).toFixed(1)} µs CPU per event, ${Math.round(EVENTS / seconds)} events/s`,
    );
  }
} finally {
  bus.stopPolling();
  await checkpointer?.close();
  db.$client.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
