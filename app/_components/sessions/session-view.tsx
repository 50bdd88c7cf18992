"use client";

import Link from "@/app/_components/ui/link";
import { lazy, Suspense, useMemo, useState, type FormEvent } from "react";
import { statusWord } from "@/lib/format";
import type { Session, SessionEvent } from "@/lib/schemas/sessions";
import { useQuery, useQueryClient, useTRPC } from "@/lib/trpc/react";
import { useMutation } from "@/lib/trpc/use-mutation";
import { useLiveEvents, useLiveFailed } from "../shell/live-updates";
import { Markdown } from "../ui/markdown";
import { PageHeader } from "../shell/page-header";
import { RelativeTime } from "../ui/relative-time";
import { buildConversation, currentToolId, type ConversationItem } from "./session-events";
import {
  formatElapsed,
  formatTokens,
  formatUsd,
  isActive,
  sessionDurationMs,
  STATUS_TONE,
  TYPE_LABEL,
  workItemHref,
  workItemLabel,
} from "./session-format";
import { SessionHookTimeline } from "./session-hook-timeline";
import { agentsUsed } from "../agents-config/session-agents-model";
import { useSelectedProject } from "../shell/selected-project";
import { Badge, Button, ErrorState, ListSkeleton, Section, Skeleton } from "../ui/ui";
import { useNow } from "../ui/use-now";
import { DetailLoadError } from "../shell/detail-load-error";

// Only some sessions need these: permission requests while one runs, landing and the diff when
// it has a worktree, the agents and skills it used (issue 12: the page ships without them
// otherwise). React.lazy rather than next/dynamic, whose runtime cost the page ~1.8 KB gzipped.
const SessionPermissions = lazy(() => import("./session-permissions").then((m) => ({ default: m.SessionPermissions })));
const SessionLand = lazy(() => import("./session-land").then((m) => ({ default: m.SessionLand })));
const SessionAgents = lazy(() => import("../agents-config/session-agents").then((m) => ({ default: m.SessionAgents })));
const SessionDiffView = lazy(() => import("./session-diff").then((m) => ({ default: m.SessionDiffView })));

/**
 * One launched session: its stored events as a conversation, kept current by the tab's one
 * event stream (the dispatcher appends each new message after the last seq the cache has, so a
 * reconnect or a remount resumes without gaps or duplicates), with Send / Stop / resume and the diff.
 */
export function SessionView({ id }: { id: number }) {
  const trpc = useTRPC();
  const session = useQuery(trpc.sessions.get.queryOptions({ id }));
  // The stream keeps this cache current: refetching would only repeat what it appended.
  const events = useQuery({ ...trpc.sessions.events.queryOptions({ id }), staleTime: Infinity, refetchOnWindowFocus: false });
  const live = useLiveEvents({ sessionIds: [id] });
  const streamFailed = useLiveFailed();

  if (session.isPending) {
    return (
      <>
        <PageHeader
          section="Sessions"
          sectionHref="/sessions"
          crumbs={[{ label: `Session ${id}` }]}
          title={<Skeleton className="h-6 w-72" />}
        />
        <ListSkeleton rows={6} label="Loading session" />
      </>
    );
  }
  if (session.isError)
    return (
      <DetailLoadError
        header={{ section: "Sessions", sectionHref: "/sessions", crumbs: [{ label: `Session ${id}` }], title: `Session ${id}` }}
        error={session.error}
        missing="No such session"
        failed="Could not load this session"
      />
    );

  const s = session.data;
  const used = agentsUsed(events.data ?? [], s.options);
  return (
    <div data-testid="session-view" data-live={live ? "true" : "false"} data-status={s.status}>
      <SessionHeader session={s} />
      {used.mainAgent || used.subagents.length || used.skills.length ? (
        <Suspense fallback={null}>
          <SessionAgents used={used} />
        </Suspense>
      ) : null}
      <div className="grid grid-cols-[minmax(0,1fr)] gap-8 xl:grid-cols-[minmax(0,1fr)_22rem]">
        <div className="min-w-0 space-y-8">
          <Section id="conversation" title="Conversation">
            {events.isPending ? (
              <ListSkeleton rows={4} label="Loading the conversation" />
            ) : events.isError ? (
              <ErrorState title="Could not load the conversation" message={events.error.message} />
            ) : (
              <Conversation events={events.data} running={s.status === "running"} />
            )}
            <p className="text-xs text-zinc-500 dark:text-zinc-400" role="status">
              {live ? "Streaming live." : streamFailed ? "Stream offline — retrying." : "Connecting to the stream…"}
            </p>
            {s.status === "running" ? (
              <Suspense fallback={null}>
                <SessionPermissions id={s.id} running events={events.data} />
              </Suspense>
            ) : null}
            <Composer session={s} />
          </Section>
          <Section id="changes" title="Changes">
            {s.branch ? (
              <Suspense fallback={null}>
                <SessionLand session={s} />
              </Suspense>
            ) : null}
            {s.worktreePath ? (
              <Suspense fallback={<ListSkeleton rows={2} label="Loading the diff" />}>
                <SessionDiffView id={s.id} status={s.status} />
              </Suspense>
            ) : (
              <p className="text-sm text-zinc-500 dark:text-zinc-400">
                No worktree for this session (the project is not a git repository, or worktrees were off), so there is no diff to show.
              </p>
            )}
          </Section>
        </div>
        <aside className="min-w-0 space-y-4" aria-label="Hook timeline">
          <SessionHookTimeline claudeSessionId={s.claudeSessionId} running={isActive(s.status)} />
        </aside>
      </div>
    </div>
  );
}

