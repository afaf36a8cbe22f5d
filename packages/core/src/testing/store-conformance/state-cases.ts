import { describe, expect, it } from 'vitest';
import {
  admitted,
  countAdmitted,
  demandOf,
  keyOf,
  keys,
  minute,
  observationOf,
  type SuiteContext,
  start,
} from './suite-context.ts';

/** Failure counts, views, snapshots, forgetting idle state, resets, atomicity and close. */
export function stateCases(suite: SuiteContext): void {
  const { requests, daily, slots } = keys;

  describe('failure counts', () => {
    it('counts consecutive failures per scope and remembers when the run began', async () => {
      expect(await suite.store.recordFailure({ now: start, scope: 'a~1' })).toEqual({
        count: 1,
        since: start,
      });
      expect(await suite.store.recordFailure({ now: start + 1, scope: 'a~1' })).toEqual({
        count: 2,
        since: start,
      });
      expect(await suite.store.recordFailure({ now: start + 2, scope: 'b~2' })).toEqual({
        count: 1,
        since: start + 2,
      });
      expect(await suite.store.recordFailure({ now: start + 3, scope: 'a~1' })).toEqual({
        count: 3,
        since: start,
      });
    });

    it('starts again from 1 after clearFailures, leaving other scopes alone', async () => {
      await suite.store.recordFailure({ now: start, scope: 'a~1' });
      await suite.store.recordFailure({ now: start, scope: 'a~1' });
      await suite.store.recordFailure({ now: start, scope: 'b~2' });
      await suite.store.clearFailures({ scope: 'a~1' });
      await suite.store.clearFailures({ scope: 'never-failed' });
      expect(await suite.store.recordFailure({ now: start + 1, scope: 'a~1' })).toEqual({
        count: 1,
        since: start + 1,
      });
      expect(await suite.store.recordFailure({ now: start + 1, scope: 'b~2' })).toEqual({
        count: 2,
        since: start,
      });
    });

    it('clears the failure counts a settle names, along with the lease', async () => {
      await suite.store.recordFailure({ now: start, scope: 'a~1' });
      await suite.store.recordFailure({ now: start, scope: 'a~1#stream' });
      await suite.store.recordFailure({ now: start, scope: 'b~2' });
      await suite.acquire({
        leaseId: 'a',
        buckets: [demandOf(requests, 1, { limit: 10, nextResetAt: start + minute })],
      });
      await suite.store.settle({
        now: start + 1,
        leaseId: 'a',
        buckets: [{ id: requests.id, reserved: 1 }],
        clearFailures: ['a~1', 'a~1#stream', 'never-failed'],
      });
      expect((await suite.store.recordFailure({ now: start + 2, scope: 'a~1' })).count).toBe(1);
      expect((await suite.store.recordFailure({ now: start + 2, scope: 'a~1#stream' })).count).toBe(1);
      expect((await suite.store.recordFailure({ now: start + 2, scope: 'b~2' })).count).toBe(2);
      expect(await suite.bucketAt(requests.id, start + 2)).toMatchObject({ remaining: 9, inFlight: 0 });
    });
  });

  describe('view', () => {
    it('reads the named buckets as they are now and the blocks on the named scopes', async () => {
      await suite.acquire({ buckets: [demandOf(requests, 1, { limit: 10, nextResetAt: start + minute })] });
      await suite.store.block({
        now: start,
        scope: 'a~1',
        state: 'cooldown',
        until: start + minute,
        reason: 'r',
      });
      await suite.store.block({
        now: start,
        scope: 'b~2',
        state: 'cooldown',
        until: start + minute,
        reason: 'r',
      });
      const view = await suite.store.view({
        now: start + 1,
        bucketIds: [requests.id, daily.id],
        scopes: ['a~1', 'c~3'],
      });
      expect(view.buckets).toEqual([expect.objectContaining({ id: requests.id, remaining: 9 })]);
      expect(view.blocks).toEqual([expect.objectContaining({ scope: 'a~1' })]);
      expect(
        (await suite.store.view({ now: start + minute, bucketIds: [], scopes: ['a~1'] })).blocks,
      ).toEqual([expect.objectContaining({ scope: 'a~1', until: start + minute })]);
    });
  });

  describe('snapshot', () => {
    it('is empty for a new store', async () => {
      expect(await suite.store.snapshot({ now: start })).toEqual({ buckets: [], blocks: [] });
    });

    it('lists every bucket and the blocks that have not ended', async () => {
      await suite.acquire({
        buckets: [
          demandOf(requests, 1, { limit: 30, nextResetAt: start + minute }),
          demandOf(slots, 1, { limit: 4 }),
        ],
      });
      await suite.store.observe({ now: start, observations: [observationOf(daily, { remaining: 50 })] });
      await suite.store.block({
        now: start,
        scope: 'a~1',
        state: 'cooldown',
        until: start + 1_000,
        reason: 'short',
        release: 'all',
      });
      await suite.store.block({
        now: start,
        scope: 'b~2',
        state: 'parked',
        until: start + 1440 * minute,
        reason: 'long',
        release: 'all',
      });
      const snapshot = await suite.store.snapshot({ now: start + 1_000 });
      expect(snapshot.buckets.map((bucket) => bucket.id).sort()).toEqual(
        [requests.id, slots.id, daily.id].sort(),
      );
      expect(snapshot.blocks).toEqual([
        {
          scope: 'b~2',
          state: 'parked',
          until: start + 1440 * minute,
          reason: 'long',
          since: start,
          release: 'all',
          probeUntil: null,
        },
      ]);
    });

    it('shows a bucket whose window has passed as refilled to its limit', async () => {
      const demand = demandOf(requests, 1, { limit: 2, nextResetAt: start + minute });
      await suite.acquire({ buckets: [demand] });
      await suite.acquire({ buckets: [demand] });
      expect(await suite.bucketAt(requests.id, start + minute - 1)).toMatchObject({ remaining: 0 });
      expect(await suite.bucketAt(requests.id, start + minute)).toMatchObject({ limit: 2, remaining: 2 });
    });

    it('shows remaining as unknown once the window of a bucket with no known limit has passed, as acquire finds it', async () => {
      await suite.store.observe({
        now: start,
        observations: [observationOf(requests, { remaining: 0, resetAt: start + minute })],
      });
      expect(await suite.bucketAt(requests.id, start + minute)).toMatchObject({
        limit: null,
        remaining: null,
      });
      expect(await suite.acquire({ now: start + minute, buckets: [demandOf(requests, 1)] })).toEqual(
        admitted,
      );
    });

    it('returns copies that do not change the store', async () => {
      await suite.acquire({ buckets: [demandOf(requests, 1, { limit: 10, nextResetAt: start + minute })] });
      await suite.store.block({
        now: start,
        scope: 'a~1',
        state: 'cooldown',
        until: start + minute,
        reason: 'r',
      });
      const first = await suite.store.snapshot({ now: start });
      const bucket = first.buckets[0];
      const block = first.blocks[0];
      if (bucket) bucket.remaining = 0;
      if (block) block.until = start;
      expect(await suite.bucketAt(requests.id)).toMatchObject({ remaining: 9 });
      expect((await suite.store.snapshot({ now: start })).blocks[0]).toMatchObject({ until: start + minute });
    });

    it('forgets buckets and blocks left idle for an hour, but keeps a learnt limit for a day', async () => {
      const names = Array.from({ length: 50 }, (_, index) =>
        keyOf(`p~k/m${index}`, 'requests', 'rolling', 'learnt'),
      );
      for (const key of names) {
        await suite.acquire({ buckets: [demandOf(key, 1, { windowMs: minute })], leaseId: `l-${key.scope}` });
        await suite.store.settle({ now: start + 1, leaseId: `l-${key.scope}`, buckets: [] });
      }
      await suite.store.block({
        now: start,
        scope: 'p~k/m0',
        state: 'cooldown',
        until: start + minute,
        reason: 'r',
      });
      const scope = 'p~k/learnt';
      const learnt = keyOf(scope, 'requests', 'rolling', 'learnt');
      await suite.acquire({ buckets: [demandOf(learnt, 1, { windowMs: minute })], leaseId: 'kept' });
      await suite.acquire({ buckets: [demandOf(learnt, 1, { windowMs: minute })], leaseId: 'refused' });
      await suite.store.refuse({
        now: start + 2,
        leaseId: 'refused',
        buckets: [],
        historyId: learnt.id,
        limits: [{ bucket: learnt }],
        defaultWindowMs: 10_000,
        block: { scope, state: 'cooldown', reason: '429' },
      });
      await suite.store.settle({ now: start + 3, leaseId: 'kept', buckets: [] });
      expect((await suite.store.snapshot({ now: start + 10 })).buckets).toHaveLength(51);
      const later = await suite.store.snapshot({ now: start + 2 * 3_600_000 });
      expect(later.buckets.map((bucket) => bucket.id)).toEqual([learnt.id]);
      expect(later.blocks).toEqual([]);
      expect((await suite.store.snapshot({ now: start + 2 * 86_400_000 })).buckets).toEqual([]);
    });
  });

  describe('reset', () => {
    async function fill(): Promise<void> {
      await suite.store.observe({
        now: start,
        observations: [
          observationOf(keyOf('groq~key1', 'requests', 'minute'), {
            limit: 30,
            remaining: 0,
            resetAt: start + minute,
          }),
          observationOf(keyOf('groq~key1/llama', 'tokens', 'day'), { limit: 1000, remaining: 0 }),
          observationOf(keyOf('cerebras~key2', 'requests', 'minute'), { limit: 30, remaining: 3 }),
        ],
      });
      for (const scope of ['groq~key1', 'groq~key1/llama', 'cerebras~key2']) {
        await suite.store.block({ now: start, scope, state: 'cooldown', until: start + minute, reason: 'r' });
        await suite.store.recordFailure({ now: start, scope });
      }
    }

    it('forgets every bucket, block and failure count without a prefix', async () => {
      await fill();
      await suite.store.reset();
      expect(await suite.store.snapshot({ now: start })).toEqual({ buckets: [], blocks: [] });
      expect((await suite.store.recordFailure({ now: start, scope: 'groq~key1' })).count).toBe(1);
      expect((await suite.store.recordFailure({ now: start, scope: 'cerebras~key2' })).count).toBe(1);
      expect(
        await suite.acquire({
          blockScopes: ['groq~key1'],
          buckets: [demandOf(keyOf('groq~key1', 'requests', 'minute'), 1)],
        }),
      ).toEqual(admitted);
    });

    it('forgets only the scopes that start with scopePrefix', async () => {
      await fill();
      await suite.store.reset({ scopePrefix: 'groq~' });
      const snapshot = await suite.store.snapshot({ now: start });
      expect(snapshot.buckets.map((bucket) => bucket.scope)).toEqual(['cerebras~key2']);
      expect(snapshot.blocks.map((block) => block.scope)).toEqual(['cerebras~key2']);
      expect((await suite.store.recordFailure({ now: start, scope: 'groq~key1/llama' })).count).toBe(1);
      expect((await suite.store.recordFailure({ now: start, scope: 'cerebras~key2' })).count).toBe(2);
    });

    it('keeps leases in flight: their units still count until they are settled', async () => {
      const demand = demandOf(slots, 1, { limit: 1 });
      await suite.acquire({ leaseId: 'running', buckets: [demand] });
      await suite.store.reset();
      expect((await suite.acquire({ now: start + 1, buckets: [demand] })).ok).toBe(false);
      await suite.store.settle({
        now: start + 2,
        leaseId: 'running',
        buckets: [{ id: slots.id, reserved: 1 }],
      });
      expect(await suite.acquire({ now: start + 3, buckets: [demand] })).toEqual(admitted);
    });
  });

  describe('atomicity', () => {
    it('admits exactly 3 of 50 concurrent acquires on a bucket with 3 remaining', async () => {
      await suite.store.observe({
        now: start,
        observations: [observationOf(requests, { limit: 3, remaining: 3, resetAt: start + minute })],
      });
      const demand = demandOf(requests, 1, { limit: 3, nextResetAt: start + minute });
      const results = await Promise.all(
        Array.from({ length: 50 }, () => suite.acquire({ buckets: [demand] })),
      );
      expect(countAdmitted(results)).toBe(3);
      expect(await suite.bucketAt(requests.id)).toMatchObject({ remaining: 0, inFlight: 3 });
    });

    it('admits exactly 2 of 20 concurrent acquires on a concurrency bucket of limit 2', async () => {
      const demand = demandOf(slots, 1, { limit: 2 });
      const results = await Promise.all(
        Array.from({ length: 20 }, () => suite.acquire({ buckets: [demand] })),
      );
      expect(countAdmitted(results)).toBe(2);
      expect(await suite.bucketAt(slots.id)).toMatchObject({ inFlight: 2 });
    });
  });

  describe('close', () => {
    it('resolves once the store has released what it owns', async () => {
      suite.markClosed();
      await expect(suite.store.close()).resolves.toBeUndefined();
    });
  });
}
