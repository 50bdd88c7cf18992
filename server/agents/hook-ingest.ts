import path from "node:path";
import { z } from "zod";
import type { Db } from "../db/client";
import { SqliteStore, step, type SqlStore, type StoreSteps } from "../db/sql-store";
import { AppError } from "../app-error";
import type { EventBus } from "../events/bus";
import { requestWriteTurn, releaseWriteTurn } from "../db/write-turn";
import { knownWorkdeckSession, toolDuration } from "./hook-checks";
import type { ProjectRegistry } from "../projects/service";
import { HookPayloadSchema, type HookIngestResult, type HookPayload } from "@/lib/schemas/agents";
import type { WorkdeckConfig } from "@/lib/schemas/config";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import { endedEvent, nextSession, type SessionRow } from "./session-state";
import { INSERT_HOOK, sessionRows, upsertSessions } from "./hook-statements";
import { findRecentPre, preKey, PreMemory } from "./pre-memory";

export { endedEvent, type SessionRow } from "./session-state";

/**
 * What the agents services need from the runtime; tests build it from a temp database and inject
 * the clock. The SQL port (issue 14) when given, else the SQLite connection's.
 */
export type AgentsDeps = {
  sqlStore?: SqlStore;
  db?: Db;
  bus: EventBus;
  projects: Pick<ProjectRegistry, "all">;
  config: { config: Pick<WorkdeckConfig, "agents"> };
  now?: () => number;
};

export function agentsStore(deps: Pick<AgentsDeps, "sqlStore" | "db">): SqlStore {
  if (deps.sqlStore) return deps.sqlStore;
  if (!deps.db) throw new Error("agents: no database (sqlStore or db)");
  return SqliteStore.on(deps.db.$client);
}

export type HookIngestInput = {
  body: Uint8Array | string;
  /** When the hook fired, if it was delivered late (`workdeck hooks send` flushing its spool). */
  firedAt?: number;
  /** The Workdeck-launched session (issue 4) the agent runs for, from the launch environment. */
  workdeckSessionId?: number;
};

const TOOL_DONE = new Set(["PostToolUse", "PostToolUseFailure"]);

/**
 * Hook writers take turns: a session's summary row is read, folded and written back, so two
 * instances writing hooks of one session at once would lose one's update. SQLite: BEGIN
 * IMMEDIATE; PostgreSQL: an advisory lock.
 */
const HOOKS_LOCK = "workdeck:hooks";

/** A hook body that passed validation, ready to store; `at` is when it arrived (or fired, if late). */
type ParsedHook = {
  text: string;
  payload: HookPayload;
  at: number;
  workdeckSessionId: number | undefined;
};

const HookFieldsSchema = z.object(HookPayloadSchema.shape);
const HOOK_FIELDS = Object.keys(HookPayloadSchema.shape);

/** JSON + schema checks, before any write: bad input throws AppError and changes nothing. */
function parseHook(deps: Pick<AgentsDeps, "now">, input: HookIngestInput): ParsedHook {
  const text =
    typeof input.body === "string"
      ? input.body
      : Buffer.from(input.body.buffer, input.body.byteOffset, input.body.byteLength).toString("utf8");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new AppError(
      "BAD_REQUEST",
      `The body is not JSON (${(err as Error).message}); send the hook payload exactly as Claude Code passes it.`,
    );
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new AppError("BAD_REQUEST", "The body must be one JSON object: a Claude Code hook payload.");
  // Only the fields it names: the loose schema would copy every key of a large payload, kept whole anyway.
  const fields: Record<string, unknown> = {};
  for (const key of HOOK_FIELDS) if (key in raw) fields[key] = (raw as Record<string, unknown>)[key];
  const parsed = HookFieldsSchema.safeParse(fields);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? `${issue.path.join(".")}: ` : "";
    throw new AppError("BAD_REQUEST", `Not a Claude Code hook payload: ${where}${issue.message}`);
  }
  const now = deps.now?.() ?? Date.now();
  const at = input.firedAt !== undefined && input.firedAt <= now ? input.firedAt : now;
  return { text, payload: raw as HookPayload, at, workdeckSessionId: input.workdeckSessionId };
}

/**
 * One transaction's hooks: the session rows it has read or folded, written back once at its end,
 * and the changes to the committer's open Pres, applied only once it commits.
 */
