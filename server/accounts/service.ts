import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { AccountCheck, AccountState, ClaudeAccount } from "@/lib/schemas/sessions";
import type { LoadedConfig } from "../config";
import { resolveConfigPath } from "../config";
import type { Db } from "../db/client";
import type { SqlStore } from "../db/sql-store";
import { AppError } from "../app-error";
import { AccountRows, sqlStoreOf, type AccountChange } from "./rows";

/**
 * The account pool: the user's own Claude accounts from `claude.accounts`, each with its own
 * config dir (CLAUDE_CONFIG_DIR) and optionally a `claude setup-token` token read from the
 * env var the config names. With none configured, one implicit account uses the
 * environment's own login. A session sticks to its account (reference §7: switching per
 * request looks like abuse); it moves only after a usage limit or an auth failure.
 */
export const IMPLICIT_ACCOUNT = "default";

/** `runsOn: "worker"`: only a `workdeck worker` holding the account runs it (issue 14). */
export type PoolAccount = {
  id: string;
  configDir: string | null;
  oauthTokenEnv: string | null;
  implicit: boolean;
  runsOn: "server" | "worker";
  /** At most this many running sessions on the account across the database (null: no limit of its own). */
  maxConcurrent: number | null;
};

/** `sqlStore`: the rows through the SQL port (issue 14; absent = one over `db`'s connection). */
export type AccountsDeps = { db?: Db; config: LoadedConfig; sqlStore?: SqlStore };

/** A parked account gets a little past its reset (reference §7: re-probing early earns more 429s). */
const RESET_JITTER_MS = 5_000;
/** Parked this long when a usage limit names no reset time. */
export const UNKNOWN_RESET_PARK_MS = 60 * 60_000;

/** `claude auth status` is local and answers in well under a second (reference §6.3). */
const AUTH_STATUS_TIMEOUT_MS = 15_000;

export class AccountPool {
  readonly accounts: PoolAccount[];
  /** The last `claude auth status` per account (in memory: a restart re-checks). */
  private readonly checks = new Map<string, AccountCheck>();
  /** The credentials an account had when it was marked needs_login: a periodic check only releases it once they change. */
  private readonly rejected = new Map<string, string>();
  /** The account rows through the SQL port (issue 14), opened on first use: a `workdeck worker` has none. */
  private rowsOn: AccountRows | null = null;
  /** The configured accounts' rows, written once before anything reads them. */
  private registered: Promise<void> | null = null;

  constructor(private readonly deps: AccountsDeps) {
    const configured = deps.config.config.claude?.accounts ?? [];
    this.accounts = configured.length
      ? configured.map((a) => ({
          id: a.id,
          configDir: resolveConfigPath(a.configDir, deps.config.baseDir),
          oauthTokenEnv: a.oauthTokenEnv ?? null,
          implicit: false,
          runsOn: a.runsOn ?? "server",
          maxConcurrent: a.maxConcurrent ?? null,
        }))
      : [{ id: IMPLICIT_ACCOUNT, configDir: null, oauthTokenEnv: null, implicit: true, runsOn: "server", maxConcurrent: null }];
  }

  get rows(): AccountRows {
    return (this.rowsOn ??= new AccountRows(sqlStoreOf(this.deps)));
  }

  /** Registers the configured accounts (once): every read waits for it, so a first pick finds their rows. */
  ready(): Promise<void> {
    this.registered ??= (async () => {
      for (const a of this.accounts) await this.rows.register(a.id, a.configDir);
    })();
    return this.registered;
  }

  find(id: string): PoolAccount | undefined {
    return this.accounts.find((a) => a.id === id);
  }

  /** Current state, releasing a parked account whose reset has passed. */
  async state(id: string, now = Date.now()): Promise<{ state: AccountState; limitedUntil: Date | null }> {
    await this.ready();
    return this.rows.state(id, now);
  }

  /**
   * Why the account cannot run anything now, or null. A missing config dir or token env var
   * is a configuration problem the user fixes, so it disables the account with that message.
   */
  problem(a: PoolAccount, env: Record<string, string | undefined>): string | null {
    if (a.configDir && !fs.existsSync(a.configDir))
      return `Claude account "${a.id}": config directory ${a.configDir} does not exist (create it and log in: CLAUDE_CONFIG_DIR=${a.configDir} claude /login)`;
    if (a.oauthTokenEnv && !env[a.oauthTokenEnv])
      return `Claude account "${a.id}": environment variable ${a.oauthTokenEnv} (its OAuth token) is not set`;
    return null;
  }

