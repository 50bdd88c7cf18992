"use client";

import { useEffect, useState } from "react";
import type { PendingPermission } from "@/lib/schemas/session-permissions";
import type { SessionEvent } from "@/lib/schemas/sessions";
import { useQuery, useTRPC } from "@/lib/trpc/react";
import { useMutation } from "@/lib/trpc/use-mutation";
import { Button, ErrorState } from "../ui/ui";

/**
 * The tool permission requests a running session waits on (issue 11): tool, input and the rule
 * "Allow always" adds, with Allow once / Allow always / Deny (and an optional message). The
 * session's stream carries `workdeck/permission_*` events; each one refetches the list.
 */
export function SessionPermissions({ id, running, events }: { id: number; running: boolean; events: SessionEvent[] | undefined }) {
  const trpc = useTRPC();
  const pending = useQuery({ ...trpc.sessions.pendingPermissions.queryOptions({ id }), enabled: running });
  const marks = (events ?? []).filter((e) => e.type.startsWith("workdeck/permission_")).length;
  const { refetch } = pending;
  useEffect(() => {
    if (running) void refetch();
  }, [marks, running, refetch]);

  if (!running || !pending.data?.length) return null;
  return (
    <section aria-label="Permission requests" className="space-y-3">
      {pending.data.map((p) => (
        <PermissionCard key={p.requestId} sessionId={id} request={p} onAnswered={() => void refetch()} />
      ))}
    </section>
  );
}

function PermissionCard({ sessionId, request: p, onAnswered }: { sessionId: number; request: PendingPermission; onAnswered: () => void }) {
  const trpc = useTRPC();
  const [message, setMessage] = useState("");
  const answer = useMutation(trpc.sessions.answerPermission.mutationOptions({ onSuccess: onAnswered }));
  const inputId = `deny-message-${p.requestId}`;
  return (
    <article
      aria-label={`Permission request: ${p.toolName}`}
      className="space-y-2 rounded-lg border border-amber-300 bg-amber-50 p-3 text-sm dark:border-amber-700 dark:bg-amber-950/40"
    >
      <p className="font-medium">
        Claude asks to use <code>{p.toolName}</code>
        {p.reason ? <span className="font-normal text-zinc-600 dark:text-zinc-300"> — {p.reason}</span> : null}
      </p>
      <pre className="max-h-48 overflow-auto rounded bg-white p-2 text-xs dark:bg-zinc-950" aria-label="Tool input">
        {JSON.stringify(p.input, null, 2)}
      </pre>
      <p className="text-xs text-zinc-600 dark:text-zinc-300">
        Allow always adds <code>{p.rule}</code> for the rest of this session. Unanswered, it is denied at{" "}
        {new Date(p.expiresAt).toLocaleTimeString()}.
      </p>
      <label htmlFor={inputId} className="block text-xs font-medium text-zinc-600 dark:text-zinc-300">
        Message if denied (optional)
      </label>
      <input
        id={inputId}
        value={message}
        onChange={(e) => setMessage(e.target.value)}
        className="w-full rounded-md border border-zinc-300 bg-white p-1.5 text-sm dark:border-zinc-700 dark:bg-zinc-950"
        placeholder="Why not, or what to do instead"
      />
      {answer.error ? <ErrorState title="Could not answer" message={answer.error.message} /> : null}
      <div className="flex flex-wrap gap-2">
        <Button
          variant="primary"
          disabled={answer.isPending}
          onClick={() => answer.mutate({ id: sessionId, requestId: p.requestId, allow: true })}
        >
          Allow once
        </Button>
        <Button
          disabled={answer.isPending}
          onClick={() => answer.mutate({ id: sessionId, requestId: p.requestId, allow: true, always: true })}
        >
          Allow always
        </Button>
        <Button
          variant="danger"
          disabled={answer.isPending}
          onClick={() => answer.mutate({ id: sessionId, requestId: p.requestId, allow: false, message: message.trim() || undefined })}
        >
          Deny
        </Button>
      </div>
    </article>
  );
}
