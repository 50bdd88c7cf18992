import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { CanUseTool, Options, Query, SpawnOptions } from "@anthropic-ai/claude-agent-sdk";
import {
  classifyRun,
  parseMessage,
  RunAccounting,
  type ClaudeMessage,
  type Outcome,
  type ResultMessage,
} from "@/packages/claude-session/src/index";
import type { SessionOptions } from "@/lib/schemas/sessions";
import { AppError } from "../app-error";
import type { AccountPool, PoolAccount } from "../accounts/service";
import { HOOK_EVENTS, hookCommand, isOurHook } from "../agents/hooks-settings";
import { killGroup, killRunProcesses, PROCESS_MARK_VAR } from "./processes";
import { InputQueue } from "./state";
import { childEnv } from "./account-use";
import { sessionMcpServers, withWorkdeckTools } from "../mcp/attach";
import { sleep, type SessionsDeps } from "./deps";

/**
 * One Claude Code process of a run, wherever its messages go: the server's own runner stores
 * them (run.ts), a `workdeck worker` streams them to its server (cli/worker.ts). Both start the
 * process here and read it through a RunSink; what the end means stays with whoever owns the session.
 */

export type ActiveRun = {
  sessionId: number;
  accountId: string;
  /** The SDK query once the SDK is imported (lazily, on the first run). */
  query: Promise<Query>;
  input: InputQueue;
  abort: AbortController;
  child: ChildProcess | null;
  /** In the environment of every process of the run (session-processes.ts). */
  mark: string;
  exit: { code: number | null; signal: string | null } | null;
  stderr: string;
  /** Why we are ending it ourselves: "stopped" | "timeout" | "shutdown". */
  stopping: "stopped" | "timeout" | "shutdown" | null;
  timer: NodeJS.Timeout | null;
  done: Promise<void>;
};

export type RunTotals = { costUsd: number; inputTokens: number; outputTokens: number; numTurns: number };

/** How a run ended, as the claude-session classifier decided it, with what it spent. */
export type RunEnd = {
  outcome: Outcome;
  exit: { code: number | null; signal: string | null } | null;
  stderr: string | null;
  thrown: string | null;
  stopping: ActiveRun["stopping"];
  /** This run's spend, and the session's totals after it. */
  run: RunTotals;
  session: RunTotals;
};

/** Where a run's messages go. `totals`: the session's totals after a `result`, else null. */
export type RunSink = {
  message(raw: unknown, parsed: ClaudeMessage, totals: RunTotals | null): Promise<void>;
};

/** What starting one Claude Code process takes. */
export type ProcessSpec = {
  deps: Pick<SessionsDeps, "baseEnv" | "hooks" | "claudePath">;
  pool: AccountPool;
  account: PoolAccount;
  sessionId: number;
  projectSlug: string;
  cwd: string;
  options: SessionOptions;
  resumeId: string | null;
  text: string;
  mark: string;
  agentToken: string | undefined;
  canUseTool: CanUseTool | undefined;
  /** Resolves before the child starts (the agent token stored). */
  before?: Promise<unknown>;
  onPid?: (pid: number) => void;
};

