/**
 * The Redis store against a real, throwaway redis-server: core's conformance suite,
 * then what only Redis has — keys, TTLs, the script cache, two clients racing.
 */
import { createFallbackStore } from '@429chain/core';
import { describeRateLimitStore } from '@429chain/core/testing';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { logCapacity } from '../../core/src/rate-limit/bucket-arithmetic.ts';
import { idleBucketMs, idleLearntMs } from '../../core/src/rate-limit/store-planner.ts';
import { createRedisClient, waitUntilReady } from '../src/create-redis-client.ts';
import {
  createRedisStore,
  hashTagOf,
  plannerConstants,
  type RedisStore,
  rateLimitScriptSha,
} from '../src/redis-store.ts';
import { useRedisServer } from './redis-server-fixture.ts';
import { startRedisServer } from './start-redis-server.ts';

const redis = useRedisServer();

describeRateLimitStore({
  name: 'redis store',
  createStore: () => createRedisStore({ client: redis.client }),
  cleanup: async () => {
    await redis.client.flushdb();
  },
});

describeRateLimitStore({
  name: 'fallback store over the redis store',
  createStore: () =>
    createFallbackStore({ primary: createRedisStore({ client: redis.client }), probeIntervalMs: 60_000 }),
  cleanup: async () => {
    await redis.client.flushdb();
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
    await redis.client.flushdb();
  });

  it('keeps every key under the prefix, with one hash tag for a Redis Cluster slot', async () => {
    store = createRedisStore({ client: redis.client, prefix: '{tenant-a}:rl:' });
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
    const keys = (await redis.client.keys('*')).sort();
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
    expect(() => createRedisStore({ client: redis.client, prefix: '429chain:' })).toThrow(/hash tag/);
    expect(() => createRedisStore({ client: redis.client, prefix: '{}:' })).toThrow(/hash tag/);
    // Redis hashes only the first {…}: an empty first one means no tag at all.
    expect(() => createRedisStore({ client: redis.client, prefix: 'a{}{b}:' })).toThrow(/hash tag/);
  });

  it('keeps stores with different prefixes apart on one Redis', async () => {
    store = createRedisStore({ client: redis.client, prefix: '{a}:' });
    const other = createRedisStore({ client: redis.client, prefix: '{b}:' });
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
    store = createRedisStore({ client: redis.client, keyMarginMs: 10 * minute });
    await store.observe({
      now: start,
      observations: [{ ...requests, id: requestsId, limit: 30, remaining: 3, resetAt: start + minute }],
    });
    const ttl = await redis.client.pttl(`{429chain}:bucket:${requestsId}`);
    expect(ttl).toBeGreaterThan(11 * minute - 5_000);
    expect(ttl).toBeLessThanOrEqual(11 * minute);
  });

  it('keeps a bucket at least as long as the leases that hold it', async () => {
    store = createRedisStore({ client: redis.client, keyMarginMs: minute });
    const slots = { scope: 'groq~key1', kind: 'concurrency', window: 'none', source: 'manual' } as const;
    await store.acquire({
      now: start,
      leaseId: 'long',
      leaseExpiresAt: start + 120 * minute,
      blockScopes: [],
      buckets: [{ ...slots, id: bucketId(slots), cost: 1, limit: 2 }],
      probeUntil: start,
    });
    const bucketTtl = await redis.client.pttl(`{429chain}:bucket:${bucketId(slots)}`);
    const leaseTtl = await redis.client.pttl('{429chain}:lease:long');
    expect(leaseTtl).toBeGreaterThan(121 * minute - 5_000);
    expect(leaseTtl).toBeLessThanOrEqual(121 * minute);
    expect(bucketTtl).toBeGreaterThanOrEqual(leaseTtl - 1_000);
  });

  it('gives blocks a TTL of their end plus the margin, and those that release a probe the idle TTL beyond it', async () => {
    store = createRedisStore({ client: redis.client, keyMarginMs: minute, idleTtlMs: 60 * minute });
    await store.block({
      now: start,
      scope: 'a',
      state: 'cooldown',
      until: start + 7_000,
      reason: 'r',
      release: 'all',
    });
    await store.block({ now: start, scope: 'b', state: 'circuit-open', until: start + 30_000, reason: 'r' });
    await store.block({ now: start, scope: 'c', state: 'cooldown', until: start + 7_000, reason: 'r' });
    const cooldown = await redis.client.pttl('{429chain}:block:a');
    expect(cooldown).toBeGreaterThan(67_000 - 5_000);
    expect(cooldown).toBeLessThanOrEqual(67_000);
    expect(await redis.client.pttl('{429chain}:block:b')).toBeGreaterThan(60 * minute + 30_000 - 5_000);
    expect(await redis.client.pttl('{429chain}:block:c')).toBeGreaterThan(60 * minute + 7_000 - 5_000);
  });

  it('keeps a block whose probe is in flight until the probe lapses, plus the idle TTL', async () => {
    store = createRedisStore({ client: redis.client, keyMarginMs: minute, idleTtlMs: minute });
    await store.block({ now: start, scope: 'a', state: 'cooldown', until: start + 1_000, reason: 'r' });
    const probe = await store.acquire({
      now: start + 1_000,
      leaseId: 'probe',
      leaseExpiresAt: start + minute,
      blockScopes: ['a'],
      buckets: [],
      probeUntil: start + 1_000 + 10 * minute,
    });
    expect(probe).toEqual({ ok: true, probes: ['a'] });
    expect(await redis.client.hget('{429chain}:block:a', 'probeUntil')).toBe(
      String(start + 1_000 + 10 * minute),
    );
    const ttl = await redis.client.pttl('{429chain}:block:a');
    expect(ttl).toBeGreaterThan(11 * minute - 5_000);
    expect(ttl).toBeLessThanOrEqual(11 * minute);
  });

  it('keeps a sliding bucket its window plus the margin after its last admission, however late it is saved', async () => {
    store = createRedisStore({ client: redis.client, keyMarginMs: minute });
    const rpm = { scope: 'nv~key1/m', kind: 'requests', window: 'minute', source: 'manual' } as const;
    const demand = { ...rpm, id: bucketId(rpm), cost: 1, limit: 1, windowMs: 10_000 };
    const acquire = (now: number, leaseId: string) =>
      store.acquire({
        now,
        leaseId,
        leaseExpiresAt: now + 1_000,
        blockScopes: [],
        buckets: [demand],
        probeUntil: now,
      });
    expect((await acquire(start, 'a')).ok).toBe(true);
    // Refused 4 s later: the bucket is saved again, and still lives from its last admission.
    expect((await acquire(start + 4_000, 'b')).ok).toBe(false);
    const ttl = await redis.client.pttl(`{429chain}:bucket:${bucketId(rpm)}`);
    expect(ttl).toBeGreaterThan(10_000 + minute - 4_000 - 5_000);
    expect(ttl).toBeLessThanOrEqual(10_000 + minute - 4_000);
  });

  it('keeps a learnt limit at least a day after its last use', async () => {
    store = createRedisStore({ client: redis.client, keyMarginMs: minute });
    const history = { scope: 'g~key1/m', kind: 'requests', window: 'rolling', source: 'learnt' } as const;
    const demand = { ...history, id: bucketId(history), cost: 1, windowMs: minute };
    for (const [at, leaseId] of [
      [0, 'a'],
      [1_000, 'refused'],
    ] as const) {
      await store.acquire({
        now: start + at,
        leaseId,
        leaseExpiresAt: start + at + 1_000,
        blockScopes: [],
        buckets: [demand],
        probeUntil: start,
      });
    }
    const key = `{429chain}:bucket:${bucketId(history)}`;
    expect(await redis.client.pttl(key)).toBeLessThanOrEqual(2 * minute);
    const { learnt } = await store.refuse({
      now: start + 1_100,
      leaseId: 'refused',
      buckets: [],
      historyId: bucketId(history),
      limits: [{ bucket: { ...history, id: bucketId(history) } }],
      defaultWindowMs: 10_000,
      block: { scope: history.scope, state: 'cooldown', reason: '429', until: start + 10_000 },
    });
    expect(learnt).toMatchObject([{ limit: 1, learnt: { evidence: 'count' } }]);
    expect(await redis.client.pttl(key)).toBeGreaterThan(86_400_000 - 1_100 - 5_000);
  });

  it('stores a sliding log packed in its bucket, 16 bytes an entry, with every digit of times and units', async () => {
    store = createRedisStore({ client: redis.client });
    const tokens = { scope: 'nv~key1/m', kind: 'tokens', window: 'minute', source: 'manual' } as const;
    for (const [now, cost] of [
      [start, 120],
      [start + 0.5, 0.25],
      [start + 1_234.125, 7],
    ] as const) {
      await store.acquire({
        now,
        leaseId: `l-${now}`,
        leaseExpiresAt: now + minute,
        blockScopes: [],
        buckets: [{ ...tokens, id: bucketId(tokens), cost, limit: 10_000, windowMs: minute }],
        probeUntil: now,
      });
    }
    // 16 bytes an entry: at and units as little-endian doubles.
    const packed = await redis.client.hgetBuffer(`{429chain}:bucket:${bucketId(tokens)}`, 'log');
    expect(packed?.length).toBe(3 * 16);
    const values = Array.from({ length: 6 }, (_, index) => packed!.readDoubleLE(index * 8));
    expect(values).toEqual([start, 120, start + 0.5, 0.25, start + 1_234.125, 7]);
    expect((await store.snapshot({ now: start + 2_000 })).buckets[0]?.log).toEqual([
      { at: start, units: 120 },
      { at: start + 0.5, units: 0.25 },
      { at: start + 1_234.125, units: 7 },
    ]);
  });

  it('gives the script the planner’s own constants', () => {
    expect(plannerConstants).toEqual({ logCapacity, idleBucketMs, idleLearntMs });
  });

  it('reads what an earlier version wrote: a probing circuit, a bare failure count, a bucket without a log', async () => {
    store = createRedisStore({ client: redis.client });
    // Blocks had no release and no probeUntil; a circuit whose probe was out was 'probing'.
    for (const [scope, state, reason] of [
      ['c', 'probing', 'probe in flight'],
      ['d', 'cooldown', 'r'],
    ] as const) {
      await redis.client.hset(`{429chain}:block:${scope}`, {
        scope,
        state,
        until: String(start + 5_000),
        reason,
        since: String(start),
      });
      await redis.client.sadd('{429chain}:blocks', scope);
    }
    await redis.client.set('{429chain}:failures:e', '4');
    await redis.client.sadd('{429chain}:failure-scopes', 'e');
    await redis.client.hset(`{429chain}:bucket:${requestsId}`, {
      ...requests,
      limit: '10',
      remaining: '4',
      resetAt: String(start + minute),
      inFlight: '0',
      updatedAt: String(start),
    });
    await redis.client.sadd('{429chain}:buckets', requestsId);
    const snapshot = await store.snapshot({ now: start + 1 });
    expect(snapshot.blocks).toEqual([
      {
        scope: 'c',
        state: 'circuit-open',
        until: start + 5_000,
        reason: 'probe in flight',
        since: start,
        release: 'probe',
        probeUntil: null,
      },
      {
        scope: 'd',
        state: 'cooldown',
        until: start + 5_000,
        reason: 'r',
        since: start,
        release: 'all',
        probeUntil: null,
      },
    ]);
    expect(snapshot.buckets).toEqual([
      {
        ...requests,
        id: requestsId,
        limit: 10,
        remaining: 4,
        resetAt: start + minute,
        windowMs: null,
        log: [],
        runStart: 0,
        inFlight: 0,
        updatedAt: start,
      },
    ]);
    expect(await store.recordFailure({ now: start + 2, scope: 'e' })).toEqual({ count: 5, since: 0 });
    const acquire = (now: number) =>
      store.acquire({
        now,
        leaseId: `l-${now}`,
        leaseExpiresAt: now + minute,
        blockScopes: ['c', 'd'],
        buckets: [],
        probeUntil: now + 1_000,
      });
    expect(await acquire(start + 5_000)).toEqual({ ok: true, probes: ['c'] });
    expect((await acquire(start + 5_001)).ok).toBe(false);
  });

  it('lets a failure count lapse after failureTtlMs', async () => {
    store = createRedisStore({ client: redis.client, failureTtlMs: 1_000 });
    expect(await store.recordFailure({ now: start, scope: 'x' })).toEqual({ count: 1, since: start });
    expect(await store.recordFailure({ now: start + 1, scope: 'x' })).toEqual({ count: 2, since: start });
    expect(await redis.client.pttl('{429chain}:failures:x')).toBeLessThanOrEqual(1_000);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await store.recordFailure({ now: start + 2, scope: 'x' })).toEqual({ count: 1, since: start + 2 });
  });

  it('falls back to EVAL when Redis has forgotten the script (NOSCRIPT), then uses EVALSHA again', async () => {
    store = createRedisStore({ client: redis.client });
    await store.recordFailure({ now: start, scope: 'x' });
    await redis.client.script('FLUSH');
    expect(await redis.client.script('EXISTS', rateLimitScriptSha)).toEqual([0]);
    expect((await store.recordFailure({ now: start, scope: 'x' })).count).toBe(2);
    expect(await redis.client.script('EXISTS', rateLimitScriptSha)).toEqual([1]);
  });

  it('keeps numbers exact: epoch milliseconds, fractions and large token counts', async () => {
    store = createRedisStore({ client: redis.client });
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
    store = createRedisStore({ client: redis.client });
    const second = new Redis(redis.server.url);
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
    store = createRedisStore({ client: redis.client });
    await store.close();
    await expect(store.snapshot({ now: start })).rejects.toThrow(/closed/);
    expect(await redis.client.ping()).toBe('PONG');
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
