import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { SkipKind } from '@429chain/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openDatabase } from './open-database.ts';
import { createSqliteRequestLogger, type SqliteRequestLogger } from './sqlite-request-logger.ts';
import { sampleAttempt, sampleRecord } from './testing/sample-record.ts';

const dayMs = 86_400_000;
const now = 1_750_000_000_000;

const cleanups: (() => void | Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function memoryDatabase(): DatabaseSync {
  const database = openDatabase({ path: ':memory:' });
  cleanups.push(() => database.close());
  return database;
}

function temporaryPath(): string {
  const directory = mkdtempSync(join(tmpdir(), '429chain-request-logger-'));
  cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
  return join(directory, '429chain.db');
}

function logger(options: Parameters<typeof createSqliteRequestLogger>[0]): SqliteRequestLogger {
  const created = createSqliteRequestLogger(options);
  cleanups.push(() => created.close().catch(() => {}));
  return created;
}

function count(database: DatabaseSync, table: 'requests' | 'attempts'): number {
  return Number(database.prepare(`SELECT COUNT(*) AS count FROM ${table}`).get()?.count);
}

function ids(database: DatabaseSync): string[] {
  return database
    .prepare('SELECT id FROM requests ORDER BY started_at, id')
    .all()
    .map((row) => String(row.id));
}

/** A record with two attempts: a rate-limited one, then the answer. */
function twoAttemptRecord(index: number, startedAt = now - 1_000 + index) {
  return sampleRecord({
    id: `request-${String(index).padStart(5, '0')}`,
    startedAt,
    provider: 'cerebras',
    attempts: [
      sampleAttempt({
        outcome: 'failed',
        reason: '429',
        status: 429,
        failure: 'rate-limit',
        usage: undefined,
      }),
      sampleAttempt({ provider: 'cerebras', entryIndex: 1 }),
    ],
  });
}

describe('sqlite request logger', () => {
  it('writes nothing inside log(): the record waits in the buffer for the timer', async () => {
    const database = memoryDatabase();
    const requestLog = logger({ database, flushIntervalMs: 20 });

    requestLog.log(sampleRecord({ id: 'first' }));

    expect(count(database, 'requests')).toBe(0);
    expect(requestLog.pending).toBe(1);
    await vi.waitFor(() => expect(count(database, 'requests')).toBe(1));
    expect(count(database, 'attempts')).toBe(1);
    expect(requestLog.pending).toBe(0);
  });

  it('writes a full batch on a later tick without waiting for the interval', async () => {
    const database = memoryDatabase();
    const requestLog = logger({ database, flushIntervalMs: 60_000, maxBatch: 10 });

    for (let index = 0; index < 10; index++) requestLog.log(twoAttemptRecord(index));

    expect(count(database, 'requests')).toBe(0);
    await vi.waitFor(() => expect(count(database, 'requests')).toBe(10), { timeout: 1_000 });
  });

  it('holds a partial batch until the interval, and flush() writes it at once', async () => {
    const database = memoryDatabase();
    const requestLog = logger({ database, flushIntervalMs: 60_000, maxBatch: 100 });

    for (let index = 0; index < 5; index++) requestLog.log(twoAttemptRecord(index));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(count(database, 'requests')).toBe(0);

    await requestLog.flush();
    expect(count(database, 'requests')).toBe(5);
    expect(count(database, 'attempts')).toBe(10);
  });

  it('writes a backlog larger than one batch in several batches, all of it', async () => {
    const database = memoryDatabase();
    const requestLog = logger({ database, flushIntervalMs: 60_000, maxBatch: 7 });

    for (let index = 0; index < 50; index++) requestLog.log(twoAttemptRecord(index));

    await vi.waitFor(() => expect(count(database, 'requests')).toBe(50), { timeout: 1_000 });
    expect(count(database, 'attempts')).toBe(100);
  });

  it('has every record in the database once close() resolves (1000 records)', async () => {
    const path = temporaryPath();
    const database = openDatabase({ path });
    const requestLog = createSqliteRequestLogger({ database, flushIntervalMs: 60_000 });

    for (let index = 0; index < 1000; index++) requestLog.log(twoAttemptRecord(index));
    await requestLog.close();
    database.close();

    const reopened = openDatabase({ path });
    try {
      expect(count(reopened, 'requests')).toBe(1000);
      expect(count(reopened, 'attempts')).toBe(2000);
    } finally {
      reopened.close();
    }
  });

  it('keeps and retries the records when a write fails, and reports the failure', async () => {
    const database = memoryDatabase();
    const errors: unknown[] = [];
    const requestLog = logger({ database, flushIntervalMs: 10, onError: (error) => errors.push(error) });
    database.exec(
      `CREATE TEMP TRIGGER refuse_requests BEFORE INSERT ON requests
       BEGIN SELECT RAISE(ABORT, 'the disk is full'); END`,
    );

    for (let index = 0; index < 5; index++) requestLog.log(twoAttemptRecord(index));
    await vi.waitFor(() => expect(errors.length).toBeGreaterThanOrEqual(1));
    expect(String(errors[0])).toMatch(/the disk is full/);
    expect(count(database, 'requests')).toBe(0);
    expect(count(database, 'attempts')).toBe(0);
    expect(requestLog.pending).toBe(5);

    requestLog.log(twoAttemptRecord(5));
    database.exec('DROP TRIGGER refuse_requests');

    await vi.waitFor(() => expect(count(database, 'requests')).toBe(6), { timeout: 2_000 });
    expect(count(database, 'attempts')).toBe(12);
    expect(requestLog.pending).toBe(0);
  });

  it('retries while another connection holds the write lock, losing nothing', async () => {
    const path = temporaryPath();
    const database = openDatabase({ path, busyTimeoutMs: 0 });
    cleanups.push(() => database.close());
    const other = new DatabaseSync(path);
    cleanups.push(() => other.close());
    const errors: unknown[] = [];
    const requestLog = logger({ database, flushIntervalMs: 10, onError: (error) => errors.push(error) });

    other.exec('BEGIN IMMEDIATE');
    for (let index = 0; index < 3; index++) requestLog.log(twoAttemptRecord(index));
    await vi.waitFor(() => expect(errors.length).toBeGreaterThanOrEqual(1));
    expect(String(errors[0])).toMatch(/locked|busy/i);
    other.exec('COMMIT');

    await vi.waitFor(() => expect(count(database, 'requests')).toBe(3), { timeout: 2_000 });
  });

  it('rejects flush() while writes fail, keeps the records, and close() writes them once writes work', async () => {
    const database = memoryDatabase();
    const requestLog = logger({ database, flushIntervalMs: 60_000, onError: () => {} });
    database.exec(
      `CREATE TEMP TRIGGER refuse_attempts BEFORE INSERT ON attempts
       BEGIN SELECT RAISE(ABORT, 'refused'); END`,
    );
    for (let index = 0; index < 3; index++) requestLog.log(twoAttemptRecord(index));

    await expect(requestLog.flush()).rejects.toThrow(/refused/);
    // The transaction rolled back as a whole: no request row without its attempts.
    expect(count(database, 'requests')).toBe(0);
    expect(requestLog.pending).toBe(3);

    database.exec('DROP TRIGGER refuse_attempts');
    await requestLog.close();
    expect(count(database, 'requests')).toBe(3);
    expect(count(database, 'attempts')).toBe(6);
  });

  it('drops the oldest records, and says so, once the buffer is full while writes fail', async () => {
    const database = memoryDatabase();
    const errors: unknown[] = [];
    const requestLog = logger({
      database,
      flushIntervalMs: 60_000,
      maxBatch: 2,
      maxBuffered: 5,
      onError: (error) => errors.push(error),
    });
    database.exec(
      `CREATE TEMP TRIGGER refuse_requests BEFORE INSERT ON requests
       BEGIN SELECT RAISE(ABORT, 'refused'); END`,
    );

    for (let index = 0; index < 8; index++) requestLog.log(twoAttemptRecord(index));

    expect(requestLog.pending).toBe(5);
    expect(errors.map(String).join('\n')).toMatch(/buffer is full \(5 records\); dropped the 1 oldest/);
    database.exec('DROP TRIGGER refuse_requests');
    await requestLog.flush();
    expect(ids(database)).toEqual([3, 4, 5, 6, 7].map((index) => `request-0000${index}`));
  });

  it('still writes a record logged after close()', async () => {
    const database = memoryDatabase();
    const requestLog = logger({ database });
    await requestLog.close();

    requestLog.log(sampleRecord({ id: 'late' }));

    expect(count(database, 'requests')).toBe(0);
    await vi.waitFor(() => expect(ids(database)).toEqual(['late']));
  });

  it('replaces a record logged twice under the same id, attempts included', async () => {
    const database = memoryDatabase();
    const requestLog = logger({ database });
    requestLog.log(twoAttemptRecord(1));
    await requestLog.flush();
    requestLog.log(sampleRecord({ id: 'request-00001', status: 503, outcome: 'failed' }));
    await requestLog.flush();

    expect(database.prepare('SELECT id, status, outcome FROM requests').all()).toEqual([
      { id: 'request-00001', status: 503, outcome: 'failed' },
    ]);
    expect(count(database, 'attempts')).toBe(1);
  });

  it('stores the attempt, skip, rate-limit and error counts, the fallback flag and the client of each request', async () => {
    const database = memoryDatabase();
    const requestLog = logger({ database });
    const skipped = (failure: SkipKind) =>
      sampleAttempt({ outcome: 'skipped', reason: failure, failure, status: undefined, usage: undefined });
    const answered = sampleAttempt({ provider: 'cerebras', entryIndex: 1 });
    requestLog.log(sampleRecord({ id: 'direct', metadata: { client: 'alice', team: 'search' } }));
    requestLog.log(sampleRecord({ id: 'unsuitable-first', attempts: [skipped('unsuitable'), answered] }));
    requestLog.log(sampleRecord({ id: 'cooldown-first', attempts: [skipped('cooldown'), answered] }));
    requestLog.log(twoAttemptRecord(1));
    requestLog.log(
      sampleRecord({
        id: 'all-failed',
        outcome: 'failed',
        status: 502,
        provider: undefined,
        model: undefined,
        usage: undefined,
        error: { code: 'chain_exhausted', message: 'every entry failed' },
        attempts: [sampleAttempt({ outcome: 'failed', failure: 'server', status: 500 })],
      }),
    );
    await requestLog.flush();

    const rows = database
      .prepare(
        `SELECT id, attempt_count, fallback, skipped_count, rate_limited_count, error_count, client
         FROM requests ORDER BY id`,
      )
      .all();
    const row = (id: string, counts: number[], client: string | null = null) => {
      const [attempts, fallback, skipped, rateLimited, errors] = counts;
      return {
        id,
        attempt_count: attempts,
        fallback,
        skipped_count: skipped,
        rate_limited_count: rateLimited,
        error_count: errors,
        client,
      };
    };
    expect(rows).toEqual([
      row('all-failed', [1, 0, 0, 0, 1]),
      row('cooldown-first', [1, 1, 1, 1, 0]),
      row('direct', [1, 0, 0, 0, 0], 'alice'),
      row('request-00001', [2, 1, 0, 1, 0]),
      row('unsuitable-first', [1, 0, 1, 0, 0]),
    ]);
  });

  it('prunes requests older than maxAgeDays, with their attempts', async () => {
    const database = memoryDatabase();
    const writer = logger({ database, retention: { maxAgeDays: Number.POSITIVE_INFINITY } });
    for (const [index, ageDays] of [40, 31, 29, 1].entries()) {
      writer.log(twoAttemptRecord(index, now - ageDays * dayMs));
    }
    await writer.close();

    const requestLog = logger({ database, now: () => now, retention: { maxAgeDays: 30 } });
    await requestLog.prune();

    expect(ids(database)).toEqual(['request-00002', 'request-00003']);
    expect(count(database, 'attempts')).toBe(4);
  });

  it('prunes once at startup without being asked', async () => {
    const database = memoryDatabase();
    const writer = logger({ database, retention: { maxAgeDays: Number.POSITIVE_INFINITY } });
    writer.log(twoAttemptRecord(1, now - 45 * dayMs));
    writer.log(twoAttemptRecord(2, now - dayMs));
    await writer.close();

    logger({ database, now: () => now });

    await vi.waitFor(() => expect(ids(database)).toEqual(['request-00002']));
    expect(count(database, 'attempts')).toBe(2);
  });

  it('prunes on its interval as rows age', async () => {
    const database = memoryDatabase();
    let clock = now;
    const requestLog = logger({
      database,
      now: () => clock,
      pruneIntervalMs: 20,
      retention: { maxAgeDays: 1 },
    });
    requestLog.log(twoAttemptRecord(1, now - 1_000));
    await requestLog.flush();
    expect(count(database, 'requests')).toBe(1);

    clock = now + 2 * dayMs;

    await vi.waitFor(() => expect(count(database, 'requests')).toBe(0));
    expect(count(database, 'attempts')).toBe(0);
  });

  it('keeps only the newest maxRows requests', async () => {
    const database = memoryDatabase();
    const requestLog = logger({ database, now: () => now, retention: { maxRows: 10 } });
    for (let index = 0; index < 25; index++) requestLog.log(twoAttemptRecord(index));
    await requestLog.flush();

    expect(await requestLog.prune()).toBe(15);

    expect(ids(database)).toEqual(Array.from({ length: 10 }, (_, index) => `request-000${15 + index}`));
    expect(count(database, 'attempts')).toBe(20);
  });

  it('prunes a large excess in several transactions, all of it', async () => {
    const database = memoryDatabase();
    const requestLog = logger({ database, now: () => now, maxBatch: 1000, retention: { maxRows: 100 } });
    for (let index = 0; index < 4_500; index++) requestLog.log(twoAttemptRecord(index));
    await requestLog.flush();

    expect(await requestLog.prune()).toBe(4_400);

    expect(count(database, 'requests')).toBe(100);
    expect(ids(database)[0]).toBe('request-04400');
    expect(count(database, 'attempts')).toBe(200);
  });

  it('refuses options that would make it misbehave', () => {
    const database = memoryDatabase();
    expect(() => createSqliteRequestLogger({ database, maxBatch: 0 })).toThrow(RangeError);
    expect(() => createSqliteRequestLogger({ database, flushIntervalMs: Number.POSITIVE_INFINITY })).toThrow(
      /flushIntervalMs/,
    );
    expect(() => createSqliteRequestLogger({ database, retention: { maxRows: 1.5 } })).toThrow(/maxRows/);
    expect(() => createSqliteRequestLogger({ database, retention: { maxAgeDays: 0 } })).toThrow(/maxAgeDays/);
  });
});
