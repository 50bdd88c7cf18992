import fs from "node:fs";
import path from "node:path";
import { AccountIdInputSchema, type AccountRecheckResult, type SessionOptions } from "@/lib/schemas/sessions";
import { AppError } from "../app-error";
import type { AccountPool, PoolAccount } from "../accounts/service";
import type { SessionsDeps } from "./deps";

/**
 * How sessions use the Claude account pool (accounts/service.ts): which accounts a launch may
 * use, rechecking logins, the child's environment for an account, and carrying a transcript
 * over when a session continues on another account.
 */

type Env = Record<string, string | undefined>;

/** Refuses a launch no configured account can run: an unknown pinned one, or none usable. */
export function assertUsableAccount(pool: AccountPool, options: SessionOptions, env: Env): void {
  if (options.accountId && !pool.find(options.accountId)) {
    throw new AppError(
      "BAD_REQUEST",
      `Unknown Claude account "${options.accountId}". Configured: ${pool.accounts.map((a) => a.id).join(", ")}`,
    );
  }
  // A worker's account has its login on the worker (issue 14): the server cannot check it here.
  const usable = pool.accounts.filter(
    (a) => (!options.accountId || a.id === options.accountId) && (a.runsOn === "worker" || !pool.problem(a, env)),
  );
  if (!usable.length) {
    const problems = pool.accounts.map((a) => pool.problem(a, env)).filter(Boolean);
    throw new AppError("UNPROCESSABLE", problems.join("; ") || "No usable Claude account", "no_account");
  }
}

export type RecheckContext = {
  pool: AccountPool;
  deps: Pick<SessionsDeps, "baseEnv" | "log">;
  binary: () => string | undefined;
  schedule: () => void;
  runningCount: (accountId?: string) => number;
};

/** `claude auth status` for one account, then its state (accounts.recheck). */
export async function recheckAccount(ctx: RecheckContext, raw: { id: string }): Promise<AccountRecheckResult> {
  const { id } = AccountIdInputSchema.parse(raw);
  if (!ctx.pool.find(id))
    throw new AppError("NOT_FOUND", `No Claude account "${id}". Configured: ${ctx.pool.accounts.map((a) => a.id).join(", ")}`);
  const check = await ctx.pool.recheck(id, { binary: ctx.binary(), env: ctx.deps.baseEnv });
  ctx.schedule();
  const account = (await ctx.pool.list((a) => ctx.runningCount(a))).find((a) => a.id === id)!;
  return { account, check };
}

/** The periodic check: every needs_login account, released only once its credentials changed. */
export async function recheckNeedsLogin(ctx: RecheckContext): Promise<string[]> {
  const released: string[] = [];
  for (const id of await ctx.pool.needingLogin()) {
    // Its login is on a worker: `claude auth status` here would say nothing about it.
    if (ctx.pool.find(id)?.runsOn === "worker") continue;
    const check = await ctx.pool.recheck(id, { binary: ctx.binary(), env: ctx.deps.baseEnv, periodic: true });
    if (check.loggedIn && (await ctx.pool.state(id)).state === "available") released.push(id);
  }
  if (released.length) {
    ctx.deps.log.info({ accounts: released }, "Claude accounts logged in again");
    ctx.schedule();
  }
  return released;
}

/**
 * The child's environment: the account's, our session id, and what `workdeck hooks send` reads
 * to reach this server. Never WORKDECK_TOKEN: an agent runs arbitrary code, so it gets a token
 * minted for this run that only posts hooks (security.ts) and dies with the run: `agentToken`,
 * which the run stores (auth/credentials.ts storeAgentToken) before the child starts.
 */
export function childEnv(
  pool: AccountPool,
  deps: Pick<SessionsDeps, "baseEnv" | "hooks">,
  account: PoolAccount,
  sessionId: number,
  agentToken: string | undefined,
): Env {
  const env: Env = { ...pool.childEnv(account, deps.baseEnv), CLAUDE_CODE_ENTRYPOINT: "sdk-ts", WORKDECK_SESSION_ID: String(sessionId) };
  delete env.WORKDECK_TOKEN;
  const h = deps.hooks;
  if (!h) return env;
  env.WORKDECK_URL = h.url;
  if (h.token && agentToken) env.WORKDECK_AGENT_TOKEN = agentToken;
  if (h.spoolDir) env.WORKDECK_SPOOL_DIR = h.spoolDir;
  return env;
}

/** Where this run's account and the previous one keep transcripts. */
export function transcriptDirs(pool: AccountPool, env: Env, account: PoolAccount, previousId: string | null): string[] {
  const previous = previousId ? pool.find(previousId) : undefined;
  return [account, ...(previous ? [previous] : [])].map((a) => pool.configDirOf(a, env));
}

/** Makes `--resume` work under another config dir (reference §6.4: transcripts are looked up only in the current one). */
export function copyTranscript(pool: AccountPool, env: Env, from: PoolAccount, to: PoolAccount, claudeSessionId: string): boolean {
  const src = path.join(pool.configDirOf(from, env), "projects");
  const dst = path.join(pool.configDirOf(to, env), "projects");
  if (src === dst || !fs.existsSync(src)) return false;
  for (const folder of fs.readdirSync(src)) {
    const file = path.join(src, folder, `${claudeSessionId}.jsonl`);
    if (!fs.existsSync(file)) continue;
    fs.mkdirSync(path.join(dst, folder), { recursive: true });
    fs.copyFileSync(file, path.join(dst, folder, `${claudeSessionId}.jsonl`));
    return true;
  }
  return false;
}
