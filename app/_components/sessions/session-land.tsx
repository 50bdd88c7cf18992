"use client";

import { useId, useState } from "react";
import type { Session } from "@/lib/schemas/sessions";
import { useQueryClient, useTRPC } from "@/lib/trpc/react";
import { useMutation } from "@/lib/trpc/use-mutation";
import { RelativeTime } from "../ui/relative-time";
import { isActive } from "./session-format";
import { Button, ErrorState } from "../ui/ui";
import { useModalDialog } from "../ui/use-modal-dialog";

/**
 * Landing a finished session's work: Merge puts its branch on the branch the project had
 * checked out at launch; Discard (after a confirmation) drops it. Both remove the worktree and
 * the branch; afterwards the page says how it landed.
 */
export function SessionLand({ session: s }: { session: Session }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const land = useMutation(
    trpc.sessions.land.mutationOptions({
      onSuccess: () => {
        setConfirming(false);
        void queryClient.invalidateQueries(trpc.sessions.pathFilter());
      },
    }),
  );

  if (!s.branch) return null;
  if (s.landed) {
    const short = (sha: string | null) => (sha ? sha.slice(0, 10) : "");
    return (
      <p
        className={`rounded-md px-3 py-2 text-sm ${s.landed.mode === "merged" ? "bg-emerald-50 text-emerald-900 dark:bg-emerald-950/50 dark:text-emerald-200" : "bg-zinc-100 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300"}`}
        data-testid="session-landed"
        data-landed={s.landed.mode}
      >
        {s.landed.mode === "merged" ? (
          <>
            Merged into <span className="font-mono">{s.baseBranch}</span>
            {s.landed.commit ? (
              <>
                {" "}
                at <span className="font-mono">{short(s.landed.commit)}</span>
              </>
            ) : null}
          </>
        ) : (
          <>
            Discarded
            {s.landed.branchCommit ? (
              <>
                {" "}
                (its last commit was <span className="font-mono">{short(s.landed.branchCommit)}</span>)
              </>
            ) : null}
          </>
        )}{" "}
        <RelativeTime value={new Date(s.landed.at).toISOString()} />. The worktree and the branch {s.branch} were removed.
      </p>
    );
  }

  const running = isActive(s.status);
  const error = land.error;
  const files = (error?.data as { details?: { files?: unknown } } | undefined)?.details?.files;
  return (
    <div className="space-y-2 rounded-lg border border-zinc-200 p-3 dark:border-zinc-800" data-testid="session-land">
      <div className="flex flex-wrap items-center gap-2">
        <p className="min-w-0 flex-1 text-sm text-zinc-600 dark:text-zinc-300">
          {running ? (
            "Merge or discard the work once the session has finished."
          ) : s.baseBranch ? (
            <>
              Merge lands <span className="font-mono">{s.branch}</span> on <span className="font-mono">{s.baseBranch}</span>, the branch the
              project had checked out at launch.
            </>
          ) : (
            <>
              No launch branch was recorded (the project was on a detached HEAD, or the session is older than this record): merge{" "}
              <span className="font-mono">{s.branch}</span> by hand, or discard it.
            </>
          )}
          {s.worktreeRemovedAt ? " Its worktree was removed after the retention period; the branch was kept." : null}
        </p>
        <Button
          variant="primary"
          disabled={running || land.isPending || !s.baseBranch}
          onClick={() => land.mutate({ id: s.id, mode: "merge" })}
        >
          Merge
        </Button>
        <Button variant="danger" disabled={running || land.isPending} onClick={() => setConfirming(true)}>
          Discard
        </Button>
      </div>
      {land.isPending ? (
        <p className="text-xs text-zinc-500" role="status">
          Landing…
        </p>
      ) : null}
      {error && !confirming ? (
        <ErrorState title={land.variables?.mode === "discard" ? "Could not discard" : "Could not merge"} message={error.message}>
          {Array.isArray(files) && files.length ? (
            <ul className="mt-1 list-disc pl-5 font-mono text-xs" aria-label="Conflicting files">
              {files.map((f) => (
                <li key={String(f)}>{String(f)}</li>
              ))}
            </ul>
          ) : null}
        </ErrorState>
      ) : null}
      <DiscardDialog
        open={confirming}
        sessionId={s.id}
        branch={s.branch}
        pending={land.isPending}
        error={confirming ? (error?.message ?? null) : null}
        onConfirm={() => land.mutate({ id: s.id, mode: "discard" })}
        onClose={() => {
          setConfirming(false);
          land.reset();
        }}
      />
    </div>
  );
}

function DiscardDialog(props: {
  open: boolean;
  sessionId: number;
  branch: string;
  pending: boolean;
  error: string | null;
  onConfirm(): void;
  onClose(): void;
}) {
  const ref = useModalDialog(props.open);
  const titleId = useId();
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onClose={props.onClose}
      className="m-auto w-[min(32rem,calc(100vw-2rem))] rounded-xl border border-zinc-200 bg-white p-0 text-zinc-900 shadow-2xl backdrop:bg-zinc-950/40 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-100"
    >
      {props.open ? (
        <div className="space-y-4 p-5">
          <h2 id={titleId} className="text-base font-semibold">
            Discard the work of session {props.sessionId}?
          </h2>
          <p className="text-sm text-zinc-600 dark:text-zinc-300">
            The worktree and the branch <span className="font-mono">{props.branch}</span> are removed, uncommitted changes included. The
            project’s own branch is not touched.
          </p>
          {props.error ? <ErrorState title="Could not discard" message={props.error} /> : null}
          <div className="flex justify-end gap-2">
            <Button onClick={props.onClose} disabled={props.pending}>
              Cancel
            </Button>
            <Button variant="danger" onClick={props.onConfirm} disabled={props.pending}>
              Yes, discard
            </Button>
          </div>
        </div>
      ) : null}
    </dialog>
  );
}
