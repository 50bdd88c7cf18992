"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useRef } from "react";
import type { SessionStatus } from "@/lib/schemas/sessions";
import { useTRPC } from "@/lib/trpc/react";
import { isActive } from "./session-format";
import { ErrorState, ListSkeleton } from "./ui";

/** Diffs past this many lines are cut: the browser stays responsive and the file list still says everything. */
const MAX_LINES = 4_000;

type FileDiff = { path: string; lines: string[] };

/** Splits `git diff` output at each "diff --git" header. */
function splitFiles(diff: string): FileDiff[] {
  const files: FileDiff[] = [];
  for (const line of diff.split("\n")) {
    const header = /^diff --git a\/(.+?) b\/(.+)$/.exec(line);
    if (header) files.push({ path: header[2]!, lines: [line] });
    else if (files.length) files.at(-1)!.lines.push(line);
  }
  return files;
}

function lineClass(line: string): string {
  if (line.startsWith("+++") || line.startsWith("---") || line.startsWith("diff --git") || line.startsWith("index ")) return "text-zinc-500";
  if (line.startsWith("@@")) return "bg-blue-50 text-blue-800 dark:bg-blue-950/40 dark:text-blue-300";
  if (line.startsWith("+")) return "bg-emerald-50 text-emerald-900 dark:bg-emerald-950/40 dark:text-emerald-200";
  if (line.startsWith("-")) return "bg-red-50 text-red-900 dark:bg-red-950/40 dark:text-red-200";
  return "";
}

/** What the session changed in its worktree: a file list with counts, then the unified diff per file. */
export function SessionDiffView({ id, status, hasWorktree }: { id: number; status: SessionStatus; hasWorktree: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const diff = useQuery({ ...trpc.sessions.diff.queryOptions({ id }), enabled: hasWorktree, retry: false, refetchInterval: isActive(status) ? 10_000 : false });

  // A session that just finished has its final diff: fetch it once more.
  const previous = useRef(status);
  useEffect(() => {
    if (isActive(previous.current) && !isActive(status)) void queryClient.invalidateQueries(trpc.sessions.diff.queryFilter({ id }));
    previous.current = status;
  }, [status, id, queryClient, trpc]);

  const files = useMemo(() => splitFiles(diff.data?.diff ?? ""), [diff.data]);

  if (!hasWorktree) return <p className="text-sm text-zinc-500 dark:text-zinc-400">No worktree for this session (the project is not a git repository, or worktrees were off), so there is no diff to show.</p>;
  if (diff.isPending) return <ListSkeleton rows={2} label="Loading the diff" />;
  if (diff.isError) return <ErrorState title="Could not compute the diff" message={diff.error.message} />;
  if (!diff.data.files.length) return <p className="text-sm text-zinc-500 dark:text-zinc-400">No changes yet{diff.data.branch ? ` on ${diff.data.branch}` : ""}.</p>;

  let budget = MAX_LINES;
  return (
    <div className="space-y-3" data-testid="session-diff">
      <table className="w-full text-left text-sm" aria-label="Changed files">
        <thead className="text-xs text-zinc-500 dark:text-zinc-400">
          <tr>
            <th scope="col" className="py-1 font-medium">File</th>
            <th scope="col" className="py-1 text-right font-medium">Added</th>
            <th scope="col" className="py-1 text-right font-medium">Removed</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
          {diff.data.files.map((f) => (
            <tr key={f.path}>
              <td className="py-1 font-mono text-xs">
                <a href={`#diff-${encodeURIComponent(f.path)}`} className="hover:underline">
                  {f.path}
                </a>
              </td>
              <td className="py-1 text-right tabular-nums text-emerald-700 dark:text-emerald-400">+{f.added}</td>
              <td className="py-1 text-right tabular-nums text-red-700 dark:text-red-400">−{f.removed}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {files.map((f) => {
        const shown = f.lines.slice(0, Math.max(0, budget));
        budget -= shown.length;
        return (
          <figure key={f.path} id={`diff-${encodeURIComponent(f.path)}`} className="overflow-hidden rounded-lg border border-zinc-200 dark:border-zinc-800">
            <figcaption className="border-b border-zinc-200 bg-zinc-50 px-3 py-1.5 font-mono text-xs font-medium dark:border-zinc-800 dark:bg-zinc-900">{f.path}</figcaption>
            <pre className="overflow-x-auto py-1 font-mono text-xs leading-5">
              {shown.map((line, i) => (
                <div key={i} className={`px-3 ${lineClass(line)}`}>
                  {line || " "}
                </div>
              ))}
              {shown.length < f.lines.length ? <div className="px-3 text-zinc-500">… {f.lines.length - shown.length} more lines not shown</div> : null}
            </pre>
          </figure>
        );
      })}
    </div>
  );
}
