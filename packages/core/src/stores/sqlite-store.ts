/**
 * A rate-limit store on node:sqlite: state survives restarts, and several processes
 * may share one file. Imported only through `@429chain/core/stores/sqlite`, so the
 * main entry of core stays free of `node:*` imports.
 */

import type { StatementSync } from 'node:sqlite';
import { DatabaseSync } from 'node:sqlite';
import type {
  BlockRecord,
  BlockRelease,
  BlockState,
  BucketKind,
  BucketSource,
  BucketState,
  BucketWindow,
  LearntLimit,
  LogEntry,
} from '../rate-limit/bucket.ts';
import { type LeaseRecord, PlannedStore, type StoreTables } from '../rate-limit/store-planner.ts';

/** Options of {@link createSqliteStore}. */
export interface SqliteStoreOptions {
  /** Database file; several processes may share it. Ignored when `database` is given. @default ':memory:' */
  path?: string | undefined;
  /** Your own node:sqlite connection (with no transaction open while the store runs); left open on `close()`. */
  database?: DatabaseSync | undefined;
  /** Prefix of the store's table names (letters, digits, `_`), to share a database. @default 'ratelimit_' */
  tablePrefix?: string | undefined;
  /** How long a method waits for another process's lock (not applied to your own connection unless set). @default 5000 */
  busyTimeoutMs?: number | undefined;
}

/** The version of the tables this code writes; a newer one in the file is refused. */
const schemaVersion = 2;

type Row = Record<string, unknown>;

/** A rate-limit store backed by node:sqlite; each method is one `BEGIN IMMEDIATE` transaction. */
export class SqliteStore extends PlannedStore {
  readonly #database: DatabaseSync;
  readonly #ownsDatabase: boolean;
  readonly #statements: ReturnType<typeof prepareStatements>;
  readonly #tables: StoreTables;
  #closed = false;

