import fs from "node:fs";
import path from "node:path";
import type { SqlStore } from "@/server/db/sql-store";
import { EventBus } from "@/server/events/bus";
import { SessionRunner, type RunnerTuning } from "@/server/sessions/service";
import { SessionStore } from "@/server/sessions/store";
import type { DialectContext } from "./dialects";
import { FakeAnthropic } from "./fake-anthropic";
import { harnessDeps, harnessSpec } from "./session-harness";
import { repoRoot, tempDir } from "./temp";

/**
 * Two instances of Workdeck on one database (issue 14): two session runners, each with its own
 * bus polling the events table (as a serve without a notifier hears the other), their Claude Code
 * against one fake Messages API. `runs` is the one a test lets claim sessions; `other` is asked.
 */
export async function twoRunners(
  { open, again }: Pick<DialectContext, "open" | "again">,
  tuning: Partial<RunnerTuning> = {},
): Promise<{
  store: SqlStore;
  fake: FakeAnthropic;
  cwd: string;
  runs: SessionRunner;
  other: SessionRunner;
  /** The asked instance's notes (a note stored as its procedures would). */
  notes: SessionStore;
  /** The bus of `runs`, to keep another instance's notes from it for a while. */
  runsBus: EventBus;
  close: () => Promise<void>;
}> {
  const store = await open();
  const fake = await FakeAnthropic.start();
  const root = tempDir();
  const built = await Promise.all(
    [store, await again(store)].map(async (sqlStore, i) => {
      const base = harnessDeps(harnessSpec(path.join(root, `instance-${i}`), fake.url), repoRoot);
      const bus = new EventBus(null, sqlStore);
      await bus.startPolling(100);
      const deps = { ...base, sqlStore, bus };
      return { deps, bus, runner: new SessionRunner(deps, { accountCheckMs: 0, stopGraceMs: 500, ...tuning }) };
    }),
  );
  const cwd = path.join(root, "instance-0", "project");
  fs.mkdirSync(cwd, { recursive: true });
  const close = async () => {
    for (const b of built) {
      await b.runner.close();
      b.bus.stopPolling();
      b.deps.db!.$client.close();
    }
    await fake.close();
  };
  return {
    store,
    fake,
    cwd,
    runs: built[0]!.runner,
    other: built[1]!.runner,
    notes: new SessionStore(built[1]!.deps),
    runsBus: built[0]!.bus,
    close,
  };
}