type Batch = {
  sessions: Map<string, SessionRow | undefined>;
  pres: PreMemory | undefined;
  /** This batch's changes to `pres`, in order: a Pre stored (its time), a pair made (null), a session ended. */
  preChanges: { sessionId: string; toolUseId?: string; at: number | null }[];
  /** Pres stored or paired in this batch (null: paired), looked at before `pres`. */
  staged: Map<string, number | null>;
};

type Written = { result: HookIngestResult; events: WorkdeckEvent[] };

/**
 * Stores hooks in the caller's transaction, in order: each one's hook row and bus rows, and each
 * session's summary row once (folded over its hooks in memory). The caller emits the returned
 * events once it commits. Every statement is a lookup by key or index (no query grows with the
 * history: tests/integration/hooks-edge.test.ts checks the plans).
 */
function* writeHooks(deps: AgentsDeps, batch: Batch, hooks: readonly ParsedHook[]): StoreSteps<Written[]> {
  batch.sessions = yield* sessionRows(hooks.map((h) => h.payload.session_id));
  const written: Written[] = [];
  for (const h of hooks) written.push(yield* writeHook(deps, batch, h));
  yield* upsertSessions([...batch.sessions.values()].filter((row): row is SessionRow => row !== undefined));
  return written;
}

/** The batch in its own transaction under the hooks lock (steps: on SQLite one synchronous run, issue 12). */
async function storeHooks(
  deps: AgentsDeps,
  store: SqlStore,
  hooks: readonly ParsedHook[],
  pres?: PreMemory,
  failIfLocked = false,
): Promise<Written[]> {
  const batch: Batch = { sessions: new Map(), pres, preChanges: [], staged: new Map() };
  const written = await store.transaction((tx) => tx.steps(writeHooks(deps, batch, hooks)), { exclusive: HOOKS_LOCK, failIfLocked });
  for (const c of batch.preChanges)
    if (c.toolUseId === undefined) pres!.endSession(c.sessionId);
    else if (c.at === null) pres!.forget(c.sessionId, c.toolUseId);
    else pres!.remember(c.sessionId, c.toolUseId, c.at);
  return written;
}

/**
 * The Pre's received_at: this batch's, the committer's memory, else the session's recent hooks
 * (a restart, an evicted entry, ingestHook's one-off batches, or a Pre stored by another
 * instance on the same database: that read finds it, so several instances pair right).
 */
function* preOf(batch: Batch, sessionId: string, toolUseId: string): StoreSteps<number | undefined> {
  const staged = batch.staged.get(preKey(sessionId, toolUseId));
  const known = staged === undefined ? batch.pres?.get(sessionId, toolUseId) : staged;
  return known ?? (yield* findRecentPre(sessionId, toolUseId));
}

