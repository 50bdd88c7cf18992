import { ACCOUNT_MESSAGES, isToolCall, isWorkEvent, SESSION_ROW_MESSAGES, type EventsSubscribeInput } from "@/lib/schemas/event-scope";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import type { SessionEvent } from "@/lib/schemas/sessions";
import type { TRPCOptions } from "@/lib/trpc/options";
import type { Query, QueryClient, QueryFilters } from "@/lib/trpc/query-cache";
import type { AppRouter } from "@/server/trpc/root";

/**
 * The browser side of the one event stream: each bus event becomes the exact set of cached
 * queries it touches (a failure's detail by its id, the lists and counts of its project), which
 * are invalidated so React Query refetches only those on screen. A launched session's new
 * messages are appended to its cached conversation instead (fetched after the last seq it has).
 * Bursts coalesce: an ingest publishes several events, a busy agent thousands of hook events.
 */

type Trpc = TRPCOptions<AppRouter>;

/** A set of cached queries an event touches; `key` names it so a burst invalidates it once. */
export type Touch = { key: string; filter: QueryFilters; tier: Tier };

/** Hook traffic refreshes at most every `hooks` ms; everything else after a short `burst` window. */
type Tier = "burst" | "hooks";
const DEFAULT_DELAYS: Record<Tier, number> = { burst: 150, hooks: 400 };

/** The page size of the conversation tail reads. */
const TAIL_PAGE = 1000;

function inputOf(query: Query): Record<string, unknown> | undefined {
  const meta = query.queryKey[1] as { input?: unknown } | undefined;
  return meta && typeof meta.input === "object" && meta.input !== null ? (meta.input as Record<string, unknown>) : undefined;
}

/** A list or count shows a project's data when it is for that project, or for every project. */
function seesProject(project: string | null) {
  return (query: Query) => {
    const scope = inputOf(query)?.projectId;
    return scope === undefined || scope === project;
  };
}

/** A detail of one project's item (its input names the project). */
function inProject(project: string) {
  return (query: Query) => inputOf(query)?.projectId === project;
}

function hasInput(field: string, values: readonly unknown[]) {
  const set = new Set(values);
  return (query: Query) => set.has(inputOf(query)?.[field]);
}

