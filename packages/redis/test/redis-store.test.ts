/**
 * The Redis store against a real, throwaway redis-server: core's conformance suite,
 * then what only Redis has — keys, TTLs, the script cache, two clients racing.
 */
import { createFallbackStore } from '@429chain/core';
import { describeRateLimitStore } from '@429chain/core/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRedisClient, waitUntilReady } from '../src/create-redis-client.ts';
import { createRedisStore, hashTagOf, type RedisStore, rateLimitScriptSha } from '../src/redis-store.ts';
import { type RedisServerProcess, startRedisServer } from './start-redis-server.ts';

let server: RedisServerProcess;
let client: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  client = new Redis(server.url);
});
afterAll(async () => {
  client?.disconnect();
  await server?.close();
});

describeRateLimitStore({
  name: 'redis store',
  createStore: () => createRedisStore({ client }),
  cleanup: async () => {
    await client.flushdb();
  },
});

describeRateLimitStore({
  name: 'fallback store over the redis store',
  createStore: () => createFallbackStore({ primary: createRedisStore({ client }), probeIntervalMs: 60_000 }),
  cleanup: async () => {
    await client.flushdb();
  },
});

/** A bucket's id, as core builds it: `${scope}|${kind}:${window}:${source}`. */
function bucketId(key: { scope: string; kind: string; window: string; source: string }): string {
  return `${key.scope}|${key.kind}:${key.window}:${key.source}`;
}

const start = 1_700_000_000_000;
const minute = 60_000;
const requests = { scope: 'groq~key1', kind: 'requests', window: 'minute', source: 'manual' } as const;
const requestsId = bucketId(requests);