function SessionHeader({ session: s }: { session: Session }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { nameOf } = useSelectedProject();
  const now = useNow(isActive(s.status));
  const stop = useMutation(
    trpc.sessions.stop.mutationOptions({ onSuccess: () => queryClient.invalidateQueries(trpc.sessions.pathFilter()) }),
  );
  const duration = sessionDurationMs(s, now);
  const itemHref = workItemHref(s.workItem, s.projectSlug);
  const stats: [string, string, string][] = [
    ["Duration", duration === null ? "—" : formatElapsed(duration), "session-duration"],
    ["Turns", String(s.numTurns), "session-turns"],
    ["Tokens", `${formatTokens(s.inputTokens)} in · ${formatTokens(s.outputTokens)} out`, "session-tokens"],
    ["Cost", formatUsd(s.costUsd), "session-cost"],
    ["Account", s.accountId ?? "—", "session-account"],
  ];
  return (
    <>
      <PageHeader
        section="Sessions"
        sectionHref="/sessions"
        projectSlug={s.projectSlug}
        crumbs={[{ label: `Session ${s.id}` }]}
        title={`Session ${s.id}`}
        subtitle={
          <span className="flex flex-wrap items-center gap-x-2 gap-y-1">
            <Badge tone={STATUS_TONE[s.status]}>
              <span data-testid="session-status">{statusWord(s.status)}</span>
            </Badge>
            <Badge>{TYPE_LABEL[s.sessionType]}</Badge>
            {itemHref ? (
              <Link href={itemHref} className="underline">
                {workItemLabel(s.workItem)}
              </Link>
            ) : (
              <span>{workItemLabel(s.workItem)}</span>
            )}
            <span aria-hidden>·</span>
            <span>{nameOf(s.projectSlug)}</span>
            {s.branch ? (
              <>
                <span aria-hidden>·</span>
                <span className="font-mono text-xs">{s.branch}</span>
              </>
            ) : null}
            <span aria-hidden>·</span>
            <span>
              created <RelativeTime value={new Date(s.createdAt).toISOString()} />
            </span>
          </span>
        }
        actions={
          isActive(s.status) ? (
            <Button variant="danger" onClick={() => stop.mutate({ id: s.id })} disabled={stop.isPending}>
              Stop
            </Button>
          ) : null
        }
      />
      {stop.isError ? <ErrorState title="Could not stop the session" message={stop.error.message} /> : null}
      <dl className="mb-6 grid grid-cols-2 gap-3 text-sm sm:grid-cols-5" aria-label="Session totals">
        {stats.map(([label, value, testId]) => (
          <div key={label} className="rounded-lg border border-zinc-200 px-3 py-2 dark:border-zinc-800">
            <dt className="text-xs text-zinc-500 dark:text-zinc-400">{label}</dt>
            <dd className="truncate font-semibold tabular-nums" data-testid={testId}>
              {value}
            </dd>
          </div>
        ))}
      </dl>
      {s.status === "queued" && s.exitReason === "blocked" ? (
        // Dependencies (issue 17): it starts by itself once these are resolved.
        <p
          role="status"
          className="mb-6 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:bg-amber-950/50 dark:text-amber-200"
          data-testid="session-blocked"
        >
          Queued. {s.exitMessage}; it starts by itself once they are resolved.
        </p>
      ) : null}
      {s.exitReason && !isActive(s.status) ? (
        <p
          className={`mb-6 rounded-md px-3 py-2 text-sm ${s.status === "completed" ? "bg-emerald-50 text-emerald-900 dark:bg-emerald-950/50 dark:text-emerald-200" : "bg-amber-50 text-amber-900 dark:bg-amber-950/50 dark:text-amber-200"}`}
          data-testid="session-exit"
        >
          Ended: <span className="font-mono">{s.exitReason}</span>
          {s.exitMessage ? ` — ${s.exitMessage.length > 400 ? `${s.exitMessage.slice(0, 400)}…` : s.exitMessage}` : null}
        </p>
      ) : null}
    </>
  );
}

