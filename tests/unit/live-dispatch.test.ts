/**
 * The live dispatcher (issue 10 item 9): each bus event invalidates exactly the cached queries it
 * touches. The browser's QueryClient (lib/trpc/query-cache.ts) holds queries under the real tRPC keys of several projects, failures,
 * changes, sessions and agents; each test dispatches one event and reads back which were invalidated.
 */
import { describe, expect, it } from "vitest";
import { LiveDispatcher } from "@/app/_components/shell/live-dispatch";
import type { WorkdeckEvent, WorkdeckEventInput } from "@/lib/schemas/events";
import { createTRPCOptions } from "@/lib/trpc/options";
import { QueryClient } from "@/lib/trpc/query-cache";
import type { AppRouter } from "@/server/trpc/root";

const sorted = (keys: string[]) => [...keys].sort();

function setup() {
  const queryClient = new QueryClient();
  // Invalidation refetches only queries on screen (none here): the options only build the keys.
  const trpc = createTRPCOptions<AppRouter>();
  const put = (key: readonly unknown[], data: unknown = {}) => queryClient.setQueryData(key, data);

  put(trpc.projects.list.queryKey());
  put(trpc.errors.getFailure.queryKey({ failureId: 1 }), { id: 1, projectSlug: "billing-api" });
  put(trpc.errors.getFailure.queryKey({ failureId: 2 }), { id: 2, projectSlug: "billing-api" });
  put(trpc.errors.getFailure.queryKey({ failureId: 3 }), { id: 3, projectSlug: "web-app" });
  put(trpc.errors.listFailures.queryKey({ projectId: "billing-api" }), []);
  put(trpc.errors.listFailures.queryKey({ projectId: "web-app" }), []);
  put(trpc.errors.listFailures.queryKey({}), []);
  put(trpc.errors.stats.queryKey({ projectId: "billing-api" }));
  put(trpc.errors.stats.queryKey({ projectId: "web-app" }));
  put(trpc.work.listAll.queryKey({ projectId: "billing-api" }), []);
  put(trpc.work.stats.queryKey({}));
  put(trpc.work.activity.queryKey({ projectId: "web-app" }), []);
  put(trpc.openspec.listChanges.queryKey({ projectId: "billing-api" }));
  put(trpc.openspec.listSpecs.queryKey({ projectId: "web-app" }));
  put(trpc.openspec.showChange.queryKey({ projectId: "billing-api", changeId: "add-invoices" }));
  put(trpc.openspec.showChange.queryKey({ projectId: "billing-api", changeId: "add-refunds" }));
  put(trpc.openspec.showChange.queryKey({ projectId: "web-app", changeId: "add-invoices" }));
  put(trpc.openspec.showSpec.queryKey({ projectId: "billing-api", specId: "auth" }));
  put(trpc.sessions.get.queryKey({ id: 1 }));
  put(trpc.sessions.get.queryKey({ id: 2 }));
  put(trpc.sessions.list.queryKey({ projectId: "billing-api" }), []);
  put(trpc.sessions.events.queryKey({ id: 1 }), []);
  put(trpc.accounts.list.queryKey(), []);
  put(trpc.agents.listActive.queryKey({}), []);
  put(trpc.agents.listActive.queryKey({ projectId: "billing-api" }), []);
  put(trpc.agents.getActivity.queryKey({ sessionId: "abc" }));
  put(trpc.agents.getActivity.queryKey({ sessionId: "def" }));
  put(trpc.agents.getMetrics.queryKey({ sessionId: "abc" }));
  put(trpc.agents.getMetrics.queryKey({ projectId: "web-app" }));

  const dispatcher = new LiveDispatcher({
    queryClient,
    trpc,
    fetchSessionEvents: () => Promise.reject(new Error("not read in these tests")),
  });
  let id = 0;
  /** Dispatches one event and names every query it invalidated, e.g. `errors.getFailure {"failureId":1}`. */
  async function invalidatedBy(input: WorkdeckEventInput): Promise<string[]> {
    for (const q of queryClient.getQueryCache().getAll()) q.setState({ isInvalidated: false });
    dispatcher.dispatch({ ...input, id: ++id, at: 0 } as WorkdeckEvent);
    await dispatcher.flush();
    return queryClient
      .getQueryCache()
      .getAll()
      .filter((q) => q.state.isInvalidated)
      .map((q) => {
        const [path, meta] = q.queryKey as [string[], { input?: unknown } | undefined];
        return `${path.join(".")}${meta?.input === undefined ? "" : ` ${JSON.stringify(meta.input)}`}`;
      })
      .sort();
  }
  return { invalidatedBy, queryClient, trpc };
}