/** Which cached queries an event touches. Pure: the unit tests read it through a real QueryClient. */
export function touchedBy(trpc: Trpc, event: WorkdeckEvent): Touch[] {
  const out: Touch[] = [];
  const touch = (key: string, filter: QueryFilters, tier: Tier = "burst") => out.push({ key, filter, tier });
  const project = event.projectSlug;

  const projectLists = (tier: Tier, ...paths: { pathFilter: Trpc["work"]["listAll"]["pathFilter"] }[]) => {
    for (const path of paths) {
      const filter = path.pathFilter({ predicate: seesProject(project) });
      touch(`${JSON.stringify(filter.queryKey)}@${project}`, filter, tier);
    }
  };
  const work = (tier: Tier = "burst") => {
    if (isWorkEvent(event)) projectLists(tier, trpc.work.listAll, trpc.work.stats, trpc.work.activity);
  };
  const failures = (p: string, ids: readonly number[], complete: boolean) => {
    touch(`errors.getFailure#${ids.join(",")}`, trpc.errors.getFailure.pathFilter({ predicate: hasInput("failureId", ids) }));
    // The event lists at most 500 ids: past that, every open failure of the project may have moved.
    if (!complete) {
      touch(
        `errors.getFailure@${p}`,
        trpc.errors.getFailure.pathFilter({ predicate: (q) => (q.state.data as { projectSlug?: string } | undefined)?.projectSlug === p }),
      );
    }
  };
  const changeDetails = (p: string, changeIds: readonly string[] | null) => {
    // Details are keyed by project and item: all of the project's, or only the named changes'.
    const match = changeIds ? (q: Query) => inProject(p)(q) && hasInput("changeId", changeIds)(q) : inProject(p);
    for (const path of [trpc.openspec.showChange, trpc.openspec.validateChange, trpc.openspec.previewArchive]) {
      const filter = path.pathFilter({ predicate: match });
      touch(`${JSON.stringify(filter.queryKey)}@${p}#${changeIds?.join(",") ?? "*"}`, filter);
    }
  };
  const specDetails = (p: string) => touch(`openspec.showSpec@${p}`, trpc.openspec.showSpec.pathFilter({ predicate: inProject(p) }));

  switch (event.type) {
    case "projects.changed":
      // The set of projects moved: every per-project view may have (a conversation never does).
      for (const filter of [
        trpc.projects.pathFilter(),
        trpc.openspec.pathFilter(),
        trpc.work.pathFilter(),
        trpc.errors.pathFilter(),
        trpc.agents.pathFilter(),
        trpc.sessions.list.pathFilter(),
        trpc.settings.pathFilter(),
      ]) {
        touch(JSON.stringify(filter.queryKey), filter);
      }
      break;
    case "openspec.changed": {
      projectLists("burst", trpc.openspec.listChanges, trpc.openspec.listSpecs);
      // A main spec edit can change whether any change's delta applies; a file outside changes/
      // and specs/ names no item. Either way every detail of the project may differ.
      const narrow = event.specIds.length === 0 && event.changeIds.length > 0 && !event.changeIds.includes("*");
      changeDetails(event.projectSlug, narrow ? event.changeIds : null);
      if (!narrow) specDetails(event.projectSlug);
      work();
      break;
    }
    case "openspec.proposalCreated":
      projectLists("burst", trpc.openspec.listChanges);
      changeDetails(event.projectSlug, [event.changeId]);
      work();
      break;
    case "openspec.archived":
      // The change's deltas merged into the main specs, so other changes' previews move too.
      projectLists("burst", trpc.openspec.listChanges, trpc.openspec.listSpecs);
      changeDetails(event.projectSlug, null);
      specDetails(event.projectSlug);
      work();
      break;
    case "errors.reportIngested":
      // Run counts and every row's sparkline; the groups it changed follow in their own events.
      projectLists("burst", trpc.errors.listFailures, trpc.errors.stats);
      work();
      break;
    case "errors.failureNew":
      projectLists("burst", trpc.errors.listFailures, trpc.errors.stats);
      failures(event.projectSlug, event.failureIds, event.failureIds.length >= event.count);
      work();
      break;
    case "errors.failureUpdated":
      projectLists("burst", trpc.errors.listFailures, trpc.errors.stats);
      failures(event.projectSlug, [...new Set([...event.failureIds, ...event.resolvedIds])], event.failureIds.length >= event.count);
      work();
      break;
    case "errors.triaged":
      projectLists("burst", trpc.errors.listFailures, trpc.errors.stats);
      failures(event.projectSlug, [event.failureId], true);
      work();
      break;
    case "agents.activity":
    case "agents.needsYou":
    case "agents.ended": {
      const agent = [event.sessionId];
      touch(
        `agents.getActivity#${event.sessionId}`,
        trpc.agents.getActivity.pathFilter({ predicate: hasInput("sessionId", agent) }),
        "hooks",
      );
      // Per-session metrics, and the project's (or every project's) totals.
      touch(
        `agents.getMetrics#${event.sessionId}`,
        trpc.agents.getMetrics.pathFilter({ predicate: hasInput("sessionId", agent) }),
        "hooks",
      );
      touch(
        `agents.getMetrics@${project}`,
        trpc.agents.getMetrics.pathFilter({ predicate: (q) => inputOf(q)?.sessionId === undefined && seesProject(project)(q) }),
        "hooks",
      );
      projectLists("hooks", trpc.agents.listActive);
      if (!isToolCall(event)) work("hooks");
      break;
    }
    case "sessions.event":
      // The conversation itself is appended by LiveDispatcher; these are the summaries it moves.
      if (SESSION_ROW_MESSAGES.has(event.eventType)) {
        touch(`sessions.get#${event.sessionId}`, trpc.sessions.get.queryFilter({ id: event.sessionId }));
        projectLists("burst", trpc.sessions.list);
      }
      if (ACCOUNT_MESSAGES.has(event.eventType)) touch("accounts.list", trpc.accounts.list.pathFilter());
      // A tool permission asked or answered: the Agents panel's "needs you" (issue 11).
      if (event.eventType.startsWith("workdeck/permission_")) projectLists("burst", trpc.agents.listActive);
      work();
      break;
    case "integrations.changed":
    case "automations.ran":
      // Webhooks, the Railway poller and automations (issue 15): the deploys page and All Work.
      projectLists("burst", trpc.deploys.timeline, trpc.deploys.items);
      touch("deploys.automations", trpc.deploys.automations.pathFilter());
      work();
      break;
    case "sessions.health":
      // Agent health (issue 17): the session's page, All Work and the board.
      touch(`sessions.get#${event.sessionId}`, trpc.sessions.get.queryFilter({ id: event.sessionId }));
      work();
      break;
    case "work.dependenciesChanged":
      // The board and All Work show blockers (issue 17).
      work();
      break;
    case "sessions.updated":
      touch(`sessions.get#${event.sessionId}`, trpc.sessions.get.queryFilter({ id: event.sessionId }));
      projectLists("burst", trpc.sessions.list);
      // Running counts per account.
      touch("accounts.list", trpc.accounts.list.pathFilter());
      work();
      break;
  }
  return out;
}

export type LiveInterestInput = Pick<EventsSubscribeInput, "sessionIds" | "agentSessionIds" | "allAgentActivity">;