describe('redis store keys', () => {
  let store: RedisStore;
  afterEach(async () => {
    await store?.close();
    await client.flushdb();
  });

  it('keeps every key under the prefix, with one hash tag for a Redis Cluster slot', async () => {
    store = createRedisStore({ client, prefix: '{tenant-a}:rl:' });
    await store.acquire({
      now: start,
      leaseId: 'lease-1',
      leaseExpiresAt: start + 15 * minute,
      blockScopes: [],
      buckets: [{ ...requests, id: requestsId, cost: 1, limit: 10, nextResetAt: start + minute }],
      probeUntil: start + minute,
    });
    await store.block({
      now: start,
      scope: 'groq~key1',
      state: 'cooldown',
      until: start + 7_000,
      reason: 'r',
    });
    await store.recordFailure({ now: start, scope: 'groq~key1/m' });
    const keys = (await client.keys('*')).sort();
    expect(keys).toEqual(
      [
        '{tenant-a}:rl:block:groq~key1',
        '{tenant-a}:rl:blocks',
        `{tenant-a}:rl:bucket:${requestsId}`,
        '{tenant-a}:rl:buckets',
        '{tenant-a}:rl:failure-scopes',
        '{tenant-a}:rl:failures:groq~key1/m',
        '{tenant-a}:rl:lease:lease-1',
        '{tenant-a}:rl:leases',
      ].sort(),
    );
    expect(new Set(keys.map(hashTagOf))).toEqual(new Set(['tenant-a']));
  });

  it('refuses a prefix without a hash tag', () => {
    expect(() => createRedisStore({ client, prefix: '429chain:' })).toThrow(/hash tag/);
    expect(() => createRedisStore({ client, prefix: '{}:' })).toThrow(/hash tag/);
    // Redis hashes only the first {…}: an empty first one means no tag at all.
    expect(() => createRedisStore({ client, prefix: 'a{}{b}:' })).toThrow(/hash tag/);
  });

  it('keeps stores with different prefixes apart on one Redis', async () => {
    store = createRedisStore({ client, prefix: '{a}:' });
    const other = createRedisStore({ client, prefix: '{b}:' });
    await store.block({
      now: start,
      scope: 'groq~key1',
      state: 'parked',
      until: start + minute,
      reason: 'r',
    });
    expect((await other.snapshot({ now: start })).blocks).toEqual([]);
    expect((await store.snapshot({ now: start })).blocks).toHaveLength(1);
  });

  it('gives bucket keys a TTL of their reset plus the margin, relative to the caller’s clock', async () => {
    store = createRedisStore({ client, keyMarginMs: 10 * minute });
    await store.observe({
      now: start,
      observations: [{ ...requests, id: requestsId, limit: 30, remaining: 3, resetAt: start + minute }],
    });
    const ttl = await client.pttl(`{429chain}:bucket:${requestsId}`);
    expect(ttl).toBeGreaterThan(11 * minute - 5_000);
    expect(ttl).toBeLessThanOrEqual(11 * minute);
  });

  it('keeps a bucket at least as long as the leases that hold it', async () => {
    store = createRedisStore({ client, keyMarginMs: minute });
    const slots = { scope: 'groq~key1', kind: 'concurrency', window: 'none', source: 'manual' } as const;
    await store.acquire({
      now: start,
      leaseId: 'long',
      leaseExpiresAt: start + 120 * minute,
      blockScopes: [],
      buckets: [{ ...slots, id: bucketId(slots), cost: 1, limit: 2 }],
      probeUntil: start,
    });
    const bucketTtl = await client.pttl(`{429chain}:bucket:${bucketId(slots)}`);
    const leaseTtl = await client.pttl('{429chain}:lease:long');
    expect(leaseTtl).toBeGreaterThan(121 * minute - 5_000);
    expect(leaseTtl).toBeLessThanOrEqual(121 * minute);
    expect(bucketTtl).toBeGreaterThanOrEqual(leaseTtl - 1_000);
  });

  it('gives blocks a TTL of their end plus the margin, and half-open circuits the idle TTL beyond it', async () => {
    store = createRedisStore({ client, keyMarginMs: minute, idleTtlMs: 60 * minute });
    await store.block({ now: start, scope: 'a', state: 'cooldown', until: start + 7_000, reason: 'r' });
    await store.block({ now: start, scope: 'b', state: 'circuit-open', until: start + 30_000, reason: 'r' });
    const cooldown = await client.pttl('{429chain}:block:a');
    const circuit = await client.pttl('{429chain}:block:b');
    expect(cooldown).toBeGreaterThan(67_000 - 5_000);
    expect(cooldown).toBeLessThanOrEqual(67_000);
    expect(circuit).toBeGreaterThan(60 * minute + 30_000 - 5_000);
  });

  it('lets a failure count lapse after failureTtlMs', async () => {
    store = createRedisStore({ client, failureTtlMs: 1_000 });
    expect(await store.recordFailure({ now: start, scope: 'x' })).toBe(1);
    expect(await store.recordFailure({ now: start, scope: 'x' })).toBe(2);
    expect(await client.pttl('{429chain}:failures:x')).toBeLessThanOrEqual(1_000);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await store.recordFailure({ now: start, scope: 'x' })).toBe(1);
  });

  it('falls back to EVAL when Redis has forgotten the script (NOSCRIPT), then uses EVALSHA again', async () => {
    store = createRedisStore({ client });
    await store.recordFailure({ now: start, scope: 'x' });
    await client.script('FLUSH');
    expect(await client.script('EXISTS', rateLimitScriptSha)).toEqual([0]);
    expect(await store.recordFailure({ now: start, scope: 'x' })).toBe(2);
    expect(await client.script('EXISTS', rateLimitScriptSha)).toEqual([1]);
  });

  it('keeps numbers exact: epoch milliseconds, fractions and large token counts', async () => {
    store = createRedisStore({ client });
    const tokens = { scope: 'g~k', kind: 'tokens', window: 'day', source: 'header' } as const;
    const resetAt = 4_102_444_800_123; // 2100-01-01, 13 digits
    await store.observe({
      now: start + 0.5,
      observations: [{ ...tokens, id: bucketId(tokens), limit: 123_456_789_012, remaining: 0.1, resetAt }],
    });
    const [bucket] = (await store.snapshot({ now: start })).buckets;
    expect(bucket).toMatchObject({ limit: 123_456_789_012, remaining: 0.1, resetAt, updatedAt: start + 0.5 });
  });

  it('admits exactly the remaining units across two clients racing', async () => {
    store = createRedisStore({ client });
    const second = new Redis(server.url);
    try {
      const stores = [store, createRedisStore({ client: second })];
      const demand = { ...requests, id: requestsId, cost: 1, limit: 5, nextResetAt: start + minute };
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, index) =>
          stores[index % 2]!.acquire({
            now: start,
            leaseId: `lease-${index}`,
            leaseExpiresAt: start + minute,
            blockScopes: [],
            buckets: [demand],
            probeUntil: start,
          }),
        ),
      );
      expect(results.filter((result) => result.ok)).toHaveLength(5);
    } finally {
      second.disconnect();
    }
  });

  it('refuses to work once closed, and leaves the client open', async () => {
    store = createRedisStore({ client });
    await store.close();
    await expect(store.snapshot({ now: start })).rejects.toThrow(/closed/);
    expect(await client.ping()).toBe('PONG');
  });
});

describe('createRedisClient', () => {
  it('fails a command at once while Redis is unreachable instead of queueing it', async () => {
    const stopped = await startRedisServer();
    const bounded = createRedisClient({ url: stopped.url });
    try {
      const store = createRedisStore({ client: bounded });
      expect(await waitUntilReady(bounded)).toBe(true);
      await store.ping();
      await stopped.stop('SIGKILL');
      const began = Date.now();
      await expect(store.snapshot({ now: start })).rejects.toThrow();
      expect(Date.now() - began).toBeLessThan(1_500);
    } finally {
      bounded.disconnect();
      await stopped.close();
    }
  });

  it('fails a command that gets no answer within the command timeout', async () => {
    const paused = await startRedisServer();
    const bounded = createRedisClient({ url: paused.url, commandTimeoutMs: 300 });
    try {
      expect(await waitUntilReady(bounded)).toBe(true);
      await bounded.call('CLIENT', 'PAUSE', '2000', 'ALL');
      const began = Date.now();
      await expect(createRedisStore({ client: bounded }).snapshot({ now: start })).rejects.toThrow(
        /timed out/i,
      );
      expect(Date.now() - began).toBeLessThan(1_000);
    } finally {
      bounded.disconnect();
      await paused.close();
    }
  });
});
