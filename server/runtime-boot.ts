import path from "node:path";
import { startCheckpointer } from "./db/checkpointer";
import { inheritedEnvironment, readSecret, type WorkdeckEnv } from "./env";
import { createLogger } from "./logger";
import { intervalJob, LeaderElection } from "./leader";
import { startEventRelay } from "./events/relay";
import { RUNTIME_KEY, type Runtime, type RuntimeHolder } from "./runtime";
import { HookCommitter, sweepEnded } from "./agents/service";
import { startRetention } from "./db/retention";
import { OpenSpecService } from "./specs/service";
import { sweepWorktrees } from "./sessions/land";
import { NotificationService } from "./notifications/service";
import { startBackground } from "./automations/background";
import { watchDependencies } from "./dependencies/service";
import { watchHealth } from "./sessions/health";
import { SessionRunner } from "./sessions/service";
import { interruptLostWorkers } from "./workers/sessions";
import { WorkCache } from "./work/cache";
import { openStore, registerProjects } from "./store";
import { OpenSpecWatcher } from "./specs/watcher";

export type { Runtime } from "./runtime";

type RuntimeOptions = {
  /** Watch openspec folders for edits (off for one-shot CLI commands). */
  watch?: boolean;
  /** Warm the OpenSpec cache before returning. */
  warm?: boolean;
  /** Recover and schedule sessions at start (default: when watching, i.e. the server). */
  sessions?: boolean;
  /** Checkpoint the WAL from a background thread, not inside commits (default: when watching, i.e. the server). */
  checkpoint?: boolean;
};

export function startRuntime(env: WorkdeckEnv, opts: RuntimeOptions = {}): Promise<Runtime> {
  const holder = globalThis as RuntimeHolder;
  holder[RUNTIME_KEY] ??= createRuntime(env, opts).catch((err) => {
    delete holder[RUNTIME_KEY];
    throw err;
  });
  return holder[RUNTIME_KEY];
}

export async function stopRuntime(): Promise<void> {
  const holder = globalThis as RuntimeHolder;
  const existing = holder[RUNTIME_KEY];
  delete holder[RUNTIME_KEY];
  if (existing) await (await existing).close();
}

