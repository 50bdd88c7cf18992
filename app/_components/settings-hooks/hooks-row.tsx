"use client";

import { useQueryClient, useTRPC } from "@/lib/trpc/react";
import { useMutation } from "@/lib/trpc/use-mutation";
import { RelativeTime } from "../ui/relative-time";
import { Badge, Button } from "../ui/ui";

type HooksStatus = {
  projectSlug: string;
  settingsFile: string;
  events: string[];
  missing: string[];
  problem: string | null;
  url?: string | null;
  lastEventAt?: string | null;
};

/**
 * One project's hooks in Settings (issue 13 item 2): installed or not, where the installed command
 * posts, when the last hook event arrived, and "Send test event", which runs the installed hook
 * as Claude Code would and says whether the event reached this server.
 */
export function HooksRow({ h }: { h: HooksStatus }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const test = useMutation(
    trpc.settings.sendTestHookEvent.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.settings.get.queryKey() }),
    }),
  );
  const installed = h.events.length > 0;
  return (
    <li
      className="flex flex-col gap-1 border-b border-zinc-100 py-2 last:border-0 sm:flex-row sm:items-center sm:gap-2 dark:border-zinc-800"
      data-testid="hooks-row"
      aria-label={`Hooks of ${h.projectSlug}`}
    >
      <span className="truncate font-medium sm:w-48">{h.projectSlug}</span>
      <span className="flex flex-wrap items-center gap-2">
        {h.problem ? (
          <Badge tone="red">unreadable</Badge>
        ) : !installed ? (
          <Badge>not installed</Badge>
        ) : h.missing.length ? (
          <Badge tone="amber">partial</Badge>
        ) : (
          <Badge tone="green">installed</Badge>
        )}
        <span className="text-xs text-zinc-500">
          {h.problem ??
            (installed
              ? `${h.events.length} events in ${h.settingsFile}${h.missing.length ? `; missing ${h.missing.join(", ")}` : ""} · posts to ${h.url ?? "http://127.0.0.1:3000 (default; reinstall to record the URL)"}`
              : `workdeck hooks install --project ${h.projectSlug}`)}
        </span>
      </span>
      <span className="text-xs text-zinc-500 sm:ml-auto" data-testid="hooks-last-event">
        {h.lastEventAt ? (
          <>
            last event <RelativeTime value={h.lastEventAt} />
          </>
        ) : (
          "no event yet"
        )}
      </span>
      <Button
        onClick={() => test.mutate({ projectId: h.projectSlug })}
        disabled={test.isPending}
        aria-label={`Send test event for ${h.projectSlug}`}
      >
        {test.isPending ? "Sending…" : "Send test event"}
      </Button>
      {test.data || test.error ? (
        <p
          role="status"
          className={`w-full text-xs ${test.data?.delivered ? "text-emerald-700 dark:text-emerald-400" : "text-red-600 dark:text-red-400"}`}
        >
          {test.error ? test.error.message : test.data!.message}
        </p>
      ) : null}
    </li>
  );
}
