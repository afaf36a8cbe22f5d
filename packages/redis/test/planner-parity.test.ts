/**
 * The Lua script is core's planner written again; this holds the two to the same answers
 * beyond the conformance suite's cases. Seeded random runs of every store operation go to a
 * Redis store on a real redis-server and to core's memory store (which runs the planner), and
 * every answer, and the snapshot after every step, must be the same.
 */
import type {
  AcquireInput,
  BucketDemand,
  BucketKey,
  BucketKind,
  BucketSource,
  BucketWindow,
  RateLimitStore,
  SettleBucket,
} from '@429chain/core';
import { createMemoryStore } from '@429chain/core';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../bench/yield/seeded-random.ts';
import { createRedisStore } from '../src/redis-store.ts';
import { useRedisServer } from './redis-server-fixture.ts';

type RefuseInput = Parameters<RateLimitStore['refuse']>[0];
type LearnLimit = RefuseInput['limits'][number];

const redisServer = useRedisServer();

function keyOf(scope: string, kind: BucketKind, window: BucketWindow, source: BucketSource): BucketKey {
  return { id: `${scope}|${kind}:${window}:${source}`, scope, kind, window, source };
}

const keyScope = 'p~k';
const modelScope = 'p~k/m';
const entryScope = 'p~k/m#0';
const scopes = [keyScope, modelScope, entryScope, 'q~other'];
const keys = {
  fixed: keyOf(modelScope, 'requests', 'day', 'manual'),
  header: keyOf(keyScope, 'tokens', 'minute', 'header'),
  headerRequests: keyOf(modelScope, 'requests', 'minute', 'header'),
  sliding: keyOf(modelScope, 'requests', 'minute', 'manual'),
  history: keyOf(modelScope, 'requests', 'rolling', 'learnt'),
  learntTokens: keyOf(modelScope, 'tokens', 'rolling', 'learnt'),
  learntDaily: keyOf(modelScope, 'requests', 'day', 'learnt'),
  keyHistory: keyOf(keyScope, 'requests', 'rolling', 'learnt'),
  slots: keyOf(keyScope, 'concurrency', 'none', 'manual'),
};

interface OpenLease {
  id: string;
  demands: BucketDemand[];
  probes: string[];
}

