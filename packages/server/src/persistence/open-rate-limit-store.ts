import { resolve } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { createFallbackStore, createMemoryStore, type Logger, type RateLimitStore } from '@429chain/core';
import { createSqliteStore } from '@429chain/core/stores/sqlite';
import type { ServerSettings } from '../config/server-config-schema.ts';
import { persistMemoryStore } from './persist-memory-store.ts';

/** The rate-limit store's health, for `/ready` and `/metrics`. */
export interface StoreInfo {
  type: 'memory' | 'sqlite' | 'redis';
  /** The store answers. */
  up: boolean;
  /** Requests are served from a local memory store while the shared one is away. */
  fallback: boolean;
}

/** A store opened for the server, with its health and its own way to close. */
export interface OpenedStore {
  store: RateLimitStore;
  info(): StoreInfo;
  /** Closes the store and whatever connection it needed. */
  close(): Promise<void>;
}

/** Options of {@link openRateLimitStore}. */
export interface OpenRateLimitStoreOptions {
  /** `settings.store` and `settings.onStoreError` are read. */
  settings: Pick<ServerSettings, 'store' | 'onStoreError'>;
  /** `REDIS_URL` selects Redis when `settings.store` names no store. */
  env: Record<string, string | undefined>;
  /** The server's database, used by the default SQLite store. */
  database: DatabaseSync;
  /** Gets the outage warning and the recovery message of the Redis store. */
  logger?: Logger | undefined;
}

/** How long startup waits for Redis before it goes on (falling back, or refusing, as configured). */
const redisStartupWaitMs = 2_000;

/**
 * Opens the store `settings.store` names: by default the memory store snapshotted into
 * the server's database (`memory`; `persist: false` keeps nothing), the transactional
 * SQLite store (`sqlite`, for several processes sharing one file), or Redis (also chosen
 * by `REDIS_URL` when `settings.store` is not set). The
 * Redis client is created here, from the URL, and only when Redis is chosen; the store
 * itself only sees the client. Redis is wrapped in a fallback store that follows
 * `settings.onStoreError`.
 */
export async function openRateLimitStore(options: OpenRateLimitStoreOptions): Promise<OpenedStore> {
  const { settings, env } = options;
  const selected =
    settings.store ??
    (env.REDIS_URL ? { type: 'redis' as const, url: env.REDIS_URL } : { type: 'memory' as const });
  switch (selected.type) {
    case 'memory': {
      if (selected.persist === false) {
        const store = createMemoryStore();
        return {
          store,
          info: () => ({ type: 'memory', up: true, fallback: false }),
          close: () => store.close(),
        };
      }
      const persisted = persistMemoryStore({ database: options.database, logger: options.logger });
      return {
        store: persisted.store,
        info: () => ({ type: 'memory', up: true, fallback: false }),
        close: () => persisted.close(),
      };
    }
    case 'sqlite': {
      const store =
        selected.path !== undefined
          ? createSqliteStore({ path: resolve(selected.path) })
          : createSqliteStore({ database: options.database });
      let open = true;
      return {
        store,
        info: () => ({ type: 'sqlite', up: open, fallback: false }),
        async close() {
          open = false;
          await store.close();
        },
      };
    }
    case 'redis': {
      const { createRedisClient, createRedisStore, waitUntilReady } = await import('@429chain/redis');
      const client = createRedisClient({ url: selected.url });
      let redisStore: ReturnType<typeof createRedisStore>;
      try {
        redisStore = createRedisStore({ client, prefix: selected.prefix });
      } catch (error) {
        client.disconnect();
        throw error;
      }
      const store = createFallbackStore({
        primary: redisStore,
        onError: settings.onStoreError ?? 'allow',
        logger: options.logger,
        name: 'redis',
      });
      await waitUntilReady(client, redisStartupWaitMs);
      await store.check();
      return {
        store,
        info: () => {
          const status = store.status();
          return { type: 'redis', up: status.up, fallback: status.fallback };
        },
        async close() {
          await store.close();
          // QUIT waits for Redis; a dead one gets no wait at all.
          if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
          else client.disconnect();
        },
      };
    }
  }
}
