/**
 * One way for services to reach the database on either dialect (issue 14). Queries are Drizzle
 * `sql` templates: values stay parameters, and each dialect renders its own placeholders (`?`
 * or `$1`). Where the dialects differ (exclusive transactions, upserts, JSON) the difference
 * lives here or in dialect-sql.ts, never in a service.
 *
 * Values cross as the SQLite schema stores them, in both: Date → epoch ms, boolean → 0/1.
 */
import fs from "node:fs";
import type Database from "better-sqlite3";
import { sql, type SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { SQLiteSyncDialect } from "drizzle-orm/sqlite-core";
import type pg from "pg";
import { renderSqliteQuery } from "./sqlite-render";
import { PreparedQuery, type Params, type Query, type StoreSteps } from "./store-steps";

export { PreparedQuery, step, type Params, type Query, type StoreStep, type StoreSteps } from "./store-steps";

export type Dialect = "sqlite" | "postgres";

export type TransactionOptions = {
  /**
   * Writers that must not interleave (a claim that reads, then inserts): SQLite takes the write
   * lock at BEGIN (IMMEDIATE); PostgreSQL takes a transaction-scoped advisory lock on this key.
   */
  exclusive?: string;
  /**
   * SQLite: BEGIN does not wait for another connection's write lock (the busy handler would sleep
   * on the event loop): it throws SQLITE_BUSY at once, nothing written, and the caller tries again
   * later. PostgreSQL: no effect (its waits do not block the event loop).
   */
  failIfLocked?: boolean;
  /**
   * Reads that must agree with each other (a plan computed from several queries): PostgreSQL runs
   * the transaction REPEATABLE READ READ ONLY, one snapshot for all its statements (READ COMMITTED
   * takes one per statement). SQLite's deferred BEGIN already reads one snapshot (WAL).
   */
  snapshot?: boolean;
};

/** What the database weighs (Settings): a SQLite file and its write-ahead log, or a PostgreSQL database. */
export type StorageSize = {
  /** The main file (PostgreSQL: the whole database); null for an in-memory database. */
  fileBytes: number | null;
  /** SQLite's write-ahead log beside the file (PostgreSQL: 0, its WAL is the server's). */
  walBytes: number | null;
  /** Space freed by deletes inside the file, reused before it grows (PostgreSQL: 0, not measured). */
  freeBytes: number;
};

export interface SqlStore {
  readonly dialect: Dialect;
  /**
   * Runs the statements `body` yields, in order, each one's result handed back (an error is thrown
   * into it). SQLite runs them all at once, synchronously: a batch of many statements costs one
   * promise, not one per statement (issue 12). A `lock` step needs a transaction. Steps may also
   * run a PreparedQuery with its values, for statements too hot to render a template each time.
   */
  steps<T>(body: StoreSteps<T>): Promise<T>;
  all<T>(query: SQL): Promise<T[]>;
  get<T>(query: SQL): Promise<T | undefined>;
  /** Rows as arrays, in the order selected: cheaper than objects for long, wide reads (the Errors list). */
  values(query: SQL): Promise<unknown[][]>;
  /** Rows changed, and the first returned row when the statement has RETURNING. */
  run<T = unknown>(query: SQL): Promise<{ changes: number; row?: T }>;
  transaction<T>(fn: (tx: SqlStore) => Promise<T>, opts?: TransactionOptions): Promise<T>;
  /** The database's size on disk (Settings): SQLite's file and WAL from the file system, PostgreSQL's pg_database_size. */
  size(): Promise<StorageSize>;
}

const sqliteDialect = new SQLiteSyncDialect();
const pgDialect = new PgDialect();

function bindable(v: unknown): unknown {
  if (v instanceof Date) return v.getTime();
  if (typeof v === "boolean") return v ? 1 : 0;
  return v;
}

/** A prepared query's values, copied only when one needs converting (most are strings, numbers, null). */
function bindAll(params: Params): unknown[] {
  for (const v of params) if (v instanceof Date || typeof v === "boolean") return params.map(bindable);
  return params as unknown[];
}

// ----- SQLite ---------------------------------------------------------------------------

/** A cached statement; for a one-row INSERT … RETURNING id, its twin without RETURNING (null: none). */
type Cached = { statement: Database.Statement; insertWithoutReturning?: Database.Statement | null };

/** A write; with RETURNING, the rows it returned are the rows it changed. */
function runStatement<T>(db: Database.Database, c: Cached, params: unknown[]): { changes: number; row?: T } {
  const s = c.statement;
  if (!s.reader) return { changes: s.run(...params).changes };
  if (c.insertWithoutReturning === undefined) c.insertWithoutReturning = insertWithoutReturning(db, s.source);
  if (c.insertWithoutReturning) {
    // run() + lastInsertRowid: about 2.5 µs less than reading the RETURNING row back (issue 12).
    const info = c.insertWithoutReturning.run(...params);
    return { changes: info.changes, row: info.changes ? ({ id: Number(info.lastInsertRowid) } as T) : undefined };
  }
  const rows = s.all(...params) as T[];
  return { changes: rows.length, row: rows[0] };
}

/** One VALUES row (no nested parentheses, no upsert clause) whose RETURNING names only `id`. */
const ONE_ROW_INSERT_RETURNING_ID = /^\s*INSERT\s+INTO\s+"?(\w+)"?\s*\([^()]*\)\s*VALUES\s*\([^()]*\)\s*(RETURNING\s+"?id"?\s*;?\s*)$/i;

/**
 * The statement without its RETURNING when the returned id is the row's rowid (an INTEGER
 * PRIMARY KEY of a rowid table), so lastInsertRowid says it; null when it may not.
 */
function insertWithoutReturning(db: Database.Database, text: string): Database.Statement | null {
  const m = ONE_ROW_INSERT_RETURNING_ID.exec(text);
  if (!m) return null;
  const table = m[1]!;
  const columns = db.pragma(`table_info("${table}")`) as { name: string; type: string; pk: number }[];
  const keys = columns.filter((c) => c.pk > 0);
  if (keys.length !== 1 || keys[0]!.name !== "id" || keys[0]!.type.toUpperCase() !== "INTEGER") return null;
  const ddl = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").pluck().get(table) as string | undefined;
  if (!ddl || /WITHOUT\s+ROWID/i.test(ddl)) return null;
  return db.prepare(text.slice(0, text.length - m[2]!.length));
}

const allRows = (s: Database.Statement, params: unknown[]) => s.all(...params);
const getRow = (s: Database.Statement, params: unknown[]) => s.get(...params);

/** Array rows from a cached statement, which is left in object mode for its other users. */
function rawRows(s: Database.Statement, params: unknown[]): unknown[][] {
  try {
    return s.raw(true).all(...params) as unknown[][];
  } finally {
    s.raw(false);
  }
}

const sqliteStores = new WeakMap<Database.Database, SqliteStore>();

/**
 * SQLite over one better-sqlite3 connection. Statements run synchronously, but a transaction's
 * body is async, so while one is open every other caller waits its turn: on a single connection
 * their statements would otherwise land inside it (and in its rollback).
 */
export class SqliteStore implements SqlStore {
  readonly dialect = "sqlite" as const;
  private readonly statements = new Map<string, Cached>();
  /** PreparedQuery → its statement here, without looking its text up. */
  private readonly prepared = new Map<PreparedQuery, Cached>();
  /** Transactions queue here, one at a time. */
  private queue: Promise<void> = Promise.resolve();
  /** Transactions queued or open: while any is, other statements wait for the queue to drain. */
  private transactions = 0;
  /** The connection's busy_timeout, restored after a BEGIN that must not wait (read once: a pragma read costs). */
  private busyTimeoutMs: number | undefined;

  /** One per connection: statements wait on that connection's open transaction, so every user must share it. */
  static on(db: Database.Database): SqliteStore {
    let store = sqliteStores.get(db);
    if (!store) sqliteStores.set(db, (store = new SqliteStore(db)));
    return store;
  }

  private constructor(private readonly db: Database.Database) {}

  async all<T>(query: Query, params?: Params): Promise<T[]> {
    await this.waitTurn();
    return this.exec(query, allRows, params) as T[];
  }

  async get<T>(query: Query, params?: Params): Promise<T | undefined> {
    await this.waitTurn();
    return this.exec(query, getRow, params) as T | undefined;
  }

  async values(query: Query, params?: Params): Promise<unknown[][]> {
    await this.waitTurn();
    return this.exec(query, rawRows, params);
  }

  async run<T = unknown>(query: Query, params?: Params): Promise<{ changes: number; row?: T }> {
    await this.waitTurn();
    return this.execWrite<T>(query, params);
  }

  async steps<T>(body: StoreSteps<T>): Promise<T> {
    await this.waitTurn();
    return this.runSteps(body, false);
  }

  /** Runs the steps now, synchronously, on the connection (inTransaction: a transaction handle's). */
  runSteps<T>(body: StoreSteps<T>, inTransaction: boolean): T {
    let next = body.next();
    while (!next.done) {
      const s = next.value;
      let result: unknown;
      try {
        if (s.kind === "lock") {
          if (!inTransaction) throw new Error(`a lock step (${s.key}) needs a transaction`);
        } else if (s.kind === "run") result = this.execWrite(s.query, s.params);
        else if (s.kind === "get") result = this.exec(s.query, getRow, s.params);
        else if (s.kind === "values") result = this.exec(s.query, rawRows, s.params);
        else result = this.exec(s.query, allRows, s.params);
      } catch (err) {
        next = body.throw(err);
        continue;
      }
      next = body.next(result);
    }
    return next.value;
  }

  async transaction<T>(fn: (tx: SqlStore) => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
    this.transactions++;
    const previous = this.queue;
    let release!: () => void;
    this.queue = new Promise<void>((resolve) => (release = resolve));
    await previous;
    const tx = new SqliteTx(this);
    // The connection is shared with synchronous code that runs its own transactions. A body that
    // only awaits this store finishes within one turn of the event loop (microtasks), so nothing
    // else can run on the connection meanwhile; one that awaits real I/O is refused.
    let crossedTurn = false;
    const turnGuard = setImmediate(() => (crossedTurn = true));
    // While it lasts, the busy handler is off: a wait would sleep on the event loop (also at the
    // first write after a checkpoint reset the WAL). The body runs within this turn, so nobody
    // else's statement runs without it.
    if (opts.failIfLocked) {
      this.busyTimeoutMs ??= this.db.pragma("busy_timeout", { simple: true }) as number;
      // exec, not .pragma() (which reads rows back): this runs once per hook batch.
      this.db.exec("PRAGMA busy_timeout = 0");
    }
    try {
      this.db.exec(opts.exclusive || opts.failIfLocked ? "BEGIN IMMEDIATE" : "BEGIN");
      try {
        const result = await fn(tx);
        if (crossedTurn) throw new Error("a SQLite transaction's body awaited something other than the database");
        this.db.exec("COMMIT");
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec("ROLLBACK");
        throw err;
      }
    } finally {
      if (opts.failIfLocked) this.db.exec(`PRAGMA busy_timeout = ${this.busyTimeoutMs}`);
      clearImmediate(turnGuard);
      this.transactions--;
      tx.closed = true;
      release();
    }
  }

  async size(): Promise<StorageSize> {
    const fileSize = (file: string) => {
      try {
        return fs.statSync(file).size;
      } catch {
        return 0; // no WAL yet (or checkpointed away)
      }
    };
    const pageSize = this.db.pragma("page_size", { simple: true }) as number;
    const freePages = this.db.pragma("freelist_count", { simple: true }) as number;
    return {
      fileBytes: this.db.memory ? null : fileSize(this.db.name),
      walBytes: this.db.memory ? null : fileSize(`${this.db.name}-wal`),
      freeBytes: pageSize * freePages,
    };
  }

  /** Runs a statement now, on the connection (the transaction handle's path). */
  exec<R>(query: Query, use: (s: Database.Statement, params: unknown[], cached: Cached) => R, params?: Params): R {
    if (query instanceof PreparedQuery) {
      let cached = this.prepared.get(query);
      if (!cached) this.prepared.set(query, (cached = this.statement(query.text)));
      return use(cached.statement, bindAll(params ?? []), cached);
    }
    const { sql: text, params: values } = renderSqliteQuery(query) ?? sqliteDialect.sqlToQuery(query);
    const cached = this.statement(text);
    return use(cached.statement, values.map(bindable), cached);
  }

  /** run() now, on the connection (the transaction handle's path). */
  execWrite<T>(query: Query, params?: Params): { changes: number; row?: T } {
    return this.exec(query, this.write, params) as { changes: number; row?: T };
  }

  private readonly write = (s: Database.Statement, p: unknown[], c: Cached) => runStatement(this.db, c, p);

  private statement(text: string): Cached {
    let cached = this.statements.get(text);
    if (!cached) {
      cached = { statement: this.db.prepare(text) };
      if (this.statements.size > 500) {
        this.statements.clear();
        this.prepared.clear();
      }
      this.statements.set(text, cached);
    }
    return cached;
  }

  private async waitTurn(): Promise<void> {
    while (this.transactions) await this.queue;
  }
}

/** The handle a SQLite transaction's body gets: runs on the connection at once, inside the transaction. */
class SqliteTx implements SqlStore {
  readonly dialect = "sqlite" as const;
  closed = false;

  constructor(private readonly store: SqliteStore) {}

  private check(): void {
    if (this.closed) throw new Error("transaction handle used after its transaction ended");
  }

  async all<T>(query: Query, params?: Params): Promise<T[]> {
    this.check();
    return this.store.exec(query, allRows, params) as T[];
  }

  async get<T>(query: Query, params?: Params): Promise<T | undefined> {
    this.check();
    return this.store.exec(query, getRow, params) as T | undefined;
  }

  async values(query: Query, params?: Params): Promise<unknown[][]> {
    this.check();
    return this.store.exec(query, rawRows, params);
  }

  async run<T = unknown>(query: Query, params?: Params): Promise<{ changes: number; row?: T }> {
    this.check();
    return this.store.execWrite<T>(query, params);
  }

  steps<T>(body: StoreSteps<T>): Promise<T> {
    try {
      this.check();
      return Promise.resolve(this.store.runSteps(body, true));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  size(): Promise<StorageSize> {
    return this.store.size();
  }

  transaction<T>(fn: (tx: SqlStore) => Promise<T>): Promise<T> {
    // Nested work joins the open transaction (SQLite has savepoints, but nothing here needs one).
    return fn(this);
  }
}

// ----- PostgreSQL -----------------------------------------------------------------------

type Queryable = Pick<pg.Pool | pg.PoolClient, "query">;

function pgConfig(query: Query, params?: Params): pg.QueryConfig {
  // Named: each connection parses and plans it once.
  if (query instanceof PreparedQuery) return { name: query.name, text: query.postgresText(), values: (params ?? []).map(bindable) };
  const { sql, params: values } = pgDialect.sqlToQuery(query);
  return { text: sql, values: values.map(bindable) };
}

async function pgQuery<T>(on: Queryable, query: Query, params?: Params): Promise<pg.QueryResult<T & pg.QueryResultRow>> {
  return on.query<T & pg.QueryResultRow>(pgConfig(query, params));
}

/** PostgreSQL over a node-postgres pool: each statement takes a pooled connection; a transaction holds one. */
export class PostgresStore implements SqlStore {
  readonly dialect = "postgres" as const;

  constructor(
    private readonly pool: pg.Pool,
    private readonly client?: pg.PoolClient,
    /** The open transaction's advisory locks: taken once, held until it ends (each take is a round trip). */
    private readonly locks = new Set<string>(),
  ) {}

  private get on(): Queryable {
    return this.client ?? this.pool;
  }

  async all<T>(query: Query, params?: Params): Promise<T[]> {
    return (await pgQuery<T>(this.on, query, params)).rows;
  }

  async get<T>(query: Query, params?: Params): Promise<T | undefined> {
    return (await pgQuery<T>(this.on, query, params)).rows[0];
  }

  async values(query: Query, params?: Params): Promise<unknown[][]> {
    return (await this.on.query<unknown[]>({ ...pgConfig(query, params), rowMode: "array" })).rows;
  }

  async run<T = unknown>(query: Query, params?: Params): Promise<{ changes: number; row?: T }> {
    const r = await pgQuery<T>(this.on, query, params);
    return { changes: r.rowCount ?? 0, row: r.rows[0] };
  }

  /**
   * Raw text and values on this store's connection (its transaction's, inside one): the shape of
   * pg-boss's `db` option, so the session queue's jobs move in the same transaction as the rows.
   */
  async executeSql(text: string, values?: unknown[]): Promise<{ rows: pg.QueryResultRow[] }> {
    return this.on.query(text, values);
  }

  async steps<T>(body: StoreSteps<T>): Promise<T> {
    let next = body.next();
    while (!next.done) {
      const s = next.value;
      let result: unknown;
      try {
        if (s.kind === "lock") await this.lock(s.key);
        else
          result = await (s.kind === "run"
            ? this.run(s.query, s.params)
            : s.kind === "get"
              ? this.get(s.query, s.params)
              : s.kind === "values"
                ? this.values(s.query, s.params)
                : this.all(s.query, s.params));
      } catch (err) {
        next = body.throw(err);
        continue;
      }
      next = body.next(result);
    }
    return next.value;
  }

  /** The open transaction's advisory lock on `key`, taken once (each take is a round trip). */
  private async lock(key: string): Promise<void> {
    if (!this.client) throw new Error(`a lock step (${key}) needs a transaction`);
    if (this.locks.has(key)) return;
    await this.client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [key]);
    this.locks.add(key);
  }

  async size(): Promise<StorageSize> {
    const row = await this.get<{ bytes: number | string }>(sql`SELECT pg_database_size(current_database()) AS bytes`);
    return { fileBytes: Number(row?.bytes ?? 0), walBytes: 0, freeBytes: 0 };
  }

  async transaction<T>(fn: (tx: SqlStore) => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
    if (this.client) {
      // Nested: joins the open transaction, taking its lock too (held until that one ends).
      if (opts.exclusive) await this.lock(opts.exclusive);
      return fn(this);
    }
    const client = await this.pool.connect();
    try {
      await client.query(opts.snapshot ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN");
      if (opts.exclusive) await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [opts.exclusive]);
      const result = await fn(new PostgresStore(this.pool, client, new Set(opts.exclusive ? [opts.exclusive] : [])));
      await client.query("COMMIT");
      return result;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }
}
