/**
 * The fallback store: the conformance suite with a healthy primary, then what happens
 * when the primary fails, hangs, and comes back — under `allow` and `deny` — and how
 * the engine answers a `deny` refusal.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createChain } from '../create-chain.ts';
import { StoreUnavailableError } from '../errors.ts';
import type { Logger } from '../events/logger.ts';
import { startMockProvider } from '../testing/mock-provider.ts';
import { describeRateLimitStore } from '../testing/store-conformance.ts';
import { bucketId } from './bucket.ts';
import { createFallbackStore, type FallbackStore, type FallbackStoreOptions } from './fallback-store.ts';
import { createMemoryStore } from './memory-store.ts';
import type { RateLimitStore } from './rate-limit-store.ts';

describeRateLimitStore({
  name: 'fallback store over a healthy memory store',
  createStore: () => createFallbackStore({ primary: createMemoryStore(), probeIntervalMs: 60_000 }),
});

/** A memory store that can be made to fail (reject) or hang (never answer), like a dead Redis. */
function flakyStore(): RateLimitStore & { mode: 'up' | 'failing' | 'hanging'; closed: boolean } {
  const inner = createMemoryStore();
  const flaky = {
    mode: 'up' as 'up' | 'failing' | 'hanging',
    closed: false,
  };
  const gate = <T>(work: () => Promise<T>): Promise<T> => {
    if (flaky.mode === 'failing') return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379'));
    if (flaky.mode === 'hanging') return new Promise<T>(() => {});
    return work();
  };
  return Object.assign(flaky, {
    acquire: (input: Parameters<RateLimitStore['acquire']>[0]) => gate(() => inner.acquire(input)),
    settle: (input: Parameters<RateLimitStore['settle']>[0]) => gate(() => inner.settle(input)),
    refuse: (input: Parameters<RateLimitStore['refuse']>[0]) => gate(() => inner.refuse(input)),
    view: (input: Parameters<RateLimitStore['view']>[0]) => gate(() => inner.view(input)),
    observe: (input: Parameters<RateLimitStore['observe']>[0]) => gate(() => inner.observe(input)),
    block: (input: Parameters<RateLimitStore['block']>[0]) => gate(() => inner.block(input)),
    unblock: (input: Parameters<RateLimitStore['unblock']>[0]) => gate(() => inner.unblock(input)),
    recordFailure: (input: Parameters<RateLimitStore['recordFailure']>[0]) =>
      gate(() => inner.recordFailure(input)),
    clearFailures: (input: Parameters<RateLimitStore['clearFailures']>[0]) =>
      gate(() => inner.clearFailures(input)),
    snapshot: (input: Parameters<RateLimitStore['snapshot']>[0]) => gate(() => inner.snapshot(input)),
    reset: (input?: Parameters<RateLimitStore['reset']>[0]) => gate(() => inner.reset(input)),
    close: async () => {
      flaky.closed = true;
    },
  });
}

/** What a block set with the default release reads as. */
const blockFields = { release: 'probe', probeUntil: null } as const;

