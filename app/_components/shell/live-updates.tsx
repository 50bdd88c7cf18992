"use client";

import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import type { EventsSubscribeInput } from "@/lib/schemas/event-scope";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import { subscribe, type StreamState } from "@/lib/trpc/client";
import { useQueryClient, useTRPC, useTRPCClient } from "@/lib/trpc/react";
import type { LiveDispatcher, LiveDispatcherDeps, LiveInterestInput } from "./live-dispatch";

/** What a mounted component needs beyond the base stream: whole conversations, every tool call. */
export type LiveInterest = Pick<EventsSubscribeInput, "sessionIds" | "agentSessionIds" | "allAgentActivity">;

type Listener = (event: WorkdeckEvent) => void;
type Registration = { interest: LiveInterest; listener: { current: Listener | undefined } };

type LiveContextValue = {
  register(registration: Registration): () => void;
  /** The stream is open. */
  live: boolean;
  failed: boolean;
  /** The interest of the stream now asked for. */
  interest: LiveInterest;
};

const LiveContext = createContext<LiveContextValue | null>(null);

/**
 * The dispatcher, loaded with the first event it has to handle: a visit that hears none (most
 * first visits of a quiet workspace) never downloads it (~2.4 KB gzipped, issue 12). Events that
 * arrive while it loads are handled in order once it is there.
 */
class LazyDispatcher {
  private dispatcher: LiveDispatcher | null = null;
  private loading: Promise<void> | null = null;
  private readonly waiting: ((dispatcher: LiveDispatcher) => void)[] = [];
  private disposed = false;

  constructor(private readonly deps: LiveDispatcherDeps) {}

  dispatch(event: WorkdeckEvent): void {
    this.run((d) => d.dispatch(event));
  }

  catchUp(interest: LiveInterestInput): void {
    this.run((d) => d.catchUp(interest));
  }

  dispose(): void {
    this.disposed = true;
    this.dispatcher?.dispose();
  }

  private run(task: (dispatcher: LiveDispatcher) => void): void {
    if (this.dispatcher) return task(this.dispatcher);
    this.waiting.push(task);
    this.loading ??= import("./live-dispatch").then(
      ({ LiveDispatcher }) => {
        if (this.disposed) return;
        this.dispatcher = new LiveDispatcher(this.deps);
        for (const waiting of this.waiting.splice(0)) waiting(this.dispatcher);
      },
      // Offline: the next event tries again.
      () => void (this.loading = null),
    );
  }
}

/** The union of every mounted component's interest, in a stable order so equal interests are equal keys. */
function union(registrations: Iterable<Registration>): LiveInterest {
  const sessionIds = new Set<number>();
  const agentSessionIds = new Set<string>();
  let allAgentActivity = false;
  for (const { interest } of registrations) {
    interest.sessionIds?.forEach((id) => sessionIds.add(id));
    interest.agentSessionIds?.forEach((id) => agentSessionIds.add(id));
    allAgentActivity ||= interest.allAgentActivity === true;
  }
  return {
    ...(sessionIds.size ? { sessionIds: [...sessionIds].sort((a, b) => a - b) } : {}),
    ...(agentSessionIds.size ? { agentSessionIds: [...agentSessionIds].sort() } : {}),
    ...(allAgentActivity ? { allAgentActivity } : {}),
  };
}

/**
 * The tab's one event stream (`events.subscribe`), opened once in the app shell: browsers allow
 * six HTTP/1.1 connections per origin, and one stream per feature used to starve a third tab.
 * Every event goes through the dispatcher, which invalidates or patches exactly the cached
 * queries it touches; components add what they show in full (useLiveEvents) and the stream
 * restarts with the wider input, resuming after the last event id it saw.
 */
