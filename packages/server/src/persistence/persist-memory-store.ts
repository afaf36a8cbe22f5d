import type { DatabaseSync } from 'node:sqlite';
import { createMemoryStore, type Logger, type MemoryStore, type MemoryStoreState } from '@429chain/core';

/** Options of {@link persistMemoryStore}. */
export interface PersistMemoryStoreOptions {
  /** The server's database (migrated: it has the `rate_limit_snapshot` table). */
  database: DatabaseSync;
  /** How often a changed state is written (ms). @default 1000 */
  intervalMs?: number | undefined;
  /** @default Date.now */
  now?: (() => number) | undefined;
  logger?: Logger | undefined;
}

/** A memory store whose state is kept in the database file. */
export interface PersistedMemoryStore {
  store: MemoryStore;
  /** Writes the state now if it changed. */
  save(): void;
  /** Stops the timer, writes a last snapshot, and closes the store. */
  close(): Promise<void>;
}

/**
 * The server's default rate-limit store: the memory store (every decision atomic in
 * this process, no I/O on the request path), started from the snapshot in the database
 * file and written back there off the request path — on an unref'd timer when the state
 * changed, and once more on close — so cooldowns, parked keys and counts survive a
 * restart. A crash loses at most the last interval. For several processes sharing state
 * use the transactional SQLite store (`settings.store: { type: sqlite }`) or Redis.
 */
export function persistMemoryStore(options: PersistMemoryStoreOptions): PersistedMemoryStore {
  const { database } = options;
  const now = options.now ?? Date.now;
  const row = database.prepare('SELECT state FROM rate_limit_snapshot WHERE id = 1').get() as
    | { state: string }
    | undefined;
  let state: MemoryStoreState | undefined;
  if (row) {
    try {
      state = JSON.parse(row.state) as MemoryStoreState;
    } catch (error) {
      options.logger?.warn('ignored an unreadable rate-limit snapshot', { error: String(error) });
    }
  }
  const store = createMemoryStore({ state });
  const write = database.prepare(
    'INSERT INTO rate_limit_snapshot (id, state, saved_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state, saved_at = excluded.saved_at',
  );
  let savedVersion = store.version;
  const save = () => {
    if (store.version === savedVersion) return;
    const version = store.version;
    try {
      write.run(JSON.stringify(store.exportState()), now());
      savedVersion = version;
    } catch (error) {
      options.logger?.error('could not save the rate-limit snapshot', { error: String(error) });
    }
  };
  const timer = setInterval(save, options.intervalMs ?? 1_000);
  timer.unref();
  return {
    store,
    save,
    async close() {
      clearInterval(timer);
      save();
      await store.close();
    },
  };
}