export async function createRuntime(env: WorkdeckEnv, opts: RuntimeOptions = {}): Promise<Runtime> {
  const log = createLogger(env.logLevel);
  const store = await openStore(env);
  const { config, db, sqlStore, bus, projects } = store;
  // SQLite's WAL only: PostgreSQL checkpoints itself.
  const checkpointer = db && (opts.checkpoint ?? opts.watch) ? startCheckpointer(db, env.appRoot) : null;
  const openspec = new OpenSpecService(projects, bus, log);
  const watcher = opts.watch ? new OpenSpecWatcher(openspec, log) : null;
  // A long-running server also relays events other processes stored (CLI ingest, other instances: Redis when set).
  const relay = opts.watch ? startEventRelay(bus, { ...env, dialect: sqlStore.dialect }, log) : null;
  // Background jobs run in one server per database (issue 14): registered below, started by start().
  const leader = opts.watch ? new LeaderElection({ sqlStore, log }, "leader", env.leaderTtlMs) : null;
  const warnings: string[] = [];

  async function rescan() {
    const found = await registerProjects(store, (removed) => {
      for (const slug of removed) openspec.invalidateProject(slug);
    });
    // Logged when they first appear, not on every rescan (a skipped link would repeat every few minutes).
    const known = new Set(warnings);
    for (const w of found.warnings) if (!known.has(w)) log.warn(w);
    warnings.splice(0, warnings.length, ...found.warnings);
    await openspec.recoverInterruptedWrites();
    if (watcher) await watcher.watch(projects.all());
  }

  await rescan();

  // Sessions (issue 4): runs left `running` by a previous process become interrupted, their
  // orphaned claude process groups are killed, and queued sessions start.
  const sessions = new SessionRunner({
    db,
    sqlStore,
    bus,
    projects,
    openspec,
    config,
    log,
    claudePath: env.claudePath,
    baseEnv: inheritedEnvironment(),
    worktreesDir: path.join(env.dbPath === ":memory:" ? env.appRoot : path.dirname(env.dbPath), "worktrees"),
    // Launched sessions report their hook events back to this server, linked to their session.
    hooks: { appRoot: env.appRoot, url: `http://${hookHost(env.host)}:${env.port}`, token: env.token },
    isLeader: leader ? () => leader.isLeader() : undefined,
  });
  // Only the server does: a one-shot CLI command must not mark another process's sessions interrupted.
  if (opts.sessions ?? opts.watch) await sessions.recover();
  // Dependencies (issue 17): archives are written down; the server's queue rechecks blocked sessions
  // when a blocker may have moved (a CLI process never starts sessions).
  // Agent health (issue 17): the server watches its running sessions' heartbeats.
  leader?.whileLeading("session health", () => watchHealth({ sqlStore, bus, log, stuckMinutes: config.config.agents?.stuckMinutes }));
  // Workers (issue 14): a worker silent past the limit loses its sessions (interrupted, resumable elsewhere).
  const sweepWorkers = () => interruptLostWorkers({ sqlStore, config, bus, sessions, lostAfterMs: env.workerLostMs });
  const sweepMs = Math.min(5_000, Math.max(250, (env.workerLostMs ?? 60_000) / 4));
  leader?.whileLeading("worker sweep", intervalJob(log, "worker sweep", sweepWorkers, sweepMs, sweepMs));
  const stopDependencies = watchDependencies(
    { db, sqlStore, bus, projects },
    (opts.sessions ?? opts.watch) ? () => sessions.schedule() : undefined,
  );
  // Sessions another process queued (`workdeck mcp` over stdio only queues) start here; their bus rows arrive by polling.
  if (opts.sessions ?? opts.watch)
    bus.on((e) => e.type === "sessions.updated" && e.status === "queued" && setImmediate(() => sessions.schedule()));
  if (opts.warm) await openspec.warm();

  const rescanMs = (config.config.rescanMinutes ?? 5) * 60_000;
  leader?.whileLeading("rescan", intervalJob(log, "rescan", rescan, rescanMs));
  // The others follow the leader's rescans: their registries and watchers are their own.
  const offRescan = leader
    ? bus.on(
        (e) => e.type === "projects.changed" && !leader.isLeader() && void rescan().catch((err) => log.error({ err }, "rescan failed")),
      )
    : null;
  // Agents (issue 5): a Stop nothing followed for the idle period ends the session, with a notice.
  leader?.whileLeading(
    "agents sweep",
    intervalJob(log, "agents sweep", () => sweepEnded({ sqlStore, bus, projects, config }), 30_000),
  );
  // Worktree retention (issue 11): hourly, and once shortly after start.
  const retentionDays = config.config.claude?.worktreeRetentionDays;
  const sweep = async () => {
    try {
      const removed = await sweepWorktrees({ sqlStore, bus, projects, log }, { days: retentionDays! });
      if (removed.length) log.info({ sessions: removed }, "removed session worktrees past their retention");
    } catch (err) {
      log.error({ err }, "worktree retention sweep failed");
    }
  };
  if (retentionDays) leader?.whileLeading("worktree retention", intervalJob(log, "worktree retention", sweep, 3600_000, 5_000));
  // Hook events and bus events past `retention.days` (issue 10 item 8): soon after start, then hourly.
  leader?.whileLeading("history retention", () => startRetention({ sqlStore, config, log }));
  // Notifications (issue 6): the server only (it also relays events CLI processes store), off the bus; the leader delivers.
  const workCache = new WorkCache(bus);
  const hookCommitter = new HookCommitter({ sqlStore, bus, projects, config });
  const notifications = opts.watch
    ? new NotificationService({
        sqlStore,
        bus,
        config,
        log,
        readSecret: (name) => readSecret(name),
        baseUrl: (
          config.config.notifications?.baseUrl ?? `http://${env.host.includes(":") ? `[${env.host}]` : env.host}:${env.port}`
        ).replace(/\/$/, ""),
      })
    : null;
  if (notifications) leader?.whileLeading("notifications", () => (notifications.start(), { close: () => notifications.stop() }));
  // Automations and the Railway poller (issue 15): the server only, one process per database (the leader's lock).
  const background = opts.watch
    ? startBackground({ sqlStore, bus, config, sessions, log, readSecret: (name) => readSecret(name), lock: leader?.lock })
    : null;
  leader?.start();

  return {
    ...store,
    openspec,
    sessions,
    notifications,
    workCache,
    hookCommitter,
    log,
    warnings,
    rescan,
    async close() {
      offRescan?.();
      await leader?.close();
      stopDependencies();
      await background?.close();
      await notifications?.close();
      workCache.close();
      await relay?.close();
      await watcher?.close();
      await sessions.close();
      await checkpointer?.close();
      await store.close();
    },
  };
}

/** The address a local child reaches this server at (a wildcard listen address is reached on loopback). */
function hookHost(host: string): string {
  if (host === "0.0.0.0" || host === "::" || host === "") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}