export function LiveEventsProvider({ since, children }: { since: number | null; children: ReactNode }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const [dispatcher] = useState(
    () => new LazyDispatcher({ queryClient, trpc, fetchSessionEvents: (input) => client.sessions.events.query(input) }),
  );
  useEffect(() => () => dispatcher.dispose(), [dispatcher]);

  const registrations = useRef(new Map<number, Registration>());
  const nextId = useRef(0);
  const [version, setVersion] = useState(0);
  const register = useCallback((registration: Registration) => {
    const id = nextId.current++;
    registrations.current.set(id, registration);
    setVersion((v) => v + 1);
    return () => {
      registrations.current.delete(id);
      setVersion((v) => v + 1);
    };
  }, []);
  // Children register in their effects, which run before this one: opening the stream only
  // after mount makes the first connection carry the first page's interest, not a restart.
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);

  const interest = useMemo(() => union(registrations.current.values()), [version]); // eslint-disable-line react-hooks/exhaustive-deps
  const interestKey = JSON.stringify(interest);
  // From the server render's cursor, so nothing published while the page loads is missed; the
  // link resumes its own reconnects, this ref carries the cursor across a restart.
  const lastEventId = useRef<number | null>(since);
  const input = useMemo(() => ({ ...interest, lastEventId: lastEventId.current }), [interestKey]); // eslint-disable-line react-hooks/exhaustive-deps
  const startedOnce = useRef(false);
  const [state, setState] = useState<StreamState>("connecting");

  useEffect(() => {
    if (!mounted) return;
    return subscribe<WorkdeckEvent>("events.subscribe", input, {
      onState: setState,
      onStarted() {
        // A restart (another page's interest, or a reconnect) resumes after the last id, but a
        // narrower stream before it left out what this interest adds: read that once. The first
        // start needs nothing, it replays everything since the server render.
        if (startedOnce.current) dispatcher.catchUp(interest);
        startedOnce.current = true;
      },
      onData(envelope) {
        lastEventId.current = Number(envelope.id);
        dispatcher.dispatch(envelope.data);
        for (const r of registrations.current.values()) r.listener.current?.(envelope.data);
      },
    });
  }, [mounted, input]); // eslint-disable-line react-hooks/exhaustive-deps

  const value = useMemo(() => ({ register, live: state === "open", failed: state === "error", interest }), [register, state, interest]);
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

function useLiveContext(): LiveContextValue {
  const value = useContext(LiveContext);
  if (!value) throw new Error("useLiveEvents needs <LiveEventsProvider> (the app shell)");
  return value;
}

/**
 * Adds what this component shows in full to the tab's stream and hears every event (`onEvent`,
 * e.g. completion notices). Cache updates need nothing here: the dispatcher does them. Returns
 * whether the stream is open with this interest.
 */
export function useLiveEvents(interest: LiveInterest, onEvent?: Listener): boolean {
  const ctx = useLiveContext();
  const listener = useRef(onEvent);
  listener.current = onEvent;
  const key = JSON.stringify(union([{ interest, listener }]));
  const { register } = ctx;
  useEffect(() => register({ interest: JSON.parse(key) as LiveInterest, listener }), [register, key]);
  const asked = ctx.interest;
  const covered =
    (interest.sessionIds ?? []).every((id) => asked.sessionIds?.includes(id)) &&
    (interest.agentSessionIds ?? []).every((id) => asked.agentSessionIds?.includes(id)) &&
    (!interest.allAgentActivity || asked.allAgentActivity === true);
  return ctx.live && covered;
}

/** The stream failed and the link is retrying. */
export function useLiveFailed(): boolean {
  return useLiveContext().failed;
}

/** The header's stream indicator. */
export function LiveUpdates() {
  const { live, failed } = useLiveContext();
  const label = live ? "Live" : failed ? "Offline — retrying" : "Connecting…";
  return (
    <span
      className="inline-flex items-center gap-1.5 text-xs text-zinc-500 dark:text-zinc-400"
      role="status"
      title="Edits on disk and new test reports appear here without a reload"
    >
      <span aria-hidden className={`size-1.5 rounded-full ${live ? "bg-emerald-500" : failed ? "bg-red-500" : "bg-amber-400"}`} />
      {label}
    </span>
  );
}
