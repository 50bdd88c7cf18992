"use client";

import Link from "@/app/_components/ui/link";
import { useRouter } from "next/navigation";
import { useId, useState, type FormEvent } from "react";
import { statusWord } from "@/lib/format";
import { useQuery, useQueryClient, useTRPC } from "@/lib/trpc/react";
import { useMutation } from "@/lib/trpc/use-mutation";
import { SessionView } from "../sessions/session-view";
import { useSelectedProject } from "../shell/selected-project";
import { Badge, Button, EmptyState, ErrorState } from "../ui/ui";

/**
 * The Ask page: conversations with a Claude Code session that has Workdeck's MCP server. A
 * conversation is a session, so it streams, asks for tool permissions and takes follow-ups
 * exactly like a session page (SessionView); what it creates lands in the other tabs live.
 */
export function AskView({ sessionId }: { sessionId: number | null }) {
  const trpc = useTRPC();
  const { slug } = useSelectedProject();
  const conversations = useQuery(trpc.ask.list.queryOptions(slug ? { projectId: slug } : {}));
  return (
    <div className="grid gap-6 lg:grid-cols-[16rem_1fr]">
      <nav aria-label="Conversations" className="space-y-2">
        <Link
          href="/ask"
          className="block rounded-md border border-zinc-300 px-3 py-1.5 text-center text-sm font-medium hover:bg-zinc-50 dark:border-zinc-700 dark:hover:bg-zinc-900"
        >
          New conversation
        </Link>
        <ul className="space-y-1">
          {(conversations.data ?? []).map((c) => (
            <li key={c.id}>
              <Link
                href={`/ask?session=${c.id}`}
                aria-current={c.id === sessionId ? "page" : undefined}
                className={`block rounded-md px-2 py-1.5 text-sm hover:bg-zinc-100 dark:hover:bg-zinc-800 ${c.id === sessionId ? "bg-zinc-100 font-medium dark:bg-zinc-800" : ""}`}
              >
                <span className="line-clamp-2">{c.question || `Conversation ${c.id}`}</span>
                <span className="mt-0.5 flex gap-2 text-xs text-zinc-500">
                  <Badge tone={c.status === "running" ? "blue" : c.status === "completed" ? "green" : "neutral"}>
                    {statusWord(c.status)}
                  </Badge>
                  {c.projectSlug}
                </span>
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <div>{sessionId ? <SessionView id={sessionId} /> : <AskForm projectId={slug} />}</div>
    </div>
  );
}

function AskForm({ projectId }: { projectId: string | null }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const id = useId();
  const [text, setText] = useState("");
  const start = useMutation(
    trpc.ask.start.mutationOptions({
      onSuccess({ id: session }) {
        void queryClient.invalidateQueries(trpc.ask.pathFilter());
        void queryClient.invalidateQueries(trpc.sessions.pathFilter());
        router.push(`/ask?session=${session}`);
      },
    }),
  );
  if (!projectId)
    return <EmptyState title="Pick a project">The Ask chat works in one project: choose it with the Project selector.</EmptyState>;
  function submit(e: FormEvent) {
    e.preventDefault();
    if (text.trim()) start.mutate({ projectId: projectId!, text });
  }
  return (
    <form onSubmit={submit} className="space-y-3 rounded-lg border border-zinc-200 p-4 dark:border-zinc-800">
      <label htmlFor={id} className="block text-sm font-medium">
        Ask Workdeck
      </label>
      <textarea
        id={id}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => (e.key === "Enter" && (e.ctrlKey || e.metaKey) ? submit(e) : undefined)}
        rows={5}
        placeholder={'"File a proposal for the flaky login test", "Create a reviewer sub-agent that only reads"'}
        className="w-full resize-y rounded-md border border-zinc-300 bg-white p-2 text-sm dark:border-zinc-700 dark:bg-zinc-950"
      />
      <p className="text-xs text-zinc-500 dark:text-zinc-400">
        A Claude Code session in {projectId} with Workdeck&apos;s tools: it can file proposals, triage failures, link work, and create
        sub-agents and skills. It runs under the same accounts and limits as every session.
      </p>
      {start.isError ? <ErrorState title="Could not ask" message={start.error.message} /> : null}
      <div className="flex justify-end">
        <Button type="submit" variant="primary" disabled={!text.trim() || start.isPending || start.isSuccess}>
          {start.isPending || start.isSuccess ? "Starting…" : "Ask"}
        </Button>
      </div>
    </form>
  );
}
