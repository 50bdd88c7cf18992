import type { ValidationIssue, ValidationState } from "@/lib/schemas/openspec";
import { plural } from "@/lib/format";
import { BorderedTable } from "../ui/bordered-table";
import { Badge } from "../ui/ui";

export function ValidationBadge({ validation }: { validation: ValidationState }) {
  if (validation.errors > 0) return <Badge tone="red">{plural(validation.errors, "error")}</Badge>;
  if (validation.warnings > 0) return <Badge tone="amber">{plural(validation.warnings, "warning")}</Badge>;
  return <Badge tone="green">valid</Badge>;
}

const LEVEL_TONE = { ERROR: "red", WARNING: "amber", INFO: "blue" } as const;

/** Compact issue lines under a list row. */
export function InlineIssues({ issues, max = 3 }: { issues: ValidationIssue[]; max?: number }) {
  const shown = issues.filter((i) => i.level !== "INFO");
  if (!shown.length) return null;
  return (
    <ul className="mt-1.5 space-y-0.5" aria-label="Validation issues">
      {shown.slice(0, max).map((issue, i) => (
        <li key={i} className="flex items-baseline gap-2 text-xs text-zinc-600 dark:text-zinc-400">
          <Badge tone={LEVEL_TONE[issue.level]}>{issue.level}</Badge>
          <span className="line-clamp-2 min-w-0 break-words [overflow-wrap:anywhere]" title={issue.message}>
            {issue.message}
            {issue.path ? (
              <span className="ml-1 font-mono text-zinc-400 dark:text-zinc-500">
                {issue.path}
                {issue.line ? `:${issue.line}` : ""}
              </span>
            ) : null}
          </span>
        </li>
      ))}
      {shown.length > max ? <li className="text-xs text-zinc-500">and {shown.length - max} more</li> : null}
    </ul>
  );
}

/** The full table on detail pages. */
export function IssueTable({ issues }: { issues: ValidationIssue[] }) {
  if (!issues.length) return <p className="text-sm text-zinc-500 dark:text-zinc-400">No validation issues.</p>;
  return (
    <BorderedTable columns={["Level", "Path", "Line", "Message"]}>
      {issues.map((issue, i) => (
        <tr key={i} className="align-top">
          <td className="px-3 py-2">
            <Badge tone={LEVEL_TONE[issue.level]}>{issue.level}</Badge>
          </td>
          <td className="px-3 py-2 font-mono text-xs">{issue.path || "—"}</td>
          <td className="px-3 py-2 font-mono text-xs tabular-nums">{issue.line ?? "—"}</td>
          <td className="px-3 py-2">{issue.message}</td>
        </tr>
      ))}
    </BorderedTable>
  );
}
