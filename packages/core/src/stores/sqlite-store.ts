/**
 * A rate-limit store on node:sqlite: state survives restarts, and several processes
 * may share one file. Imported only through `@429chain/core/stores/sqlite`, so the
 * main entry of core stays free of `node:*` imports.
 */

import type { StatementSync } from 'node:sqlite';
import { DatabaseSync } from 'node:sqlite';
import type {
  BlockRecord,
  BlockState,
  BucketKind,
  BucketObservation,
  BucketSource,
  BucketState,
  BucketWindow,
} from '../rate-limit/bucket.ts';
import {
  admits,
  applyObservation,
  currentView,
  nextBlock,
  prepareBucket,
  refundUnits,
  takeUnits,
} from '../rate-limit/bucket-arithmetic.ts';
import type {
  AcquireInput,
  AcquireResult,
  BlockInput,
  RateLimitStore,
  SettleInput,
  StoreSnapshot,
} from '../rate-limit/rate-limit-store.ts';

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
const schemaVersion = 1;

type Row = Record<string, unknown>;

/** What one lease holds, bucket id → units. */
type Holdings = Map<string, number>;

/** A rate-limit store backed by node:sqlite; each method is one `BEGIN IMMEDIATE` transaction. */
export class SqliteStore implements RateLimitStore {
  readonly #database: DatabaseSync;
  readonly #ownsDatabase: boolean;
  readonly #statements: ReturnType<typeof prepareStatements>;
  #closed = false;

  constructor(options: SqliteStoreOptions = {}) {
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
    } catch (error) {
      if (this.#ownsDatabase) this.#database.close();
      throw error;
    }
  }

