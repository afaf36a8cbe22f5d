/**
 * The conformance suite every `RateLimitStore` must pass. It drives a store only
 * through its public interface, with explicit `now` values, never the real clock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type BucketDemand,
  type BucketKey,
  type BucketKind,
  type BucketObservation,
  type BucketSource,
  type BucketState,
  type BucketWindow,
  bucketId,
} from '../rate-limit/bucket.ts';
import type { AcquireInput, AcquireResult, RateLimitStore } from '../rate-limit/rate-limit-store.ts';

/** Options of {@link describeRateLimitStore}. */
export interface RateLimitStoreSuiteOptions {
  /** Name of the `describe` block, e.g. `'sqlite store'`. */
  name: string;
  /** Creates a fresh, empty store; called before every case. */
  createStore: () => RateLimitStore | Promise<RateLimitStore>;
  /** Runs after every case, once the store is closed (remove temp files, flush a Redis db). */
  cleanup?: () => void | Promise<void>;
}

/** A fixed origin for every `now` in the suite. */
const start = 1_700_000_000_000;
const minute = 60_000;

/** Builds the key of a bucket; `source` defaults to `manual`. */
function keyOf(
  scope: string,
  kind: BucketKind,
  window: BucketWindow,
  source: BucketSource = 'manual',
): BucketKey {
  return { id: bucketId({ scope, kind, window, source }), scope, kind, window, source };
}

/** A demand on a bucket, with an optional configured limit and next reset. */
function demandOf(
  key: BucketKey,
  cost: number,
  extra: { limit?: number; nextResetAt?: number } = {},
): BucketDemand {
  return { ...key, cost, ...extra };
}

/** An observation of a bucket. */
function observationOf(
  key: BucketKey,
  said: { limit?: number; remaining?: number; resetAt?: number },
): BucketObservation {
  return { ...key, ...said };
}

function countAdmitted(results: AcquireResult[]): number {
  return results.filter((result) => result.ok).length;
}