  /**
   * The account a run goes to: the sticky one if it can run, else the first available in
   * config order (skipping `exclude`). Null with `until` = when the earliest parked one frees up.
   * `on`: the caller's transaction (the scheduler's claim), so the pick and the claim are one;
   * `now`: the claim's clock. `worker`: the ready accounts of the `workdeck worker` picking (issue
   * 14): only those, and their logins are its own to check; without it, the server's own runner
   * picks and never an account that `runsOn: "worker"` (`elsewhere`: such an account could take it).
   * `load`: sessions the account has running (or on their way to it) across the database; an
   * account at its `maxConcurrent` is skipped (`full`: one would take it once a run ends).
   * `held`: the pg-boss dispatcher routes for every holder at once (sessions/queue-pgboss.ts):
   * an account that runs on a worker counts when a live worker holds it; `busy`: one whose
   * holders have no free slot for another session is skipped like a full one.
   */
  async pick(opts: {
    sticky?: string | null;
    pinned?: string | null;
    exclude?: string[];
    env: Record<string, string | undefined>;
    on?: SqlStore;
    now?: number;
    worker?: readonly string[];
    load?: ReadonlyMap<string, number>;
    held?: ReadonlySet<string>;
    busy?: (accountId: string) => boolean;
  }): Promise<{ account: PoolAccount | null; until: Date | null; elsewhere?: boolean; full?: boolean }> {
    await this.ready();
    const rows = opts.on ? new AccountRows(opts.on) : this.rows;
    const now = opts.now ?? Date.now();
    const candidates = opts.pinned ? this.accounts.filter((a) => a.id === opts.pinned) : this.accounts;
    const ordered = opts.sticky
      ? [...candidates.filter((a) => a.id === opts.sticky), ...candidates.filter((a) => a.id !== opts.sticky)]
      : candidates;
    let until: Date | null = null;
    let elsewhere = false;
    let full = false;
    for (const a of ordered) {
      if (opts.exclude?.includes(a.id)) continue;
      if (opts.worker && !opts.worker.includes(a.id)) continue;
      if (opts.held && a.runsOn === "worker" && !opts.held.has(a.id)) {
        elsewhere = true;
        continue;
      }
      if ((a.maxConcurrent !== null && (opts.load?.get(a.id) ?? 0) >= a.maxConcurrent) || opts.busy?.(a.id)) {
        // Checked before its state: a limit is no reason to park or disable it.
        full = true;
        continue;
      }
      if (opts.worker || (opts.held && a.runsOn === "worker")) {
        const s = await rows.state(a.id, now);
        // A config problem the server saw is about its own disk, not the worker's.
        const configProblem = s.state === "disabled" && /does not exist|is not set/.test((await rows.get(a.id))?.lastError ?? "");
        if (s.state === "available" || configProblem) return { account: a, until: null };
        if (s.state === "limited" && s.limitedUntil && (!until || s.limitedUntil < until)) until = s.limitedUntil;
        // Its worker may bring it back (a login there) before any reset: nothing waits on a timer for it.
        if (opts.held) elsewhere = true;
        continue;
      }
      if (a.runsOn === "worker") {
        elsewhere = true;
        continue;
      }
      const problem = this.problem(a, opts.env);
      if (problem) {
        await rows.set(a.id, { state: "disabled", lastError: problem });
        continue;
      }
      const s = await rows.state(a.id, now);
      if (s.state === "disabled" && /does not exist|is not set/.test((await rows.get(a.id))?.lastError ?? "")) {
        await rows.set(a.id, { state: "available", lastError: null });
        return { account: a, until: null };
      }
      if (s.state === "available") return { account: a, until: null };
      if (s.state === "limited" && s.limitedUntil && (!until || s.limitedUntil < until)) until = s.limitedUntil;
    }
    return { account: null, until, elsewhere, full };
  }

