"use client";

import dynamic from "next/dynamic";
import { useEffect, useRef } from "react";
import type { SessionDiff } from "@/lib/schemas/session-land";
import type { SessionStatus } from "@/lib/schemas/sessions";
import { useQuery, useQueryClient, useTRPC } from "@/lib/trpc/react";
import { isActive } from "./session-format";
import { ErrorState, ListSkeleton } from "../ui/ui";

// The diff is fetched in the browser (never server-rendered), and its renderer brings the patch parser.
const DiffFiles = dynamic(() => import("./session-diff-files").then((m) => m.DiffFiles), {
  ssr: false,
  loading: () => <ListSkeleton rows={2} label="Loading the diff" />,
});

const SOURCE_NOTE: Record<SessionDiff["source"], string> = {
  worktree: "Against the commit the session started from, uncommitted work included.",
  branch: "The worktree was removed after the retention period; this is its branch, which was kept.",
  landed: "The work as it was when the session landed.",
  none: "",
};

/**
 * What the session changed against the commit it started from: a file tree beside the files,
 * each file's patch with the changed words marked. Binary and oversized files are named with
 * their counts instead of shown. Only for a session with a worktree (the session page says so otherwise).
 */
export function SessionDiffView({ id, status }: { id: number; status: SessionStatus }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const diff = useQuery({
    ...trpc.sessions.diff.queryOptions({ id }),
    retry: false,
    refetchInterval: isActive(status) ? 10_000 : false,
  });

  // A session that just finished has its final diff: fetch it once more.
  const previous = useRef(status);
  useEffect(() => {
    if (isActive(previous.current) && !isActive(status)) void queryClient.invalidateQueries(trpc.sessions.diff.queryFilter({ id }));
    previous.current = status;
  }, [status, id, queryClient, trpc]);

  if (diff.isPending) return <ListSkeleton rows={2} label="Loading the diff" />;
  if (diff.isError) return <ErrorState title="Could not compute the diff" message={diff.error.message} />;
  const d = diff.data;
  if (d.source === "none")
    return (
      <p className="text-sm text-zinc-500 dark:text-zinc-400">The session’s worktree and branch are gone, so there is no diff to show.</p>
    );
  if (!d.files.length) return <p className="text-sm text-zinc-500 dark:text-zinc-400">No changes{d.branch ? ` on ${d.branch}` : ""}.</p>;

  return (
    <div className="space-y-3" data-testid="session-diff" data-source={d.source}>
      <p className="text-sm text-zinc-600 dark:text-zinc-300">
        <span data-testid="diff-totals">
          {d.totals.files} {d.totals.files === 1 ? "file" : "files"} changed,{" "}
          <span className="text-emerald-700 dark:text-emerald-400">+{d.totals.added}</span>{" "}
          <span className="text-red-700 dark:text-red-400">−{d.totals.removed}</span>
        </span>
        <span className="text-zinc-500 dark:text-zinc-400"> · {SOURCE_NOTE[d.source]}</span>
      </p>
      <DiffFiles files={d.files} />
    </div>
  );
}