/** A logger that keeps its lines. */
function recordingLogger(): Logger & { lines: Array<{ level: string; message: string }> } {
  const lines: Array<{ level: string; message: string }> = [];
  const at = (level: string) => (message: string) => {
    lines.push({ level, message });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const start = 1_700_000_000_000;
const minute = 60_000;
const requests = { scope: 'groq~key1', kind: 'requests', window: 'minute', source: 'manual' } as const;
const demand = { ...requests, id: bucketId(requests), cost: 1, limit: 2, nextResetAt: start + minute };

function acquireInput(leaseId: string) {
  return {
    now: start,
    leaseId,
    leaseExpiresAt: start + minute,
    blockScopes: ['groq~key1'],
    buckets: [demand],
    probeUntil: start + minute,
  };
}

const opened: FallbackStore[] = [];
function open(options: Partial<FallbackStoreOptions> & { primary: RateLimitStore }): FallbackStore {
  const store = createFallbackStore({
    probeIntervalMs: 60_000,
    timeoutMs: 200,
    now: () => start,
    ...options,
  });
  opened.push(store);
  return store;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

describe('fallback store under allow', () => {
  it('serves from a local memory store once the primary fails, and warns once per outage', async () => {
    const primary = flakyStore();
    const logger = recordingLogger();
    const store = open({ primary, logger, name: 'redis' });
    expect(store.status()).toEqual({ up: true, fallback: false, downSince: undefined });
    primary.mode = 'failing';
    expect(await store.acquire(acquireInput('a'))).toEqual({ ok: true, probes: [] });
    expect(await store.acquire(acquireInput('b'))).toEqual({ ok: true, probes: [] });
    expect((await store.acquire(acquireInput('c'))).ok).toBe(false);
    expect(store.status()).toEqual({ up: false, fallback: true, downSince: start });
    expect(logger.lines.filter((line) => line.level === 'warn')).toEqual([
      {
        level: 'warn',
        message:
          'rate-limit store "redis" is unreachable; serving from a local memory store until it is back (settings.onStoreError: allow)',
      },
    ]);
  });

  it('bounds a primary that never answers by timeoutMs', async () => {
    const primary = flakyStore();
    const store = open({ primary, timeoutMs: 100 });
    primary.mode = 'hanging';
    const began = Date.now();
    expect(await store.acquire(acquireInput('a'))).toEqual({ ok: true, probes: [] });
    expect(Date.now() - began).toBeLessThan(1_000);
    expect(store.status().fallback).toBe(true);
  });

  it('notices an outage while idle through its probe timer', async () => {
    const primary = flakyStore();
    const store = open({ primary, probeIntervalMs: 20 });
    primary.mode = 'failing';
    await expect.poll(() => store.status().up, { timeout: 2_000 }).toBe(false);
    primary.mode = 'up';
    await expect.poll(() => store.status().up, { timeout: 2_000 }).toBe(true);
  });

  it('probes with the primary’s own ping() when it has one, else with a snapshot', async () => {
    const primary = Object.assign(flakyStore(), { pings: 0, ping: async () => {} });
    primary.ping = async () => {
      primary.pings += 1;
    };
    const snapshot = primary.snapshot;
    let snapshots = 0;
    primary.snapshot = (input) => {
      snapshots += 1;
      return snapshot(input);
    };
    const store = open({ primary });
    expect(await store.check()).toBe(true);
    expect({ pings: primary.pings, snapshots }).toEqual({ pings: 1, snapshots: 0 });
  });

  it('returns to the primary when it answers again, copying the blocks learned meanwhile (extend) but not the counts', async () => {
    const primary = flakyStore();
    const logger = recordingLogger();
    const store = open({ primary, logger });
    await store.block({
      now: start,
      scope: 'parked~key',
      state: 'parked',
      until: start + 600 * minute,
      reason: 'old',
    });
    primary.mode = 'failing';
    await store.acquire(acquireInput('during-outage'));
    await store.block({
      now: start,
      scope: 'groq~key1',
      state: 'cooldown',
      until: start + minute,
      reason: '429',
    });
    await store.block({
      now: start,
      scope: 'parked~key',
      state: 'cooldown',
      until: start + minute,
      reason: 'short',
    });
    await store.block({
      now: start - 2 * minute,
      scope: 'over',
      state: 'cooldown',
      until: start - minute,
      reason: 'x',
    });
    expect(await store.check()).toBe(false);
    primary.mode = 'up';
    expect(await store.check()).toBe(true);
    expect(store.status()).toEqual({ up: true, fallback: false, downSince: undefined });
    const snapshot = await primary.snapshot({ now: start });
    expect(snapshot.blocks.sort((left, right) => left.scope.localeCompare(right.scope))).toEqual([
      {
        ...blockFields,
        scope: 'groq~key1',
        state: 'cooldown',
        until: start + minute,
        reason: '429',
        since: start,
      },
      {
        ...blockFields,
        scope: 'parked~key',
        state: 'parked',
        until: start + 600 * minute,
        reason: 'old',
        since: start,
      },
    ]);
    expect(snapshot.buckets).toEqual([]);
    expect(logger.lines.map((line) => line.level)).toEqual(['warn', 'info']);
  });

  it('stays on the fallback when copying to the returning primary fails', async () => {
    const primary = flakyStore();
    let probes = 0;
    const store = open({
      primary,
      probe: async () => {
        probes += 1;
      },
    });
    primary.mode = 'failing';
    await store.block({ now: start, scope: 'a', state: 'cooldown', until: start + minute, reason: 'r' });
    expect(await store.check()).toBe(false);
    expect(probes).toBe(1);
    expect(store.status().fallback).toBe(true);
  });
});

describe('fallback store under deny', () => {
  it('refuses reservations with StoreUnavailableError (503, store_unavailable) while the primary is down', async () => {
    const primary = flakyStore();
    const store = open({ primary, onError: 'deny' });
    primary.mode = 'failing';
    const refusal = await store.acquire(acquireInput('a')).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(StoreUnavailableError);
    expect(refusal).toMatchObject({ code: 'store_unavailable', status: 503 });
    expect(store.status()).toMatchObject({ up: false, fallback: false });
    await expect(store.settle({ now: start, leaseId: 'a', buckets: [] })).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
  });

  it('shows an empty snapshot rather than failing status pages and metrics', async () => {
    const primary = flakyStore();
    const store = open({ primary, onError: 'deny' });
    primary.mode = 'failing';
    expect(await store.snapshot({ now: start })).toEqual({ buckets: [], blocks: [] });
  });

  it('uses the primary again once it answers', async () => {
    const primary = flakyStore();
    const store = open({ primary, onError: 'deny' });
    primary.mode = 'failing';
    await expect(store.acquire(acquireInput('a'))).rejects.toBeInstanceOf(StoreUnavailableError);
    primary.mode = 'up';
    expect(await store.check()).toBe(true);
    expect(await store.acquire(acquireInput('b'))).toEqual({ ok: true, probes: [] });
  });
});

describe('fallback store leases across an outage', () => {
  it.each(['allow', 'deny'] as const)(
    'frees on the returning primary the units of a lease it granted that was settled during the outage (%s)',
    async (onError) => {
      const primary = flakyStore();
      const store = open({ primary, onError });
      const slots = { scope: 'p~k', kind: 'concurrency', window: 'none', source: 'manual' } as const;
      const slotDemand = { ...slots, id: bucketId(slots), cost: 1, limit: 1 };
      const input = {
        now: start,
        leaseId: 'held',
        leaseExpiresAt: start + 15 * minute,
        blockScopes: [],
        buckets: [slotDemand],
        probeUntil: start,
      };
      expect(await store.acquire(input)).toEqual({ ok: true, probes: [] });
      primary.mode = 'failing';
      await store
        .settle({ now: start + 1, leaseId: 'held', buckets: [{ id: slotDemand.id, reserved: 1 }] })
        .catch(() => {});
      primary.mode = 'up';
      expect(await store.check()).toBe(true);
      expect((await primary.snapshot({ now: start + 2 })).buckets).toEqual([
        expect.objectContaining({ id: slotDemand.id, inFlight: 0 }),
      ]);
      expect(await store.acquire({ ...input, now: start + 2, leaseId: 'next' })).toEqual({
        ok: true,
        probes: [],
      });
    },
  );
});

describe('fallback store lifecycle', () => {
  it('closes the primary and refuses calls after close', async () => {
    const primary = flakyStore();
    const store = createFallbackStore({ primary, probeIntervalMs: 10 });
    await store.close();
    expect(primary.closed).toBe(true);
    await expect(store.snapshot({ now: start })).rejects.toThrow(/closed/);
  });
});

describe('the engine with a fallback store', () => {
  it('answers an OpenAI-shaped 503 store_unavailable under deny, and serves under allow', async () => {
    const mock = await startMockProvider();
    try {
      const config = {
        providers: [{ id: 'p', type: 'generic' as const, baseUrl: mock.url, apiKey: 'test-key-0001' }],
        chains: [{ name: 'main', entries: [{ provider: 'p', model: 'm' }] }],
      };
      const request = () =>
        new Request('http://429chain.local/v1/chat/completions', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'main', messages: [{ role: 'user', content: 'hi' }] }),
        });
      for (const policy of ['deny', 'allow'] as const) {
        const primary = flakyStore();
        primary.mode = 'failing';
        const chain = createChain({
          ...config,
          store: open({ primary, onError: policy }),
        });
        try {
          const response = await chain.handle(request());
          const body = (await response.json()) as { error?: { code: string; type: string } };
          if (policy === 'deny') {
            expect(response.status).toBe(503);
            expect(body.error).toMatchObject({ code: 'store_unavailable', type: 'api_error' });
          } else {
            expect(response.status).toBe(200);
          }
        } finally {
          await chain.close();
        }
      }
      expect(mock.requests).toHaveLength(1);
    } finally {
      await mock.close();
    }
  });
});
