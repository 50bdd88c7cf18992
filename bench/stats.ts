export type BenchRow = {
  name: string;
  value: number;
  unit: "ms" | "x" | "MB" | "KB" | "/s" | "%";
  target?: number;
  /** Throughputs: the target is a floor, not a ceiling. */
  higherIsBetter?: boolean;
};

export async function timeAsync(fn: () => unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Prints figures with their targets; a miss is shown, never thrown (benches do not gate). */
export function printRows(rows: BenchRow[]): void {
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) {
    const value = r.unit === "x" ? `${r.value.toFixed(1)}x` : `${r.value.toFixed(r.value < 10 ? 2 : 0)} ${r.unit}`;
    const met = r.target === undefined ? false : r.higherIsBetter ? r.value > r.target : r.value < r.target;
    const target =
      r.target === undefined
        ? ""
        : `  (target ${r.higherIsBetter ? ">" : "<"} ${r.target} ${r.unit}: ${met ? "met" : "MISSED"}, ${(r.value / r.target).toFixed(2)} of target)`;
    process.stdout.write(`${r.name.padEnd(width)}  ${value.padStart(10)}${target}\n`);
  }
}
