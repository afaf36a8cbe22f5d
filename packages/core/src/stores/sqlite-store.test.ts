import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { type BucketDemand, bucketId } from '../rate-limit/bucket.ts';
import { describeRateLimitStore } from '../testing/store-conformance.ts';
import { createSqliteStore } from './sqlite-store.ts';

const temporaryDirectories: string[] = [];

/** A path to a database file in a fresh temporary directory, removed by `removeTemporaryFiles`. */
function temporaryDatabasePath(): string {
  const directory = mkdtempSync(join(tmpdir(), '429chain-sqlite-store-'));
  temporaryDirectories.push(directory);
  return join(directory, 'rate-limits.db');
}

function removeTemporaryFiles(): void {
  for (const directory of temporaryDirectories.splice(0)) rmSync(directory, { recursive: true, force: true });
}

describeRateLimitStore({ name: 'sqlite store (in memory)', createStore: () => createSqliteStore({}) });

describeRateLimitStore({
  name: 'sqlite store (file)',
  createStore: () => createSqliteStore({ path: temporaryDatabasePath() }),
  cleanup: removeTemporaryFiles,
});

const start = 1_700_000_000_000;
const requests = {
  id: bucketId({ scope: 'groq~key1', kind: 'requests', window: 'minute', source: 'manual' }),
  scope: 'groq~key1',
  kind: 'requests',
  window: 'minute',
  source: 'manual',
} as const;
const slots = {
  id: bucketId({ scope: 'groq~key1', kind: 'concurrency', window: 'none', source: 'manual' }),
  scope: 'groq~key1',
  kind: 'concurrency',
  window: 'none',
  source: 'manual',
} as const;

