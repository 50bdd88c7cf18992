import path from "node:path";
import { z } from "zod";
import type { Statement } from "better-sqlite3";
import type { Db } from "../db/client";
import { AppError } from "../app-error";
import type { EventBus } from "../events/bus";
import { requestWriteTurn, releaseWriteTurn } from "../db/write-turn";
import { knownWorkdeckSession, toolDuration } from "./hook-checks";
import type { ProjectRegistry } from "../projects/service";
import { HookPayloadSchema, type HookIngestResult, type HookPayload } from "@/lib/schemas/agents";
import type { WorkdeckConfig } from "@/lib/schemas/config";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import { endedEvent, nextSession, type SessionRow } from "./session-state";

export { endedEvent, type SessionRow } from "./session-state";

/** What the agents services need from the runtime; tests build it from a temp database and inject the clock. */
export type AgentsDeps = {
  db: Db;
  bus: EventBus;
  projects: Pick<ProjectRegistry, "all">;
  config: { config: Pick<WorkdeckConfig, "agents"> };
  now?: () => number;
};

export type HookIngestInput = {
  body: Uint8Array | string;
  /** When the hook fired, if it was delivered late (`workdeck hooks send` flushing its spool). */
  firedAt?: number;
  /** The Workdeck-launched session (issue 4) the agent runs for, from the launch environment. */
  workdeckSessionId?: number;
};

const TOOL_DONE = new Set(["PostToolUse", "PostToolUseFailure"]);

type Statements = {
  getSession: Statement<[string], SessionRow>;
  findPre: Statement<[string, string], { received_at: number }>;
  insertHook: Statement<
    [
      string,
      string,
      string | null,
      string | null,
      string | null,
      string | null,
      number | null,
      string,
      number,
      number | null,
      number | null,
    ]
  >;
  upsertSession: Statement<Record<string, unknown>>;
};

