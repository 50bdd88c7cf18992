import type { FailureRun } from "@/lib/schemas/errors";

/** One branch's runs of the test, oldest first, and how many of them failed. */
export type BranchHistory = { branch: string; runs: FailureRun[]; failed: number; flaky: number; passed: number };

const MARK: Record<FailureRun["status"], string> = { unexpected: "✗", flaky: "~", expected: "✓", skipped: "s" };

/** Runs grouped by the branch their report names; null when no report names one (nothing to split). */
export function branchHistories(runs: FailureRun[]): BranchHistory[] | null {
  if (!runs.some((r) => r.report.branch)) return null;
  const byBranch = new Map<string, FailureRun[]>();
  for (const r of runs) {
    const key = r.report.branch ?? "(no branch)";
    byBranch.set(key, [...(byBranch.get(key) ?? []), r]);
  }
  return [...byBranch.entries()]
    .map(([branch, list]) => ({
      branch,
      runs: list,
      failed: list.filter((r) => r.status === "unexpected").length,
      flaky: list.filter((r) => r.status === "flaky").length,
      passed: list.filter((r) => r.status === "expected").length,
    }))
    .sort((a, b) => b.runs.at(-1)!.report.seq - a.runs.at(-1)!.report.seq);
}

/** Per-branch history on the failure page (issue 13 item 4): does it fail on main, or only on a feature branch? */
export function BranchHistoryList({ runs }: { runs: FailureRun[] }) {
  const branches = branchHistories(runs);
  if (!branches) return null;
  return (
    <ul className="space-y-1 text-sm" aria-label="History by branch">
      {branches.map((b) => (
        <li key={b.branch} className="flex flex-wrap items-baseline gap-x-3">
          <span className="font-mono text-xs">{b.branch}</span>
          <span className="font-mono tracking-widest" aria-label={`${b.failed} failed, ${b.flaky} flaky, ${b.passed} passed`}>
            {b.runs.map((r) => MARK[r.status]).join("")}
          </span>
          <span className="text-xs text-zinc-500">
            {b.failed} failed · {b.flaky} flaky · {b.passed} passed
          </span>
        </li>
      ))}
    </ul>
  );
}
