/**
 * Which rate-limit store the server opens: memory snapshotted into its database by default,
 * plain memory or SQLite when `settings.store` says so, Redis from `settings.store` or REDIS_URL —
 * and a Redis that cannot be reached never holds up startup. (Redis that answers is
 * exercised with a real redis-server in packages/redis.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from './open-database.ts';
import { type OpenedStore, openRateLimitStore } from './open-rate-limit-store.ts';

const opened: OpenedStore[] = [];
const databases: DatabaseSync[] = [];
let directory: string | undefined;

afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
  for (const database of databases.splice(0)) database.close();
  if (directory) rmSync(directory, { recursive: true, force: true });
  directory = undefined;
});

async function open(
  settings: Parameters<typeof openRateLimitStore>[0]['settings'],
  env: Record<string, string | undefined> = {},
): Promise<OpenedStore> {
  const database = openDatabase({ path: ':memory:' });
  databases.push(database);
  const store = await openRateLimitStore({ settings, env, database });
  opened.push(store);
  return store;
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
    });
  });
}

const now = 1_700_000_000_000;

describe('openRateLimitStore', () => {
  it('opens a memory store snapshotted into the server database by default, and restores it', async () => {
    const database = openDatabase({ path: ':memory:' });
    databases.push(database);
    const first = await openRateLimitStore({ settings: {}, env: {}, database });
    expect(first.info()).toEqual({ type: 'memory', up: true, fallback: false });
    await first.store.block({ now, scope: 'a', state: 'cooldown', until: now + 1_000, reason: 'r' });
    await first.close();

    const second = await openRateLimitStore({ settings: {}, env: {}, database });
    opened.push(second);
    expect((await second.store.snapshot({ now })).blocks).toEqual([
      expect.objectContaining({ scope: 'a', state: 'cooldown', until: now + 1_000 }),
    ]);
  });

  it('opens the transactional SQLite store on the server database for { type: sqlite }', async () => {
    const store = await open({ store: { type: 'sqlite' } });
    expect(store.info()).toEqual({ type: 'sqlite', up: true, fallback: false });
    await store.store.block({ now, scope: 'a', state: 'cooldown', until: now + 1_000, reason: 'r' });
    expect((await store.store.snapshot({ now })).blocks).toHaveLength(1);
    await store.close();
    expect(store.info().up).toBe(false);
  });

  it('opens a SQLite file of its own when settings.store names a path', async () => {
    directory = mkdtempSync(join(tmpdir(), '429chain-store-'));
    const store = await open({ store: { type: 'sqlite', path: join(directory, 'limits.db') } });
    expect(store.info().type).toBe('sqlite');
    await store.store.recordFailure({ now, scope: 'a' });
    expect(await store.store.recordFailure({ now, scope: 'a' })).toMatchObject({ count: 2 });
  });

  it('opens a plain memory store for { type: memory, persist: false }, even with REDIS_URL set', async () => {
    const store = await open(
      { store: { type: 'memory', persist: false } },
      { REDIS_URL: 'redis://127.0.0.1:1' },
    );
    expect(store.info()).toEqual({ type: 'memory', up: true, fallback: false });
  });

  it('chooses Redis from REDIS_URL and starts at once on the memory fallback when it cannot be reached (allow)', async () => {
    const began = Date.now();
    const store = await open({}, { REDIS_URL: `redis://127.0.0.1:${await closedPort()}` });
    expect(Date.now() - began).toBeLessThan(3_000);
    expect(store.info()).toEqual({ type: 'redis', up: false, fallback: true });
    const result = await store.store.acquire({
      now,
      leaseId: 'l',
      leaseExpiresAt: now + 60_000,
      blockScopes: [],
      buckets: [],
      probeUntil: now,
    });
    expect(result).toEqual({ ok: true, probes: [] });
  });

  it('refuses reservations with store_unavailable when Redis cannot be reached under deny', async () => {
    const url = `redis://127.0.0.1:${await closedPort()}`;
    const store = await open({ store: { type: 'redis', url }, onStoreError: 'deny' });
    expect(store.info()).toEqual({ type: 'redis', up: false, fallback: false });
    await expect(
      store.store.acquire({
        now,
        leaseId: 'l',
        leaseExpiresAt: now,
        blockScopes: [],
        buckets: [],
        probeUntil: now,
      }),
    ).rejects.toMatchObject({ code: 'store_unavailable', status: 503 });
  });

  it('refuses a Redis key prefix without a hash tag', async () => {
    await expect(
      open({ store: { type: 'redis', url: 'redis://127.0.0.1:1', prefix: 'plain:' } }),
    ).rejects.toThrow(/hash tag/);
  });
});
