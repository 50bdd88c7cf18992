import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { WorkerAccountSchema, WorkerClaim, WorkerHeartbeatResult, WorkerPollResult } from "@/lib/schemas/workers";
import { backoffDelay } from "@/lib/backoff";
import type { z } from "zod";
import { AccountPool } from "../accounts/service";
import { loadConfig, type LoadedConfig } from "../config";
import { inheritedEnvironment, readEnv } from "../env";
import { WorkerCallError, WorkerClient } from "./worker-client";
import { WorkerRun } from "./worker-run";

/**
 * `workdeck worker` (issue 14): runs Claude Code sessions for the accounts whose logins are on
 * this machine, for a Workdeck server elsewhere. It heartbeats (which accounts it holds and
 * whether each is ready, never a credential), claims sessions up to --max-concurrent, streams
 * their messages back and long-polls for what people ask of them. An unreachable server or a
 * refused token is said in one line and retried with backoff; SIGTERM ends its runs (their
 * sessions become interrupted, resumable elsewhere) and exits.
 */

export type WorkerOptions = { server: string; token?: string; name?: string; accounts?: string; maxConcurrent: number };

const IDLE_CLAIM_MS = 1_000;

/** The accounts this worker runs: its config's, narrowed to --accounts (an id its config lacks is an error). */
function workerConfig(loaded: LoadedConfig, wanted: string[] | null): LoadedConfig {
  const accounts = loaded.config.claude?.accounts ?? [];
  const missing = (wanted ?? []).filter((id) => !accounts.some((a) => a.id === id));
  if (missing.length)
    throw new Error(
      `--accounts names ${missing.map((id) => `"${id}"`).join(", ")}, not in this machine's claude.accounts (${accounts.map((a) => a.id).join(", ") || "none"})`,
    );
  const chosen = wanted ? accounts.filter((a) => wanted.includes(a.id)) : accounts;
  if (!chosen.length) throw new Error("this machine's config lists no claude.accounts: a worker runs configured accounts only");
  return { ...loaded, config: { ...loaded.config, claude: { ...loaded.config.claude, accounts: chosen } } };
}

function defaultName(): string {
  return (
    os
      .hostname()
      .replace(/[^A-Za-z0-9._-]/g, "-")
      .replace(/^[^A-Za-z0-9]+/, "")
      .slice(0, 64) || "worker"
  );
}