function* writeHook(deps: AgentsDeps, batch: Batch, h: ParsedHook): StoreSteps<Written> {
  const { payload, at } = h;
  const sessionId = payload.session_id;
  const event = payload.hook_event_name ?? "Unknown";
  const toolName = payload.tool_name ?? null;
  const toolUseId = payload.tool_use_id ?? null;
  const cwd = payload.cwd ?? null;
  const warnings: string[] = [];
  const events: WorkdeckEvent[] = [];
  const prev = batch.sessions.get(sessionId);
  const projectSlug = cwd ? projectForCwd(deps, cwd) : (prev?.project_slug ?? null);
  const workdeckSessionId = (yield* knownWorkdeckSession(h.workdeckSessionId, warnings)) ?? prev?.workdeck_session_id ?? null;

  let durationMs: number | null = null;
  let success: boolean | null = null;
  if (TOOL_DONE.has(event)) {
    success = event === "PostToolUse";
    const pre = toolUseId ? yield* preOf(batch, sessionId, toolUseId) : undefined;
    // The Pre/Post pair is the measure; the CLI's own duration_ms covers a Pre that never arrived.
    durationMs = toolDuration(pre !== undefined ? Math.max(0, at - Number(pre)) : payload.duration_ms, warnings);
    if (toolUseId && batch.pres) stagePre(batch, sessionId, toolUseId, null);
  } else if (event === "PreToolUse" && toolUseId && batch.pres) stagePre(batch, sessionId, toolUseId, at);
  else if (event === "SessionEnd" && batch.pres) batch.preChanges.push({ sessionId, at: null });

  const inserted = yield* step.run<{ id: number }>(INSERT_HOOK, [
    sessionId,
    event,
    toolName,
    toolUseId,
    cwd,
    projectSlug,
    workdeckSessionId,
    h.text,
    at,
    durationMs,
    success === null ? null : success ? 1 : 0,
  ]);
  const id = Number(inserted.row!.id);

  const next = nextSession(prev, { sessionId, event, at, toolName, toolUseId, payload, durationMs, success });
  next.project_slug = projectSlug;
  next.workdeck_session_id = workdeckSessionId;
  next.cwd = cwd ?? prev?.cwd ?? null;
  batch.sessions.set(sessionId, next);

  // The bus rows go in the same transaction as the hook row: both are stored, or neither.
  events.push(
    yield* deps.bus.recordSteps({ type: "agents.activity", projectSlug, sessionId, hookId: id, event, toolName, status: next.status }),
  );
  if (next.status === "needs_you" && (prev?.status !== "needs_you" || prev.needs_you_reason !== next.needs_you_reason)) {
    events.push(yield* deps.bus.recordSteps({ type: "agents.needsYou", projectSlug, sessionId, reason: next.needs_you_reason }));
  }
  if (next.status === "ended" && prev?.status !== "ended") events.push(yield* deps.bus.recordSteps(endedEvent(next)));
  const result = { id, sessionId, event, projectSlug, status: next.status, durationMs, ...(warnings.length ? { warnings } : {}) };
  return { result, events };
}

function stagePre(batch: Batch, sessionId: string, toolUseId: string, at: number | null): void {
  batch.staged.set(preKey(sessionId, toolUseId), at);
  batch.preChanges.push({ sessionId, toolUseId, at });
}

/**
 * One hook, stored now in its own transaction (the CLI and tests): validate, link to a project
 * by cwd, store the event, its session's summary and its bus events in ONE transaction, then
 * emit. Bad input throws AppError before anything is written. The server uses HookCommitter.
 */
export async function ingestHook(deps: AgentsDeps, input: HookIngestInput): Promise<HookIngestResult> {
  const h = parseHook(deps, input);
  const [written] = await storeHooks(deps, agentsStore(deps), [h]);
  await deps.bus.recordedCommitted(written!.events);
  return written!.result;
}

/** Events per transaction at most; past this a batch commits at once instead of waiting for the turn to end. */
const MAX_BATCH = 256;
/** While another writer holds the lock, a batch tries again this often, without blocking the event loop. */
const RETRY_MS = 1;

type Pending = { hook: ParsedHook; resolve(result: HookIngestResult): void; reject(err: unknown): void };

/** After the connection's default busy_timeout, a batch that never got the lock fails, as a waiting writer would. */
const BUSY_GIVE_UP_MS = 5000;

/**
 * Group commit for the server's hook endpoint: every event submitted during one turn of the
 * event loop (or MAX_BATCH of them) is stored in ONE port transaction; if it fails, each event is
 * retried in its own, so a failing one costs only itself. Its promise resolves after the commit,
 * so an answer never acknowledges an event a crash could still lose, and bus listeners hear of it
 * only then. One batch at a time: the next starts once this one has committed.
 *
 * On SQLite the batch runs synchronously inside the port's transaction (one quick transaction,
 * cached statements), and the write lock is asked for without waiting (issue 10 item 6): SQLite's
 * busy handler sleeps on the calling thread, which here is the event loop, so while a report
 * ingest held the lock no request was served. A batch that finds it taken stays queued, raises
 * the write-turn flag (the ingest worker gives way between two of its chunks) and tries again
 * RETRY_MS later, with whatever arrived meanwhile; after BUSY_GIVE_UP_MS it fails.
 */
export class HookCommitter {
  private queue: Pending[] = [];
  private scheduled = false;
  private flushing = false;
  private busySince: number | null = null;
  private readonly store: SqlStore;
  /** The open Pres this committer stored, so a Post usually pairs without a read (pre-memory.ts). */
  private readonly pres = new PreMemory();

  constructor(private readonly deps: AgentsDeps) {
    this.store = agentsStore(deps);
  }