  async acquire(input: AcquireInput): Promise<AcquireResult> {
    return this.#transaction(() => {
      this.#expireLeases(input.now);
      let probe: BlockRecord | undefined;
      for (const scope of input.blockScopes) {
        const block = this.#loadBlock(scope);
        if (!block) continue;
        if (block.until > input.now) return { ok: false, blocked: block };
        const halfOpen = block.state === 'circuit-open' || block.state === 'probing';
        if (halfOpen && !probe) probe = block;
        else if (!halfOpen) this.#statements.deleteBlock.run(scope);
      }
      const prepared = new Map<string, BucketState>();
      for (const demand of input.buckets) {
        const known = prepared.get(demand.id) ?? this.#loadBucket(demand.id);
        const state = prepareBucket(known, demand, input.now);
        prepared.set(demand.id, state);
        if (!admits(state, demand.cost)) {
          // Creating, refilling and resizing stand even when the attempt is refused.
          for (const changed of prepared.values()) this.#saveBucket(changed);
          return { ok: false, bucket: { ...state }, cost: demand.cost };
        }
      }
      if (probe) {
        this.#saveBlock({ ...probe, state: 'probing', until: input.probeUntil, since: input.now });
      }
      const holdings: Holdings = new Map();
      for (const demand of input.buckets) {
        prepared.set(demand.id, takeUnits(prepared.get(demand.id)!, demand.cost, input.now));
        holdings.set(demand.id, (holdings.get(demand.id) ?? 0) + demand.cost);
      }
      for (const state of prepared.values()) this.#saveBucket(state);
      for (const [bucketId, units] of holdings) {
        this.#statements.insertLease.run(input.leaseId, bucketId, units, input.leaseExpiresAt);
      }
      return { ok: true, probe: probe !== undefined };
    });
  }

  async settle(input: SettleInput): Promise<void> {
    this.#transaction(() => {
      const holdings: Holdings = new Map();
      for (const row of this.#statements.selectLease.all(input.leaseId) as Row[]) {
        holdings.set(text(row.bucket_id), numeric(row.units));
      }
      this.#statements.deleteLease.run(input.leaseId);
      for (const [bucketId, units] of holdings) this.#statements.releaseInFlight.run(units, bucketId);
      // Leases that have lapsed no longer hold anything an observation should subtract.
      this.#expireLeases(input.now);
      for (const settled of input.buckets) {
        const state = this.#loadBucket(settled.id);
        if (!state) {
          if (settled.observed) this.#apply(settled.observed, input.now);
          continue;
        }
        if (settled.observed) this.#apply(settled.observed, input.now);
        if (settled.observed?.remaining !== undefined || settled.used === undefined) continue;
        if (!holdings.has(settled.id)) continue;
        const current = settled.observed ? (this.#loadBucket(settled.id) ?? state) : state;
        this.#saveBucket(refundUnits(current, settled.reserved, settled.used, input.now));
      }
      for (const scope of input.clearFailures ?? []) this.#statements.deleteFailures.run(scope);
    });
  }

  async observe(input: { now: number; observations: BucketObservation[] }): Promise<void> {
    this.#transaction(() => {
      this.#expireLeases(input.now);
      for (const observation of input.observations) this.#apply(observation, input.now);
    });
  }

  async block(input: BlockInput): Promise<void> {
    this.#transaction(() => {
      const block = nextBlock(this.#loadBlock(input.scope), input);
      if (block) this.#saveBlock(block);
    });
  }

  async unblock(input: { scopes: string[] }): Promise<void> {
    this.#transaction(() => {
      for (const scope of input.scopes) this.#statements.deleteBlock.run(scope);
    });
  }

  async recordFailure(input: { now: number; scope: string }): Promise<number> {
    return this.#transaction(() => {
      const row = this.#statements.countFailure.get(input.scope) as Row | undefined;
      return numeric(row?.consecutive);
    });
  }

  async clearFailures(input: { scope: string }): Promise<void> {
    this.#transaction(() => {
      this.#statements.deleteFailures.run(input.scope);
    });
  }

  async snapshot(input: { now: number }): Promise<StoreSnapshot> {
    return this.#transaction(() => {
      this.#expireLeases(input.now);
      // Shown as an acquire would find them: a window that has passed is refilled.
      const buckets = (this.#statements.selectBuckets.all() as Row[]).map((row) =>
        currentView(toBucket(row), input.now),
      );
      const blocks = (this.#statements.selectBlocks.all() as Row[])
        .map(toBlock)
        .filter(
          (block) => block.until > input.now || block.state === 'circuit-open' || block.state === 'probing',
        );
      return { buckets, blocks };
    });
  }

  async reset(input: { scopePrefix?: string | undefined } = {}): Promise<void> {
    const prefix = input.scopePrefix ?? '';
    this.#transaction(() => {
      this.#statements.deleteIdleBuckets.run(prefix);
      this.#statements.refillBuckets.run(prefix);
      this.#statements.deleteBlocks.run(prefix);
      this.#statements.deleteFailuresByPrefix.run(prefix);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsDatabase && this.#database.isOpen) this.#database.close();
  }

  /** Runs `work` in one `BEGIN IMMEDIATE` transaction: committed whole, or rolled back. */
  #transaction<T>(work: () => T): T {
    if (this.#closed) throw new Error('The SQLite rate-limit store is closed.');
    this.#statements.begin.run();
    try {
      const result = work();
      this.#statements.commit.run();
      return result;
    } catch (error) {
      if (this.#database.isTransaction) this.#statements.rollback.run();
      throw error;
    }
  }

  /** Gives back the in-flight units of every lease that lapsed at or before `now`. */
  #expireLeases(now: number): void {
    this.#statements.releaseExpiredLeases.run(now);
    this.#statements.deleteExpiredLeases.run(now);
  }

  #apply(observation: BucketObservation, now: number): void {
    this.#saveBucket(applyObservation(this.#loadBucket(observation.id), observation, now));
  }

  #loadBucket(id: string): BucketState | undefined {
    const row = this.#statements.selectBucket.get(id) as Row | undefined;
    return row ? toBucket(row) : undefined;
  }

  #saveBucket(state: BucketState): void {
    this.#statements.upsertBucket.run(
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
    );
  }

  #loadBlock(scope: string): BlockRecord | undefined {
    const row = this.#statements.selectBlock.get(scope) as Row | undefined;
    return row ? toBlock(row) : undefined;
  }

  #saveBlock(block: BlockRecord): void {
    this.#statements.upsertBlock.run(block.scope, block.state, block.until, block.reason, block.since);
  }
}

/** Creates a store on a node:sqlite database (a file shared by processes, or in memory). */
export function createSqliteStore(options: SqliteStoreOptions = {}): SqliteStore {
  return new SqliteStore(options);
}