  constructor(options: SqliteStoreOptions = {}) {
    super();
    const tablePrefix = options.tablePrefix ?? 'ratelimit_';
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(tablePrefix)) {
      throw new TypeError(
        `tablePrefix must be letters, digits and "_", not starting with a digit: "${tablePrefix}"`,
      );
    }
    const busyTimeoutMs = options.busyTimeoutMs;
    if (busyTimeoutMs !== undefined && !(Number.isInteger(busyTimeoutMs) && busyTimeoutMs >= 0)) {
      throw new RangeError(`busyTimeoutMs must be a whole number of milliseconds, not ${busyTimeoutMs}`);
    }
    this.#ownsDatabase = options.database === undefined;
    this.#database = options.database ?? new DatabaseSync(options.path ?? ':memory:');
    try {
      if (this.#ownsDatabase || busyTimeoutMs !== undefined) {
        this.#database.exec(`PRAGMA busy_timeout = ${busyTimeoutMs ?? 5000}`);
      }
      if (this.#ownsDatabase) {
        // WAL lets readers and one writer work at once; an in-memory database keeps 'memory'.
        this.#database.exec('PRAGMA journal_mode = WAL');
        this.#database.exec('PRAGMA synchronous = NORMAL');
      }
      migrate(this.#database, tablePrefix);
      this.#statements = prepareStatements(this.#database, tablePrefix);
      this.#tables = tablesOf(this.#statements);
    } catch (error) {
      if (this.#ownsDatabase) this.#database.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsDatabase && this.#database.isOpen) this.#database.close();
  }

  /** Runs one operation in one `BEGIN IMMEDIATE` transaction: committed whole, or rolled back. */
  protected run<T>(operation: (tables: StoreTables) => T): T {
    if (this.#closed) throw new Error('The SQLite rate-limit store is closed.');
    this.#statements.begin.run();
    try {
      const result = operation(this.#tables);
      this.#statements.commit.run();
      return result;
    } catch (error) {
      if (this.#database.isTransaction) this.#statements.rollback.run();
      throw error;
    }
  }
}

/** The planner's tables over the prepared statements (called inside a transaction only). */
function tablesOf(statements: ReturnType<typeof prepareStatements>): StoreTables {
  return {
    bucket: (id) => {
      const row = statements.selectBucket.get(id) as Row | undefined;
      return row ? toBucket(row) : undefined;
    },
    saveBucket: (state) => {
      statements.upsertBucket.run(
        state.id,
        state.scope,
        state.kind,
        state.window,
        state.source,
        state.limit,
        state.remaining,
        state.resetAt,
        state.inFlight,
        state.updatedAt,
        state.windowMs,
        state.log.length > 0 ? JSON.stringify(state.log) : null,
        state.runStart,
        state.learnt ? JSON.stringify(state.learnt) : null,
        state.resetGuessed === true ? 1 : 0,
      );
    },
    deleteBucket: (id) => statements.deleteBucket.run(id),
    block: (scope) => {
      const row = statements.selectBlock.get(scope) as Row | undefined;
      return row ? toBlock(row) : undefined;
    },
    saveBlock: (block) => {
      statements.upsertBlock.run(
        block.scope,
        block.state,
        block.until,
        block.reason,
        block.since,
        block.release,
        block.probeUntil,
      );
    },
    deleteBlock: (scope) => statements.deleteBlock.run(scope),
    failures: (scope) => {
      const row = statements.selectFailures.get(scope) as Row | undefined;
      return row ? { count: numeric(row.consecutive), since: numeric(row.since) } : undefined;
    },
    saveFailures: (scope, record) => statements.upsertFailures.run(scope, record.count, record.since),
    deleteFailures: (scope) => statements.deleteFailures.run(scope),
    lease: (id) => {
      const row = statements.selectLease.get(id) as Row | undefined;
      return row ? toLease(row) : undefined;
    },
    saveLease: (lease) =>
      statements.upsertLease.run(lease.id, lease.at, lease.expiresAt, JSON.stringify(lease.holdings)),
    deleteLease: (id) => statements.deleteLease.run(id),
    expiredLeases: (now) => (statements.selectExpiredLeases.all(now) as Row[]).map(toLease),
    allBuckets: () => (statements.selectBuckets.all() as Row[]).map(toBucket),
    allBlocks: () => (statements.selectBlocks.all() as Row[]).map(toBlock),
    allFailureScopes: () => (statements.selectFailureScopes.all() as Row[]).map((row) => text(row.scope)),
  };
}

/** Creates a store on a node:sqlite database (a file shared by processes, or in memory). */
export function createSqliteStore(options: SqliteStoreOptions = {}): SqliteStore {
  return new SqliteStore(options);
}

/** Creates the tables when missing, migrates older versions and checks the version, in one transaction. */
function migrate(database: DatabaseSync, prefix: string): void {
  database.exec('BEGIN IMMEDIATE');
  try {
    database.exec(`
      CREATE TABLE IF NOT EXISTS ${prefix}meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;
    `);
    const row = database.prepare(`SELECT value FROM ${prefix}meta WHERE key = 'schema_version'`).get() as
      | Row
      | undefined;
    const found = row === undefined ? undefined : Number(row.value);
    if (found !== undefined && !(found <= schemaVersion)) {
      throw new Error(
        `The rate-limit tables "${prefix}*" have schema version ${row?.value}, newer than this version of ` +
          `@429chain/core understands (${schemaVersion}); upgrade it.`,
      );
    }
    if (found === 1) migrateFromVersion1(database, prefix);
    database.exec(`
      CREATE TABLE IF NOT EXISTS ${prefix}buckets (
        id TEXT PRIMARY KEY,
        scope TEXT NOT NULL,
        kind TEXT NOT NULL,
        window_name TEXT NOT NULL,
        source TEXT NOT NULL,
        limit_units REAL,
        remaining REAL,
        reset_at INTEGER,
        in_flight REAL NOT NULL DEFAULT 0,
        updated_at INTEGER NOT NULL,
        window_ms INTEGER,
        log TEXT,
        run_start INTEGER NOT NULL DEFAULT 0,
        learnt TEXT,
        reset_guessed INTEGER NOT NULL DEFAULT 0
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS ${prefix}buckets_scope ON ${prefix}buckets (scope);
      CREATE TABLE IF NOT EXISTS ${prefix}blocks (
        scope TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        until INTEGER NOT NULL,
        reason TEXT NOT NULL,
        since INTEGER NOT NULL,
        release TEXT NOT NULL DEFAULT 'probe',
        probe_until INTEGER
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS ${prefix}failures (
        scope TEXT PRIMARY KEY,
        consecutive INTEGER NOT NULL,
        since INTEGER NOT NULL DEFAULT 0
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS ${prefix}leases (
        lease_id TEXT PRIMARY KEY,
        at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        holdings TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS ${prefix}leases_expires_at ON ${prefix}leases (expires_at);
    `);
    database
      .prepare(`INSERT INTO ${prefix}meta (key, value) VALUES ('schema_version', ?)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value`)
      .run(String(schemaVersion));
    database.exec('COMMIT');
  } catch (error) {
    if (database.isTransaction) database.exec('ROLLBACK');
    throw error;
  }
}

/**
 * Version 1 had no sliding windows, probe releases or outage starts, and kept leases one row per
 * bucket. Its leases are dropped (their in-flight units with them: the requests they held ended
 * with the process that upgraded) and the new columns are added.
 */
function migrateFromVersion1(database: DatabaseSync, prefix: string): void {
  database.exec(`
    ALTER TABLE ${prefix}buckets ADD COLUMN window_ms INTEGER;
    ALTER TABLE ${prefix}buckets ADD COLUMN log TEXT;
    ALTER TABLE ${prefix}buckets ADD COLUMN run_start INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE ${prefix}buckets ADD COLUMN learnt TEXT;
    ALTER TABLE ${prefix}buckets ADD COLUMN reset_guessed INTEGER NOT NULL DEFAULT 0;
    UPDATE ${prefix}buckets SET in_flight = 0;
    ALTER TABLE ${prefix}blocks ADD COLUMN release TEXT NOT NULL DEFAULT 'all';
    ALTER TABLE ${prefix}blocks ADD COLUMN probe_until INTEGER;
    UPDATE ${prefix}blocks SET state = 'circuit-open', release = 'probe' WHERE state IN ('circuit-open', 'probing');
    ALTER TABLE ${prefix}failures ADD COLUMN since INTEGER NOT NULL DEFAULT 0;
    DROP TABLE IF EXISTS ${prefix}leases;
  `);
}

/** Every statement the store runs, prepared once. Table names come from a validated prefix. */
function prepareStatements(database: DatabaseSync, prefix: string) {
  const buckets = `${prefix}buckets`;
  const blocks = `${prefix}blocks`;
  const failures = `${prefix}failures`;
  const leases = `${prefix}leases`;
  const prepare = (sql: string): StatementSync => {
    const statement = database.prepare(sql);
    // A connection brought by the caller may be set to return bigints or arrays.
    statement.setReadBigInts(false);
    if (typeof statement.setReturnArrays === 'function') statement.setReturnArrays(false);
    return statement;
  };
  return {
    begin: prepare('BEGIN IMMEDIATE'),
    commit: prepare('COMMIT'),
    rollback: prepare('ROLLBACK'),
    selectBucket: prepare(`SELECT * FROM ${buckets} WHERE id = ?`),
    selectBuckets: prepare(`SELECT * FROM ${buckets} ORDER BY id`),
    upsertBucket: prepare(
      `INSERT INTO ${buckets}
         (id, scope, kind, window_name, source, limit_units, remaining, reset_at, in_flight, updated_at,
          window_ms, log, run_start, learnt, reset_guessed)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET
         scope = excluded.scope, kind = excluded.kind, window_name = excluded.window_name,
         source = excluded.source, limit_units = excluded.limit_units, remaining = excluded.remaining,
         reset_at = excluded.reset_at, in_flight = excluded.in_flight, updated_at = excluded.updated_at,
         window_ms = excluded.window_ms, log = excluded.log, run_start = excluded.run_start,
         learnt = excluded.learnt, reset_guessed = excluded.reset_guessed`,
    ),
    deleteBucket: prepare(`DELETE FROM ${buckets} WHERE id = ?`),
    selectBlock: prepare(`SELECT * FROM ${blocks} WHERE scope = ?`),
    selectBlocks: prepare(`SELECT * FROM ${blocks} ORDER BY scope`),
    upsertBlock: prepare(
      `INSERT INTO ${blocks} (scope, state, until, reason, since, release, probe_until)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (scope) DO UPDATE SET
         state = excluded.state, until = excluded.until, reason = excluded.reason, since = excluded.since,
         release = excluded.release, probe_until = excluded.probe_until`,
    ),
    deleteBlock: prepare(`DELETE FROM ${blocks} WHERE scope = ?`),
    selectFailures: prepare(`SELECT consecutive, since FROM ${failures} WHERE scope = ?`),
    selectFailureScopes: prepare(`SELECT scope FROM ${failures}`),
    upsertFailures: prepare(
      `INSERT INTO ${failures} (scope, consecutive, since) VALUES (?, ?, ?)
       ON CONFLICT (scope) DO UPDATE SET consecutive = excluded.consecutive, since = excluded.since`,
    ),
    deleteFailures: prepare(`DELETE FROM ${failures} WHERE scope = ?`),
    selectLease: prepare(`SELECT * FROM ${leases} WHERE lease_id = ?`),
    selectExpiredLeases: prepare(`SELECT * FROM ${leases} WHERE expires_at <= ?`),
    upsertLease: prepare(
      `INSERT INTO ${leases} (lease_id, at, expires_at, holdings) VALUES (?, ?, ?, ?)
       ON CONFLICT (lease_id) DO UPDATE SET
         at = excluded.at, expires_at = excluded.expires_at, holdings = excluded.holdings`,
    ),
    deleteLease: prepare(`DELETE FROM ${leases} WHERE lease_id = ?`),
  };
}

function toBucket(row: Row): BucketState {
  return {
    id: text(row.id),
    scope: text(row.scope),
    kind: text(row.kind) as BucketKind,
    window: text(row.window_name) as BucketWindow,
    source: text(row.source) as BucketSource,
    limit: numericOrNull(row.limit_units),
    remaining: numericOrNull(row.remaining),
    resetAt: numericOrNull(row.reset_at),
    windowMs: numericOrNull(row.window_ms),
    log: row.log === null || row.log === undefined ? [] : (JSON.parse(text(row.log)) as LogEntry[]),
    runStart: numeric(row.run_start),
    learnt:
      row.learnt === null || row.learnt === undefined
        ? undefined
        : (JSON.parse(text(row.learnt)) as LearntLimit),
    resetGuessed: numeric(row.reset_guessed) === 1 ? true : undefined,
    inFlight: numeric(row.in_flight),
    updatedAt: numeric(row.updated_at),
  };
}

function toBlock(row: Row): BlockRecord {
  return {
    scope: text(row.scope),
    state: text(row.state) as BlockState,
    until: numeric(row.until),
    reason: text(row.reason),
    since: numeric(row.since),
    release: text(row.release) as BlockRelease,
    probeUntil: numericOrNull(row.probe_until),
  };
}

function toLease(row: Row): LeaseRecord {
  return {
    id: text(row.lease_id),
    at: numeric(row.at),
    expiresAt: numeric(row.expires_at),
    holdings: JSON.parse(text(row.holdings)) as LeaseRecord['holdings'],
  };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : String(value);
}

function numeric(value: unknown): number {
  return typeof value === 'number' ? value : Number(value ?? 0);
}

function numericOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : numeric(value);
}