  /** Environment of a `claude` child running on this account. */
  childEnv(a: PoolAccount, base: Record<string, string | undefined>): Record<string, string | undefined> {
    const env = { ...base };
    if (a.implicit) return env;
    env.CLAUDE_CONFIG_DIR = a.configDir ?? undefined;
    // Subscription accounts: an API key would win over the OAuth login (reference §6.2).
    delete env.ANTHROPIC_API_KEY;
    delete env.ANTHROPIC_AUTH_TOKEN;
    if (a.oauthTokenEnv) env.CLAUDE_CODE_OAUTH_TOKEN = base[a.oauthTokenEnv];
    else delete env.CLAUDE_CODE_OAUTH_TOKEN;
    return env;
  }

  /** Where the account's transcripts live (`<config dir>/projects`). */
  configDirOf(a: PoolAccount, base: Record<string, string | undefined>): string {
    return a.configDir ?? base.CLAUDE_CONFIG_DIR ?? path.join(base.HOME ?? "~", ".claude");
  }

  /** Parks the account past its reset: every instance on the database skips it until then. */
  async park(id: string, resetsAt: Date | null, info: unknown, message: string | null): Promise<Date> {
    const until = new Date((resetsAt?.getTime() ?? Date.now() + UNKNOWN_RESET_PARK_MS) + RESET_JITTER_MS);
    await this.ready();
    await this.rows.park(id, until, info, message);
    return until;
  }

  async needsLogin(id: string, message: string, env?: Record<string, string | undefined>): Promise<void> {
    const a = this.find(id);
    if (a && env) this.rejected.set(id, this.credentialFingerprint(a, env));
    await this.set(id, { state: "needs_login", lastError: message });
  }

  /**
   * Runs `claude auth status` with the account's CLAUDE_CONFIG_DIR and token (local, spends no
   * tokens; reference §6.3) and updates its state: a passing check makes a needs_login (or
   * config-problem disabled) account available, a failing one marks it needs_login. A passing
   * check does not prove the server accepts the token (only a request does), so the `periodic`
   * check releases a needs_login account only once its credentials changed since they were
   * rejected; an explicit recheck (the user says "I logged in") releases it at once.
   */
  async recheck(
    id: string,
    opts: { binary: string | undefined; env: Record<string, string | undefined>; periodic?: boolean },
  ): Promise<AccountCheck> {
    const a = this.find(id);
    if (!a) throw new AppError("NOT_FOUND", `No Claude account "${id}". Configured: ${this.accounts.map((x) => x.id).join(", ")}`);
    if (a.runsOn === "worker") {
      // Its login is on a worker (issue 14), out of this server's reach: a person asking says they
      // fixed it there, so the account is released and its next session is the check.
      const { state } = await this.state(id);
      if (!opts.periodic && (state === "needs_login" || state === "disabled")) await this.set(id, { state: "available", lastError: null });
      const check: AccountCheck = {
        at: new Date(),
        loggedIn: false,
        authMethod: null,
        subscriptionType: null,
        message: "The login is on a workdeck worker, not checked here: released, its next session tries it",
      };
      this.checks.set(id, check);
      return check;
    }
    const problem = this.problem(a, opts.env);
    if (problem) {
      await this.set(id, { state: "disabled", lastError: problem });
      const check: AccountCheck = { at: new Date(), loggedIn: false, authMethod: null, subscriptionType: null, message: problem };
      this.checks.set(id, check);
      return check;
    }
    if (!opts.binary) throw new AppError("UNPROCESSABLE", "No Claude Code binary found (set WORKDECK_CLAUDE_PATH)", "claude_missing");
    const check = await authStatus(opts.binary, this.childEnv(a, opts.env));
    this.checks.set(id, check);
    const { state } = await this.state(id);
    if (check.loggedIn) {
      const fingerprint = this.credentialFingerprint(a, opts.env);
      const unchanged = this.rejected.get(id) === fingerprint;
      if (state === "needs_login" && !(opts.periodic && unchanged)) {
        this.rejected.delete(id);
        await this.set(id, { state: "available", lastError: null });
      } else if (state === "disabled") await this.set(id, { state: "available", lastError: null });
    } else if (state !== "needs_login") {
      await this.set(id, {
        state: "needs_login",
        lastError: `claude auth status: not logged in${check.message ? ` (${check.message})` : ""}`,
      });
    }
    return check;
  }

