/** A run's outcome for one test, as listFailures' `recentRuns` reports it. */
export type RunMark = "failed" | "flaky" | "passed" | "skipped" | "absent";

const FILL: Record<RunMark, string> = {
  failed: "fill-red-500",
  flaky: "fill-amber-400",
  passed: "fill-emerald-500",
  skipped: "fill-zinc-300 dark:fill-zinc-600",
  absent: "fill-zinc-200 dark:fill-zinc-800",
};

/** "failed in 4 of the last 6 runs, flaky in 1": the sentence the bars stand for. */
export function describeRuns(runs: readonly RunMark[]): string {
  const ran = runs.filter((r) => r !== "absent").length;
  const failed = runs.filter((r) => r === "failed").length;
  const flaky = runs.filter((r) => r === "flaky").length;
  const last = `the last ${ran === 1 ? "run" : `${ran} runs`}`;
  return `failed in ${failed} of ${last}${flaky ? `, flaky in ${flaky}` : ""}`;
}

/**
 * One bar per run, oldest first: tall red for a failure, amber for flaky,
 * short for a pass or skip, a dot where the test was not in the report.
 * Inline SVG (no chart library): 20 rectangles per row is all it takes.
 */
export function Sparkline({ runs, width = 80, height = 16 }: { runs: readonly RunMark[]; width?: number; height?: number }) {
  if (!runs.length) return null;
  const gap = 1;
  const bar = Math.max(1, (width - gap * (runs.length - 1)) / runs.length);
  const label = describeRuns(runs);
  return (
    <svg role="img" aria-label={label} width={width} height={height} viewBox={`0 0 ${width} ${height}`} className="shrink-0">
      <title>{label}</title>
      {runs.map((run, i) => {
        const h = run === "failed" || run === "flaky" ? height : run === "absent" ? 2 : height * 0.35;
        return <rect key={i} x={i * (bar + gap)} y={height - h} width={bar} height={h} rx={0.5} className={FILL[run]} />;
      })}
    </svg>
  );
}