/** Creates the tables when missing and checks the schema version, in one transaction. */
function migrate(database: DatabaseSync, prefix: string): void {
  database.exec('BEGIN IMMEDIATE');
  try {
    database.exec(`
      CREATE TABLE IF NOT EXISTS ${prefix}meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;
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
        updated_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS ${prefix}buckets_scope ON ${prefix}buckets (scope);
      CREATE TABLE IF NOT EXISTS ${prefix}blocks (
        scope TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        until INTEGER NOT NULL,
        reason TEXT NOT NULL,
        since INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS ${prefix}failures (
        scope TEXT PRIMARY KEY,
        consecutive INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS ${prefix}leases (
        lease_id TEXT NOT NULL,
        bucket_id TEXT NOT NULL,
        units REAL NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (lease_id, bucket_id)
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS ${prefix}leases_expires_at ON ${prefix}leases (expires_at);
      CREATE INDEX IF NOT EXISTS ${prefix}leases_bucket_id ON ${prefix}leases (bucket_id);
    `);
    const row = database.prepare(`SELECT value FROM ${prefix}meta WHERE key = 'schema_version'`).get() as
      | Row
      | undefined;
    const found = row === undefined ? undefined : Number(row.value);
    if (found === undefined) {
      database
        .prepare(`INSERT INTO ${prefix}meta (key, value) VALUES ('schema_version', ?)`)
        .run(String(schemaVersion));
    } else if (!(found <= schemaVersion)) {
      throw new Error(
        `The rate-limit tables "${prefix}*" have schema version ${row?.value}, newer than this version of ` +
          `@429chain/core understands (${schemaVersion}); upgrade it.`,
      );
    }
    // Versions older than `schemaVersion` are migrated here once there is a version 2.
    database.exec('COMMIT');
  } catch (error) {
    if (database.isTransaction) database.exec('ROLLBACK');
    throw error;
  }
}

/** Every statement the store runs, prepared once. Table names come from a validated prefix. */
function prepareStatements(database: DatabaseSync, prefix: string) {
  const buckets = `${prefix}buckets`;
  const blocks = `${prefix}blocks`;
  const failures = `${prefix}failures`;
  const leases = `${prefix}leases`;
  const hasPrefix = 'substr(scope, 1, length(?1)) = ?1';
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
         (id, scope, kind, window_name, source, limit_units, remaining, reset_at, in_flight, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET
         scope = excluded.scope, kind = excluded.kind, window_name = excluded.window_name,
         source = excluded.source, limit_units = excluded.limit_units, remaining = excluded.remaining,
         reset_at = excluded.reset_at, in_flight = excluded.in_flight, updated_at = excluded.updated_at`,
    ),
    releaseInFlight: prepare(`UPDATE ${buckets} SET in_flight = MAX(0, in_flight - ?) WHERE id = ?`),
    deleteIdleBuckets: prepare(`DELETE FROM ${buckets} WHERE ${hasPrefix} AND in_flight = 0`),
    refillBuckets: prepare(
      `UPDATE ${buckets} SET remaining = limit_units, reset_at = NULL WHERE ${hasPrefix}`,
    ),
    selectBlock: prepare(`SELECT * FROM ${blocks} WHERE scope = ?`),
    selectBlocks: prepare(`SELECT * FROM ${blocks} ORDER BY scope`),
    upsertBlock: prepare(
      `INSERT INTO ${blocks} (scope, state, until, reason, since) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (scope) DO UPDATE SET
         state = excluded.state, until = excluded.until, reason = excluded.reason, since = excluded.since`,
    ),
    deleteBlock: prepare(`DELETE FROM ${blocks} WHERE scope = ?`),
    deleteBlocks: prepare(`DELETE FROM ${blocks} WHERE ${hasPrefix}`),
    countFailure: prepare(
      `INSERT INTO ${failures} (scope, consecutive) VALUES (?, 1)
       ON CONFLICT (scope) DO UPDATE SET consecutive = consecutive + 1
       RETURNING consecutive`,
    ),
    deleteFailures: prepare(`DELETE FROM ${failures} WHERE scope = ?`),
    deleteFailuresByPrefix: prepare(`DELETE FROM ${failures} WHERE ${hasPrefix}`),
    insertLease: prepare(
      `INSERT INTO ${leases} (lease_id, bucket_id, units, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (lease_id, bucket_id) DO UPDATE SET
         units = units + excluded.units, expires_at = excluded.expires_at`,
    ),
    selectLease: prepare(`SELECT bucket_id, units FROM ${leases} WHERE lease_id = ?`),
    deleteLease: prepare(`DELETE FROM ${leases} WHERE lease_id = ?`),
    releaseExpiredLeases: prepare(
      `UPDATE ${buckets} SET in_flight = MAX(0, in_flight - (
         SELECT SUM(units) FROM ${leases} WHERE bucket_id = ${buckets}.id AND expires_at <= ?1))
       WHERE id IN (SELECT bucket_id FROM ${leases} WHERE expires_at <= ?1)`,
    ),
    deleteExpiredLeases: prepare(`DELETE FROM ${leases} WHERE expires_at <= ?`),
  };
}

/** Finds or creates the bucket for a demand, refilled and resized as the demand says. */
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
