import type { DatabaseSync } from 'node:sqlite';
import type { ResponseStore, StoredResponse } from '@429chain/core';
import { preparedStatement } from './open-database.ts';

/** Options of {@link createSqliteResponseStore}. */
export interface SqliteResponseStoreOptions {
  database: DatabaseSync;
  /** Days a response is kept. @default 30 */
  maxAgeDays?: number | undefined;
  /** Most responses kept; the oldest go first. @default 10000 */
  maxResponses?: number | undefined;
  /** How often retention runs at most (ms); it runs on a write. @default 60000 */
  pruneIntervalMs?: number | undefined;
  /** The clock (epoch ms). @default Date.now */
  now?: (() => number) | undefined;
}

/**
 * The server's response store: `POST /v1/responses` answers kept in the server's SQLite file,
 * so a conversation continues by `previous_response_id` across restarts; retention bounds it by
 * age and by count.
 */
export function createSqliteResponseStore(options: SqliteResponseStoreOptions): ResponseStore & {
  /** Applies retention now; resolves to the number of responses deleted. */
  prune(): number;
} {
  const { database } = options;
  const now = options.now ?? Date.now;
  const maxAgeMs = (options.maxAgeDays ?? 30) * 86_400_000;
  const maxResponses = options.maxResponses ?? 10_000;
  const pruneIntervalMs = options.pruneIntervalMs ?? 60_000;
  let lastPrune = 0;
  const prune = () => {
    lastPrune = now();
    const old = preparedStatement(database, 'DELETE FROM responses WHERE created_at < ?').run(
      now() - maxAgeMs,
    );
    const over = preparedStatement(
      database,
      'DELETE FROM responses WHERE id IN (SELECT id FROM responses ORDER BY created_at DESC, id DESC LIMIT -1 OFFSET ?)',
    ).run(maxResponses);
    return Number(old.changes) + Number(over.changes);
  };
  return {
    get(id) {
      const row = preparedStatement(database, 'SELECT data, created_at FROM responses WHERE id = ?').get(
        id,
      ) as { data: string; created_at: number } | undefined;
      if (!row || row.created_at < now() - maxAgeMs) return undefined;
      return JSON.parse(row.data) as StoredResponse;
    },
    put(response) {
      preparedStatement(
        database,
        'INSERT OR REPLACE INTO responses (id, created_at, data) VALUES (?, ?, ?)',
      ).run(response.id, response.createdAt, JSON.stringify(response));
      if (now() - lastPrune >= pruneIntervalMs) prune();
    },
    delete(id) {
      return Number(preparedStatement(database, 'DELETE FROM responses WHERE id = ?').run(id).changes) > 0;
    },
    prune,
  };
}
