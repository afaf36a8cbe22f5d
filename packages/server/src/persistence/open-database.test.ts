import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createSqliteStore } from '@429chain/core/stores/sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { migrations, openDatabase, schemaVersion } from './open-database.ts';

const temporaryDirectories: string[] = [];

function temporaryDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), '429chain-open-database-'));
  temporaryDirectories.push(directory);
  return directory;
}

function tableNames(database: DatabaseSync): string[] {
  const rows = database.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all();
  return rows.map((row) => String(row.name));
}

function userVersion(database: DatabaseSync): number {
  return Number(database.prepare('PRAGMA user_version').get()?.user_version);
}

describe('openDatabase', () => {
  afterEach(() => {
    for (const directory of temporaryDirectories.splice(0))
      rmSync(directory, { recursive: true, force: true });
  });

  it('creates the parent directory and the schema of a fresh file, in WAL mode', () => {
    const path = join(temporaryDirectory(), 'nested', 'deeper', '429chain.db');
    const database = openDatabase({ path });
    try {
      expect(existsSync(path)).toBe(true);
      expect(tableNames(database)).toEqual(expect.arrayContaining(['attempts', 'requests']));
      expect(userVersion(database)).toBe(schemaVersion);
      expect(database.prepare('PRAGMA journal_mode').get()?.journal_mode).toBe('wal');
      // NORMAL is 1.
      expect(database.prepare('PRAGMA synchronous').get()?.synchronous).toBe(1);
      expect(database.prepare('PRAGMA busy_timeout').get()?.timeout).toBe(5000);
    } finally {
      database.close();
    }
  });

  it('reopens a migrated file without migrating again, keeping its rows', () => {
    const path = join(temporaryDirectory(), '429chain.db');
    const first = openDatabase({ path });
    first
      .prepare(
        `INSERT INTO requests (id, started_at, ended_at, chain, kind, stream, outcome, attempt_count, fallback)
         VALUES ('kept', 1, 2, 'fast', 'chat', 0, 'answered', 1, 0)`,
      )
      .run();
    first.close();

    const second = openDatabase({ path });
    try {
      expect(userVersion(second)).toBe(schemaVersion);
      expect(
        second
          .prepare('SELECT id FROM requests')
          .all()
          .map((row) => row.id),
      ).toEqual(['kept']);
    } finally {
      second.close();
    }
  });

  it('migrates a version-2 file: its rows stay, and partial indexes replace four full ones', () => {
    const path = join(temporaryDirectory(), '429chain.db');
    const older = new DatabaseSync(path);
    older.exec(migrations[0]!);
    older.exec(migrations[1]!);
    older.exec('PRAGMA user_version = 2');
    older
      .prepare(
        `INSERT INTO requests (id, started_at, ended_at, chain, kind, stream, outcome, status, attempt_count, fallback)
         VALUES ('kept', 1, 2, 'fast', 'chat', 0, 'failed', 429, 1, 0)`,
      )
      .run();
    older.close();

    const database = openDatabase({ path });
    try {
      expect(userVersion(database)).toBe(schemaVersion);
      const indexes = database
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'requests' AND sql IS NOT NULL",
        )
        .all()
        .map((row) => String(row.name))
        .sort();
      expect(indexes).toEqual([
        'requests_chain',
        'requests_client',
        'requests_provider',
        'requests_started_at',
        'requests_status',
        'requests_unanswered',
      ]);
      expect(database.prepare('SELECT id FROM requests').all()).toEqual([{ id: 'kept' }]);
      // The migrated index holds the old row: it was built from the table, not left empty.
      expect(
        database
          .prepare('SELECT COUNT(*) AS count FROM requests INDEXED BY requests_status WHERE status <> 200')
          .get()?.count,
      ).toBe(1);
    } finally {
      database.close();
    }
  });

  it('refuses a database written by a newer version, leaving it untouched', () => {
    const path = join(temporaryDirectory(), '429chain.db');
    const newer = new DatabaseSync(path);
    newer.exec('PRAGMA user_version = 99');
    newer.close();

    expect(() => openDatabase({ path })).toThrow(
      new RegExp(`schema version 99, newer than .* understands \\(${schemaVersion}\\)`),
    );

    const check = new DatabaseSync(path);
    try {
      expect(userVersion(check)).toBe(99);
      expect(tableNames(check)).not.toContain('requests');
    } finally {
      check.close();
    }
  });

  it('opens an in-memory database with the same schema', () => {
    const database = openDatabase({ path: ':memory:' });
    try {
      expect(tableNames(database)).toEqual(expect.arrayContaining(['attempts', 'requests']));
      expect(userVersion(database)).toBe(schemaVersion);
    } finally {
      database.close();
    }
  });

  it('shares its file with the core rate-limit store, which keeps its own version', async () => {
    const path = join(temporaryDirectory(), '429chain.db');
    const database = openDatabase({ path });
    const store = createSqliteStore({ database });
    try {
      await store.block({ now: 1, scope: 'groq~key1', state: 'cooldown', until: 60_000, reason: '429' });
      expect(tableNames(database)).toEqual(
        expect.arrayContaining(['attempts', 'requests', 'ratelimit_blocks', 'ratelimit_meta']),
      );
      expect(userVersion(database)).toBe(schemaVersion);
    } finally {
      await store.close();
      database.close();
    }
    const reopened = openDatabase({ path });
    reopened.close();
  });

  it('rejects a busy timeout that is not a whole number of milliseconds', () => {
    expect(() => openDatabase({ path: ':memory:', busyTimeoutMs: -1 })).toThrow(RangeError);
  });
});