  /** Validates at once (AppError, nothing queued) and resolves once the event is committed. */
  submit(input: HookIngestInput): Promise<HookIngestResult> {
    let hook: ParsedHook;
    try {
      hook = parseHook(this.deps, input);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<HookIngestResult>((resolve, reject) => {
      this.queue.push({ hook, resolve, reject });
      if (this.queue.length >= MAX_BATCH && this.busySince === null) void this.flush();
      else this.schedule();
    });
  }

  private schedule(delayMs = 0): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      void this.flush();
    };
    // setImmediate runs after this turn's I/O callbacks: every body that arrived with this one joins the batch.
    if (delayMs > 0) setTimeout(run, delayMs);
    else setImmediate(run);
  }

  /**
   * Commits what is queued now (or, if another writer holds the lock, leaves it queued and tries
   * again shortly). Never rejects: each event's own promise carries its outcome.
   */
  async flush(): Promise<void> {
    if (this.flushing) return;
    const batch = this.queue.splice(0);
    if (batch.length === 0) return;
    this.flushing = true;
    try {
      const outcomes = await this.commit(batch);
      if (!outcomes) return;
      this.busySince = null;
      releaseWriteTurn();
      // Emitted through the bus (in id order, each once) before any answer goes out.
      await this.deps.bus.recordedCommitted(outcomes.flatMap((o) => (o.ok ? o.events : []))).catch(() => {});
      for (const [i, o] of outcomes.entries()) {
        if (o.ok) batch[i]!.resolve(o.result);
        else batch[i]!.reject(o.err);
      }
    } finally {
      this.flushing = false;
      if (this.queue.length > 0) this.schedule(this.busySince === null ? 0 : RETRY_MS);
    }
  }

  /** Each event's outcome, or null when the batch went back to the queue to wait for the lock. */
  private async commit(batch: Pending[]): Promise<Outcome[] | null> {
    const hooks = batch.map((p) => p.hook);
    try {
      const written = await storeHooks(this.deps, this.store, hooks, this.pres, true);
      return written.map((w): Outcome => ({ ok: true, ...w }));
    } catch (err) {
      if (isBusy(err)) {
        this.busySince ??= performance.now();
        if (performance.now() - this.busySince < BUSY_GIVE_UP_MS) {
          // Not started: nothing was written. Back to the front of the queue, in order.
          this.queue.unshift(...batch);
          requestWriteTurn();
          return null;
        }
        return batch.map((): Outcome => ({ ok: false, err }));
      }
      // Rare (a constraint, a trigger, a full disk): each event alone, so one failure costs only itself.
      const outcomes: Outcome[] = [];
      for (const hook of hooks) {
        try {
          const [w] = await storeHooks(this.deps, this.store, [hook], this.pres, true);
          outcomes.push({ ok: true, ...w! });
        } catch (err) {
          outcomes.push({ ok: false, err });
        }
      }
      return outcomes;
    }
  }
}

/** SQLITE_BUSY (checked by code: the error class may come from another module copy). */
function isBusy(err: unknown): boolean {
  const code = typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined;
  return code === "SQLITE_BUSY";
}

type Outcome = ({ ok: true } & Written) | { ok: false; err: unknown };

/**
 * cwd -> project per project list (a rescan that changes the projects makes a new list): every
 * hook carries its cwd, and agents stay in a handful of folders.
 */
const cwdProjects = new WeakMap<readonly unknown[], Map<string, string | null>>();
const CWD_CACHE_LIMIT = 1000;

/** The project whose folder contains the cwd (the deepest, when projects nest). */
export function projectForCwd(deps: Pick<AgentsDeps, "projects">, cwd: string): string | null {
  const list = deps.projects.all();
  let cache = cwdProjects.get(list);
  if (!cache) cwdProjects.set(list, (cache = new Map()));
  const known = cache.get(cwd);
  if (known !== undefined) return known;
  const target = path.resolve(cwd);
  let best: { slug: string; length: number } | null = null;
  for (const p of list) {
    const root = path.resolve(p.path);
    if (target !== root && !target.startsWith(root.endsWith(path.sep) ? root : root + path.sep)) continue;
    if (!best || root.length > best.length) best = { slug: p.slug, length: root.length };
  }
  if (cache.size >= CWD_CACHE_LIMIT) cache.clear();
  cache.set(cwd, best?.slug ?? null);
  return best?.slug ?? null;
}