describe('sqlite store', () => {
  afterEach(removeTemporaryFiles);

  it('keeps buckets, blocks, failure counts and leases across a restart', async () => {
    const path = temporaryDatabasePath();
    const first = createSqliteStore({ path });
    await first.acquire({
      now: start,
      leaseId: 'running',
      leaseExpiresAt: start + 60_000,
      blockScopes: [],
      buckets: [
        { ...requests, cost: 1, limit: 10, nextResetAt: start + 60_000 },
        { ...slots, cost: 1, limit: 1 },
      ],
      probeUntil: start + 30_000,
    });
    await first.block({
      now: start,
      scope: 'cerebras~key2',
      state: 'parked',
      until: start + 86_400_000,
      reason: 'no credit',
    });
    await first.recordFailure({ now: start, scope: 'groq~key1/llama' });
    await first.recordFailure({ now: start, scope: 'groq~key1/llama' });
    const before = await first.snapshot({ now: start + 1 });
    await first.close();

    const second = createSqliteStore({ path });
    try {
      expect(await second.snapshot({ now: start + 1 })).toEqual(before);
      expect(before.buckets.find((bucket) => bucket.id === requests.id)).toMatchObject({
        remaining: 9,
        inFlight: 1,
      });
      expect(before.blocks).toEqual([
        {
          scope: 'cerebras~key2',
          state: 'parked',
          until: start + 86_400_000,
          reason: 'no credit',
          since: start,
          release: 'probe',
          probeUntil: null,
        },
      ]);
      const slotTaken = await second.acquire({
        now: start + 2,
        leaseId: 'next',
        leaseExpiresAt: start + 60_000,
        blockScopes: [],
        buckets: [{ ...slots, cost: 1, limit: 1 }],
        probeUntil: start + 30_000,
      });
      expect(slotTaken.ok).toBe(false);
      await second.settle({
        now: start + 3,
        leaseId: 'running',
        buckets: [
          { id: requests.id, reserved: 1, used: 0 },
          { id: slots.id, reserved: 1 },
        ],
      });
      const after = await second.snapshot({ now: start + 3 });
      expect(after.buckets.find((bucket) => bucket.id === requests.id)).toMatchObject({
        remaining: 10,
        inFlight: 0,
      });
      expect(after.buckets.find((bucket) => bucket.id === slots.id)).toMatchObject({ inFlight: 0 });
      expect(await second.recordFailure({ now: start + 3, scope: 'groq~key1/llama' })).toEqual({
        count: 3,
        since: start,
      });
    } finally {
      await second.close();
    }
  });

  it('admits exactly the remaining units when 4 processes race 25 acquires each on one file', async () => {
    const path = temporaryDatabasePath();
    const seed = createSqliteStore({ path });
    await seed.observe({
      now: start,
      observations: [{ ...requests, limit: 30, remaining: 30, resetAt: start + 3_600_000 }],
    });
    await seed.close();

    const demand: BucketDemand = { ...requests, cost: 1 };
    const fixture = new URL('./fixtures/race-acquire.ts', import.meta.url);
    const workers = Array.from({ length: 4 }, (_, index) =>
      fork(fixture, [path, `worker-${index}`, '25', JSON.stringify(demand)], {
        execPath: process.execPath,
        execArgv: ['--conditions=@429chain/source', '--disable-warning=ExperimentalWarning'],
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      }),
    );
    const errors: string[] = [];
    for (const worker of workers) worker.stderr?.on('data', (chunk: Buffer) => errors.push(chunk.toString()));
    const exited = workers.map(
      (worker) =>
        new Promise<number | null>((resolve) => {
          worker.once('exit', (code) => resolve(code));
        }),
    );
    const ready = workers.map(
      (worker) =>
        new Promise<void>((resolve, reject) => {
          worker.once('message', () => resolve());
          worker.once('exit', (code) =>
            reject(new Error(`worker exited early (${code}): ${errors.join('')}`)),
          );
        }),
    );
    await Promise.all(ready);
    const counts = workers.map(
      (worker) =>
        new Promise<number>((resolve) => {
          worker.once('message', (message) => resolve((message as { admitted: number }).admitted));
        }),
    );
    for (const worker of workers) worker.send('go');
    const admitted = await Promise.all(counts);
    expect(await Promise.all(exited)).toEqual([0, 0, 0, 0]);

    expect(admitted.reduce((sum, count) => sum + count, 0)).toBe(30);
    const check = createSqliteStore({ path });
    try {
      const { buckets } = await check.snapshot({ now: start });
      expect(buckets.find((bucket) => bucket.id === requests.id)).toMatchObject({
        remaining: 0,
        inFlight: 30,
      });
    } finally {
      await check.close();
    }
  }, 60_000);

  it('uses WAL journal mode for a file', async () => {
    const path = temporaryDatabasePath();
    const store = createSqliteStore({ path });
    await store.close();
    const database = new DatabaseSync(path);
    try {
      expect(database.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    } finally {
      database.close();
    }
  });

  it('leaves open a connection it was given, and keeps stores with different table prefixes apart', async () => {
    const database = new DatabaseSync(':memory:');
    try {
      const groq = createSqliteStore({ database, tablePrefix: 'groq_limits_' });
      const other = createSqliteStore({ database });
      await groq.recordFailure({ now: start, scope: 'groq~key1' });
      expect((await other.recordFailure({ now: start, scope: 'groq~key1' })).count).toBe(1);
      expect((await groq.recordFailure({ now: start, scope: 'groq~key1' })).count).toBe(2);
      await groq.close();
      await other.close();
      expect(database.isOpen).toBe(true);
      const tables = database
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .all()
        .map((row) => row.name);
      expect(tables).toEqual([
        'groq_limits_blocks',
        'groq_limits_buckets',
        'groq_limits_failures',
        'groq_limits_leases',
        'groq_limits_meta',
        'ratelimit_blocks',
        'ratelimit_buckets',
        'ratelimit_failures',
        'ratelimit_leases',
        'ratelimit_meta',
      ]);
    } finally {
      database.close();
    }
  });

  it('refuses a table prefix that is not a plain identifier', () => {
    expect(() => createSqliteStore({ tablePrefix: 'limits; DROP TABLE x; --' })).toThrow(TypeError);
    expect(() => createSqliteStore({ tablePrefix: '1limits_' })).toThrow(TypeError);
  });

  it('refuses tables written by a newer schema version', async () => {
    const path = temporaryDatabasePath();
    await createSqliteStore({ path }).close();
    const database = new DatabaseSync(path);
    database.exec("UPDATE ratelimit_meta SET value = '3' WHERE key = 'schema_version'");
    database.close();
    expect(() => createSqliteStore({ path })).toThrow(/schema version 3/);
  });

  it('opens its own tables again without recreating them', async () => {
    const database = new DatabaseSync(':memory:');
    try {
      const first = createSqliteStore({ database });
      await first.recordFailure({ now: start, scope: 'a~1' });
      const second = createSqliteStore({ database });
      expect((await second.recordFailure({ now: start, scope: 'a~1' })).count).toBe(2);
      expect(database.prepare('SELECT value FROM ratelimit_meta').get()).toEqual({ value: '2' });
    } finally {
      database.close();
    }
  });

  it('migrates version-1 tables: keeps buckets, blocks and failure counts, drops the old leases', async () => {
    const database = new DatabaseSync(':memory:');
    try {
      database.exec(`
        CREATE TABLE ratelimit_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        INSERT INTO ratelimit_meta VALUES ('schema_version', '1');
        CREATE TABLE ratelimit_buckets (id TEXT PRIMARY KEY, scope TEXT NOT NULL, kind TEXT NOT NULL,
          window_name TEXT NOT NULL, source TEXT NOT NULL, limit_units REAL, remaining REAL, reset_at INTEGER,
          in_flight REAL NOT NULL DEFAULT 0, updated_at INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE ratelimit_blocks (scope TEXT PRIMARY KEY, state TEXT NOT NULL, until INTEGER NOT NULL,
          reason TEXT NOT NULL, since INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE ratelimit_failures (scope TEXT PRIMARY KEY, consecutive INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE ratelimit_leases (lease_id TEXT NOT NULL, bucket_id TEXT NOT NULL, units REAL NOT NULL,
          expires_at INTEGER NOT NULL, PRIMARY KEY (lease_id, bucket_id)) WITHOUT ROWID;
      `);
      database
        .prepare('INSERT INTO ratelimit_buckets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(requests.id, requests.scope, 'requests', 'minute', 'manual', 10, 4, start + 60_000, 2, start);
      database.exec(`
        INSERT INTO ratelimit_blocks VALUES ('groq/llama', 'probing', ${start + 1000}, 'circuit', ${start});
        INSERT INTO ratelimit_blocks VALUES ('cerebras~key2', 'parked', ${start + 86_400_000}, 'no credit', ${start});
        INSERT INTO ratelimit_failures VALUES ('groq/llama', 4);
        INSERT INTO ratelimit_leases VALUES ('old', '${requests.id}', 2, ${start + 60_000});
      `);
      const store = createSqliteStore({ database });
      const snapshot = await store.snapshot({ now: start + 1 });
      expect(snapshot.buckets).toEqual([
        expect.objectContaining({
          id: requests.id,
          limit: 10,
          remaining: 4,
          inFlight: 0,
          windowMs: null,
          log: [],
        }),
      ]);
      expect(snapshot.blocks).toEqual([
        expect.objectContaining({ scope: 'cerebras~key2', state: 'parked', release: 'all' }),
        expect.objectContaining({ scope: 'groq/llama', state: 'circuit-open', release: 'probe' }),
      ]);
      expect(await store.recordFailure({ now: start + 2, scope: 'groq/llama' })).toEqual({
        count: 5,
        since: 0,
      });
      expect(database.prepare('SELECT value FROM ratelimit_meta').get()).toEqual({ value: '2' });
      await store.close();
    } finally {
      database.close();
    }
  });

  it('rejects calls after close', async () => {
    const store = createSqliteStore({});
    await store.close();
    await expect(store.snapshot({ now: start })).rejects.toThrow(/closed/);
    await expect(store.close()).resolves.toBeUndefined();
  });

  it('rolls back a method that fails halfway, leaving no transaction open', async () => {
    const database = new DatabaseSync(':memory:');
    try {
      const store = createSqliteStore({ database });
      database.exec('DROP TABLE ratelimit_leases');
      await expect(
        store.acquire({
          now: start,
          leaseId: 'a',
          leaseExpiresAt: start + 60_000,
          blockScopes: [],
          buckets: [{ ...requests, cost: 1, limit: 10 }],
          probeUntil: start + 30_000,
        }),
      ).rejects.toThrow(/no such table/);
      expect(database.isTransaction).toBe(false);
      expect(database.prepare('SELECT COUNT(*) AS count FROM ratelimit_buckets').get()).toEqual({ count: 0 });
    } finally {
      database.close();
    }
  });
});