  /** Ids of the accounts a periodic check looks at. */
  async needingLogin(): Promise<string[]> {
    const ids: string[] = [];
    for (const a of this.accounts) if ((await this.state(a.id)).state === "needs_login") ids.push(a.id);
    return ids;
  }

  /** Changes when the account's token env var or its credentials file changes (never stores the secret itself). */
  private credentialFingerprint(a: PoolAccount, env: Record<string, string | undefined>): string {
    const token = a.oauthTokenEnv ? (env[a.oauthTokenEnv] ?? "") : "";
    let mtime = 0;
    try {
      mtime = fs.statSync(path.join(this.configDirOf(a, env), ".credentials.json")).mtimeMs;
    } catch {
      // no credentials file
    }
    return createHash("sha256").update(`${token}\0${mtime}`).digest("hex");
  }

  recordRateLimit(id: string, info: unknown): Promise<void> {
    return this.set(id, { lastRateLimit: info });
  }

  async addUsage(id: string, delta: { costUsd: number; inputTokens: number; outputTokens: number }, newSession: boolean): Promise<void> {
    await this.ready();
    await this.rows.addUsage(id, delta, newSession);
  }

  async list(running: (id: string) => number): Promise<ClaudeAccount[]> {
    await this.ready();
    const out: ClaudeAccount[] = [];
    for (const a of this.accounts) {
      const s = await this.state(a.id);
      const row = (await this.rows.get(a.id))!;
      out.push({
        id: a.id,
        configDir: a.configDir,
        implicit: a.implicit,
        oauthTokenEnv: a.oauthTokenEnv,
        state: s.state,
        limitedUntil: s.limitedUntil,
        lastRateLimit: row.lastRateLimit ?? null,
        lastError: row.lastError,
        sessionsCount: row.sessionsCount,
        runningSessions: running(a.id),
        costUsd: row.costUsd,
        inputTokens: row.inputTokens,
        outputTokens: row.outputTokens,
        loginHint: s.state === "needs_login" ? loginHint(a) : null,
        lastCheck: this.checks.get(a.id) ?? null,
      });
    }
    return out;
  }

  /** Marks an account usable again (after a login). */
  reset(id: string): Promise<void> {
    return this.set(id, { state: "available", limitedUntil: null, lastError: null });
  }

  private async set(id: string, change: AccountChange): Promise<void> {
    await this.ready();
    await this.rows.set(id, change);
  }
}

/** Which command fixes a needs_login account. */
export function loginHint(a: PoolAccount): string {
  return a.oauthTokenEnv
    ? `Run \`claude setup-token\` and put the new token in ${a.oauthTokenEnv}, then restart Workdeck and recheck the account`
    : `Run \`${a.configDir ? `CLAUDE_CONFIG_DIR=${a.configDir} ` : ""}claude /login\`, then recheck the account`;
}

/** `claude auth status` (JSON; exit 0 = logged in, 1 = not). */
function authStatus(binary: string, env: Record<string, string | undefined>): Promise<AccountCheck> {
  return new Promise((resolve) => {
    execFile(
      binary,
      ["auth", "status"],
      { env: env as NodeJS.ProcessEnv, timeout: AUTH_STATUS_TIMEOUT_MS, maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        let parsed: { loggedIn?: unknown; authMethod?: unknown; subscriptionType?: unknown } = {};
        try {
          parsed = JSON.parse(stdout) as typeof parsed;
        } catch {
          // older versions or a broken binary: judged by the exit code
        }
        const exit = err ? ((err as NodeJS.ErrnoException & { code?: unknown }).code ?? 1) : 0;
        const loggedIn = exit === 0 && parsed.loggedIn !== false;
        const message = loggedIn
          ? null
          : stderr.trim().slice(0, 500) ||
            (typeof exit === "string"
              ? `could not run ${binary} (${exit})`
              : parsed.loggedIn === false
                ? `authMethod ${String(parsed.authMethod ?? "none")}`
                : `exit ${String(exit)}`);
        resolve({
          at: new Date(),
          loggedIn,
          authMethod: typeof parsed.authMethod === "string" ? parsed.authMethod : null,
          subscriptionType: typeof parsed.subscriptionType === "string" ? parsed.subscriptionType : null,
          message,
        });
      },
    );
  });
}
