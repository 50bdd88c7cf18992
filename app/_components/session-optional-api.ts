"use client";

import type { SessionOptions, SessionType, WorkItem } from "@/lib/schemas/sessions";
import { useTRPCClient } from "@/lib/trpc/react";

/**
 * `sessions.promptPreview` and `accounts.recheck` are being added to the routers while
 * this UI is built. They are called through the untyped path here so the UI compiles
 * and works either way: a server without them answers NOT_FOUND, and callers fall back
 * (the launch form lets the server build the prompt; the recheck button says it is
 * unavailable).
 */

export type PromptPreview = { prompt: string; sessionType: SessionType; options: SessionOptions };

type Callable<I, O> = { query(input: I): Promise<O>; mutate(input: I): Promise<O> };
type OptionalClient = {
  sessions: { promptPreview: Callable<{ projectId: string; workItem?: WorkItem }, PromptPreview> };
  accounts: { recheck: Callable<{ id: string }, unknown> };
};

export function useSessionsOptionalApi() {
  const client = useTRPCClient() as unknown as OptionalClient;
  return {
    promptPreview: (input: { projectId: string; workItem?: WorkItem }) => client.sessions.promptPreview.query(input),
    recheckAccount: (id: string) => client.accounts.recheck.mutate({ id }),
  };
}

/** A tRPC error meaning "no such procedure" (an older server). */
export function isMissingProcedure(error: unknown): boolean {
  const e = error as { data?: { code?: string }; message?: string } | null;
  return e?.data?.code === "NOT_FOUND" && /procedure on path/i.test(e.message ?? "");
}