export async function runWorker(opts: WorkerOptions): Promise<void> {
  const env = readEnv();
  const token = opts.token ?? env.token;
  const name = opts.name ?? defaultName();
  const max = opts.maxConcurrent;
  if (!Number.isInteger(max) || max < 1 || max > 64) throw new Error("--max-concurrent must be a whole number from 1 to 64");
  const client = new WorkerClient(opts.server, token);
  const wanted = opts.accounts
    ? opts.accounts
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : null;
  const config = workerConfig(await loadConfig({ appRoot: env.appRoot, configPath: env.configPath }), wanted);
  const pool = new AccountPool({ config });
  const baseEnv = inheritedEnvironment();
  const version = (JSON.parse(fs.readFileSync(path.join(env.appRoot, "package.json"), "utf8")) as { version: string }).version;
  const log = (line: string) => process.stdout.write(`workdeck worker ${name}: ${line}\n`);
  const runs = new Map<number, WorkerRun>();
  let closing = false;

  const readiness = (): z.input<typeof WorkerAccountSchema>[] =>
    pool.accounts.map((a) => {
      const problem = pool.problem(a, baseEnv);
      return { id: a.id, ready: !problem, reason: problem ? problem.slice(0, 200) : null };
    });

  // One line per change of the server's reachability, not one per failed call.
  let lastProblem: string | null = null;
  const reachable = (err: unknown | null) => {
    const text = err ? (err as Error).message : null;
    if (text === lastProblem) return;
    lastProblem = text;
    log(text ? `${text}; retrying with backoff` : `connected to ${client.url}`);
  };

  let heartbeatMs = 5_000;
  async function beat(): Promise<void> {
    const r = await client.call<WorkerHeartbeatResult>("workers.heartbeat", {
      name,
      accounts: readiness(),
      capacity: max,
      running: [...runs.keys()],
      version,
      host: os.hostname().slice(0, 255),
    });
    heartbeatMs = r.heartbeatMs;
  }

  /** Retries `fn` with backoff while the server is unreachable or refuses the token; another refusal is fatal. */
  async function persist(fn: () => Promise<void>): Promise<void> {
    for (let attempt = 0; !closing; attempt++) {
      try {
        await fn();
        reachable(null);
        return;
      } catch (err) {
        if (!(err instanceof WorkerCallError) || !err.transient) throw err;
        reachable(err);
        await sleep(backoffDelay(attempt, { baseMs: 1_000, maxMs: 30_000, jitter: true }));
      }
    }
  }

  await persist(beat);
  log(`holding ${pool.accounts.map((a) => a.id).join(", ")} for ${client.url} (at most ${max} at once)`);

  const heartbeats = (async () => {
    while (!closing) {
      await sleep(heartbeatMs);
      if (closing) break;
      await beat().then(
        () => reachable(null),
        (err: unknown) => reachable(err),
      );
    }
  })();

  // The poll in flight: a new run aborts it, so the next one asks about that session too.
  const inFlight: { poll: AbortController | null } = { poll: null };
  // A run that ends frees a slot: the claim loop asks at once instead of at its next idle tick.
  const slotFreed = { wake: () => {} };
  const idle = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, IDLE_CLAIM_MS);
      slotFreed.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const claims = (async () => {
    while (!closing) {
      const ready = readiness()
        .filter((a) => a.ready)
        .map((a) => a.id);
      if (runs.size >= max || !ready.length) {
        await idle();
        continue;
      }
      let claim: WorkerClaim | null = null;
      try {
        claim = await client.call<WorkerClaim | null>("workers.claim", { name, accounts: ready });
        reachable(null);
      } catch (err) {
        if (closing) break;
        if (err instanceof WorkerCallError && err.code === "CONFLICT") await beat().catch(() => {});
        else reachable(err);
        await sleep(IDLE_CLAIM_MS);
        continue;
      }
      if (!claim) {
        await sleep(IDLE_CLAIM_MS);
        continue;
      }
      log(`session ${claim.sessionId}: running on ${claim.accountId}`);
      try {
        const run = new WorkerRun({ name, client, pool, deps: { baseEnv, claudePath: env.claudePath, appRoot: env.appRoot }, log }, claim);
        runs.set(run.sessionId, run);
        void run.done.finally(() => {
          runs.delete(run.sessionId);
          slotFreed.wake();
        });
        // The running poll does not know this session yet.
        inFlight.poll?.abort();
        // Claimed just as the worker was told to stop: it ends like the others (interrupted, resumable).
        if (closing) run.shutdown();
      } catch (err) {
        log(`session ${claim.sessionId}: could not start: ${(err as Error).message}`);
      }
    }
  })();

  const polls = (async () => {
    while (!closing) {
      if (!runs.size) {
        await sleep(250);
        continue;
      }
      const pollAbort = (inFlight.poll = new AbortController());
      try {
        const sessions = [...runs.values()].map((r) => ({ sessionId: r.sessionId, after: r.after }));
        const r = await client.call<WorkerPollResult>("workers.poll", { name, sessions, waitMs: 20_000 }, pollAbort.signal);
        await heldForTests();
        for (const c of r.commands) runs.get(c.sessionId)?.command(c);
        for (const id of r.gone) {
          log(`session ${id}: no longer this worker's; ending its run`);
          runs.get(id)?.drop();
        }
      } catch (err) {
        if (pollAbort.signal.aborted) continue;
        reachable(err);
        await sleep(1_000);
      }
    }
  })();

  await new Promise<void>((resolve) => {
    const stop = () => {
      if (closing) return;
      closing = true;
      inFlight.poll?.abort();
      log(`stopping: ending ${runs.size} run(s)`);
      for (const run of runs.values()) run.shutdown();
      resolve();
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  // Bounded: each run reports its end (interrupted) before the worker exits.
  await Promise.race([Promise.allSettled([...runs.values()].map((r) => r.done)), sleep(10_000)]);
  void heartbeats;
  void claims;
  void polls;
  process.exit(0);
}

/**
 * Tests only: while the file WORKDECK_TEST_WORKER_HOLD_POLLS names exists, what a long poll
 * brought waits, as a slow network would hold it (what the run fetches at its result does not).
 */
async function heldForTests(): Promise<void> {
  const file = process.env.WORKDECK_TEST_WORKER_HOLD_POLLS;
  while (file && fs.existsSync(file)) await sleep(100);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