/** Defines one `describe(name)` that pins every documented semantic of `RateLimitStore`. */
export function describeRateLimitStore(options: RateLimitStoreSuiteOptions): void {
  describe(options.name, () => {
    let store: RateLimitStore;
    let closed = false;
    let leaseCounter = 0;

    beforeEach(async () => {
      store = await options.createStore();
      closed = false;
      leaseCounter = 0;
    });

    afterEach(async () => {
      if (!closed) await store.close();
      await options.cleanup?.();
    });

    /** Calls `acquire` with defaults: `now = start`, a fresh lease id, a 10-minute lease, a 30 s probe. */
    function acquire(input: Partial<AcquireInput>): Promise<AcquireResult> {
      const now = input.now ?? start;
      leaseCounter += 1;
      return store.acquire({
        now,
        leaseId: input.leaseId ?? `lease-${leaseCounter}`,
        leaseExpiresAt: input.leaseExpiresAt ?? now + 10 * minute,
        blockScopes: input.blockScopes ?? [],
        buckets: input.buckets ?? [],
        probeUntil: input.probeUntil ?? now + 30_000,
      });
    }

    /** The bucket as the snapshot at `now` shows it. */
    async function bucketAt(id: string, now: number = start): Promise<BucketState | undefined> {
      const snapshot = await store.snapshot({ now });
      return snapshot.buckets.find((bucket) => bucket.id === id);
    }

    const requests = keyOf('groq~key1', 'requests', 'minute');
    const tokens = keyOf('groq~key1', 'tokens', 'minute');
    const daily = keyOf('groq~key1/llama', 'requests', 'day');
    const slots = keyOf('groq~key1', 'concurrency', 'none');

    describe('bucket creation', () => {
      it('creates a bucket from a demand with a limit, full and windowed at nextResetAt, then takes the cost', async () => {
        const result = await acquire({
          buckets: [demandOf(requests, 1, { limit: 10, nextResetAt: start + minute })],
        });
        expect(result).toEqual({ ok: true, probe: false });
        expect(await bucketAt(requests.id)).toEqual({
          ...requests,
          limit: 10,
          remaining: 9,
          resetAt: start + minute,
          inFlight: 1,
          updatedAt: start,
        });
      });

      it('creates a bucket with unknown limit and remaining from a demand without a limit, and admits any cost', async () => {
        const result = await acquire({
          buckets: [demandOf(tokens, 1_000_000, { nextResetAt: start + minute })],
        });
        expect(result).toEqual({ ok: true, probe: false });
        expect(await bucketAt(tokens.id)).toMatchObject({
          limit: null,
          remaining: null,
          resetAt: null,
          inFlight: 1_000_000,
        });
        expect(await acquire({ buckets: [demandOf(tokens, 5_000_000)] })).toEqual({ ok: true, probe: false });
      });

      it('creates a concurrency bucket with its limit and no reset', async () => {
        await acquire({ buckets: [demandOf(slots, 1, { limit: 3, nextResetAt: start + minute })] });
        expect(await bucketAt(slots.id)).toMatchObject({ limit: 3, resetAt: null, inFlight: 1 });
      });
    });

    describe('admission', () => {
      it('admits a cost equal to remaining and refuses a cost above it, reporting the bucket and the cost', async () => {
        const demand = (cost: number) => demandOf(tokens, cost, { limit: 500, nextResetAt: start + minute });
        expect(await acquire({ buckets: [demand(200)] })).toEqual({ ok: true, probe: false });
        expect(await acquire({ buckets: [demand(300)] })).toEqual({ ok: true, probe: false });
        const refused = await acquire({ buckets: [demand(1)] });
        expect(refused).toEqual({
          ok: false,
          cost: 1,
          bucket: expect.objectContaining({ id: tokens.id, limit: 500, remaining: 0, inFlight: 500 }),
        });
      });

      it('takes the cost from every bucket when all of them admit', async () => {
        const result = await acquire({
          buckets: [
            demandOf(requests, 1, { limit: 30, nextResetAt: start + minute }),
            demandOf(tokens, 120, { limit: 6000, nextResetAt: start + minute }),
            demandOf(daily, 1, { limit: 1000, nextResetAt: start + 1440 * minute }),
          ],
        });
        expect(result).toEqual({ ok: true, probe: false });
        expect(await bucketAt(requests.id)).toMatchObject({ remaining: 29, inFlight: 1 });
        expect(await bucketAt(tokens.id)).toMatchObject({ remaining: 5880, inFlight: 120 });
        expect(await bucketAt(daily.id)).toMatchObject({ remaining: 999, inFlight: 1 });
      });

      it('takes nothing from any bucket when a later bucket refuses (all or nothing)', async () => {
        const first = demandOf(requests, 1, { limit: 10, nextResetAt: start + minute });
        const second = demandOf(daily, 1, { limit: 1, nextResetAt: start + 1440 * minute });
        await acquire({ buckets: [first] });
        await acquire({ buckets: [second] });
        const refused = await acquire({ buckets: [first, second] });
        expect(refused).toEqual({
          ok: false,
          cost: 1,
          bucket: expect.objectContaining({ id: daily.id, remaining: 0 }),
        });
        expect(await bucketAt(requests.id)).toMatchObject({ remaining: 9, inFlight: 1 });
        expect(await bucketAt(daily.id)).toMatchObject({ remaining: 0, inFlight: 1 });
      });

      it('records no lease for a refused attempt: settling it gives nothing back', async () => {
        await acquire({ buckets: [demandOf(requests, 1, { limit: 10, nextResetAt: start + minute })] });
        await acquire({ buckets: [demandOf(daily, 1, { limit: 1, nextResetAt: start + 1440 * minute })] });
        const refused = await acquire({
          leaseId: 'refused',
          buckets: [demandOf(requests, 1), demandOf(daily, 1)],
        });
        expect(refused.ok).toBe(false);
        await store.settle({
          now: start + 1,
          leaseId: 'refused',
          buckets: [
            { id: requests.id, reserved: 1, used: 0 },
            { id: daily.id, reserved: 1, used: 0 },
          ],
        });
        expect(await bucketAt(requests.id, start + 1)).toMatchObject({ remaining: 9, inFlight: 1 });
        expect(await bucketAt(daily.id, start + 1)).toMatchObject({ remaining: 0, inFlight: 1 });
      });
    });

    describe('windows', () => {
      it('refills at resetAt and reopens the window at the demand’s nextResetAt', async () => {
        const demand = (now: number) => demandOf(requests, 1, { limit: 2, nextResetAt: now + minute });
        await acquire({ now: start, buckets: [demand(start)] });
        await acquire({ now: start, buckets: [demand(start)] });
        const justBefore = start + minute - 1;
        expect((await acquire({ now: justBefore, buckets: [demand(justBefore)] })).ok).toBe(false);
        const atReset = start + minute;
        expect(await acquire({ now: atReset, buckets: [demand(atReset)] })).toEqual({
          ok: true,
          probe: false,
        });
        expect(await bucketAt(requests.id, atReset)).toMatchObject({
          limit: 2,
          remaining: 1,
          resetAt: atReset + minute,
          updatedAt: atReset,
        });
      });

      it('keeps an open window as it is: no refill before resetAt', async () => {
        const demand = demandOf(requests, 1, { limit: 5, nextResetAt: start + minute });
        await acquire({ now: start, buckets: [demand] });
        await acquire({
          now: start + 30_000,
          buckets: [{ ...demand, nextResetAt: start + 30_000 + minute }],
        });
        expect(await bucketAt(requests.id, start + 30_000)).toMatchObject({
          remaining: 3,
          resetAt: start + minute,
        });
      });

      it('grows a bucket when the demand’s limit rises, moving remaining by the difference', async () => {
        const demand = (cost: number, limit: number) =>
          demandOf(tokens, cost, { limit, nextResetAt: start + minute });
        await acquire({ buckets: [demand(400, 1000)] });
        expect(await acquire({ buckets: [demand(100, 1500)] })).toEqual({ ok: true, probe: false });
        expect(await bucketAt(tokens.id)).toMatchObject({ limit: 1500, remaining: 1000, inFlight: 500 });
      });

      it('shrinks a bucket when the demand’s limit falls, never below 0 remaining', async () => {
        const demand = (limit: number) => demandOf(requests, 1, { limit, nextResetAt: start + minute });
        await acquire({ buckets: [demand(10)] });
        await acquire({ buckets: [demand(10)] });
        expect(await acquire({ buckets: [demand(5)] })).toEqual({ ok: true, probe: false });
        expect(await bucketAt(requests.id)).toMatchObject({ limit: 5, remaining: 2 });
        const refused = await acquire({ buckets: [demand(1)] });
        expect(refused).toEqual({
          ok: false,
          cost: 1,
          bucket: expect.objectContaining({ id: requests.id, limit: 1, remaining: 0 }),
        });
      });

      it('leaves a known limit alone when a demand names no limit', async () => {
        await acquire({ buckets: [demandOf(requests, 1, { limit: 10, nextResetAt: start + minute })] });
        await acquire({ buckets: [demandOf(requests, 1)] });
        expect(await bucketAt(requests.id)).toMatchObject({
          limit: 10,
          remaining: 8,
          resetAt: start + minute,
        });
      });
    });

    describe('concurrency buckets', () => {
      it('admits while inFlight + cost <= limit and frees a slot on settle', async () => {
        const demand = demandOf(slots, 1, { limit: 2 });
        expect(await acquire({ leaseId: 'a', buckets: [demand] })).toEqual({ ok: true, probe: false });
        expect(await acquire({ leaseId: 'b', buckets: [demand] })).toEqual({ ok: true, probe: false });
        expect(await acquire({ leaseId: 'c', buckets: [demand] })).toEqual({
          ok: false,
          cost: 1,
          bucket: expect.objectContaining({ id: slots.id, limit: 2, inFlight: 2 }),
        });
        await store.settle({ now: start + 1, leaseId: 'a', buckets: [{ id: slots.id, reserved: 1 }] });
        expect(await bucketAt(slots.id, start + 1)).toMatchObject({ inFlight: 1 });
        expect(await acquire({ now: start + 1, leaseId: 'd', buckets: [demand] })).toEqual({
          ok: true,
          probe: false,
        });
      });

      it('does not free slots with time, only by settle or lease expiry', async () => {
        const demand = demandOf(slots, 1, { limit: 1 });
        await acquire({ leaseExpiresAt: start + 1440 * minute, buckets: [demand] });
        const later = start + 600 * minute;
        expect((await acquire({ now: later, buckets: [demand] })).ok).toBe(false);
      });

      it('refuses a cost larger than the free slots', async () => {
        await acquire({ buckets: [demandOf(slots, 1, { limit: 3 })] });
        expect((await acquire({ buckets: [demandOf(slots, 3, { limit: 3 })] })).ok).toBe(false);
        expect(await acquire({ buckets: [demandOf(slots, 2, { limit: 3 })] })).toEqual({
          ok: true,
          probe: false,
        });
      });
    });

    describe('blocks', () => {
      it('refuses while a block on a named scope runs, returns the block, and admits once it has ended', async () => {
        await store.block({
          now: start,
          scope: 'groq~key1',
          state: 'cooldown',
          until: start + 7_000,
          reason: '429 requests per minute (retry-after 7s)',
        });
        const expected = {
          scope: 'groq~key1',
          state: 'cooldown',
          until: start + 7_000,
          reason: '429 requests per minute (retry-after 7s)',
          since: start,
        };
        expect(await acquire({ now: start + 1, blockScopes: ['groq~key1'] })).toEqual({
          ok: false,
          blocked: expected,
        });
        expect(await acquire({ now: start + 6_999, blockScopes: ['groq~key1'] })).toEqual({
          ok: false,
          blocked: expected,
        });
        expect(await acquire({ now: start + 7_000, blockScopes: ['groq~key1'] })).toEqual({
          ok: true,
          probe: false,
        });
      });

      it('takes nothing from buckets when a block refuses', async () => {
        await store.block({
          now: start,
          scope: 'groq~key1',
          state: 'cooldown',
          until: start + 7_000,
          reason: 'r',
        });
        const refused = await acquire({
          blockScopes: ['cerebras~key2', 'groq~key1'],
          buckets: [demandOf(requests, 1, { limit: 10, nextResetAt: start + minute })],
        });
        expect(refused).toMatchObject({ ok: false, blocked: { scope: 'groq~key1' } });
        const bucket = await bucketAt(requests.id);
        expect(bucket?.remaining ?? 10).toBe(10);
        expect(bucket?.inFlight ?? 0).toBe(0);
      });

      it('ignores blocks on scopes the attempt does not name', async () => {
        await store.block({
          now: start,
          scope: 'groq~key1',
          state: 'parked',
          until: start + minute,
          reason: 'r',
        });
        expect(await acquire({ blockScopes: ['groq~key1/llama', 'cerebras~key2'] })).toEqual({
          ok: true,
          probe: false,
        });
      });

      it('extend keeps whichever block ends later', async () => {
        await store.block({
          now: start,
          scope: 'groq~key1',
          state: 'parked',
          until: start + 1440 * minute,
          reason: 'out of credit',
        });
        await store.block({
          now: start + 1,
          scope: 'groq~key1',
          state: 'cooldown',
          until: start + minute,
          reason: 'r',
        });
        await store.block({
          now: start + 2,
          scope: 'groq~key1',
          state: 'cooldown',
          until: start + minute,
          reason: 'r',
          mode: 'extend',
        });
        const later = await acquire({ now: start + 2 * minute, blockScopes: ['groq~key1'] });
        expect(later).toEqual({
          ok: false,
          blocked: {
            scope: 'groq~key1',
            state: 'parked',
            until: start + 1440 * minute,
            reason: 'out of credit',
            since: start,
          },
        });
        await store.block({
          now: start + 3,
          scope: 'groq~key1',
          state: 'exhausted',
          until: start + 2880 * minute,
          reason: 'daily quota',
        });
        const { blocks } = await store.snapshot({ now: start + 3 });
        expect(blocks).toEqual([
          {
            scope: 'groq~key1',
            state: 'exhausted',
            until: start + 2880 * minute,
            reason: 'daily quota',
            since: start + 3,
          },
        ]);
      });

      it('replace overwrites a block that ends later', async () => {
        await store.block({
          now: start,
          scope: 'groq~key1',
          state: 'parked',
          until: start + 1440 * minute,
          reason: 'out of credit',
        });
        await store.block({
          now: start + 1,
          scope: 'groq~key1',
          state: 'circuit-open',
          until: start + minute,
          reason: 'failed probe',
          mode: 'replace',
        });
        const { blocks } = await store.snapshot({ now: start + 1 });
        expect(blocks).toEqual([
          {
            scope: 'groq~key1',
            state: 'circuit-open',
            until: start + minute,
            reason: 'failed probe',
            since: start + 1,
          },
        ]);
      });

      it('unblock lifts blocks on the given scopes only', async () => {
        for (const scope of ['a~1', 'b~2', 'c~3']) {
          await store.block({ now: start, scope, state: 'cooldown', until: start + minute, reason: 'r' });
        }
        await store.unblock({ scopes: ['a~1', 'c~3', 'never-blocked'] });
        expect(await acquire({ blockScopes: ['a~1', 'c~3'] })).toEqual({ ok: true, probe: false });
        expect(await acquire({ blockScopes: ['b~2'] })).toMatchObject({
          ok: false,
          blocked: { scope: 'b~2' },
        });
      });
    });

    describe('circuit breaker', () => {
      const scope = 'groq~key1/llama';

      async function openCircuit(until: number): Promise<void> {
        await store.block({
          now: start,
          scope,
          state: 'circuit-open',
          until,
          reason: '5 consecutive failures',
        });
      }

      it('refuses while the circuit is open', async () => {
        await openCircuit(start + minute);
        expect(await acquire({ now: start + 1, blockScopes: [scope] })).toMatchObject({
          ok: false,
          blocked: { scope, state: 'circuit-open', until: start + minute },
        });
      });

      it('admits exactly one probe once the circuit-open block has ended; others see probing until probeUntil', async () => {
        await openCircuit(start + minute);
        const halfOpen = start + minute;
        const probeUntil = halfOpen + 30_000;
        expect(await acquire({ now: halfOpen, probeUntil, blockScopes: [scope] })).toEqual({
          ok: true,
          probe: true,
        });
        expect(await acquire({ now: halfOpen + 1, blockScopes: [scope] })).toEqual({
          ok: false,
          blocked: {
            scope,
            state: 'probing',
            until: probeUntil,
            reason: '5 consecutive failures',
            since: halfOpen,
          },
        });
        expect(await acquire({ now: probeUntil - 1, blockScopes: [scope] })).toMatchObject({
          ok: false,
          blocked: { state: 'probing' },
        });
      });

      it('closes the circuit when the probe succeeds and the scope is unblocked', async () => {
        await openCircuit(start + minute);
        const halfOpen = start + minute;
        expect(await acquire({ now: halfOpen, blockScopes: [scope] })).toEqual({ ok: true, probe: true });
        await store.unblock({ scopes: [scope] });
        expect(await acquire({ now: halfOpen + 1, blockScopes: [scope] })).toEqual({
          ok: true,
          probe: false,
        });
        expect(await acquire({ now: halfOpen + 2, blockScopes: [scope] })).toEqual({
          ok: true,
          probe: false,
        });
      });

      it('re-opens the circuit when the probe fails and the block is replaced, then probes again', async () => {
        await openCircuit(start + minute);
        const halfOpen = start + minute;
        await acquire({ now: halfOpen, probeUntil: halfOpen + 30_000, blockScopes: [scope] });
        await store.block({
          now: halfOpen + 500,
          scope,
          state: 'circuit-open',
          until: halfOpen + 10_000,
          reason: 'probe failed',
          mode: 'replace',
        });
        expect(await acquire({ now: halfOpen + 9_999, blockScopes: [scope] })).toMatchObject({
          ok: false,
          blocked: { state: 'circuit-open', reason: 'probe failed' },
        });
        expect(await acquire({ now: halfOpen + 10_000, blockScopes: [scope] })).toEqual({
          ok: true,
          probe: true,
        });
      });

      it('keeps the half-open circuit for a later attempt when a bucket refuses the would-be probe', async () => {
        await openCircuit(start + minute);
        const halfOpen = start + minute;
        const exhausted = demandOf(daily, 1, { limit: 0, nextResetAt: start + 1440 * minute });
        expect(await acquire({ now: halfOpen, blockScopes: [scope], buckets: [exhausted] })).toMatchObject({
          ok: false,
          bucket: { id: daily.id },
        });
        expect(await acquire({ now: halfOpen + 1, blockScopes: [scope] })).toEqual({ ok: true, probe: true });
      });

      it('admits a single probe among 20 concurrent attempts', async () => {
        await openCircuit(start + minute);
        const halfOpen = start + minute;
        const results = await Promise.all(
          Array.from({ length: 20 }, () => acquire({ now: halfOpen, blockScopes: [scope] })),
        );
        expect(countAdmitted(results)).toBe(1);
        expect(results.filter((result) => result.ok && result.probe)).toHaveLength(1);
      });
    });

    describe('leases', () => {
      it('gives back the inFlight of a lease that expires unsettled, but not its remaining', async () => {
        await acquire({
          leaseExpiresAt: start + 5_000,
          buckets: [
            demandOf(requests, 1, { limit: 10, nextResetAt: start + minute }),
            demandOf(slots, 1, { limit: 1 }),
          ],
        });
        expect((await acquire({ now: start + 4_999, buckets: [demandOf(slots, 1, { limit: 1 })] })).ok).toBe(
          false,
        );
        expect(await bucketAt(requests.id, start + 5_000)).toMatchObject({ remaining: 9, inFlight: 0 });
        expect(await acquire({ now: start + 5_000, buckets: [demandOf(slots, 1, { limit: 1 })] })).toEqual({
          ok: true,
          probe: false,
        });
      });

      it('does not release an expired lease twice when it is settled late', async () => {
        const demand = demandOf(slots, 1, { limit: 2 });
        await acquire({ leaseId: 'crashed', leaseExpiresAt: start + 1_000, buckets: [demand] });
        await acquire({ leaseId: 'alive', buckets: [demand] });
        await acquire({ now: start + 2_000, leaseId: 'next', buckets: [demand] });
        await store.settle({
          now: start + 2_001,
          leaseId: 'crashed',
          buckets: [{ id: slots.id, reserved: 1 }],
        });
        expect(await bucketAt(slots.id, start + 2_001)).toMatchObject({ inFlight: 2 });
      });
    });

    describe('settle', () => {
      const tokenDemand = (cost: number) =>
        demandOf(tokens, cost, { limit: 1000, nextResetAt: start + minute });

      it('releases inFlight and keeps what was taken when the response said nothing', async () => {
        await acquire({
          leaseId: 'a',
          buckets: [demandOf(requests, 1, { limit: 10, nextResetAt: start + minute })],
        });
        await store.settle({ now: start + 1, leaseId: 'a', buckets: [{ id: requests.id, reserved: 1 }] });
        expect(await bucketAt(requests.id, start + 1)).toMatchObject({ remaining: 9, inFlight: 0 });
      });

      it('replaces remaining with the observed one and takes the observed limit and reset', async () => {
        await acquire({
          leaseId: 'a',
          buckets: [demandOf(requests, 1, { limit: 10, nextResetAt: start + minute })],
        });
        await store.settle({
          now: start + 1,
          leaseId: 'a',
          buckets: [
            {
              id: requests.id,
              reserved: 1,
              used: 1,
              observed: observationOf(requests, { limit: 30, remaining: 5, resetAt: start + 42_000 }),
            },
          ],
        });
        expect(await bucketAt(requests.id, start + 1)).toMatchObject({
          limit: 30,
          remaining: 5,
          resetAt: start + 42_000,
          inFlight: 0,
          updatedAt: start + 1,
        });
      });

      it('subtracts what other leases still hold in flight from an observed remaining', async () => {
        const demand = demandOf(requests, 1, { limit: 10, nextResetAt: start + minute });
        await acquire({ leaseId: 'a', buckets: [demand] });
        await acquire({ leaseId: 'b', buckets: [demand] });
        await acquire({ leaseId: 'c', buckets: [demand] });
        await store.settle({
          now: start + 1,
          leaseId: 'a',
          buckets: [{ id: requests.id, reserved: 1, observed: observationOf(requests, { remaining: 6 }) }],
        });
        expect(await bucketAt(requests.id, start + 1)).toMatchObject({ remaining: 4, inFlight: 2 });
      });

      it('gives back reserved - used when the usage is known', async () => {
        await acquire({ leaseId: 'a', buckets: [tokenDemand(300)] });
        await store.settle({
          now: start + 1,
          leaseId: 'a',
          buckets: [{ id: tokens.id, reserved: 300, used: 120 }],
        });
        expect(await bucketAt(tokens.id, start + 1)).toMatchObject({ remaining: 880, inFlight: 0 });
      });

      it('takes more when used exceeds reserved, never below 0', async () => {
        await acquire({ leaseId: 'a', buckets: [tokenDemand(300)] });
        await store.settle({
          now: start + 1,
          leaseId: 'a',
          buckets: [{ id: tokens.id, reserved: 300, used: 400 }],
        });
        expect(await bucketAt(tokens.id, start + 1)).toMatchObject({ remaining: 600 });
        await acquire({ leaseId: 'b', buckets: [tokenDemand(500)] });
        await store.settle({
          now: start + 2,
          leaseId: 'b',
          buckets: [{ id: tokens.id, reserved: 500, used: 2000 }],
        });
        expect(await bucketAt(tokens.id, start + 2)).toMatchObject({ remaining: 0 });
      });

      it('never gives back more than the limit', async () => {
        await acquire({ leaseId: 'old-window', buckets: [tokenDemand(300)] });
        const nextWindow = start + minute;
        await acquire({
          now: nextWindow,
          leaseId: 'new-window',
          buckets: [demandOf(tokens, 1, { limit: 1000, nextResetAt: nextWindow + minute })],
        });
        expect(await bucketAt(tokens.id, nextWindow)).toMatchObject({ remaining: 999 });
        await store.settle({
          now: nextWindow + 1,
          leaseId: 'old-window',
          buckets: [{ id: tokens.id, reserved: 300, used: 0 }],
        });
        expect(await bucketAt(tokens.id, nextWindow + 1)).toMatchObject({ remaining: 1000 });
      });

      it('leaves an unknown remaining unknown when usage is known', async () => {
        await acquire({ leaseId: 'a', buckets: [demandOf(tokens, 300)] });
        await store.settle({
          now: start + 1,
          leaseId: 'a',
          buckets: [{ id: tokens.id, reserved: 300, used: 10 }],
        });
        expect(await bucketAt(tokens.id, start + 1)).toMatchObject({ remaining: null, inFlight: 0 });
      });

      it('creates a bucket it did not reserve from what the response said about it', async () => {
        await acquire({ leaseId: 'a', buckets: [demandOf(requests, 1)] });
        await store.settle({
          now: start + 1,
          leaseId: 'a',
          buckets: [
            { id: requests.id, reserved: 1 },
            {
              id: daily.id,
              reserved: 0,
              observed: observationOf(daily, { limit: 1000, remaining: 997, resetAt: start + 1440 * minute }),
            },
          ],
        });
        expect(await bucketAt(daily.id, start + 1)).toEqual({
          ...daily,
          limit: 1000,
          remaining: 997,
          resetAt: start + 1440 * minute,
          inFlight: 0,
          updatedAt: start + 1,
        });
      });
    });

    describe('observe', () => {
      it('creates a bucket from an observation', async () => {
        await store.observe({
          now: start,
          observations: [observationOf(requests, { limit: 30, remaining: 12, resetAt: start + 20_000 })],
        });
        expect(await bucketAt(requests.id)).toEqual({
          ...requests,
          limit: 30,
          remaining: 12,
          resetAt: start + 20_000,
          inFlight: 0,
          updatedAt: start,
        });
      });

      it('updates only the fields it names, and subtracts units still in flight from remaining', async () => {
        const demand = demandOf(requests, 1, { limit: 10, nextResetAt: start + minute });
        await acquire({ buckets: [demand] });
        await acquire({ buckets: [demand] });
        await store.observe({ now: start + 1, observations: [observationOf(requests, { remaining: 7 })] });
        expect(await bucketAt(requests.id, start + 1)).toMatchObject({
          limit: 10,
          remaining: 5,
          resetAt: start + minute,
          inFlight: 2,
          updatedAt: start + 1,
        });
        await store.observe({
          now: start + 2,
          observations: [observationOf(requests, { resetAt: start + 30_000 })],
        });
        expect(await bucketAt(requests.id, start + 2)).toMatchObject({
          limit: 10,
          remaining: 5,
          resetAt: start + 30_000,
        });
      });

      it('does not count leases that have already expired as in flight', async () => {
        const demand = demandOf(requests, 1, { limit: 10, nextResetAt: start + 10 * minute });
        await acquire({ leaseId: 'crashed', leaseExpiresAt: start + 1_000, buckets: [demand] });
        await acquire({ leaseId: 'alive', leaseExpiresAt: start + 5 * minute, buckets: [demand] });
        await store.observe({
          now: start + 2_000,
          observations: [observationOf(requests, { remaining: 6 })],
        });
        expect(await bucketAt(requests.id, start + 2_000)).toMatchObject({ remaining: 5, inFlight: 1 });
      });

      it('refuses after an observed remaining of 0 until the observed reset, then refills to the limit', async () => {
        await store.observe({
          now: start,
          observations: [observationOf(daily, { limit: 1000, remaining: 0, resetAt: start + 60 * minute })],
        });
        expect((await acquire({ now: start + 1, buckets: [demandOf(daily, 1)] })).ok).toBe(false);
        const afterReset = start + 60 * minute;
        expect(
          await acquire({
            now: afterReset,
            buckets: [demandOf(daily, 1, { nextResetAt: afterReset + 1440 * minute })],
          }),
        ).toEqual({ ok: true, probe: false });
        expect(await bucketAt(daily.id, afterReset)).toMatchObject({
          remaining: 999,
          resetAt: afterReset + 1440 * minute,
        });
      });
    });

    describe('failure counts', () => {
      it('counts consecutive failures per scope', async () => {
        expect(await store.recordFailure({ now: start, scope: 'a~1' })).toBe(1);
        expect(await store.recordFailure({ now: start + 1, scope: 'a~1' })).toBe(2);
        expect(await store.recordFailure({ now: start + 2, scope: 'b~2' })).toBe(1);
        expect(await store.recordFailure({ now: start + 3, scope: 'a~1' })).toBe(3);
      });

      it('starts again from 1 after clearFailures, leaving other scopes alone', async () => {
        await store.recordFailure({ now: start, scope: 'a~1' });
        await store.recordFailure({ now: start, scope: 'a~1' });
        await store.recordFailure({ now: start, scope: 'b~2' });
        await store.clearFailures({ scope: 'a~1' });
        await store.clearFailures({ scope: 'never-failed' });
        expect(await store.recordFailure({ now: start + 1, scope: 'a~1' })).toBe(1);
        expect(await store.recordFailure({ now: start + 1, scope: 'b~2' })).toBe(2);
      });

      it('clears the failure counts a settle names, along with the lease', async () => {
        await store.recordFailure({ now: start, scope: 'a~1' });
        await store.recordFailure({ now: start, scope: 'a~1#stream' });
        await store.recordFailure({ now: start, scope: 'b~2' });
        await acquire({
          leaseId: 'a',
          buckets: [demandOf(requests, 1, { limit: 10, nextResetAt: start + minute })],
        });
        await store.settle({
          now: start + 1,
          leaseId: 'a',
          buckets: [{ id: requests.id, reserved: 1 }],
          clearFailures: ['a~1', 'a~1#stream', 'never-failed'],
        });
        expect(await store.recordFailure({ now: start + 2, scope: 'a~1' })).toBe(1);
        expect(await store.recordFailure({ now: start + 2, scope: 'a~1#stream' })).toBe(1);
        expect(await store.recordFailure({ now: start + 2, scope: 'b~2' })).toBe(2);
        const bucket = (await store.snapshot({ now: start + 2 })).buckets.find(
          (found) => found.id === requests.id,
        );
        expect(bucket).toMatchObject({ remaining: 9, inFlight: 0 });
      });
    });

    describe('snapshot', () => {
      it('is empty for a new store', async () => {
        expect(await store.snapshot({ now: start })).toEqual({ buckets: [], blocks: [] });
      });

      it('lists every bucket and the blocks that have not ended', async () => {
        await acquire({
          buckets: [
            demandOf(requests, 1, { limit: 30, nextResetAt: start + minute }),
            demandOf(slots, 1, { limit: 4 }),
          ],
        });
        await store.observe({ now: start, observations: [observationOf(daily, { remaining: 50 })] });
        await store.block({
          now: start,
          scope: 'a~1',
          state: 'cooldown',
          until: start + 1_000,
          reason: 'short',
        });
        await store.block({
          now: start,
          scope: 'b~2',
          state: 'parked',
          until: start + 1440 * minute,
          reason: 'long',
        });
        const snapshot = await store.snapshot({ now: start + 1_000 });
        expect(snapshot.buckets.map((bucket) => bucket.id).sort()).toEqual(
          [requests.id, slots.id, daily.id].sort(),
        );
        expect(snapshot.blocks).toEqual([
          { scope: 'b~2', state: 'parked', until: start + 1440 * minute, reason: 'long', since: start },
        ]);
      });

      it('shows a bucket whose window has passed as refilled to its limit', async () => {
        const demand = demandOf(requests, 1, { limit: 2, nextResetAt: start + minute });
        await acquire({ buckets: [demand] });
        await acquire({ buckets: [demand] });
        expect(await bucketAt(requests.id, start + minute - 1)).toMatchObject({ remaining: 0 });
        expect(await bucketAt(requests.id, start + minute)).toMatchObject({ limit: 2, remaining: 2 });
      });

      it('shows remaining as unknown once the window of a bucket with no known limit has passed, as acquire finds it', async () => {
        await store.observe({
          now: start,
          observations: [observationOf(requests, { remaining: 0, resetAt: start + minute })],
        });
        expect(await bucketAt(requests.id, start + minute)).toMatchObject({ limit: null, remaining: null });
        expect(await acquire({ now: start + minute, buckets: [demandOf(requests, 1)] })).toEqual({
          ok: true,
          probe: false,
        });
      });

      it('returns copies that do not change the store', async () => {
        await acquire({ buckets: [demandOf(requests, 1, { limit: 10, nextResetAt: start + minute })] });
        await store.block({
          now: start,
          scope: 'a~1',
          state: 'cooldown',
          until: start + minute,
          reason: 'r',
        });
        const first = await store.snapshot({ now: start });
        const bucket = first.buckets[0];
        const block = first.blocks[0];
        if (bucket) bucket.remaining = 0;
        if (block) block.until = start;
        expect(await bucketAt(requests.id)).toMatchObject({ remaining: 9 });
        expect((await store.snapshot({ now: start })).blocks[0]).toMatchObject({ until: start + minute });
      });
    });

    describe('reset', () => {
      async function fill(): Promise<void> {
        await store.observe({
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
          await store.block({ now: start, scope, state: 'cooldown', until: start + minute, reason: 'r' });
          await store.recordFailure({ now: start, scope });
        }
      }

      it('forgets every bucket, block and failure count without a prefix', async () => {
        await fill();
        await store.reset();
        expect(await store.snapshot({ now: start })).toEqual({ buckets: [], blocks: [] });
        expect(await store.recordFailure({ now: start, scope: 'groq~key1' })).toBe(1);
        expect(await store.recordFailure({ now: start, scope: 'cerebras~key2' })).toBe(1);
        expect(
          await acquire({
            blockScopes: ['groq~key1'],
            buckets: [demandOf(keyOf('groq~key1', 'requests', 'minute'), 1)],
          }),
        ).toEqual({ ok: true, probe: false });
      });

      it('forgets only the scopes that start with scopePrefix', async () => {
        await fill();
        await store.reset({ scopePrefix: 'groq~' });
        const snapshot = await store.snapshot({ now: start });
        expect(snapshot.buckets.map((bucket) => bucket.scope)).toEqual(['cerebras~key2']);
        expect(snapshot.blocks.map((block) => block.scope)).toEqual(['cerebras~key2']);
        expect(await store.recordFailure({ now: start, scope: 'groq~key1/llama' })).toBe(1);
        expect(await store.recordFailure({ now: start, scope: 'cerebras~key2' })).toBe(2);
      });

      it('keeps leases in flight: their units still count until they are settled', async () => {
        const demand = demandOf(slots, 1, { limit: 1 });
        await acquire({ leaseId: 'running', buckets: [demand] });
        await store.reset();
        expect((await acquire({ now: start + 1, buckets: [demand] })).ok).toBe(false);
        await store.settle({ now: start + 2, leaseId: 'running', buckets: [{ id: slots.id, reserved: 1 }] });
        expect(await acquire({ now: start + 3, buckets: [demand] })).toEqual({ ok: true, probe: false });
      });
    });

    describe('atomicity', () => {
      it('admits exactly 3 of 50 concurrent acquires on a bucket with 3 remaining', async () => {
        await store.observe({
          now: start,
          observations: [observationOf(requests, { limit: 3, remaining: 3, resetAt: start + minute })],
        });
        const demand = demandOf(requests, 1, { limit: 3, nextResetAt: start + minute });
        const results = await Promise.all(Array.from({ length: 50 }, () => acquire({ buckets: [demand] })));
        expect(countAdmitted(results)).toBe(3);
        expect(await bucketAt(requests.id)).toMatchObject({ remaining: 0, inFlight: 3 });
      });

      it('admits exactly 2 of 20 concurrent acquires on a concurrency bucket of limit 2', async () => {
        const demand = demandOf(slots, 1, { limit: 2 });
        const results = await Promise.all(Array.from({ length: 20 }, () => acquire({ buckets: [demand] })));
        expect(countAdmitted(results)).toBe(2);
        expect(await bucketAt(slots.id)).toMatchObject({ inFlight: 2 });
      });
    });

    describe('close', () => {
      it('resolves once the store has released what it owns', async () => {
        closed = true;
        await expect(store.close()).resolves.toBeUndefined();
      });
    });
  });
}