function Conversation({ events, running }: { events: SessionEvent[]; running: boolean }) {
  const items = useMemo(() => buildConversation(events), [events]);
  const current = running ? currentToolId(items) : null;
  if (!items.length) return <p className="text-sm text-zinc-500 dark:text-zinc-400">Nothing yet: the session is waiting to start.</p>;
  return (
    <ol className="space-y-3" aria-label="Session output" data-testid="conversation">
      {items.map((item, i) => (
        <ConversationRow key={`${item.seq}-${i}`} item={item} current={item.kind === "tool" && item.toolUseId === current} />
      ))}
    </ol>
  );
}

/** The one input worth showing in a collapsed tool call: the command, the file, the pattern. */
function toolSummary(input: unknown): string {
  if (typeof input !== "object" || input === null) return "";
  const o = input as Record<string, unknown>;
  for (const key of ["command", "file_path", "path", "pattern", "url", "query", "description", "prompt"]) {
    if (typeof o[key] === "string") return (o[key] as string).split("\n")[0]!.slice(0, 160);
  }
  return "";
}

function ConversationRow({ item, current }: { item: ConversationItem; current: boolean }) {
  switch (item.kind) {
    case "user":
      return (
        <li
          data-testid="message"
          data-kind="user"
          className="ml-auto max-w-[85%] rounded-lg bg-zinc-100 px-3 py-2 text-sm dark:bg-zinc-800"
        >
          <p className="mb-1 text-xs font-medium text-zinc-500 dark:text-zinc-400">You</p>
          <p className="max-h-72 overflow-auto whitespace-pre-wrap break-words">{item.text}</p>
        </li>
      );
    case "assistant":
      return (
        <li
          data-testid="message"
          data-kind="assistant"
          className={`rounded-lg border border-zinc-200 px-3 py-2 dark:border-zinc-800 ${item.subagent ? "ml-6" : ""}`}
        >
          <p className="mb-1 text-xs font-medium text-zinc-500 dark:text-zinc-400">{item.subagent ? "Subagent" : "Claude"}</p>
          <Markdown className="text-sm">{item.text}</Markdown>
        </li>
      );
    case "tool": {
      const summary = toolSummary(item.input);
      const input = JSON.stringify(item.input, null, 2) ?? "";
      return (
        <li
          data-testid="message"
          data-kind="tool"
          data-tool={item.name}
          data-current={current ? "true" : undefined}
          aria-current={current ? "step" : undefined}
          className={`rounded-lg border px-3 py-2 text-sm ${current ? "border-amber-300 bg-amber-50/60 ring-1 ring-amber-300 dark:border-amber-800 dark:bg-amber-950/30 dark:ring-amber-800" : item.result?.isError ? "border-red-200 dark:border-red-900" : "border-zinc-200 dark:border-zinc-800"} ${item.subagent ? "ml-6" : ""}`}
        >
          <details open={current}>
            <summary className="flex cursor-pointer flex-wrap items-center gap-2">
              <Badge tone={current ? "amber" : item.result?.isError ? "red" : "violet"}>
                {current ? "running" : item.result?.isError ? "failed" : "tool"}
              </Badge>
              <span className="font-mono text-xs font-medium">{item.name}</span>
              {summary ? <span className="min-w-0 truncate font-mono text-xs text-zinc-500">{summary}</span> : null}
            </summary>
            <p className="mt-2 text-xs text-zinc-500">Input</p>
            <pre className="mt-1 max-h-64 overflow-auto whitespace-pre-wrap break-words rounded bg-zinc-50 p-2 font-mono text-xs dark:bg-zinc-900">
              {input.length > 20_000 ? `${input.slice(0, 20_000)}…` : input}
            </pre>
            {item.result ? (
              <>
                <p className="mt-2 text-xs text-zinc-500">{item.result.isError ? "Error" : "Result"}</p>
                <pre
                  className={`mt-1 max-h-64 overflow-auto whitespace-pre-wrap break-words rounded p-2 font-mono text-xs ${item.result.isError ? "bg-red-50 text-red-800 dark:bg-red-950/40 dark:text-red-200" : "bg-zinc-50 dark:bg-zinc-900"}`}
                >
                  {item.result.text.length > 20_000 ? `${item.result.text.slice(0, 20_000)}…` : item.result.text || "(empty)"}
                </pre>
              </>
            ) : null}
          </details>
        </li>
      );
    }
    case "error":
      return (
        <li
          data-testid="message"
          data-kind="error"
          className="rounded-lg border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-900 dark:bg-red-950/50 dark:text-red-200"
        >
          <p className="whitespace-pre-wrap break-words">{item.text}</p>
        </li>
      );
    case "note":
      return (
        <li
          data-testid="message"
          data-kind="note"
          className={`px-1 text-xs ${item.tone === "red" ? "text-red-700 dark:text-red-300" : item.tone === "amber" ? "text-amber-700 dark:text-amber-300" : item.tone === "blue" ? "text-blue-700 dark:text-blue-300" : "text-zinc-500 dark:text-zinc-400"}`}
        >
          {item.text}
        </li>
      );
    case "result":
      return (
        <li
          data-testid="message"
          data-kind="result"
          className={`rounded-md px-3 py-2 text-sm ${item.ok ? "bg-emerald-50 text-emerald-900 dark:bg-emerald-950/50 dark:text-emerald-200" : "bg-red-50 text-red-800 dark:bg-red-950/50 dark:text-red-200"}`}
        >
          {item.text}
        </li>
      );
  }
}

