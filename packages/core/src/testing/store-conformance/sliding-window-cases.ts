import { describe, expect, it } from 'vitest';
import { admitted, countAdmitted, demandOf, keyOf, type SuiteContext, start } from './suite-context.ts';

/** Sliding windows: at most `limit` units in any `windowMs`, safe against fixed and rolling windows. */
export function slidingWindowCases(suite: SuiteContext): void {
  const rpm = keyOf('nvidia~key1/llama', 'requests', 'minute');
  const tokens = keyOf('nvidia~key1/llama', 'tokens', 'minute');
  const window = 10_000;
  const demand = (cost = 1, limit = 3) => demandOf(rpm, cost, { limit, windowMs: window });

  describe('sliding windows', () => {
    it('admits at most limit units in any window and frees each unit one window after it was taken', async () => {
      expect(await suite.acquire({ now: start, buckets: [demand()] })).toEqual(admitted);
      expect(await suite.acquire({ now: start + 2_000, buckets: [demand()] })).toEqual(admitted);
      expect(await suite.acquire({ now: start + 4_000, buckets: [demand()] })).toEqual(admitted);
      const refused = await suite.acquire({ now: start + 9_999, buckets: [demand()] });
      expect(refused).toEqual({
        ok: false,
        cost: 1,
        bucket: expect.objectContaining({
          id: rpm.id,
          limit: 3,
          remaining: 0,
          windowMs: window,
          resetAt: start + window,
        }),
      });
      expect(await suite.acquire({ now: start + window, buckets: [demand()] })).toEqual(admitted);
      expect((await suite.acquire({ now: start + 11_999, buckets: [demand()] })).ok).toBe(false);
      expect(await suite.acquire({ now: start + 12_000, buckets: [demand()] })).toEqual(admitted);
    });

    it('never lets more than limit through in any window, whatever the spacing of attempts', async () => {
      const admittedAt: number[] = [];
      for (let at = start; at < start + 60_000; at += 700) {
        if ((await suite.acquire({ now: at, buckets: [demand()] })).ok) admittedAt.push(at);
      }
      for (const at of admittedAt) {
        expect(admittedAt.filter((other) => other >= at && other < at + window).length).toBeLessThanOrEqual(
          3,
        );
      }
      expect(admittedAt.length).toBeGreaterThanOrEqual(15);
    });

    it('shows what the log leaves and when its oldest units leave', async () => {
      await suite.acquire({ now: start, buckets: [demand()] });
      await suite.acquire({ now: start + 3_000, buckets: [demand()] });
      expect(await suite.bucketAt(rpm.id, start + 5_000)).toMatchObject({
        limit: 3,
        remaining: 1,
        resetAt: start + window,
        windowMs: window,
        inFlight: 2,
      });
      expect(await suite.bucketAt(rpm.id, start + 11_000)).toMatchObject({
        remaining: 2,
        resetAt: start + 13_000,
      });
    });

    it('counts token costs and says when a cost fits again', async () => {
      const tokenDemand = (cost: number) => demandOf(tokens, cost, { limit: 1_000, windowMs: window });
      await suite.acquire({ now: start, buckets: [tokenDemand(600)] });
      await suite.acquire({ now: start + 1_000, buckets: [tokenDemand(300)] });
      expect(await suite.acquire({ now: start + 2_000, buckets: [tokenDemand(500)] })).toEqual({
        ok: false,
        cost: 500,
        bucket: expect.objectContaining({ remaining: 100, resetAt: start + window }),
      });
      expect(await suite.acquire({ now: start + 2_000, buckets: [tokenDemand(100)] })).toEqual(admitted);
    });

    it('resizes to the demand’s limit at once', async () => {
      await suite.acquire({ now: start, buckets: [demand(1, 2)] });
      await suite.acquire({ now: start, buckets: [demand(1, 2)] });
      expect((await suite.acquire({ now: start + 1, buckets: [demand(1, 2)] })).ok).toBe(false);
      expect(await suite.acquire({ now: start + 1, buckets: [demand(1, 4)] })).toEqual(admitted);
    });

    it('stays safe past the size of its log: merged entries count for longer, never for less', async () => {
      const wide = (cost = 1) => demandOf(rpm, cost, { limit: 500, windowMs: window });
      let admittedCount = 0;
      for (let index = 0; index < 500; index++) {
        if ((await suite.acquire({ now: start + index * 10, buckets: [wide()] })).ok) admittedCount++;
      }
      expect(admittedCount).toBe(500);
      expect((await suite.acquire({ now: start + 5_000, buckets: [wide()] })).ok).toBe(false);
      const freed = await suite.acquire({ now: start + window + 4_990, buckets: [wide()] });
      expect(freed.ok).toBe(true);
      const view = await suite.bucketAt(rpm.id, start + window + 4_990);
      expect(view?.log.length).toBeLessThanOrEqual(64);
    });

    it('admits exactly limit of 30 concurrent attempts', async () => {
      const results = await Promise.all(
        Array.from({ length: 30 }, () => suite.acquire({ now: start, buckets: [demand(1, 5)] })),
      );
      expect(countAdmitted(results)).toBe(5);
    });
  });
}
