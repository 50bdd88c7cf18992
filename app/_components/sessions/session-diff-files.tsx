"use client";

import { useMemo } from "react";
import type { DiffFile } from "@/lib/schemas/session-land";
import { fileAnchor, fileTree, patchRows, type DiffRow, type Segment, type TreeNode } from "./session-diff-model";
import { Badge } from "../ui/ui";

/** Rows rendered per file before "show the rest": a long file does not freeze the page. */
const ROWS_PER_FILE = 1_500;

const STATUS_LABEL: Record<DiffFile["status"], [string, "green" | "red" | "blue" | "violet" | "neutral" | "amber"]> = {
  added: ["added", "green"],
  modified: ["modified", "blue"],
  deleted: ["deleted", "red"],
  renamed: ["renamed", "violet"],
  copied: ["copied", "violet"],
  type_changed: ["type changed", "amber"],
};

/**
 * The changed files of a session's diff: a file tree beside the files, each file's patch with the
 * changed words marked. A module of its own, loaded once there is a diff to show: the patch parser
 * and word diff (the `diff` package) are not needed by any other page.
 */
export function DiffFiles({ files }: { files: DiffFile[] }) {
  const tree = useMemo(() => fileTree(files), [files]);
  return (
    <div className="grid gap-4 lg:grid-cols-[14rem_minmax(0,1fr)]">
      <nav aria-label="Changed files" className="min-w-0 lg:sticky lg:top-2 lg:max-h-[80vh] lg:self-start lg:overflow-auto">
        <FileTree nodes={tree} />
      </nav>
      <div className="min-w-0 space-y-3">
        {files.map((f) => (
          <FileDiff key={f.path} file={f} />
        ))}
      </div>
    </div>
  );
}

function FileTree({ nodes }: { nodes: TreeNode[] }) {
  return (
    <ul className="space-y-0.5 font-mono text-xs">
      {nodes.map((n) =>
        n.file ? (
          <li key={`f:${n.path}`}>
            <a
              href={`#${fileAnchor(n.file.path)}`}
              className="flex items-center gap-1 rounded px-1 py-0.5 hover:bg-zinc-100 dark:hover:bg-zinc-800"
              title={n.file.path}
            >
              <span className="min-w-0 flex-1 truncate">{n.name}</span>
              <span className="tabular-nums text-emerald-700 dark:text-emerald-400">+{n.file.added}</span>
              <span className="tabular-nums text-red-700 dark:text-red-400">−{n.file.removed}</span>
            </a>
          </li>
        ) : (
          <li key={`d:${n.path}`}>
            <span className="block truncate px-1 py-0.5 text-zinc-500 dark:text-zinc-400" title={n.path}>
              {n.name}/
            </span>
            <div className="ml-3 border-l border-zinc-200 pl-1 dark:border-zinc-800">
              <FileTree nodes={n.children} />
            </div>
          </li>
        ),
      )}
    </ul>
  );
}

function omittedText(f: DiffFile): string {
  if (f.omitted === "binary") return `Binary file ${f.status}: its content is not shown.`;
  if (f.omitted === "too_large") return `Too large to show here (+${f.added} −${f.removed}). Open it in the worktree or the branch.`;
  return `Not shown: the review reached its size limit (+${f.added} −${f.removed}).`;
}

function FileDiff({ file: f }: { file: DiffFile }) {
  const rows = useMemo(() => (f.patch ? patchRows(f.patch) : []), [f.patch]);
  const [label, tone] = STATUS_LABEL[f.status];
  return (
    <details
      open
      id={fileAnchor(f.path)}
      className="overflow-hidden rounded-lg border border-zinc-200 dark:border-zinc-800"
      data-testid="diff-file"
      data-path={f.path}
    >
      <summary className="flex cursor-pointer flex-wrap items-center gap-2 border-b border-zinc-200 bg-zinc-50 px-3 py-1.5 dark:border-zinc-800 dark:bg-zinc-900">
        <Badge tone={tone}>{label}</Badge>
        <span className="min-w-0 flex-1 truncate font-mono text-xs font-medium">{f.oldPath ? `${f.oldPath} → ${f.path}` : f.path}</span>
        <span className="font-mono text-xs tabular-nums text-emerald-700 dark:text-emerald-400">+{f.added}</span>
        <span className="font-mono text-xs tabular-nums text-red-700 dark:text-red-400">−{f.removed}</span>
      </summary>
      {f.omitted ? (
        <p className="px-3 py-2 text-sm text-zinc-500 dark:text-zinc-400" data-testid="diff-omitted">
          {omittedText(f)}
        </p>
      ) : rows.length ? (
        <Rows rows={rows} />
      ) : (
        <p className="px-3 py-2 text-sm text-zinc-500 dark:text-zinc-400">
          {f.oldPath ? "Renamed without changes." : "Only the file mode changed."}
        </p>
      )}
    </details>
  );
}

const ROW_TONE: Record<string, string> = {
  add: "bg-emerald-50 dark:bg-emerald-950/40",
  del: "bg-red-50 dark:bg-red-950/40",
  context: "",
};
const MARK_TONE: Record<string, string> = {
  add: "rounded-sm bg-emerald-200 text-emerald-950 dark:bg-emerald-800/70 dark:text-emerald-50",
  del: "rounded-sm bg-red-200 text-red-950 dark:bg-red-800/70 dark:text-red-50",
};

function Rows({ rows }: { rows: DiffRow[] }) {
  const shown = rows.slice(0, ROWS_PER_FILE);
  return (
    <div className="overflow-x-auto">
      <table className="w-full border-collapse font-mono text-xs leading-5">
        <tbody>
          {shown.map((row, i) => {
            if (row.kind === "hunk" || row.kind === "note") {
              return (
                <tr
                  key={i}
                  className={row.kind === "hunk" ? "bg-blue-50 text-blue-800 dark:bg-blue-950/40 dark:text-blue-300" : "text-zinc-500"}
                >
                  <td colSpan={3} className="px-3">
                    {row.text}
                  </td>
                </tr>
              );
            }
            return (
              <tr key={i} className={ROW_TONE[row.kind]} data-kind={row.kind}>
                <td className="w-10 select-none px-2 text-right text-zinc-400">{row.oldNo ?? ""}</td>
                <td className="w-10 select-none px-2 text-right text-zinc-400">{row.newNo ?? ""}</td>
                <td className="whitespace-pre px-2">
                  <span className="select-none text-zinc-400">{row.kind === "add" ? "+" : row.kind === "del" ? "-" : " "}</span>
                  <Line segments={row.segments} kind={row.kind} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {shown.length < rows.length ? (
        <p className="px-3 py-1 text-xs text-zinc-500">… {rows.length - shown.length} more lines not shown.</p>
      ) : null}
    </div>
  );
}

function Line({ segments, kind }: { segments: Segment[]; kind: string }) {
  return (
    <>
      {segments.map((s, i) =>
        s.changed && MARK_TONE[kind] ? (
          <mark key={i} className={MARK_TONE[kind]} data-testid="word-change">
            {s.text}
          </mark>
        ) : (
          <span key={i}>{s.text}</span>
        ),
      )}
    </>
  );
}