/** "Send" into a running session; a finished one resumes with the message. */
function Composer({ session: s }: { session: Session }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [text, setText] = useState("");
  const active = isActive(s.status);
  const onSuccess = () => {
    setText("");
    void queryClient.invalidateQueries(trpc.sessions.get.queryFilter({ id: s.id }));
  };
  const send = useMutation(trpc.sessions.send.mutationOptions({ onSuccess }));
  const resume = useMutation(trpc.sessions.resume.mutationOptions({ onSuccess }));
  const pending = send.isPending || resume.isPending;
  const error = send.error ?? resume.error;

  function submit(e: FormEvent) {
    e.preventDefault();
    if (!text.trim()) return;
    if (active) send.mutate({ id: s.id, text });
    else resume.mutate({ id: s.id, text });
  }

  const canResume = !active && Boolean(s.claudeSessionId);
  if (!active && !canResume)
    return <p className="text-xs text-zinc-500 dark:text-zinc-400">This session never reached Claude, so it cannot be resumed.</p>;
  return (
    <form
      onSubmit={submit}
      className="space-y-2 rounded-lg border border-zinc-200 p-3 dark:border-zinc-800"
      aria-label={active ? "Send a message" : "Resume the session"}
    >
      <label htmlFor="session-message" className="block text-xs font-medium text-zinc-600 dark:text-zinc-300">
        {active ? "Message to the running session" : "Resume with a new message"}
      </label>
      <textarea
        id="session-message"
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) submit(e);
        }}
        rows={3}
        className="w-full resize-y rounded-md border border-zinc-300 bg-white p-2 text-sm dark:border-zinc-700 dark:bg-zinc-950"
        placeholder={active ? "A follow-up instruction (Ctrl+Enter sends)" : "What should it do next? (Ctrl+Enter resumes)"}
      />
      {error ? <ErrorState title={active ? "Could not send" : "Could not resume"} message={error.message} /> : null}
      <div className="flex justify-end">
        <Button type="submit" variant="primary" disabled={pending || !text.trim()}>
          {active ? "Send" : "Resume"}
        </Button>
      </div>
    </form>
  );
}
