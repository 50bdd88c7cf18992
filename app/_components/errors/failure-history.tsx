import { formatDateTime, plural, statusWord } from "@/lib/format";
import type { FailureRun, StoredError } from "@/lib/schemas/errors";
import { RelativeTime } from "../ui/relative-time";
import { BorderedTable } from "../ui/bordered-table";
import { Badge } from "../ui/ui";

const OUTCOME = {
  unexpected: { label: statusWord("failed"), tone: "red" },
  flaky: { label: statusWord("flaky"), tone: "amber" },
  expected: { label: statusWord("passed"), tone: "green" },
  skipped: { label: statusWord("skipped"), tone: "neutral" },
} as const;

/** The errors that describe a run: the final attempt's if it failed, else the last attempt that did (a flaky run's first try). */
export function runErrors(run: FailureRun): StoredError[] {
  for (let i = run.attempts.length - 1; i >= 0; i--) {
    const errors = run.attempts[i]!.errors;
    if (errors.length) return errors;
  }
  return [];
}

const firstLine = (text: string) => text.split("\n").find((l) => l.trim()) ?? "";

/** Every report the test appeared in, oldest first, with what happened and the first line of the error. */
export function FailureHistory({ runs }: { runs: FailureRun[] }) {
  if (!runs.length) return <p className="text-sm text-zinc-500 dark:text-zinc-400">No runs recorded.</p>;
  return (
    <BorderedTable label="Run history" columns={["Run", "Status", "Date", "Message"]}>
      {runs.map((run) => {
        const outcome = OUTCOME[run.status];
        const errors = runErrors(run);
        const message = errors.length ? firstLine(errors[0]!.message) : "";
        return (
          <tr key={run.report.id} className="align-top" data-testid="history-row" data-run={run.report.seq}>
            <td className="whitespace-nowrap px-3 py-2 tabular-nums">
              #{run.report.seq}
              {run.report.branch ? <span className="ml-1.5 font-mono text-xs text-zinc-500">{run.report.branch}</span> : null}
            </td>
            <td className="whitespace-nowrap px-3 py-2">
              <Badge tone={outcome.tone}>{outcome.label}</Badge>
              {run.retries ? <span className="ml-1.5 text-xs text-zinc-500">{plural(run.retries, "retry", "retries")}</span> : null}
            </td>
            <td className="whitespace-nowrap px-3 py-2 text-xs text-zinc-500 dark:text-zinc-400" title={formatDateTime(run.report.at)}>
              <RelativeTime value={run.report.at.toISOString()} />
            </td>
            <td className="px-3 py-2">
              {message ? (
                <span className="line-clamp-2 break-words font-mono text-xs" title={errors[0]!.message}>
                  {message}
                  {errors.length > 1 ? <span className="ml-1 text-zinc-500">(+{errors.length - 1} more)</span> : null}
                </span>
              ) : (
                <span className="text-xs text-zinc-400">—</span>
              )}
              {message && !run.inGroup ? <span className="ml-1 text-xs text-zinc-500">· a different failure group</span> : null}
            </td>
          </tr>
        );
      })}
    </BorderedTable>
  );
}
