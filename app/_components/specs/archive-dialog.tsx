"use client";

import { useRouter } from "next/navigation";
import { useId } from "react";
import { plural } from "@/lib/format";
import { useQuery, useTRPC } from "@/lib/trpc/react";
import { useMutation } from "@/lib/trpc/use-mutation";
import { Badge, Button, ErrorState, Skeleton } from "../ui/ui";
import { useModalDialog } from "../ui/use-modal-dialog";

/**
 * Archive asks first and shows what will happen: the folder it becomes, what
 * merges into which spec, unfinished tasks, and — when the official CLI would
 * refuse — the refusal, with Confirm disabled.
 */
export function ArchiveDialog({
  projectId,
  changeId,
  open,
  onClose,
}: {
  projectId: string;
  changeId: string;
  open: boolean;
  onClose(): void;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const ref = useModalDialog(open);
  const titleId = useId();
  const preview = useQuery({ ...trpc.openspec.previewArchive.queryOptions({ projectId, changeId }), enabled: open, staleTime: 0 });
  const archive = useMutation(
    trpc.openspec.archiveChange.mutationOptions({
      onSuccess(result) {
        const params = new URLSearchParams({ archived: changeId, as: result.archivedAs });
        router.push(`/specs?${params}`);
      },
    }),
  );

  const p = preview.data;
  const canConfirm = Boolean(p && !p.refusal) && !archive.isPending && !archive.isSuccess;

  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onClose={() => {
        archive.reset();
        onClose();
      }}
      className="m-auto w-[min(36rem,calc(100vw-2rem))] rounded-xl border border-zinc-200 bg-white p-0 text-zinc-900 shadow-2xl backdrop:bg-zinc-950/40 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-100"
    >
      {open ? (
        <div className="space-y-4 p-5">
          <div>
            <h2 id={titleId} className="text-base font-semibold">
              Archive <span className="font-mono">{changeId}</span>?
            </h2>
            <p className="mt-1 text-sm text-zinc-500 dark:text-zinc-400">
              Its deltas merge into the project’s specs and the folder moves under changes/archive/.
            </p>
          </div>

          {preview.isPending ? (
            <div className="space-y-2" role="status" aria-label="Loading archive preview">
              <Skeleton className="h-4 w-3/4" />
              <Skeleton className="h-16 w-full" />
            </div>
          ) : preview.isError ? (
            <ErrorState title="Could not preview the archive" message={preview.error.message} />
          ) : (
            <>
              {p!.archivedAs ? (
                <p className="text-sm">
                  Moves to <span className="font-mono text-[13px]">changes/archive/{p!.archivedAs}</span>
                </p>
              ) : null}
              {p!.specUpdates.length ? (
                <table className="w-full text-left text-sm" aria-label="Spec updates">
                  <thead className="text-xs text-zinc-500 dark:text-zinc-400">
                    <tr>
                      <th scope="col" className="py-1 font-medium">
                        Spec
                      </th>
                      {["Added", "Modified", "Removed", "Renamed"].map((h) => (
                        <th key={h} scope="col" className="py-1 text-right font-medium">
                          {h}
                        </th>
                      ))}
                    </tr>
                  </thead>
                  <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
                    {p!.specUpdates.map((u) => (
                      <tr key={u.spec}>
                        <td className="py-1.5">
                          <span className="font-mono">{u.spec}</span> {u.created ? <Badge tone="green">new spec</Badge> : null}
                        </td>
                        <td className="py-1.5 text-right tabular-nums">{u.added}</td>
                        <td className="py-1.5 text-right tabular-nums">{u.modified}</td>
                        <td className="py-1.5 text-right tabular-nums">{u.removed}</td>
                        <td className="py-1.5 text-right tabular-nums">{u.renamed}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : (
                <p className="text-sm text-zinc-500 dark:text-zinc-400">No spec changes to merge.</p>
              )}
              {p!.incompleteTasks > 0 ? (
                <p className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-900 dark:bg-amber-950/50 dark:text-amber-200">
                  {plural(p!.incompleteTasks, "task")} {p!.incompleteTasks === 1 ? "is" : "are"} not done yet.
                </p>
              ) : null}
              {p!.warnings.length ? (
                <ul className="list-disc space-y-1 pl-5 text-sm text-amber-800 dark:text-amber-300">
                  {p!.warnings.map((w) => (
                    <li key={w}>{w}</li>
                  ))}
                </ul>
              ) : null}
              {p!.refusal ? (
                <ErrorState title="OpenSpec would refuse to archive this change">
                  <p className="mt-1">
                    <span className="font-mono text-xs">{p!.refusal.code}</span>: {p!.refusal.message}
                  </p>
                </ErrorState>
              ) : null}
            </>
          )}

          {archive.isError ? <ErrorState title="Archive failed" message={archive.error.message} /> : null}

          <div className="flex justify-end gap-2 pt-1">
            <Button variant="secondary" onClick={() => ref.current?.close()}>
              Cancel
            </Button>
            <Button variant="danger" disabled={!canConfirm} onClick={() => archive.mutate({ projectId, changeId })}>
              {archive.isPending ? "Archiving…" : "Confirm"}
            </Button>
          </div>
        </div>
      ) : null}
    </dialog>
  );
}
