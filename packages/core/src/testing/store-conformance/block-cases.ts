import { describe, expect, it } from 'vitest';
import {
  admitted,
  countAdmitted,
  demandOf,
  keys,
  minute,
  type SuiteContext,
  start,
} from './suite-context.ts';

/** Blocks, how they release once they end, and the circuit breaker's single probe. */
export function blockCases(suite: SuiteContext): void {
  const cooldown = (scope: string, until: number, release: 'all' | 'probe' = 'all', reason = 'r') =>
    suite.store.block({ now: start, scope, state: 'cooldown', until, reason, release });

  describe('blocks', () => {
    it('refuses while a block on a named scope runs, returns the block, and admits once it has ended', async () => {
      await cooldown('groq~key1', start + 7_000, 'all', '429 requests per minute (retry-after 7s)');
      const expected = {
        scope: 'groq~key1',
        state: 'cooldown',
        until: start + 7_000,
        reason: '429 requests per minute (retry-after 7s)',
        since: start,
        release: 'all',
        probeUntil: null,
      };
      expect(await suite.acquire({ now: start + 1, blockScopes: ['groq~key1'] })).toEqual({
        ok: false,
        blocked: expected,
      });
      expect(await suite.acquire({ now: start + 6_999, blockScopes: ['groq~key1'] })).toEqual({
        ok: false,
        blocked: expected,
      });
      expect(await suite.acquire({ now: start + 7_000, blockScopes: ['groq~key1'] })).toEqual(admitted);
      expect(await suite.acquire({ now: start + 7_001, blockScopes: ['groq~key1'] })).toEqual(admitted);
    });

    it('releases a probe by default', async () => {
      await suite.store.block({
        now: start,
        scope: 'a~1',
        state: 'parked',
        until: start + 1_000,
        reason: 'r',
      });
      expect(await suite.acquire({ now: start + 1_000, blockScopes: ['a~1'] })).toEqual({
        ok: true,
        probes: ['a~1'],
      });
    });

    it('takes nothing from buckets when a block refuses', async () => {
      await cooldown('groq~key1', start + 7_000);
      const refused = await suite.acquire({
        blockScopes: ['cerebras~key2', 'groq~key1'],
        buckets: [demandOf(keys.requests, 1, { limit: 10, nextResetAt: start + minute })],
      });
      expect(refused).toMatchObject({ ok: false, blocked: { scope: 'groq~key1' } });
      const bucket = await suite.bucketAt(keys.requests.id);
      expect(bucket?.remaining ?? 10).toBe(10);
      expect(bucket?.inFlight ?? 0).toBe(0);
    });

    it('ignores blocks on scopes the attempt does not name', async () => {
      await suite.store.block({
        now: start,
        scope: 'groq~key1',
        state: 'parked',
        until: start + minute,
        reason: 'r',
      });
      expect(await suite.acquire({ blockScopes: ['groq~key1/llama', 'cerebras~key2'] })).toEqual(admitted);
    });

    it('extend keeps whichever block ends later', async () => {
      await suite.store.block({
        now: start,
        scope: 'groq~key1',
        state: 'parked',
        until: start + 1440 * minute,
        reason: 'out of credit',
      });
      await suite.store.block({
        now: start + 1,
        scope: 'groq~key1',
        state: 'cooldown',
        until: start + minute,
        reason: 'r',
      });
      await suite.store.block({
        now: start + 2,
        scope: 'groq~key1',
        state: 'cooldown',
        until: start + minute,
        reason: 'r',
        mode: 'extend',
      });
      expect(await suite.acquire({ now: start + 2 * minute, blockScopes: ['groq~key1'] })).toEqual({
        ok: false,
        blocked: {
          scope: 'groq~key1',
          state: 'parked',
          until: start + 1440 * minute,
          reason: 'out of credit',
          since: start,
          release: 'probe',
          probeUntil: null,
        },
      });
      await suite.store.block({
        now: start + 3,
        scope: 'groq~key1',
        state: 'exhausted',
        until: start + 2880 * minute,
        reason: 'daily quota',
        release: 'all',
      });
      const { blocks } = await suite.store.snapshot({ now: start + 3 });
      expect(blocks).toEqual([
        {
          scope: 'groq~key1',
          state: 'exhausted',
          until: start + 2880 * minute,
          reason: 'daily quota',
          since: start + 3,
          release: 'all',
          probeUntil: null,
        },
      ]);
    });

    it('replace overwrites a block that ends later', async () => {
      await suite.store.block({
        now: start,
        scope: 'groq~key1',
        state: 'parked',
        until: start + 1440 * minute,
        reason: 'out of credit',
      });
      await suite.store.block({
        now: start + 1,
        scope: 'groq~key1',
        state: 'circuit-open',
        until: start + minute,
        reason: 'failed probe',
        mode: 'replace',
      });
      const { blocks } = await suite.store.snapshot({ now: start + 1 });
      expect(blocks).toEqual([
        {
          scope: 'groq~key1',
          state: 'circuit-open',
          until: start + minute,
          reason: 'failed probe',
          since: start + 1,
          release: 'probe',
          probeUntil: null,
        },
      ]);
    });

    it('unblock lifts blocks on the given scopes only', async () => {
      for (const scope of ['a~1', 'b~2', 'c~3']) await cooldown(scope, start + minute);
      await suite.store.unblock({ scopes: ['a~1', 'c~3', 'never-blocked'] });
      expect(await suite.acquire({ blockScopes: ['a~1', 'c~3'] })).toEqual(admitted);
      expect(await suite.acquire({ blockScopes: ['b~2'] })).toMatchObject({
        ok: false,
        blocked: { scope: 'b~2' },
      });
    });
  });

  describe('release by probe', () => {
    const scope = 'gemini~key1/flash';

    it('admits exactly one probe once the block ends; the others see it until probeUntil', async () => {
      await cooldown(scope, start + minute, 'probe');
      const ended = start + minute;
      const probeUntil = ended + 30_000;
      expect(await suite.acquire({ now: ended, probeUntil, blockScopes: [scope] })).toEqual({
        ok: true,
        probes: [scope],
      });
      expect(await suite.acquire({ now: ended + 1, blockScopes: [scope] })).toEqual({
        ok: false,
        blocked: {
          scope,
          state: 'cooldown',
          until: ended,
          reason: 'r',
          since: start,
          release: 'probe',
          probeUntil,
        },
      });
      expect(await suite.acquire({ now: probeUntil - 1, blockScopes: [scope] })).toMatchObject({
        ok: false,
        blocked: { probeUntil },
      });
    });

    it('lets the next attempt probe when a probe never reports back', async () => {
      await cooldown(scope, start + minute, 'probe');
      const ended = start + minute;
      await suite.acquire({ now: ended, probeUntil: ended + 5_000, blockScopes: [scope] });
      expect(await suite.acquire({ now: ended + 5_000, blockScopes: [scope] })).toEqual({
        ok: true,
        probes: [scope],
      });
    });

    it('lifts the block in the settle of a probe that was answered', async () => {
      await cooldown(scope, start + minute, 'probe');
      const ended = start + minute;
      await suite.acquire({ now: ended, leaseId: 'probe', blockScopes: [scope] });
      await suite.store.settle({
        now: ended + 10,
        leaseId: 'probe',
        buckets: [],
        unblock: [scope],
        answered: true,
      });
      const after = await Promise.all(
        Array.from({ length: 5 }, () => suite.acquire({ now: ended + 11, blockScopes: [scope] })),
      );
      expect(after).toEqual(Array.from({ length: 5 }, () => admitted));
    });

    it('keeps the ended block for a later attempt when a bucket refuses the would-be probe', async () => {
      await cooldown(scope, start + minute, 'probe');
      const ended = start + minute;
      const exhausted = demandOf(keys.daily, 1, { limit: 0, nextResetAt: start + 1440 * minute });
      expect(await suite.acquire({ now: ended, blockScopes: [scope], buckets: [exhausted] })).toMatchObject({
        ok: false,
        bucket: { id: keys.daily.id },
      });
      expect(await suite.acquire({ now: ended + 1, blockScopes: [scope] })).toEqual({
        ok: true,
        probes: [scope],
      });
    });

    it('admits a single probe among 20 concurrent attempts', async () => {
      await cooldown(scope, start + minute, 'probe');
      const results = await Promise.all(
        Array.from({ length: 20 }, () => suite.acquire({ now: start + minute, blockScopes: [scope] })),
      );
      expect(countAdmitted(results)).toBe(1);
      expect(results.filter((result) => result.ok && result.probes.length === 1)).toHaveLength(1);
    });

    it('shows an ended block while it awaits or holds its probe', async () => {
      await cooldown(scope, start + minute, 'probe');
      expect((await suite.store.snapshot({ now: start + 2 * minute })).blocks).toMatchObject([
        { scope, until: start + minute, probeUntil: null },
      ]);
    });
  });

  describe('circuit breaker', () => {
    const scope = 'groq/llama';
    const openCircuit = (until: number, release?: 'all' | 'probe') =>
      suite.store.block({
        now: start,
        scope,
        state: 'circuit-open',
        until,
        reason: '5 consecutive failures',
        release,
      });

    it('refuses while the circuit is open', async () => {
      await openCircuit(start + minute);
      expect(await suite.acquire({ now: start + 1, blockScopes: [scope] })).toMatchObject({
        ok: false,
        blocked: { scope, state: 'circuit-open', until: start + minute },
      });
    });

    it('always releases a circuit by probe, even when told to release all', async () => {
      await openCircuit(start + minute, 'all');
      expect(await suite.acquire({ now: start + minute, blockScopes: [scope] })).toEqual({
        ok: true,
        probes: [scope],
      });
      expect((await suite.acquire({ now: start + minute + 1, blockScopes: [scope] })).ok).toBe(false);
    });

    it('re-opens the circuit when the probe fails and the block is replaced, then probes again', async () => {
      await openCircuit(start + minute);
      const halfOpen = start + minute;
      await suite.acquire({ now: halfOpen, probeUntil: halfOpen + 30_000, blockScopes: [scope] });
      await suite.store.block({
        now: halfOpen + 500,
        scope,
        state: 'circuit-open',
        until: halfOpen + 10_000,
        reason: 'probe failed',
        mode: 'replace',
      });
      expect(await suite.acquire({ now: halfOpen + 9_999, blockScopes: [scope] })).toMatchObject({
        ok: false,
        blocked: { state: 'circuit-open', reason: 'probe failed', probeUntil: null },
      });
      expect(await suite.acquire({ now: halfOpen + 10_000, blockScopes: [scope] })).toEqual({
        ok: true,
        probes: [scope],
      });
    });
  });
}
