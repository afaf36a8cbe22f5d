import { describe, expect, it } from 'vitest';
import type { LearnLimit, RefuseInput } from '../../rate-limit/rate-limit-store.ts';
import { admitted, demandOf, keys, type SuiteContext, start } from './suite-context.ts';

/** Refusals (429s) that teach limits: counted or stated, measured windows, probes where nothing is known. */
export function learningCases(suite: SuiteContext): void {
  const { history, learntDaily, keyHistory, learntTokens } = keys;
  const scope = history.scope;
  const horizon = 60_000;
  /** What an assumed window of 10 s is lengthened by, for the request's arrival upstream (2 %). */
  const arrival = 200;
  const historyDemand = () => demandOf(history, 1, { windowMs: horizon });
  const send = (at: number, leaseId: string) =>
    suite.acquire({ now: at, leaseId, blockScopes: [scope], buckets: [historyDemand()] });
  const refuse = (input: Partial<RefuseInput> & { now: number; leaseId: string; limits: LearnLimit[] }) =>
    suite.store.refuse({
      buckets: [],
      historyId: history.id,
      defaultWindowMs: 10_000,
      block: { scope, state: 'cooldown', reason: '429' },
      ...input,
    });

  describe('learning from refusals', () => {
    it('counts the requests accepted before a 429 and measures the window from the first to the reset', async () => {
      for (const [at, lease] of [
        [0, 'a'],
        [1_000, 'b'],
        [2_000, 'c'],
        [3_000, 'refused'],
      ] as const) {
        expect(await send(start + at, lease)).toEqual(admitted);
      }
      const result = await refuse({
        now: start + 3_050,
        leaseId: 'refused',
        limits: [{ bucket: history }],
        block: { scope, state: 'cooldown', reason: '429', until: start + 10_000 },
      });
      expect(result.block).toMatchObject({ scope, until: start + 10_000, release: 'all' });
      expect(result.learnt).toEqual([
        expect.objectContaining({
          id: history.id,
          limit: 3,
          windowMs: 10_000,
          remaining: 0,
          learnt: expect.objectContaining({ evidence: 'count', at: start + 3_050 }),
        }),
      ]);
      expect((await send(start + 9_999, 'early')).ok).toBe(false);
      expect(await send(start + 10_000, 'd')).toEqual(admitted);
      expect((await send(start + 10_001, 'e')).ok).toBe(false);
      expect(await send(start + 11_000, 'f')).toEqual(admitted);
    });

    it('takes the refused request back out of the log: the provider did not count it', async () => {
      await send(start, 'a');
      await send(start + 500, 'refused');
      await refuse({ now: start + 600, leaseId: 'refused', limits: [{ bucket: history }] });
      const view = await suite.bucketAt(history.id, start + 600);
      expect(view?.log).toEqual([{ at: start, units: 1 }]);
      expect(view?.inFlight).toBe(1);
    });

    it('gives the refused request’s units back to fixed buckets too', async () => {
      const daily = demandOf(keys.daily, 1, { limit: 4, nextResetAt: start + 86_400_000 });
      await suite.acquire({
        now: start,
        leaseId: 'a',
        blockScopes: [scope],
        buckets: [historyDemand(), daily],
      });
      await suite.acquire({
        now: start + 10,
        leaseId: 'refused',
        blockScopes: [scope],
        buckets: [historyDemand(), daily],
      });
      expect(await suite.bucketAt(keys.daily.id, start + 10)).toMatchObject({ remaining: 2 });
      await refuse({ now: start + 20, leaseId: 'refused', limits: [] });
      expect(await suite.bucketAt(keys.daily.id, start + 20)).toMatchObject({ remaining: 3, inFlight: 1 });
    });

    it('uses a stated limit, measuring the window from the oldest request it still counted', async () => {
      for (let index = 0; index < 5; index++) await send(start + index * 1_000, `r${index}`);
      const result = await refuse({
        now: start + 4_100,
        leaseId: 'r4',
        limits: [
          { bucket: history, limit: 3, resetAt: start + 12_000, evidence: 'message', named: 'minute' },
        ],
        block: { scope, state: 'cooldown', reason: '429', until: start + 12_000 },
      });
      expect(result.learnt[0]).toMatchObject({
        limit: 3,
        windowMs: 11_000,
        learnt: { evidence: 'message', named: 'minute' },
      });
    });

    it('ends a silent provider’s cooldown when its window does: the oldest accepted request plus the window', async () => {
      await send(start, 'a');
      await send(start + 1_000, 'b');
      await send(start + 2_000, 'c');
      await send(start + 2_500, 'refused');
      const result = await refuse({ now: start + 2_600, leaseId: 'refused', limits: [{ bucket: history }] });
      expect(result.block).toMatchObject({ until: start + 10_000 + arrival, release: 'all' });
      expect(result.learnt[0]).toMatchObject({ limit: 3, windowMs: 10_000 + arrival });
    });

    it('counts only what a silent provider accepted within the window before its 429', async () => {
      // One request early on, then four in a burst; the window assumed is 10 s (plus 2 %).
      for (const [at, lease] of [
        [0, 'early'],
        [20_000, 'a'],
        [21_000, 'b'],
        [22_000, 'c'],
        [23_000, 'refused'],
      ] as const) {
        await send(start + at, lease);
      }
      const result = await refuse({ now: start + 23_100, leaseId: 'refused', limits: [{ bucket: history }] });
      expect(result.learnt[0]).toMatchObject({ limit: 3, windowMs: 10_000 + arrival });
      expect(result.block).toMatchObject({ until: start + 30_000 + arrival });
    });

    it('counts, with a reset given, only the window before the 429, not a run that went on across a daily refill', async () => {
      // A daily quota that ran out blocks nothing, so the run began at the first request (0 s).
      // The 429 at 16.4 s gives a reset 10 s on; the window it counts holds the last four.
      for (const [at, lease] of [
        [0, 'yesterday'],
        [10_000, 'a'],
        [10_400, 'b'],
        [10_800, 'c'],
        [16_000, 'd'],
        [16_400, 'refused'],
      ] as const) {
        await send(start + at, lease);
      }
      const result = await refuse({
        now: start + 16_450,
        leaseId: 'refused',
        limits: [{ bucket: history }],
        block: { scope, state: 'cooldown', reason: '429', until: start + 26_400 },
      });
      // Four from the oldest still counted (10 s) to the reset (26.4 s), not five in 26.4 s.
      expect(result.learnt[0]).toMatchObject({ limit: 4, windowMs: 16_400 });
      expect(result.block).toMatchObject({ until: start + 26_400, release: 'all' });
    });

    it('counts a silent provider that opens its window at the first request by that window alone', async () => {
      // A 10 s window opened at 0 took three; the next opened at 10 s took four before the 429.
      // Ten seconds back from the 429 hold six, but no window held more than four.
      for (const [at, lease] of [
        [0, 'first'],
        [5_000, 'second'],
        [9_000, 'third'],
        [10_000, 'a'],
        [10_500, 'b'],
        [11_000, 'c'],
        [11_500, 'd'],
        [12_000, 'refused'],
      ] as const) {
        await send(start + at, lease);
      }
      const result = await refuse({ now: start + 12_100, leaseId: 'refused', limits: [{ bucket: history }] });
      expect(result.learnt[0]).toMatchObject({ limit: 4, windowMs: 10_000 + arrival });
      expect(result.block).toMatchObject({ until: start + 20_000 + arrival });
    });

    it('learns nothing and releases one probe when nothing was accepted before the 429', async () => {
      await send(start, 'refused');
      const result = await refuse({ now: start + 100, leaseId: 'refused', limits: [{ bucket: history }] });
      expect(result.learnt).toEqual([]);
      expect(result.block).toMatchObject({ until: start + 10_100, release: 'probe' });
      expect(await suite.acquire({ now: start + 10_100, blockScopes: [scope] })).toEqual({
        ok: true,
        probes: [scope],
      });
      expect((await suite.acquire({ now: start + 10_101, blockScopes: [scope] })).ok).toBe(false);
    });

    it('releases all at the end of a block whose refusal described the window that ran out', async () => {
      await send(start, 'refused');
      const perSecond = keys.requests;
      const result = await refuse({
        now: start + 10,
        leaseId: 'refused',
        limits: [],
        buckets: [
          {
            id: perSecond.id,
            reserved: 0,
            observed: { ...perSecond, limit: 3, remaining: 0, resetAt: start + 1_000 },
          },
        ],
        block: { scope, state: 'cooldown', reason: '429', until: start + 1_000 },
      });
      expect(result.block).toMatchObject({ release: 'all', until: start + 1_000 });
    });

    it('does not learn again from a request sent before the current run began', async () => {
      for (const [at, lease] of [
        [0, 'a'],
        [1_000, 'b'],
        [2_000, 'late'],
        [2_100, 'refused'],
      ] as const) {
        await send(start + at, lease);
      }
      await refuse({
        now: start + 2_200,
        leaseId: 'refused',
        limits: [{ bucket: history }],
        block: { scope, state: 'cooldown', reason: '429', until: start + 10_000 },
      });
      const again = await refuse({
        now: start + 2_300,
        leaseId: 'late',
        limits: [{ bucket: history }],
        block: { scope, state: 'cooldown', reason: '429', until: start + 10_000 },
      });
      expect(again.learnt).toEqual([]);
      expect(await suite.bucketAt(history.id, start + 2_300)).toMatchObject({ limit: 3 });
    });

    it('learns a longer window from the next run, measured from the first request after the block', async () => {
      for (const [at, lease] of [
        [5_000, 'a'],
        [6_000, 'b'],
        [7_000, 'refused'],
      ] as const)
        await send(start + at, lease);
      await refuse({
        now: start + 7_050,
        leaseId: 'refused',
        limits: [{ bucket: history, limit: 2 }],
        block: { scope, state: 'cooldown', reason: '429', until: start + 10_000 },
      });
      expect(await suite.bucketAt(history.id, start + 7_050)).toMatchObject({ windowMs: 5_000 });
      await send(start + 10_000, 'c');
      await send(start + 11_000, 'd');
      await send(start + 16_000, 'refused-2');
      await refuse({
        now: start + 16_050,
        leaseId: 'refused-2',
        limits: [{ bucket: history, limit: 2 }],
        block: { scope, state: 'cooldown', reason: '429', until: start + 20_000 },
      });
      expect(await suite.bucketAt(history.id, start + 16_050)).toMatchObject({ limit: 2, windowMs: 10_000 });
    });

    it('learns a daily quota as a fixed window with nothing left until its reset, then full again', async () => {
      await send(start, 'refused');
      const reset = start + 3_600_000;
      const result = await refuse({
        now: start + 10,
        leaseId: 'refused',
        limits: [
          { bucket: learntDaily, limit: 250, fixed: true, resetAt: reset, evidence: 'body', named: 'day' },
        ],
        block: { scope, state: 'exhausted', reason: '429 daily', until: reset },
      });
      expect(result.learnt[0]).toMatchObject({
        id: learntDaily.id,
        limit: 250,
        remaining: 0,
        resetAt: reset,
        windowMs: null,
      });
      expect(result.block).toMatchObject({ release: 'all' });
      const daily = () => demandOf(learntDaily, 1, { ifPresent: true, nextResetAt: reset + 86_400_000 });
      expect((await suite.acquire({ now: reset - 1, buckets: [daily()] })).ok).toBe(false);
      expect(await suite.acquire({ now: reset, buckets: [daily()] })).toEqual(admitted);
      expect(await suite.bucketAt(learntDaily.id, reset)).toMatchObject({ remaining: 249 });
    });

    it('seeds a learnt bucket of another scope from the history, full up to the stated limit', async () => {
      await send(start, 'a');
      await send(start + 1_000, 'refused');
      const result = await refuse({
        now: start + 1_100,
        leaseId: 'refused',
        limits: [{ bucket: keyHistory, limit: 4, resetAt: start + 20_000, evidence: 'header' }],
        block: { scope: keyHistory.scope, state: 'cooldown', reason: '429', until: start + 20_000 },
      });
      expect(result.learnt[0]).toMatchObject({ id: keyHistory.id, limit: 4, windowMs: 20_000, remaining: 0 });
      expect(result.learnt[0]?.log).toEqual([
        { at: start, units: 1 },
        { at: start + 1_000, units: 3 },
      ]);
    });

    it('learns a stated token limit without a token history: full until the reset', async () => {
      await send(start, 'a');
      await send(start + 2_000, 'refused');
      const result = await refuse({
        now: start + 2_100,
        leaseId: 'refused',
        limits: [{ bucket: learntTokens, limit: 6_000, resetAt: start + 30_000, evidence: 'body' }],
        block: { scope, state: 'cooldown', reason: '429', until: start + 30_000 },
      });
      expect(result.learnt[0]).toMatchObject({ limit: 6_000, windowMs: 30_000, remaining: 0 });
    });

    it('drops a learnt limit that an answered request contradicts', async () => {
      await send(start, 'a');
      await send(start + 100, 'in-flight');
      await send(start + 200, 'refused');
      await refuse({
        now: start + 300,
        leaseId: 'refused',
        limits: [{ bucket: history, limit: 1, resetAt: start + 5_000 }],
        block: { scope, state: 'cooldown', reason: '429', until: start + 5_000 },
      });
      expect(await suite.bucketAt(history.id, start + 300)).toMatchObject({ limit: 1 });
      await suite.store.settle({
        now: start + 400,
        leaseId: 'in-flight',
        buckets: [{ id: history.id, reserved: 1 }],
        answered: true,
      });
      const dropped = await suite.bucketAt(history.id, start + 400);
      expect(dropped).toMatchObject({ limit: null, remaining: null });
      expect(dropped?.learnt).toBeUndefined();
    });

    it('settles what the refusal’s headers said about buckets', async () => {
      await send(start, 'refused');
      await refuse({
        now: start + 10,
        leaseId: 'refused',
        limits: [],
        buckets: [
          {
            id: keys.daily.id,
            reserved: 0,
            observed: { ...keys.daily, limit: 50, remaining: 0, resetAt: start + 60_000 },
          },
        ],
      });
      expect(await suite.bucketAt(keys.daily.id, start + 10)).toMatchObject({ limit: 50, remaining: 0 });
    });
  });
}