// Prepared once per connection: ingest runs thousands of times a second.
const statements = new WeakMap<Db, Statements>();
function prepared(db: Db): Statements {
  let s = statements.get(db);
  if (!s) {
    const sqlite = db.$client;
    s = {
      getSession: sqlite.prepare("SELECT * FROM agent_sessions WHERE session_id = ?"),
      findPre: sqlite.prepare(
        "SELECT received_at FROM hooks WHERE tool_use_id = ? AND session_id = ? AND event = 'PreToolUse' ORDER BY id DESC LIMIT 1",
      ),
      insertHook: sqlite.prepare(
        `INSERT INTO hooks (session_id, event, tool_name, tool_use_id, cwd, project_slug, workdeck_session_id, payload, received_at, duration_ms, success)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      upsertSession: sqlite.prepare(
        `INSERT INTO agent_sessions (session_id, project_slug, workdeck_session_id, cwd, status, needs_you_reason, started_at, last_event_at, last_event,
           current_tool, current_tool_use_id, tool_count, failure_count, duration_sum_ms, duration_count, prompt_count, event_count, ended_at, end_reason)
         VALUES (@session_id, @project_slug, @workdeck_session_id, @cwd, @status, @needs_you_reason, @started_at, @last_event_at, @last_event,
           @current_tool, @current_tool_use_id, @tool_count, @failure_count, @duration_sum_ms, @duration_count, @prompt_count, @event_count, @ended_at, @end_reason)
         ON CONFLICT (session_id) DO UPDATE SET project_slug = excluded.project_slug, workdeck_session_id = excluded.workdeck_session_id, cwd = excluded.cwd,
           status = excluded.status, needs_you_reason = excluded.needs_you_reason, last_event_at = excluded.last_event_at, last_event = excluded.last_event,
           current_tool = excluded.current_tool, current_tool_use_id = excluded.current_tool_use_id, tool_count = excluded.tool_count,
           failure_count = excluded.failure_count, duration_sum_ms = excluded.duration_sum_ms, duration_count = excluded.duration_count,
           prompt_count = excluded.prompt_count, event_count = excluded.event_count, ended_at = excluded.ended_at, end_reason = excluded.end_reason`,
      ),
    };
    statements.set(db, s);
  }
  return s;
}

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
 * Stores one event: its hook row, its session's summary row and its bus rows. The caller holds
 * the transaction and emits the returned events once it commits. Every statement is a lookup by
 * key or index (no query grows with the history: tests/integration/hooks-edge.test.ts checks the plans).
 */
function writeHook(deps: AgentsDeps, s: Statements, h: ParsedHook): { result: HookIngestResult; events: WorkdeckEvent[] } {
  const { payload, at } = h;
  const event = payload.hook_event_name ?? "Unknown";
  const toolName = payload.tool_name ?? null;
  const toolUseId = payload.tool_use_id ?? null;
  const cwd = payload.cwd ?? null;
  const warnings: string[] = [];
  const events: WorkdeckEvent[] = [];
  const prev = s.getSession.get(payload.session_id);
  const projectSlug = cwd ? projectForCwd(deps, cwd) : (prev?.project_slug ?? null);
  const workdeckSessionId = knownWorkdeckSession(deps.db, h.workdeckSessionId, warnings) ?? prev?.workdeck_session_id ?? null;

  let durationMs: number | null = null;
  let success: boolean | null = null;
  if (TOOL_DONE.has(event)) {
    success = event === "PostToolUse";
    const pre = toolUseId ? s.findPre.get(toolUseId, payload.session_id) : undefined;
    // The Pre/Post pair is the measure; the CLI's own duration_ms covers a Pre that never arrived.
    durationMs = toolDuration(pre ? Math.max(0, at - pre.received_at) : payload.duration_ms, warnings);
  }

  const id = Number(
    s.insertHook.run(
      payload.session_id,
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
    ).lastInsertRowid,
  );

  const next = nextSession(prev, { sessionId: payload.session_id, event, at, toolName, toolUseId, payload, durationMs, success });
  next.project_slug = projectSlug;
  next.workdeck_session_id = workdeckSessionId;
  next.cwd = cwd ?? prev?.cwd ?? null;
  s.upsertSession.run(next);

  // The bus rows go in the same transaction as the hook row: both are stored, or neither.
  events.push(
    deps.bus.append({
      type: "agents.activity",
      projectSlug,
      sessionId: payload.session_id,
      hookId: id,
      event,
      toolName,
      status: next.status,
    }),
  );
  if (next.status === "needs_you" && (prev?.status !== "needs_you" || prev.needs_you_reason !== next.needs_you_reason)) {
    events.push(deps.bus.append({ type: "agents.needsYou", projectSlug, sessionId: payload.session_id, reason: next.needs_you_reason }));
  }
  if (next.status === "ended" && prev?.status !== "ended") events.push(deps.bus.append(endedEvent(next)));
  const result = {
    id,
    sessionId: payload.session_id,
    event,
    projectSlug,
    status: next.status,
    durationMs,
    ...(warnings.length ? { warnings } : {}),
  };
  return { result, events };
}

/**
 * One hook, stored now in its own transaction (the CLI and tests): validate, link to a project
 * by cwd, store the event, its session's summary and its bus events in ONE transaction, then
 * emit. Bad input throws AppError before anything is written. The server uses HookCommitter.
 */
export function ingestHook(deps: AgentsDeps, input: HookIngestInput): HookIngestResult {
  const h = parseHook(deps, input);
  const s = prepared(deps.db);
  const { result, events } = deps.db.$client.transaction(() => writeHook(deps, s, h)).immediate();
  for (const e of events) deps.bus.emitCommitted(e);
  return result;
}

/** Events per transaction at most; past this a batch commits at once instead of waiting for the turn to end. */
const MAX_BATCH = 256;
/** While another writer holds the lock, a batch tries again this often, without blocking the event loop. */
const RETRY_MS = 1;

type Pending = { hook: ParsedHook; resolve(result: HookIngestResult): void; reject(err: unknown): void };

/**
 * Group commit for the server's hook endpoint: every event submitted during one turn of the
 * event loop (or MAX_BATCH of them) is stored in ONE transaction; if it fails, each event is
 * retried in its own, so a failing one costs only itself. Its promise resolves after the commit, so an answer never
 * acknowledges an event a crash could still lose, and bus listeners hear of it only then.
 *
 * The write lock is asked for without waiting (issue 10 item 6): SQLite's busy handler sleeps on
 * the calling thread, which here is the event loop, so while a report ingest held the lock no
 * request was served. A batch that finds it taken stays queued, raises the write-turn flag (the
 * ingest worker gives way between two of its chunks) and tries again RETRY_MS later, with
 * whatever arrived meanwhile; after the connection's busy_timeout it fails, as a waiting writer would.
 */
export class HookCommitter {
  private queue: Pending[] = [];
  private scheduled = false;
  private busySince: number | null = null;
  // Built once: better-sqlite3 wraps a transaction function anew on every .transaction() call.
  private readonly commitAllTx;
  private readonly commitOneTx;
  private readonly busyTimeoutMs: number;

  constructor(private readonly deps: AgentsDeps) {
    const sqlite = deps.db.$client;
    const s = prepared(deps.db);
    this.commitAllTx = sqlite.transaction((batch: Pending[]): Outcome[] =>
      batch.map((p): Outcome => ({ ok: true, ...writeHook(deps, s, p.hook) })),
    );
    this.commitOneTx = sqlite.transaction((hook: ParsedHook) => writeHook(deps, s, hook));
    this.busyTimeoutMs = sqlite.pragma("busy_timeout", { simple: true }) as number;
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
      if (this.queue.length >= MAX_BATCH && this.busySince === null) this.flush();
      else this.schedule();
    });
  }

  private schedule(delayMs = 0): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      this.flush();
    };
    // setImmediate runs after this turn's I/O callbacks: every body that arrived with this one joins the batch.
    if (delayMs > 0) setTimeout(run, delayMs);
    else setImmediate(run);
  }

  /** Commits what is queued now (or, if another writer holds the lock, leaves it queued and tries again shortly). */
  flush(): void {
    const batch = this.queue.splice(0);
    if (batch.length === 0) return;
    let outcomes: Outcome[];
    try {
      outcomes = this.commitAll(batch);
    } catch (err) {
      if (isBusy(err)) {
        this.busySince ??= performance.now();
        if (performance.now() - this.busySince < this.busyTimeoutMs) {
          // Not started: nothing was written. Back to the front of the queue, in order.
          this.queue.unshift(...batch);
          requestWriteTurn();
          this.schedule(RETRY_MS);
          return;
        }
        outcomes = batch.map((): Outcome => ({ ok: false, err }));
      } else {
        // Rare (a constraint, a trigger, a full disk): each event alone, so one failure costs only itself.
        outcomes = batch.map((p): Outcome => {
          try {
            return { ok: true, ...this.commitOne(p.hook) };
          } catch (err) {
            return { ok: false, err };
          }
        });
      }
    }
    this.busySince = null;
    releaseWriteTurn();
    for (const [i, o] of outcomes.entries()) {
      if (o.ok) for (const e of o.events) this.deps.bus.emitCommitted(e);
      if (o.ok) batch[i]!.resolve(o.result);
      else batch[i]!.reject(o.err);
    }
    if (this.queue.length > 0) this.schedule();
  }

  private commitAll(batch: Pending[]): Outcome[] {
    // exec, not a prepared statement (SQLite applies this pragma when it compiles it, not when it
    // runs) nor .pragma() (which reads rows back: six times the cost, per batch).
    const sqlite = this.deps.db.$client;
    sqlite.exec("PRAGMA busy_timeout = 0");
    try {
      return this.commitAllTx.immediate(batch);
    } finally {
      sqlite.exec(`PRAGMA busy_timeout = ${this.busyTimeoutMs}`);
    }
  }
  private commitOne(hook: ParsedHook): { result: HookIngestResult; events: WorkdeckEvent[] } {
    return this.commitOneTx.immediate(hook);
  }
}

/** SQLITE_BUSY (checked by code: the error class may come from another module copy). */
function isBusy(err: unknown): boolean {
  const code = typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined;
  return code === "SQLITE_BUSY";
}

type Outcome = { ok: true; result: HookIngestResult; events: WorkdeckEvent[] } | { ok: false; err: unknown };

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
