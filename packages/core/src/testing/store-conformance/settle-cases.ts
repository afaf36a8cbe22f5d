import { describe, expect, it } from 'vitest';
import {
  admitted,
  demandOf,
  fixedBucket,
  keys,
  minute,
  observationOf,
  type SuiteContext,
  start,
} from './suite-context.ts';

/** Leases, settling a reservation, and observations: monotonic within a window. */
export function settleCases(suite: SuiteContext): void {
  const { requests, tokens, daily, slots } = keys;
  const tokenDemand = (cost: number) => demandOf(tokens, cost, { limit: 1000, nextResetAt: start + minute });

  describe('leases', () => {
    it('gives back the inFlight of a lease that expires unsettled, but not its remaining', async () => {
      await suite.acquire({
        leaseExpiresAt: start + 5_000,
        buckets: [
          demandOf(requests, 1, { limit: 10, nextResetAt: start + minute }),
          demandOf(slots, 1, { limit: 1 }),
        ],
      });
      expect(
        (await suite.acquire({ now: start + 4_999, buckets: [demandOf(slots, 1, { limit: 1 })] })).ok,
      ).toBe(false);
      expect(await suite.bucketAt(requests.id, start + 5_000)).toMatchObject({ remaining: 9, inFlight: 0 });
      expect(
        await suite.acquire({ now: start + 5_000, buckets: [demandOf(slots, 1, { limit: 1 })] }),
      ).toEqual(admitted);
    });

    it('does not release an expired lease twice when it is settled late', async () => {
      const demand = demandOf(slots, 1, { limit: 2 });
      await suite.acquire({ leaseId: 'crashed', leaseExpiresAt: start + 1_000, buckets: [demand] });
      await suite.acquire({ leaseId: 'alive', buckets: [demand] });
      await suite.acquire({ now: start + 2_000, leaseId: 'next', buckets: [demand] });
      await suite.store.settle({
        now: start + 2_001,
        leaseId: 'crashed',
        buckets: [{ id: slots.id, reserved: 1 }],
      });
      expect(await suite.bucketAt(slots.id, start + 2_001)).toMatchObject({ inFlight: 2 });
    });
  });

  describe('settle', () => {
    it('releases inFlight and keeps what was taken when the response said nothing', async () => {
      await suite.acquire({
        leaseId: 'a',
        buckets: [demandOf(requests, 1, { limit: 10, nextResetAt: start + minute })],
      });
      await suite.store.settle({ now: start + 1, leaseId: 'a', buckets: [{ id: requests.id, reserved: 1 }] });
      expect(await suite.bucketAt(requests.id, start + 1)).toMatchObject({ remaining: 9, inFlight: 0 });
    });

    it('takes the observed remaining, limit and reset when the limit is new', async () => {
      await suite.acquire({
        leaseId: 'a',
        buckets: [demandOf(requests, 1, { limit: 10, nextResetAt: start + minute })],
      });
      await suite.store.settle({
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
      expect(await suite.bucketAt(requests.id, start + 1)).toMatchObject({
        limit: 30,
        remaining: 5,
        resetAt: start + 42_000,
        inFlight: 0,
        updatedAt: start + 1,
      });
    });

    it('subtracts what other leases still hold in flight from an observed remaining', async () => {
      const demand = demandOf(requests, 1, { limit: 10, nextResetAt: start + minute });
      await suite.acquire({ leaseId: 'a', buckets: [demand] });
      await suite.acquire({ leaseId: 'b', buckets: [demand] });
      await suite.acquire({ leaseId: 'c', buckets: [demand] });
      await suite.store.settle({
        now: start + 1,
        leaseId: 'a',
        buckets: [{ id: requests.id, reserved: 1, observed: observationOf(requests, { remaining: 6 }) }],
      });
      expect(await suite.bucketAt(requests.id, start + 1)).toMatchObject({ remaining: 4, inFlight: 2 });
    });

    it('keeps remaining at its minimum when five settles arrive in reverse upstream order', async () => {
      const reset = start + 30_000;
      await suite.store.observe({
        now: start,
        observations: [observationOf(daily, { limit: 5, remaining: 5, resetAt: reset })],
      });
      for (const lease of ['1', '2', '3', '4', '5']) {
        expect(
          await suite.acquire({ now: start + 1, leaseId: lease, buckets: [demandOf(daily, 1)] }),
        ).toEqual(admitted);
      }
      // Upstream saw them in order 1..5 and said 4, 3, 2, 1, 0 left; the answers come back 5..1.
      const seen: Array<number | null | undefined> = [];
      for (const [lease, remaining] of [
        ['5', 0],
        ['4', 1],
        ['3', 2],
        ['2', 3],
        ['1', 4],
      ] as const) {
        await suite.store.settle({
          now: start + 100,
          leaseId: lease,
          buckets: [
            {
              id: daily.id,
              reserved: 1,
              observed: observationOf(daily, { limit: 5, remaining, resetAt: reset }),
            },
          ],
        });
        seen.push((await suite.bucketAt(daily.id, start + 100))?.remaining);
      }
      expect(seen).toEqual([0, 0, 0, 0, 0]);
      expect((await suite.acquire({ now: start + 101, buckets: [demandOf(daily, 1)] })).ok).toBe(false);
    });

    it('raises remaining again once the window has rolled over: a later reset, or the stored one passed', async () => {
      await suite.store.observe({
        now: start,
        observations: [observationOf(daily, { limit: 5, remaining: 0, resetAt: start + 10_000 })],
      });
      await suite.store.observe({
        now: start + 5_000,
        observations: [observationOf(daily, { limit: 5, remaining: 3, resetAt: start + 10_000 })],
      });
      expect(await suite.bucketAt(daily.id, start + 5_000)).toMatchObject({ remaining: 0 });
      await suite.store.observe({
        now: start + 6_000,
        observations: [observationOf(daily, { limit: 5, remaining: 4, resetAt: start + 70_000 })],
      });
      expect(await suite.bucketAt(daily.id, start + 6_000)).toMatchObject({
        remaining: 4,
        resetAt: start + 70_000,
      });
      await suite.store.observe({
        now: start + 71_000,
        observations: [observationOf(daily, { remaining: 2 })],
      });
      expect(await suite.bucketAt(daily.id, start + 71_000)).toMatchObject({ remaining: 2 });
    });

    it('gives back reserved - used when the usage is known', async () => {
      await suite.acquire({ leaseId: 'a', buckets: [tokenDemand(300)] });
      await suite.store.settle({
        now: start + 1,
        leaseId: 'a',
        buckets: [{ id: tokens.id, reserved: 300, used: 120 }],
      });
      expect(await suite.bucketAt(tokens.id, start + 1)).toMatchObject({ remaining: 880, inFlight: 0 });
    });

    it('takes more when used exceeds reserved, never below 0', async () => {
      await suite.acquire({ leaseId: 'a', buckets: [tokenDemand(300)] });
      await suite.store.settle({
        now: start + 1,
        leaseId: 'a',
        buckets: [{ id: tokens.id, reserved: 300, used: 400 }],
      });
      expect(await suite.bucketAt(tokens.id, start + 1)).toMatchObject({ remaining: 600 });
      await suite.acquire({ leaseId: 'b', buckets: [tokenDemand(500)] });
      await suite.store.settle({
        now: start + 2,
        leaseId: 'b',
        buckets: [{ id: tokens.id, reserved: 500, used: 2000 }],
      });
      expect(await suite.bucketAt(tokens.id, start + 2)).toMatchObject({ remaining: 0 });
    });

    it('never gives back more than the limit', async () => {
      await suite.acquire({ leaseId: 'old-window', buckets: [tokenDemand(300)] });
      const nextWindow = start + minute;
      await suite.acquire({
        now: nextWindow,
        leaseId: 'new-window',
        buckets: [demandOf(tokens, 1, { limit: 1000, nextResetAt: nextWindow + minute })],
      });
      expect(await suite.bucketAt(tokens.id, nextWindow)).toMatchObject({ remaining: 999 });
      await suite.store.settle({
        now: nextWindow + 1,
        leaseId: 'old-window',
        buckets: [{ id: tokens.id, reserved: 300, used: 0 }],
      });
      expect(await suite.bucketAt(tokens.id, nextWindow + 1)).toMatchObject({ remaining: 1000 });
    });

    it('leaves an unknown remaining unknown when usage is known', async () => {
      await suite.acquire({ leaseId: 'a', buckets: [demandOf(tokens, 300)] });
      await suite.store.settle({
        now: start + 1,
        leaseId: 'a',
        buckets: [{ id: tokens.id, reserved: 300, used: 10 }],
      });
      expect(await suite.bucketAt(tokens.id, start + 1)).toMatchObject({ remaining: null, inFlight: 0 });
    });

    it('creates a bucket it did not reserve from what the response said about it', async () => {
      await suite.acquire({ leaseId: 'a', buckets: [demandOf(requests, 1)] });
      await suite.store.settle({
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
      expect(await suite.bucketAt(daily.id, start + 1)).toEqual(
        fixedBucket(daily, {
          limit: 1000,
          remaining: 997,
          resetAt: start + 1440 * minute,
          updatedAt: start + 1,
        }),
      );
    });
  });

  describe('observe', () => {
    it('creates a bucket from an observation', async () => {
      await suite.store.observe({
        now: start,
        observations: [observationOf(requests, { limit: 30, remaining: 12, resetAt: start + 20_000 })],
      });
      expect(await suite.bucketAt(requests.id)).toEqual(
        fixedBucket(requests, { limit: 30, remaining: 12, resetAt: start + 20_000 }),
      );
    });

    it('lowers remaining by what is still in flight, and keeps a stated reset against an earlier one', async () => {
      await suite.store.observe({
        now: start,
        observations: [observationOf(requests, { limit: 10, remaining: 10, resetAt: start + minute })],
      });
      const demand = demandOf(requests, 1, { limit: 10, nextResetAt: start + minute });
      await suite.acquire({ buckets: [demand] });
      await suite.acquire({ buckets: [demand] });
      await suite.store.observe({
        now: start + 1,
        observations: [observationOf(requests, { remaining: 7 })],
      });
      expect(await suite.bucketAt(requests.id, start + 1)).toMatchObject({
        limit: 10,
        remaining: 5,
        resetAt: start + minute,
        inFlight: 2,
        updatedAt: start + 1,
      });
      // An earlier reset within the open window comes from an older answer: it is not taken.
      await suite.store.observe({
        now: start + 2,
        observations: [observationOf(requests, { resetAt: start + 30_000 })],
      });
      expect(await suite.bucketAt(requests.id, start + 2)).toMatchObject({
        remaining: 5,
        resetAt: start + minute,
      });
    });

    it('takes the provider’s count and reset over a window the store opened itself, even an earlier reset', async () => {
      await suite.store.observe({
        now: start,
        observations: [observationOf(requests, { limit: 5, remaining: 0, resetAt: start + 10_000 })],
      });
      // The window passes; the next acquire reopens it at the engine's guess of a minute.
      const reopen = demandOf(requests, 1, { nextResetAt: start + 70_000 });
      expect(await suite.acquire({ now: start + 10_000, leaseId: 'a', buckets: [reopen] })).toEqual(admitted);
      expect(await suite.bucketAt(requests.id, start + 10_000)).toMatchObject({
        remaining: 4,
        resetAt: start + 70_000,
        resetGuessed: true,
      });
      await suite.store.settle({
        now: start + 10_050,
        leaseId: 'a',
        buckets: [
          {
            id: requests.id,
            reserved: 1,
            observed: observationOf(requests, { remaining: 0, resetAt: start + 11_000 }),
          },
        ],
      });
      const told = await suite.bucketAt(requests.id, start + 10_050);
      expect(told).toMatchObject({ remaining: 0, resetAt: start + 11_000 });
      expect(told?.resetGuessed).toBeUndefined();
      expect(
        await suite.acquire({
          now: start + 11_000,
          buckets: [demandOf(requests, 1, { nextResetAt: start + 71_000 })],
        }),
      ).toEqual(admitted);
    });

    it('does not count leases that have already expired as in flight', async () => {
      const demand = demandOf(requests, 1, { limit: 10, nextResetAt: start + 10 * minute });
      await suite.acquire({ leaseId: 'crashed', leaseExpiresAt: start + 1_000, buckets: [demand] });
      await suite.acquire({ leaseId: 'alive', leaseExpiresAt: start + 5 * minute, buckets: [demand] });
      await suite.store.observe({
        now: start + 2_000,
        observations: [observationOf(requests, { remaining: 6 })],
      });
      expect(await suite.bucketAt(requests.id, start + 2_000)).toMatchObject({ remaining: 5, inFlight: 1 });
    });

    it('refuses after an observed remaining of 0 until the observed reset, then refills to the limit', async () => {
      await suite.store.observe({
        now: start,
        observations: [observationOf(daily, { limit: 1000, remaining: 0, resetAt: start + 60 * minute })],
      });
      expect((await suite.acquire({ now: start + 1, buckets: [demandOf(daily, 1)] })).ok).toBe(false);
      const afterReset = start + 60 * minute;
      expect(
        await suite.acquire({
          now: afterReset,
          buckets: [demandOf(daily, 1, { nextResetAt: afterReset + 1440 * minute })],
        }),
      ).toEqual(admitted);
      expect(await suite.bucketAt(daily.id, afterReset)).toMatchObject({
        remaining: 999,
        resetAt: afterReset + 1440 * minute,
      });
    });
  });
}