/** Starts the process (the SDK imported on the first run); the run's `done` is the caller's to set. */
export function startProcess(spec: ProcessSpec): ActiveRun {
  const { deps, pool, account, options } = spec;
  const abort = new AbortController();
  const input = new InputQueue();
  input.push(spec.text);
  const active: ActiveRun = {
    sessionId: spec.sessionId,
    accountId: account.id,
    query: null as unknown as Promise<Query>,
    input,
    abort,
    child: null,
    mark: spec.mark,
    exit: null,
    stderr: "",
    stopping: null,
    timer: null,
    done: Promise.resolve(),
  };
  const env = childEnv(pool, deps, account, spec.sessionId, spec.agentToken);
  // Workdeck's own MCP server, scoped to the project, with this run's agent token (mcp/attach.ts).
  const mcpServers = sessionMcpServers(options.mcpServers, deps.hooks, spec.projectSlug, env.WORKDECK_AGENT_TOKEN);
  const sdkOptions: Options = {
    cwd: spec.cwd,
    env,
    settings: launchSettings(pool, deps, account, spec.cwd),
    pathToClaudeCodeExecutable: claudeBinary(deps.claudePath),
    abortController: abort,
    resume: spec.resumeId ?? undefined,
    model: options.model,
    fallbackModel: options.fallbackModel,
    permissionMode: options.permissionMode,
    // Asked of the user on the session page; bypassPermissions never asks.
    canUseTool: options.permissionMode === "bypassPermissions" ? undefined : spec.canUseTool,
    allowDangerouslySkipPermissions: options.permissionMode === "bypassPermissions" ? true : undefined,
    allowedTools: withWorkdeckTools(options.allowedTools, mcpServers),
    maxTurns: options.maxTurns,
    maxBudgetUsd: options.maxBudgetUsd,
    mcpServers: mcpServers as Options["mcpServers"],
    // The launch's sub-agent runs the main thread (overrides.agent).
    agents: options.agent && options.agentDefinition ? { [options.agent]: options.agentDefinition } : undefined,
    agent: options.agent && options.agentDefinition ? options.agent : undefined,
    strictMcpConfig: options.mcpServers ? true : undefined,
    // MCP server configs (their env and headers) over stdin rather than the command line other
    // users can read; an older binary named by WORKDECK_CLAUDE_PATH only reads them from argv.
    mcpServersDelivery: deps.claudePath ? "argv" : "initialize",
    // Own spawn: a process group per run (so a kill takes the tools' children too) and the pid
    // in the row (so a restarted server can kill an orphan).
    spawnClaudeCodeProcess: (o: SpawnOptions) => {
      const child = spawn(o.command, o.args, {
        cwd: o.cwd,
        env: { ...(o.env as NodeJS.ProcessEnv), [PROCESS_MARK_VAR]: spec.mark },
        stdio: ["pipe", "pipe", "pipe"],
        detached: true,
      });
      active.child = child;
      child.stderr?.on("data", (d: Buffer) => (active.stderr = (active.stderr + d.toString("utf8")).slice(-8_000)));
      child.on("exit", (code, signal) => (active.exit = { code, signal }));
      child.on("error", () => {});
      o.signal?.addEventListener("abort", () => child.pid && killGroup(child.pid, "SIGTERM"));
      if (child.pid) spec.onPid?.(child.pid);
      return child;
    },
  };
  // Imported on the first run: CLI commands and servers that never start one do not load the SDK (issue 12).
  active.query = Promise.all([import("@anthropic-ai/claude-agent-sdk"), spec.before]).then(([{ query }]) =>
    query({ prompt: input, options: sdkOptions }),
  );
  return active;
}

/**
 * Reads the run to its end: each message to `sink` in order, then the process's exit (killed if
 * it lingers), and the classifier's verdict. `afterMessages` runs once the stream is done
 * (pending permission requests are moot then).
 */
