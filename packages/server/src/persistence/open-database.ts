/**
 * Opens the server's SQLite database (node:sqlite) and brings its schema up to date.
 * The core rate-limit store may share the file: its tables carry the `ratelimit_`
 * prefix and keep their own version, so `PRAGMA user_version` belongs to the server.
 */

import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { StatementSync } from 'node:sqlite';
import { DatabaseSync } from 'node:sqlite';

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** Database file (its directory is created), or `:memory:`. */
  path: string;
  /** How long a statement waits for another connection's lock (ms). @default 5000 */
  busyTimeoutMs?: number | undefined;
}

/**
 * The server's schema, one SQL script per version: `migrations[n]` takes `user_version`
 * from n to n + 1. Append only; never edit a script that has shipped.
 */
export const migrations: readonly string[] = [
  `
  CREATE TABLE requests (
    id TEXT PRIMARY KEY NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER NOT NULL,
    chain TEXT NOT NULL,
    kind TEXT NOT NULL,
    stream INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    status INTEGER,
    provider TEXT,
    model TEXT,
    latency_ms REAL,
    ttft_ms REAL,
    queued_ms REAL,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    total_tokens INTEGER,
    error_code TEXT,
    error_message TEXT,
    attempt_count INTEGER NOT NULL,
    fallback INTEGER NOT NULL,
    skipped_count INTEGER NOT NULL DEFAULT 0,
    rate_limited_count INTEGER NOT NULL DEFAULT 0,
    error_count INTEGER NOT NULL DEFAULT 0,
    client TEXT,
    metadata TEXT
  );
  CREATE INDEX requests_started_at ON requests (started_at, id);
  CREATE INDEX requests_chain ON requests (chain, started_at, id);
  CREATE INDEX requests_provider ON requests (provider, started_at, id);
  CREATE INDEX requests_model ON requests (model, started_at, id);
  CREATE INDEX requests_client ON requests (client, started_at, id);
  CREATE INDEX requests_outcome ON requests (outcome, started_at, id);
  CREATE INDEX requests_status ON requests (status, started_at, id);

  CREATE TABLE attempts (
    request_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    key_label TEXT NOT NULL,
    entry_index INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    reason TEXT NOT NULL,
    status INTEGER,
    failure TEXT,
    started_at INTEGER NOT NULL,
    latency_ms REAL,
    ttft_ms REAL,
    retries INTEGER,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    continuation INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (request_id, position)
  );
  CREATE INDEX attempts_started_at ON attempts (started_at);
  `,
  `
  CREATE TABLE rate_limit_snapshot (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    state TEXT NOT NULL,
    saved_at INTEGER NOT NULL
  );
  `,
  // Most rows are answered 200s from unnamed clients. Partial indexes leave those rows out, so
  // a row costs four index writes instead of seven, and the filters that look for the rare
  // rows (a failure, a status, a client) still seek. A model filter walks the time index.
  `
  DROP INDEX requests_model;
  DROP INDEX requests_client;
  DROP INDEX requests_outcome;
  DROP INDEX requests_status;
  CREATE INDEX requests_client ON requests (client, started_at, id) WHERE client IS NOT NULL;
  CREATE INDEX requests_unanswered ON requests (outcome, started_at, id) WHERE outcome <> 'answered';
  CREATE INDEX requests_status ON requests (status, started_at, id) WHERE status <> 200;
  `,
  // Responses kept for `previous_response_id` and `GET /v1/responses/{id}` (sqlite-response-store.ts).
  `
  CREATE TABLE responses (
    id TEXT PRIMARY KEY NOT NULL,
    created_at INTEGER NOT NULL,
    data TEXT NOT NULL
  );
  CREATE INDEX responses_created_at ON responses (created_at);
  `,
];

/** The schema version this code writes. */
export const schemaVersion = migrations.length;

/** Opens (creating when missing) the database at `options.path`, in WAL mode, migrated to {@link schemaVersion}. */
export function openDatabase(options: OpenDatabaseOptions): DatabaseSync {
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (!(Number.isInteger(busyTimeoutMs) && busyTimeoutMs >= 0)) {
    throw new RangeError(`busyTimeoutMs must be a whole number of milliseconds, not ${busyTimeoutMs}`);
  }
  if (!isInMemory(options.path) && !options.path.startsWith('file:')) prepareFiles(options.path);
  const database = new DatabaseSync(options.path);
  try {
    database.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    // WAL lets the dashboard read while the logger writes; an in-memory database stays 'memory'.
    database.exec('PRAGMA journal_mode = WAL');
    database.exec('PRAGMA synchronous = NORMAL');
    migrateDatabase(database, options.path);
  } catch (error) {
    database.close();
    throw error;
  }
  return database;
}

/** Runs `work` inside one `BEGIN IMMEDIATE` transaction: committed whole, or rolled back and rethrown. */
export function inTransaction<T>(database: DatabaseSync, work: () => T): T {
  database.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    database.exec('COMMIT');
    return result;
  } catch (error) {
    if (database.isTransaction) database.exec('ROLLBACK');
    throw error;
  }
}

const statementCache = new WeakMap<DatabaseSync, Map<string, StatementSync>>();

/** Prepares `sql` on `database` once and reuses the statement afterwards. */
export function preparedStatement(database: DatabaseSync, sql: string): StatementSync {
  let statements = statementCache.get(database);
  if (statements === undefined) {
    statements = new Map();
    statementCache.set(database, statements);
  }
  let statement = statements.get(sql);
  if (statement === undefined) {
    statement = database.prepare(sql);
    statements.set(sql, statement);
  }
  return statement;
}

/** Applies each pending migration in its own transaction; refuses a database newer than this code. */
function migrateDatabase(database: DatabaseSync, path: string): void {
  for (;;) {
    const applied = inTransaction(database, () => {
      // Read inside the transaction: another process may have migrated meanwhile.
      const version = readUserVersion(database);
      if (version > schemaVersion) {
        throw new Error(
          `The database "${path}" has schema version ${version}, newer than this version of ` +
            `@429chain/server understands (${schemaVersion}); upgrade 429chain or use another database file.`,
        );
      }
      const migration = migrations[version];
      if (migration === undefined) return false;
      database.exec(migration);
      database.exec(`PRAGMA user_version = ${version + 1}`);
      return true;
    });
    if (!applied) return;
  }
}

function readUserVersion(database: DatabaseSync): number {
  const row = database.prepare('PRAGMA user_version').get() as { user_version?: unknown } | undefined;
  return Number(row?.user_version ?? 0);
}

/**
 * Makes the database's folder (0700, when this creates it) and file (0600) before SQLite opens
 * it: SQLite gives its WAL and shared-memory files the database file's mode, so the request
 * log is readable by this user alone. Files from an older version are tightened to 0600 too.
 * A folder or file that cannot be written fails here, with its path, not inside SQLite.
 */
function prepareFiles(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

function isInMemory(path: string): boolean {
  return path === ':memory:' || path === '';
}