export type LiveDispatcherDeps = {
  queryClient: QueryClient;
  trpc: Trpc;
  /** A session's stored messages after a seq (sessions.events). */
  fetchSessionEvents: (input: { id: number; after: number; limit: number }) => Promise<SessionEvent[]>;
  delays?: Partial<Record<Tier, number>>;
};

export class LiveDispatcher {
  private readonly pending: Record<Tier, Map<string, QueryFilters>> = { burst: new Map(), hooks: new Map() };
  private readonly timers: Partial<Record<Tier, ReturnType<typeof setTimeout>>> = {};
  private readonly delays: Record<Tier, number>;
  /** Sessions whose tail read is running, and those that got news meanwhile. */
  private readonly reading = new Set<number>();
  private readonly again = new Set<number>();
  private disposed = false;

  constructor(private readonly deps: LiveDispatcherDeps) {
    this.delays = { ...DEFAULT_DELAYS, ...deps.delays };
  }

  dispatch(event: WorkdeckEvent): void {
    if (this.disposed) return;
    for (const t of touchedBy(this.deps.trpc, event)) this.queue(t.tier, t.key, t.filter);
    if (event.type === "sessions.event") this.appendConversation(event.sessionId, event.seq);
  }

  /**
   * After the stream restarted with another interest: what the previous, narrower stream left
   * out between the page's first read and the restart (conversation lines, tool calls) is read once.
   */
  catchUp(interest: LiveInterestInput): void {
    const { trpc } = this.deps;
    for (const id of interest.sessionIds ?? []) this.appendConversation(id, Number.POSITIVE_INFINITY);
    const agents = interest.agentSessionIds ?? [];
    if (agents.length) {
      this.queue(
        "hooks",
        `catchUp.getActivity#${agents.join(",")}`,
        trpc.agents.getActivity.pathFilter({ predicate: hasInput("sessionId", agents) }),
      );
      this.queue(
        "hooks",
        `catchUp.getMetrics#${agents.join(",")}`,
        trpc.agents.getMetrics.pathFilter({ predicate: hasInput("sessionId", agents) }),
      );
    }
    if (interest.allAgentActivity) this.queue("hooks", "catchUp.agents", trpc.agents.pathFilter());
  }

  /** Applies every queued invalidation now. */
  async flush(): Promise<void> {
    await Promise.all((["burst", "hooks"] as const).map((tier) => this.apply(tier)));
  }

  /** Settles when no conversation tail read is running (tests). */
  async idle(): Promise<void> {
    while (this.reading.size > 0) await new Promise((r) => setTimeout(r, 5));
  }

  dispose(): void {
    this.disposed = true;
    for (const timer of Object.values(this.timers)) clearTimeout(timer);
  }

  private queue(tier: Tier, key: string, filter: QueryFilters): void {
    this.pending[tier].set(key, filter);
    // Throttle, not debounce: steady traffic still refreshes once per window.
    this.timers[tier] ??= setTimeout(() => void this.apply(tier), this.delays[tier]);
  }

  private async apply(tier: Tier): Promise<void> {
    clearTimeout(this.timers[tier]);
    delete this.timers[tier];
    const filters = [...this.pending[tier].values()];
    this.pending[tier].clear();
    await Promise.all(filters.map((filter) => this.deps.queryClient.invalidateQueries(filter)));
  }

  /**
   * A launched session's new messages go onto its cached conversation, read after the last
   * seq the cache has. One read per session at a time; news during a read triggers one more.
   */
  private appendConversation(id: number, seq: number): void {
    const key = this.deps.trpc.sessions.events.queryKey({ id });
    const cached = this.deps.queryClient.getQueryData<SessionEvent[]>(key);
    // No page holds the conversation (or it has this message already): nothing to patch.
    if (!cached || (cached.at(-1)?.seq ?? 0) >= seq) return;
    if (this.reading.has(id)) {
      this.again.add(id);
      return;
    }
    this.reading.add(id);
    void this.readTail(id, key).finally(() => this.reading.delete(id));
  }

  private async readTail(id: number, key: readonly unknown[]): Promise<void> {
    try {
      do {
        this.again.delete(id);
        for (;;) {
          const cached = this.deps.queryClient.getQueryData<SessionEvent[]>(key);
          if (!cached || this.disposed) return;
          const batch = await this.deps.fetchSessionEvents({ id, after: cached.at(-1)?.seq ?? 0, limit: TAIL_PAGE });
          this.deps.queryClient.setQueryData<SessionEvent[]>(key, (old) => {
            if (!old) return old;
            const last = old.at(-1)?.seq ?? 0;
            const fresh = batch.filter((e) => e.seq > last);
            return fresh.length ? [...old, ...fresh] : old;
          });
          if (batch.length < TAIL_PAGE) break;
        }
      } while (this.again.has(id));
    } catch {
      // Offline or the session is gone: the next message (or the stream's catch-up) reads again.
      this.again.delete(id);
    }
  }
}
