"use client";

import Link from "@/app/_components/ui/link";
import { useRef } from "react";
import type { WorkItem, WorkStatus } from "@/lib/schemas/work";
import { changeItemHref, failureHref, sessionHref } from "@/lib/schemas/values";
import { RelativeTime } from "../ui/relative-time";
import { useFixedRows } from "../ui/use-fixed-rows";
import { Badge } from "../ui/ui";
import { WORK_STATUS_LABEL, WORK_TYPE_LABEL, WORK_TYPE_TONE } from "./work-url-state";
import { priorityWord } from "@/lib/format";

/** Fixed heights: the virtualiser never measures, so 5,000 rows cost what 30 do. */
const ROW_HEIGHT = 64;

const STATUS_TONE: Record<WorkStatus, "violet" | "blue" | "red" | "amber" | "green" | "neutral"> = {
  needs_you: "violet",
  in_progress: "blue",
  failed: "red",
  open: "amber",
  done: "green",
  ignored: "neutral",
};

/** The merged list, virtualised; each row a link to the item with its type, status and links. */
export function WorkList({ rows, showProject, nameOf }: { rows: WorkItem[]; showProject: boolean; nameOf(slug: string): string }) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const visible = useFixedRows({ count: rows.length, rowHeight: ROW_HEIGHT, scrollRef });
  return (
    <div ref={scrollRef} className="max-h-[70vh] overflow-auto rounded-lg border border-zinc-200 dark:border-zinc-800">
      <ul aria-label="Work items" className="relative" style={{ height: visible.totalSize }}>
        {visible.rows.map((v) => {
          const item = rows[v.index]!;
          return (
            <li
              key={item.key}
              data-testid="work-row"
              data-key={item.key}
              className="absolute inset-x-0 flex items-center gap-2 border-b border-zinc-100 px-2 sm:gap-3 sm:px-3 dark:border-zinc-800/70"
              style={{ height: ROW_HEIGHT, transform: `translateY(${v.start}px)` }}
            >
              {/* Narrow windows keep the title and the status; type, priority and time come back from sm up (issue 13). */}
              <span className="hidden shrink-0 sm:inline-flex">
                <Badge tone={WORK_TYPE_TONE[item.type]}>{WORK_TYPE_LABEL[item.type]}</Badge>
              </span>
              <div className="min-w-0 flex-1">
                <Link href={item.href} className="block truncate text-sm font-medium hover:underline">
                  {item.title}
                </Link>
                <p className="flex items-center gap-2 truncate text-xs text-zinc-500 dark:text-zinc-400">
                  <span data-testid="work-detail">{item.detail}</span>
                  {showProject && item.projectSlug ? <span>· {nameOf(item.projectSlug)}</span> : null}
                  <WorkLinks item={item} />
                </p>
              </div>
              <span className="hidden text-xs tabular-nums text-zinc-500 sm:inline" title="Priority">
                {priorityWord(item.priority)}
              </span>
              <span className="hidden w-20 text-right text-xs text-zinc-500 md:inline">
                <RelativeTime value={new Date(item.updatedAt).toISOString()} />
              </span>
              <span className="shrink-0 text-right sm:w-24">
                <Badge tone={STATUS_TONE[item.status]}>{WORK_STATUS_LABEL[item.status]}</Badge>
              </span>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

function WorkLinks({ item }: { item: WorkItem }) {
  const { session, change, failure } = item.links;
  const link = "text-zinc-600 underline-offset-2 hover:underline dark:text-zinc-300";
  return (
    <>
      {session && item.type !== "session" ? (
        <Link className={link} href={sessionHref(session.id)}>
          · session #{session.id} ({session.status})
        </Link>
      ) : null}
      {change ? (
        <Link className={link} href={changeItemHref(change.projectSlug, change.id)}>
          · proposal {change.id}
        </Link>
      ) : null}
      {failure ? (
        <Link className={link} href={failureHref(failure.id)}>
          · failure #{failure.id} {failure.status === "resolved" ? "(resolved)" : ""}
        </Link>
      ) : null}
    </>
  );
}
