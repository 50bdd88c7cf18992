import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { addDependency } from "@/server/dependencies/service";
import { listAll } from "@/server/work/service";
import { keyRef, type WorkItemRef } from "@/lib/schemas/dependencies";
import { measurePageLoad } from "./page-load";
import { percentile, timeAsync, type BenchRow } from "./stats";
import { coldListAll, seedWork } from "./work";

const DEPENDENCIES = 2000;
const RUNS = 30;
const PAGE_LOAD_RUNS = 7;

/**
 * The board's figures (issue 17): the All Work data set of bench/work.ts (300 OpenSpec changes on
 * disk, three 5,000-test reports ingested through the real service, 300 sessions: over 5,000
 * items), work.listAll built from scratch before and after 2,000 dependencies are added through
 * work.addDependency (each checked for cycles), and `/board` loaded by Chromium from a real server.
 */
export async function benchBoard(onRows?: (rows: BenchRow[]) => void): Promise<BenchRow[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workdeck-bench-board-"));
  try {
    const { runtime, items, configPath, dbPath } = await seedWork(dir);
    let rows: BenchRow[];
    try {
      const before = await coldListAll(runtime, RUNS);
      const all = await listAll(runtime, {});

      // Dependencies only ever point forward in a fixed order of the items, so none is refused
      // as a cycle; every kind of item takes part (failures, changes, sessions).
      const refs = all.map((i) => keyRef(i.key)).filter((r): r is WorkItemRef => r !== null);
      let seed = 17;
      const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      const adds: number[] = [];
      const seen = new Set<string>();
      while (adds.length < DEPENDENCIES) {
        const a = Math.floor(rand() * (refs.length - 1));
        const b = a + 1 + Math.floor(rand() * Math.min(200, refs.length - a - 1));
        if (seen.has(`${a}>${b}`)) continue;
        seen.add(`${a}>${b}`);
        adds.push(await timeAsync(async () => addDependency(runtime, { blocker: refs[a]!, blocked: refs[b]! })));
      }
      const after = await coldListAll(runtime, RUNS);
      const withBlockers = (await listAll(runtime, {})).filter((i) => i.blockedBy.length).length;
      rows = [
        {
          name: `work.listAll p50, built from scratch, no dependencies (${items.toLocaleString("en")} items; today's figure)`,
          value: percentile(before, 50),
          unit: "ms",
          target: 50,
        },
        {
          name: `work.listAll p50, built from scratch, ${DEPENDENCIES.toLocaleString("en")} dependencies (${withBlockers.toLocaleString("en")} items blocked)`,
          value: percentile(after, 50),
          unit: "ms",
          target: 50,
        },
        { name: "work.listAll p95, built from scratch, with the dependencies", value: percentile(after, 95), unit: "ms" },
        { name: "work.listAll with dependencies / without (p50)", value: percentile(after, 50) / percentile(before, 50), unit: "x" },
        {
          name: `work.addDependency p50 (cycle check over up to ${DEPENDENCIES.toLocaleString("en")} edges)`,
          value: percentile(adds, 50),
          unit: "ms",
          target: 50,
        },
      ];
    } finally {
      await runtime.close();
    }
    // The data figures first: a page-load failure (a build broken by someone's work in progress) keeps them.
    onRows?.(rows);
    return [...rows, ...(await benchBoardPageLoad({ configPath, dbPath, items }))];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `/board` loaded by Chromium from a real server on the seeded database, as bench/work.ts loads `/work` (bench/page-load.ts). */
async function benchBoardPageLoad(data: { configPath: string; dbPath: string; items: number }): Promise<BenchRow[]> {
  const t = await measurePageLoad(data, { path: "/board", testId: "board-card", runs: PAGE_LOAD_RUNS, label: "Board", countJs: true });
  return [
    {
      name: `Board first page load p50, navigation start → first card visible (${data.items.toLocaleString("en")} items, ${DEPENDENCIES.toLocaleString("en")} dependencies, ${PAGE_LOAD_RUNS} runs)`,
      value: percentile(t.firstVisible, 50),
      unit: "ms",
      target: 1000,
    },
    { name: "Board first page load max, navigation start → first card visible", value: Math.max(...t.firstVisible), unit: "ms" },
    { name: "Board first page load p50, navigation start → load event", value: percentile(t.load, 50), unit: "ms", target: 1000 },
    { name: "Board JavaScript read by the page (columns view, drag layer included)", value: t.jsBytes / 1024, unit: "KB" },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printRows } = await import("./stats");
  let printed = 0;
  const rows = await benchBoard((first) => {
    printRows(first);
    printed = first.length;
  });
  printRows(rows.slice(printed));
}
