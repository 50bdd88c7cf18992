import { sql, type SQL } from "drizzle-orm";
import type { AccountState } from "@/lib/schemas/sessions";
import type { Db } from "../db/client";
import { SqliteStore, type SqlStore } from "../db/sql-store";

/**
 * The account pool's rows (`claude_accounts`) through the SQL port (issue 14): state, parking at
 * a usage limit, the last error and rate-limit info, usage counters. Every instance on the
 * database reads and writes the same rows, so an account parked by one is parked for all.
 */

export type AccountRow = {
  id: string;
  configDir: string | null;
  state: AccountState;
  limitedUntil: Date | null;
  lastRateLimit: unknown;
  lastError: string | null;
  sessionsCount: number;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
};

/** What `set` may change; an absent (undefined) field is left as it is. */
export type AccountChange = Partial<Pick<AccountRow, "state" | "limitedUntil" | "lastRateLimit" | "lastError">>;

type Raw = {
  id: string;
  config_dir: string | null;
  state: string;
  limited_until: number | string | null;
  last_rate_limit: string | null;
  last_error: string | null;
  sessions_count: number | string;
  cost_usd: number | string;
  input_tokens: number | string;
  output_tokens: number | string;
};

export class AccountRows {
  constructor(private readonly store: SqlStore) {}

  /** Adds a configured account, or updates its config dir (its state and counters stay). */
  async register(id: string, configDir: string | null, now = Date.now()): Promise<void> {
    await this.store.run(
      sql`INSERT INTO claude_accounts (id, config_dir, updated_at) VALUES (${id}, ${configDir}, ${now})
          ON CONFLICT (id) DO UPDATE SET config_dir = excluded.config_dir`,
    );
  }

  async get(id: string): Promise<AccountRow | undefined> {
    const r = await this.store.get<Raw>(sql`SELECT * FROM claude_accounts WHERE id = ${id}`);
    return r && fromRaw(r);
  }

  /**
   * Current state, releasing a parked account whose reset has passed. The release is conditional,
   * so a fresh park by another instance in the meantime is never undone.
   */
  async state(id: string, now = Date.now()): Promise<{ state: AccountState; limitedUntil: Date | null }> {
    await this.store.run(
      sql`UPDATE claude_accounts SET state = 'available', limited_until = NULL, updated_at = ${now}
          WHERE id = ${id} AND state = 'limited' AND limited_until IS NOT NULL AND limited_until <= ${now}`,
    );
    const row = await this.get(id);
    if (!row) return { state: "disabled", limitedUntil: null };
    return { state: row.state, limitedUntil: row.limitedUntil };
  }

  async set(id: string, change: AccountChange, now = Date.now()): Promise<void> {
    const parts: SQL[] = [];
    if (change.state !== undefined) parts.push(sql`state = ${change.state}`);
    if (change.limitedUntil !== undefined) parts.push(sql`limited_until = ${change.limitedUntil}`);
    if (change.lastRateLimit !== undefined)
      parts.push(sql`last_rate_limit = ${change.lastRateLimit === null ? null : JSON.stringify(change.lastRateLimit)}`);
    if (change.lastError !== undefined) parts.push(sql`last_error = ${change.lastError}`);
    parts.push(sql`updated_at = ${now}`);
    await this.store.run(sql`UPDATE claude_accounts SET ${sql.join(parts, sql`, `)} WHERE id = ${id}`);
  }

  /** Parks the account until `until` (a usage limit), with what the limit said. */
  async park(id: string, until: Date, info: unknown, message: string | null): Promise<void> {
    await this.set(id, { state: "limited", limitedUntil: until, lastRateLimit: info ?? undefined, lastError: message });
  }

  async addUsage(id: string, delta: { costUsd: number; inputTokens: number; outputTokens: number }, newSession: boolean): Promise<void> {
    await this.store.run(
      sql`UPDATE claude_accounts SET cost_usd = cost_usd + ${delta.costUsd}, input_tokens = input_tokens + ${delta.inputTokens},
          output_tokens = output_tokens + ${delta.outputTokens}, sessions_count = sessions_count + ${newSession ? 1 : 0},
          updated_at = ${Date.now()} WHERE id = ${id}`,
    );
  }
}

function fromRaw(r: Raw): AccountRow {
  return {
    id: r.id,
    configDir: r.config_dir,
    state: r.state as AccountState,
    limitedUntil: r.limited_until === null ? null : new Date(Number(r.limited_until)),
    lastRateLimit: r.last_rate_limit === null ? null : (JSON.parse(r.last_rate_limit) as unknown),
    lastError: r.last_error,
    sessionsCount: Number(r.sessions_count),
    costUsd: Number(r.cost_usd),
    inputTokens: Number(r.input_tokens),
    outputTokens: Number(r.output_tokens),
  };
}

/** The port for deps that may not carry one yet (runners built by tests from a bare SQLite Db): that connection's store. */
export function sqlStoreOf(deps: { db?: Db; sqlStore?: SqlStore }): SqlStore {
  if (deps.sqlStore) return deps.sqlStore;
  if (!deps.db) throw new Error("neither a SQL port nor a SQLite connection to make one");
  return SqliteStore.on(deps.db.$client);
}