describe("live dispatcher", () => {
  it("an error event with failure ids invalidates those failures and the project's lists, not every errors query", async () => {
    const { invalidatedBy } = setup();
    expect(
      await invalidatedBy({
        type: "errors.failureUpdated",
        projectSlug: "billing-api",
        reportId: 4,
        failureIds: [1],
        count: 1,
        resolvedIds: [],
      }),
    ).toEqual(
      sorted([
        'errors.getFailure {"failureId":1}',
        "errors.listFailures {}",
        'errors.listFailures {"projectId":"billing-api"}',
        'errors.stats {"projectId":"billing-api"}',
        'work.listAll {"projectId":"billing-api"}',
        "work.stats {}",
      ]),
    );
    // A resolved failure is touched as well; a triage names its one failure.
    expect(
      await invalidatedBy({
        type: "errors.failureUpdated",
        projectSlug: "billing-api",
        reportId: 4,
        failureIds: [],
        count: 0,
        resolvedIds: [2],
      }),
    ).toContain('errors.getFailure {"failureId":2}');
    const triaged = await invalidatedBy({
      type: "errors.triaged",
      projectSlug: "web-app",
      failureId: 3,
      decision: "ignore",
      priority: 3,
      reviewedByHuman: true,
      assignedSessionId: null,
      specChangeId: null,
    });
    expect(triaged.filter((k) => k.startsWith("errors."))).toEqual(
      sorted([
        'errors.getFailure {"failureId":3}',
        "errors.listFailures {}",
        'errors.listFailures {"projectId":"web-app"}',
        'errors.stats {"projectId":"web-app"}',
      ]),
    );
  });

  it("past the 500 ids an event can carry, every cached failure of that project is touched, and only that project's", async () => {
    const { invalidatedBy } = setup();
    const keys = await invalidatedBy({ type: "errors.failureNew", projectSlug: "billing-api", reportId: 5, failureIds: [7], count: 900 });
    expect(keys.filter((k) => k.startsWith("errors.getFailure"))).toEqual([
      'errors.getFailure {"failureId":1}',
      'errors.getFailure {"failureId":2}',
    ]);
  });

  it("a report touches the lists and counts of its project only; the failures it changed come in their own events", async () => {
    const { invalidatedBy } = setup();
    expect(
      await invalidatedBy({
        type: "errors.reportIngested",
        projectSlug: "web-app",
        reportId: 9,
        seq: 3,
        tests: 10,
        unexpected: 1,
        flaky: 0,
      }),
    ).toEqual(
      sorted([
        "errors.listFailures {}",
        'errors.listFailures {"projectId":"web-app"}',
        'errors.stats {"projectId":"web-app"}',
        "work.stats {}",
        'work.activity {"projectId":"web-app"}',
      ]),
    );
  });

  it("an edit inside one change touches that change's details; a main spec edit every detail of the project", async () => {
    const { invalidatedBy } = setup();
    expect(
      await invalidatedBy({
        type: "openspec.changed",
        projectSlug: "billing-api",
        changeIds: ["add-invoices"],
        specIds: [],
        paths: ["changes/add-invoices/tasks.md"],
      }),
    ).toEqual(
      sorted([
        'openspec.listChanges {"projectId":"billing-api"}',
        'openspec.showChange {"projectId":"billing-api","changeId":"add-invoices"}',
        'work.listAll {"projectId":"billing-api"}',
        "work.stats {}",
      ]),
    );
    expect(
      await invalidatedBy({
        type: "openspec.changed",
        projectSlug: "billing-api",
        changeIds: [],
        specIds: ["auth"],
        paths: ["specs/auth/spec.md"],
      }),
    ).toEqual(
      sorted([
        'openspec.listChanges {"projectId":"billing-api"}',
        'openspec.showChange {"projectId":"billing-api","changeId":"add-invoices"}',
        'openspec.showChange {"projectId":"billing-api","changeId":"add-refunds"}',
        'openspec.showSpec {"projectId":"billing-api","specId":"auth"}',
        'work.listAll {"projectId":"billing-api"}',
        "work.stats {}",
      ]),
    );
  });

  it("a session's conversation line touches no query (it is appended); its result and status move the session, the list and the accounts", async () => {
    const { invalidatedBy } = setup();
    expect(
      await invalidatedBy({ type: "sessions.event", projectSlug: "billing-api", sessionId: 1, seq: 5, eventType: "assistant" }),
    ).toEqual([]);
    expect(await invalidatedBy({ type: "sessions.event", projectSlug: "billing-api", sessionId: 1, seq: 6, eventType: "result" })).toEqual(
      sorted(["accounts.list", 'sessions.get {"id":1}', 'sessions.list {"projectId":"billing-api"}']),
    );
    expect(await invalidatedBy({ type: "sessions.updated", projectSlug: "billing-api", sessionId: 2, status: "completed" })).toEqual(
      sorted([
        "accounts.list",
        'sessions.get {"id":2}',
        'sessions.list {"projectId":"billing-api"}',
        'work.listAll {"projectId":"billing-api"}',
        "work.stats {}",
      ]),
    );
  });

  it("a tool permission asked or answered moves All Work and the Agents panel of its project ('needs you', issue 11)", async () => {
    const { invalidatedBy } = setup();
    const touched = await invalidatedBy({
      type: "sessions.event",
      projectSlug: "billing-api",
      sessionId: 1,
      seq: 7,
      eventType: "workdeck/permission_requested",
    });
    expect(touched).toEqual(
      expect.arrayContaining([
        'agents.listActive {"projectId":"billing-api"}',
        "agents.listActive {}",
        'work.listAll {"projectId":"billing-api"}',
      ]),
    );
    expect(
      await invalidatedBy({
        type: "sessions.event",
        projectSlug: "billing-api",
        sessionId: 1,
        seq: 8,
        eventType: "workdeck/permission_answered",
      }),
    ).toEqual(touched);
  });

  it("a tool call touches its agent's timeline and metrics and the agents lists that show its project, not All Work", async () => {
    const { invalidatedBy } = setup();
    const toolCall = {
      type: "agents.activity",
      projectSlug: "web-app",
      sessionId: "abc",
      hookId: 1,
      event: "PreToolUse",
      toolName: "Bash",
      status: "active",
    } as const;
    expect(await invalidatedBy(toolCall)).toEqual(
      sorted([
        'agents.getActivity {"sessionId":"abc"}',
        'agents.getMetrics {"projectId":"web-app"}',
        'agents.getMetrics {"sessionId":"abc"}',
        "agents.listActive {}",
      ]),
    );
    // A status change (a prompt) also moves All Work.
    expect(await invalidatedBy({ ...toolCall, event: "UserPromptSubmit" })).toEqual(
      sorted([
        'agents.getActivity {"sessionId":"abc"}',
        'agents.getMetrics {"projectId":"web-app"}',
        'agents.getMetrics {"sessionId":"abc"}',
        "agents.listActive {}",
        "work.stats {}",
        'work.activity {"projectId":"web-app"}',
      ]),
    );
  });

  it("a change to the set of projects touches every per-project view but never a conversation", async () => {
    const { invalidatedBy, queryClient } = setup();
    const keys = await invalidatedBy({ type: "projects.changed", projectSlug: null, slugs: ["web-app"] });
    expect(keys).toContain("projects.list");
    expect(keys).toContain('errors.getFailure {"failureId":3}');
    expect(keys).toContain('openspec.showSpec {"projectId":"billing-api","specId":"auth"}');
    expect(keys).not.toContain('sessions.events {"id":1}');
    expect(keys.length).toBe(queryClient.getQueryCache().getAll().length - 4); // not sessions.get ×2, sessions.events, accounts.list
  });
});
