import { describe, expect, it } from 'vitest';
import { admitted, demandOf, fixedBucket, keys, minute, type SuiteContext, start } from './suite-context.ts';

/** Creating buckets, admitting into them, fixed windows and concurrency slots. */
export function bucketCases(suite: SuiteContext): void {
  const { requests, tokens, daily, slots } = keys;

  describe('bucket creation', () => {
    it('creates a bucket from a demand with a limit, full and windowed at nextResetAt, then takes the cost', async () => {
      const result = await suite.acquire({
        buckets: [demandOf(requests, 1, { limit: 10, nextResetAt: start + minute })],
      });
      expect(result).toEqual(admitted);
      expect(await suite.bucketAt(requests.id)).toEqual(
        fixedBucket(requests, {
          limit: 10,
          remaining: 9,
          resetAt: start + minute,
          resetGuessed: true,
          inFlight: 1,
        }),
      );
    });

    it('creates a bucket with unknown limit and remaining from a demand without a limit, and admits any cost', async () => {
      const result = await suite.acquire({
        buckets: [demandOf(tokens, 1_000_000, { nextResetAt: start + minute })],
      });
      expect(result).toEqual(admitted);
      expect(await suite.bucketAt(tokens.id)).toMatchObject({
        limit: null,
        remaining: null,
        resetAt: null,
        inFlight: 1_000_000,
      });
      expect(await suite.acquire({ buckets: [demandOf(tokens, 5_000_000)] })).toEqual(admitted);
    });

    it('creates a concurrency bucket with its limit and no reset', async () => {
      await suite.acquire({ buckets: [demandOf(slots, 1, { limit: 3, nextResetAt: start + minute })] });
      expect(await suite.bucketAt(slots.id)).toMatchObject({ limit: 3, resetAt: null, inFlight: 1 });
    });

    it('neither creates nor refuses a missing bucket demanded ifPresent, and takes from it once it exists', async () => {
      const optional = demandOf(daily, 1, { ifPresent: true });
      expect(await suite.acquire({ buckets: [optional] })).toEqual(admitted);
      expect(await suite.bucketAt(daily.id)).toBeUndefined();
      await suite.store.observe({
        now: start,
        observations: [{ ...daily, limit: 2, remaining: 1, resetAt: start + minute }],
      });
      expect(await suite.acquire({ buckets: [optional] })).toEqual(admitted);
      expect(await suite.bucketAt(daily.id)).toMatchObject({ remaining: 0, inFlight: 1 });
      expect(await suite.acquire({ buckets: [optional] })).toMatchObject({ ok: false, cost: 1 });
    });
  });

  describe('admission', () => {
    it('admits a cost equal to remaining and refuses a cost above it, reporting the bucket and the cost', async () => {
      const demand = (cost: number) => demandOf(tokens, cost, { limit: 500, nextResetAt: start + minute });
      expect(await suite.acquire({ buckets: [demand(200)] })).toEqual(admitted);
      expect(await suite.acquire({ buckets: [demand(300)] })).toEqual(admitted);
      const refused = await suite.acquire({ buckets: [demand(1)] });
      expect(refused).toEqual({
        ok: false,
        cost: 1,
        bucket: expect.objectContaining({ id: tokens.id, limit: 500, remaining: 0, inFlight: 500 }),
      });
    });

    it('takes the cost from every bucket when all of them admit', async () => {
      const result = await suite.acquire({
        buckets: [
          demandOf(requests, 1, { limit: 30, nextResetAt: start + minute }),
          demandOf(tokens, 120, { limit: 6000, nextResetAt: start + minute }),
          demandOf(daily, 1, { limit: 1000, nextResetAt: start + 1440 * minute }),
        ],
      });
      expect(result).toEqual(admitted);
      expect(await suite.bucketAt(requests.id)).toMatchObject({ remaining: 29, inFlight: 1 });
      expect(await suite.bucketAt(tokens.id)).toMatchObject({ remaining: 5880, inFlight: 120 });
      expect(await suite.bucketAt(daily.id)).toMatchObject({ remaining: 999, inFlight: 1 });
    });

    it('takes nothing from any bucket when a later bucket refuses (all or nothing)', async () => {
      const first = demandOf(requests, 1, { limit: 10, nextResetAt: start + minute });
      const second = demandOf(daily, 1, { limit: 1, nextResetAt: start + 1440 * minute });
      await suite.acquire({ buckets: [first] });
      await suite.acquire({ buckets: [second] });
      const refused = await suite.acquire({ buckets: [first, second] });
      expect(refused).toEqual({
        ok: false,
        cost: 1,
        bucket: expect.objectContaining({ id: daily.id, remaining: 0 }),
      });
      expect(await suite.bucketAt(requests.id)).toMatchObject({ remaining: 9, inFlight: 1 });
      expect(await suite.bucketAt(daily.id)).toMatchObject({ remaining: 0, inFlight: 1 });
    });

    it('records no lease for a refused attempt: settling it gives nothing back', async () => {
      await suite.acquire({ buckets: [demandOf(requests, 1, { limit: 10, nextResetAt: start + minute })] });
      await suite.acquire({
        buckets: [demandOf(daily, 1, { limit: 1, nextResetAt: start + 1440 * minute })],
      });
      const refused = await suite.acquire({
        leaseId: 'refused',
        buckets: [demandOf(requests, 1), demandOf(daily, 1)],
      });
      expect(refused.ok).toBe(false);
      await suite.store.settle({
        now: start + 1,
        leaseId: 'refused',
        buckets: [
          { id: requests.id, reserved: 1, used: 0 },
          { id: daily.id, reserved: 1, used: 0 },
        ],
      });
      expect(await suite.bucketAt(requests.id, start + 1)).toMatchObject({ remaining: 9, inFlight: 1 });
      expect(await suite.bucketAt(daily.id, start + 1)).toMatchObject({ remaining: 0, inFlight: 1 });
    });
  });

  describe('fixed windows', () => {
    it('refills at resetAt and reopens the window at the demand’s nextResetAt', async () => {
      const demand = (now: number) => demandOf(requests, 1, { limit: 2, nextResetAt: now + minute });
      await suite.acquire({ now: start, buckets: [demand(start)] });
      await suite.acquire({ now: start, buckets: [demand(start)] });
      const justBefore = start + minute - 1;
      expect((await suite.acquire({ now: justBefore, buckets: [demand(justBefore)] })).ok).toBe(false);
      const atReset = start + minute;
      expect(await suite.acquire({ now: atReset, buckets: [demand(atReset)] })).toEqual(admitted);
      expect(await suite.bucketAt(requests.id, atReset)).toMatchObject({
        limit: 2,
        remaining: 1,
        resetAt: atReset + minute,
        updatedAt: atReset,
      });
    });

    it('keeps an open window as it is: no refill before resetAt', async () => {
      const demand = demandOf(requests, 1, { limit: 5, nextResetAt: start + minute });
      await suite.acquire({ now: start, buckets: [demand] });
      await suite.acquire({
        now: start + 30_000,
        buckets: [{ ...demand, nextResetAt: start + 30_000 + minute }],
      });
      expect(await suite.bucketAt(requests.id, start + 30_000)).toMatchObject({
        remaining: 3,
        resetAt: start + minute,
      });
    });

    it('grows a bucket when the demand’s limit rises, moving remaining by the difference', async () => {
      const demand = (cost: number, limit: number) =>
        demandOf(tokens, cost, { limit, nextResetAt: start + minute });
      await suite.acquire({ buckets: [demand(400, 1000)] });
      expect(await suite.acquire({ buckets: [demand(100, 1500)] })).toEqual(admitted);
      expect(await suite.bucketAt(tokens.id)).toMatchObject({ limit: 1500, remaining: 1000, inFlight: 500 });
    });

    it('shrinks a bucket when the demand’s limit falls, never below 0 remaining', async () => {
      const demand = (limit: number) => demandOf(requests, 1, { limit, nextResetAt: start + minute });
      await suite.acquire({ buckets: [demand(10)] });
      await suite.acquire({ buckets: [demand(10)] });
      expect(await suite.acquire({ buckets: [demand(5)] })).toEqual(admitted);
      expect(await suite.bucketAt(requests.id)).toMatchObject({ limit: 5, remaining: 2 });
      expect(await suite.acquire({ buckets: [demand(1)] })).toEqual({
        ok: false,
        cost: 1,
        bucket: expect.objectContaining({ id: requests.id, limit: 1, remaining: 0 }),
      });
    });

    it('leaves a known limit alone when a demand names no limit', async () => {
      await suite.acquire({ buckets: [demandOf(requests, 1, { limit: 10, nextResetAt: start + minute })] });
      await suite.acquire({ buckets: [demandOf(requests, 1)] });
      expect(await suite.bucketAt(requests.id)).toMatchObject({
        limit: 10,
        remaining: 8,
        resetAt: start + minute,
      });
    });
  });

  describe('concurrency buckets', () => {
    it('admits while inFlight + cost <= limit and frees a slot on settle', async () => {
      const demand = demandOf(slots, 1, { limit: 2 });
      expect(await suite.acquire({ leaseId: 'a', buckets: [demand] })).toEqual(admitted);
      expect(await suite.acquire({ leaseId: 'b', buckets: [demand] })).toEqual(admitted);
      expect(await suite.acquire({ leaseId: 'c', buckets: [demand] })).toEqual({
        ok: false,
        cost: 1,
        bucket: expect.objectContaining({ id: slots.id, limit: 2, inFlight: 2 }),
      });
      await suite.store.settle({ now: start + 1, leaseId: 'a', buckets: [{ id: slots.id, reserved: 1 }] });
      expect(await suite.bucketAt(slots.id, start + 1)).toMatchObject({ inFlight: 1 });
      expect(await suite.acquire({ now: start + 1, leaseId: 'd', buckets: [demand] })).toEqual(admitted);
    });

    it('does not free slots with time, only by settle or lease expiry', async () => {
      const demand = demandOf(slots, 1, { limit: 1 });
      await suite.acquire({ leaseExpiresAt: start + 1440 * minute, buckets: [demand] });
      expect((await suite.acquire({ now: start + 600 * minute, buckets: [demand] })).ok).toBe(false);
    });

    it('refuses a cost larger than the free slots', async () => {
      await suite.acquire({ buckets: [demandOf(slots, 1, { limit: 3 })] });
      expect((await suite.acquire({ buckets: [demandOf(slots, 3, { limit: 3 })] })).ok).toBe(false);
      expect(await suite.acquire({ buckets: [demandOf(slots, 2, { limit: 3 })] })).toEqual(admitted);
    });
  });
}