export async function driveRun(
  active: ActiveRun,
  sink: RunSink,
  prior: RunTotals,
  resumed: boolean,
  afterMessages: () => void,
): Promise<RunEnd> {
  const accounting = new RunAccounting(prior, resumed);
  const seen: ClaudeMessage[] = [];
  let last: ResultMessage | null = null;
  let thrown: string | null = null;
  try {
    for await (const raw of await active.query) {
      const m = parseMessage(raw);
      if (m.kind !== "stream_event") seen.push(m);
      if (m.kind === "result") {
        last = m.msg;
        accounting.observe(m.msg);
      }
      await sink.message(raw, m, m.kind === "result" ? accounting.session : null);
      if (m.kind === "result") active.input.resultArrived();
    }
  } catch (err) {
    thrown = (err as Error).message;
  }
  afterMessages();
  // The SDK may return before the child's exit event: give it a moment.
  for (let i = 0; i < 40 && active.child && !active.exit && active.child.exitCode === null && active.child.signalCode === null; i++)
    await sleep(25);
  const exit = active.exit ?? (active.child ? { code: active.child.exitCode, signal: active.child.signalCode } : null);
  if (active.timer) clearTimeout(active.timer);
  if (active.child?.pid && active.child.exitCode === null && active.child.signalCode === null) killGroup(active.child.pid, "SIGKILL");
  const outcome = classifyRun({ result: last, messages: seen, exitCode: exit?.code ?? null, signal: exit?.signal ?? null, thrown });
  // What its tools started outside Claude's group (setsid, nohup) ends with a stopped, timed-out,
  // shut-down or crashed run (issue 10 item 5); a completed run's background jobs are left be.
  if (active.stopping || outcome.kind === "crashed") killRunProcesses({ mark: active.mark, pid: null });
  return {
    outcome,
    exit,
    stderr: active.stderr.trim().slice(-2_000) || null,
    thrown,
    stopping: active.stopping,
    run: accounting.run,
    session: accounting.session,
  };
}

/**
 * The launch settings (`--settings`): our command hooks, so a launched session reports to the
 * agents view like any other, linked by WORKDECK_SESSION_ID. Skipped when the user or project
 * settings the child loads already carry them (`workdeck hooks install`): they would fire twice.
 */
function launchSettings(
  pool: AccountPool,
  deps: Pick<SessionsDeps, "hooks" | "baseEnv">,
  account: PoolAccount,
  cwd: string,
): Options["settings"] {
  const h = deps.hooks;
  if (!h) return undefined;
  const files = [
    path.join(pool.configDirOf(account, deps.baseEnv), "settings.json"),
    path.join(cwd, ".claude", "settings.json"),
    path.join(cwd, ".claude", "settings.local.json"),
  ];
  if (files.some(hasOurHooks)) return undefined;
  const command = hookCommand(h.appRoot);
  const hooks: Record<string, { matcher?: string; hooks: { type: "command"; command: string; timeout: number }[] }[]> = {};
  for (const { event, matcher } of HOOK_EVENTS)
    hooks[event] = [{ ...(matcher ? { matcher } : {}), hooks: [{ type: "command", command, timeout: 5 }] }];
  return { hooks } as Options["settings"];
}

/** The `claude` binary: WORKDECK_CLAUDE_PATH, else the one the SDK ships. */
export function claudeBinary(configured: string | undefined): string | undefined {
  if (configured) {
    try {
      fs.accessSync(configured, fs.constants.X_OK);
      if (!fs.statSync(configured).isFile()) throw new Error("not a file");
    } catch {
      throw new AppError(
        "UNPROCESSABLE",
        `The Claude Code binary ${configured} (WORKDECK_CLAUDE_PATH) does not exist or is not executable`,
        "claude_missing",
      );
    }
    return configured;
  }
  return bundledBinary();
}

function bundledBinary(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const pkg = require.resolve(`@anthropic-ai/claude-agent-sdk-${process.platform}-${process.arch}/package.json`);
    const bin = path.join(path.dirname(pkg), process.platform === "win32" ? "claude.exe" : "claude");
    return fs.existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

/** The stored type of a message: its `type`, and `system/<subtype>` for system messages. */
export function eventType(raw: unknown): string {
  const m = raw as { type?: unknown; subtype?: unknown };
  const type = typeof m?.type === "string" ? m.type : "unknown";
  return type === "system" && typeof m.subtype === "string" ? `system/${m.subtype}` : type;
}

/** Whether a settings file already runs `workdeck hooks send` (unreadable or absent: no). */
function hasOurHooks(file: string): boolean {
  try {
    const settings = JSON.parse(fs.readFileSync(file, "utf8")) as {
      hooks?: Record<string, { hooks?: { type?: unknown; command?: unknown }[] }[]>;
    };
    return Object.values(settings.hooks ?? {}).some((groups) => groups.some((g) => (g.hooks ?? []).some((hook) => isOurHook(hook))));
  } catch {
    return false;
  }
}