/** One random run: `steps` operations, each sent to both stores, answers compared. */
async function runBoth(seed: number, steps: number, redis: RateLimitStore, memory: RateLimitStore) {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const chance = (p: number) => random() < p;
  const integer = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  let now = 1_700_000_000_000;
  let leaseCounter = 0;
  const open: OpenLease[] = [];
  const trail: string[] = [];

  const both = async <T>(name: string, input: unknown, call: (store: RateLimitStore) => Promise<T>) => {
    trail.push(`${name} ${JSON.stringify(input)}`);
    const [fromRedis, fromMemory] = await Promise.all([call(redis), call(memory)]);
    expect(fromRedis, `seed ${seed}, step ${trail.length}: ${trail.slice(-3).join('\n')}`).toEqual(
      fromMemory,
    );
    return fromMemory;
  };

  const demands = (): BucketDemand[] => {
    const list: BucketDemand[] = [];
    const cost = integer(1, 400);
    if (chance(0.5)) list.push({ ...keys.header, cost, nextResetAt: now + integer(5_000, 60_000) });
    if (chance(0.4)) list.push({ ...keys.headerRequests, cost: 1, nextResetAt: now + 60_000 });
    if (chance(0.3)) {
      list.push({ ...keys.fixed, cost: 1, limit: integer(3, 8), nextResetAt: now + integer(10_000, 90_000) });
    }
    if (chance(0.4)) list.push({ ...keys.sliding, cost: 1, limit: integer(2, 5), windowMs: 5_000 });
    if (chance(0.85)) list.push({ ...keys.history, cost: 1, windowMs: 20_000 });
    if (chance(0.3)) list.push({ ...keys.keyHistory, cost: 1, windowMs: 20_000 });
    if (chance(0.5)) list.push({ ...keys.learntTokens, cost, ifPresent: true });
    if (chance(0.5)) {
      list.push({
        ...keys.learntDaily,
        cost: 1,
        ifPresent: true,
        nextResetAt: now + integer(30_000, 200_000),
      });
    }
    if (chance(0.3)) list.push({ ...keys.slots, cost: 1, limit: integer(1, 3) });
    if (chance(0.05) && list.length > 0) list.push({ ...list[0]! });
    return list;
  };

  const observation = (key: BucketKey) => ({
    ...key,
    ...(chance(0.6) ? { limit: pick([5, 8, 1000, 6000]) } : {}),
    ...(chance(0.8) ? { remaining: integer(0, 8) * (key.kind === 'tokens' ? 500 : 1) } : {}),
    ...(chance(0.6) ? { resetAt: now + pick([-1_000, 0, 500, 5_000, 30_000, 60_000]) } : {}),
  });

  for (let step = 0; step < steps; step++) {
    now += chance(0.02) ? pick([3_700_000, 90_000_000]) : integer(0, 2_500) + (chance(0.1) ? 0.5 : 0);
    const roll = random();
    if (roll < 0.4) {
      const input: AcquireInput = {
        now,
        leaseId: `lease-${++leaseCounter}`,
        leaseExpiresAt: now + integer(1_000, 40_000),
        blockScopes: scopes.filter(() => chance(0.5)),
        buckets: demands(),
        probeUntil: now + integer(500, 10_000),
      };
      const result = await both('acquire', input, (store) => store.acquire(input));
      if (result.ok) open.push({ id: input.leaseId, demands: input.buckets, probes: result.probes });
    } else if (roll < 0.6) {
      const lease =
        open.length > 0 && chance(0.9) ? open.splice(integer(0, open.length - 1), 1)[0]! : undefined;
      const buckets: SettleBucket[] = (lease?.demands ?? []).map((demand) => ({
        id: demand.id,
        reserved: demand.cost,
        ...(chance(0.4) ? { used: integer(0, 500) } : {}),
        ...(demand.source === 'header' && chance(0.6) ? { observed: observation(demand) } : {}),
      }));
      if (chance(0.2)) buckets.push({ id: keys.header.id, reserved: 0, observed: observation(keys.header) });
      const input = {
        now,
        leaseId: lease?.id ?? 'never-acquired',
        buckets,
        clearFailures: chance(0.5) ? [entryScope] : undefined,
        unblock: lease && lease.probes.length > 0 && chance(0.7) ? lease.probes : undefined,
        answered: chance(0.7),
      };
      await both('settle', input, (store) => store.settle(input));
    } else if (roll < 0.72) {
      const lease = open.length > 0 ? open.splice(integer(0, open.length - 1), 1)[0]! : undefined;
      const limits: LearnLimit[] = [];
      if (chance(0.5)) limits.push({ bucket: keys.history });
      if (chance(0.4)) {
        limits.push({
          bucket: keys.history,
          limit: integer(1, 4),
          resetAt: chance(0.7) ? now + integer(500, 15_000) : undefined,
          evidence: pick(['message', 'header', 'body'] as const),
          named: chance(0.5) ? 'minute' : undefined,
        });
      }
      if (chance(0.3)) {
        limits.push({
          bucket: keys.learntTokens,
          limit: pick([1_000, 6_000]),
          resetAt: now + 10_000,
          evidence: 'body',
        });
      }
      if (chance(0.2))
        limits.push({ bucket: keys.keyHistory, limit: 4, windowMs: 12_000, evidence: 'header' });
      if (chance(0.2)) {
        limits.push({
          bucket: keys.learntDaily,
          limit: 50,
          fixed: true,
          resetAt: chance(0.8) ? now + 100_000 : undefined,
          evidence: 'body',
          named: 'day',
        });
      }
      const input: RefuseInput = {
        now,
        leaseId: lease?.id ?? 'never-acquired',
        buckets: chance(0.3) ? [{ id: keys.header.id, reserved: 0, observed: observation(keys.header) }] : [],
        historyId: keys.history.id,
        limits,
        defaultWindowMs: 7_000,
        block: {
          scope: pick([modelScope, keyScope]),
          state: pick(['cooldown', 'exhausted'] as const),
          reason: '429',
          until: chance(0.5) ? now + integer(100, 20_000) : undefined,
        },
      };
      await both('refuse', input, (store) => store.refuse(input));
    } else if (roll < 0.76) {
      const input = {
        now,
        observations: [observation(pick([keys.header, keys.headerRequests, keys.fixed]))],
      };
      await both('observe', input, (store) => store.observe(input));
    } else if (roll < 0.81) {
      const input = {
        now,
        scope: pick(scopes),
        state: pick(['cooldown', 'exhausted', 'parked', 'broken', 'circuit-open'] as const),
        until: now + pick([-10, 0, 1_000, 5_000, 60_000]),
        reason: `r${step}`,
        mode: pick(['extend', 'replace', undefined] as const),
        release: pick(['all', 'probe', undefined] as const),
      };
      await both('block', input, (store) => store.block(input));
    } else if (roll < 0.83) {
      const input = { scopes: scopes.filter(() => chance(0.4)) };
      await both('unblock', input, (store) => store.unblock(input));
    } else if (roll < 0.87) {
      const input = { now, scope: pick([entryScope, modelScope]) };
      await both('recordFailure', input, (store) => store.recordFailure(input));
    } else if (roll < 0.89) {
      const input = { scope: pick([entryScope, modelScope]) };
      await both('clearFailures', input, (store) => store.clearFailures(input));
    } else if (roll < 0.94) {
      const ids = Object.values(keys).map((key) => key.id);
      const input = {
        now,
        bucketIds: ids.filter(() => chance(0.5)),
        scopes: scopes.filter(() => chance(0.5)),
      };
      await both('view', input, (store) => store.view(input));
    } else if (roll < 0.99) {
      await both('snapshot', { now }, (store) => store.snapshot({ now }));
    } else {
      const input = chance(0.5) ? { scopePrefix: pick(['p~k/', 'q~']) } : {};
      await both('reset', input, (store) => store.reset(input));
    }
    if (step % 10 === 9) await both('snapshot', { now }, (store) => store.snapshot({ now }));
  }
}

describe('the script and core’s planner', () => {
  it('answer every operation alike over seeded random runs', async () => {
    // A margin of a year: Redis's own expiry never acts within a run, so only the planner decides.
    const year = 365 * 86_400_000;
    for (let seed = 1; seed <= 30; seed++) {
      const { client } = redisServer;
      await client.flushdb();
      const store = createRedisStore({ client, keyMarginMs: year, idleTtlMs: year, failureTtlMs: year });
      const memory = createMemoryStore();
      await runBoth(seed, 250, store, memory);
      await store.close();
      await memory.close();
    }
  });
});
