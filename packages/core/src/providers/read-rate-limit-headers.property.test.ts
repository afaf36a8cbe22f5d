import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { presets } from './presets/index.ts';
import type { HeaderBucketSpec } from './provider-preset.ts';
import { readRateLimitHeaders } from './read-rate-limit-headers.ts';

const now = 1_750_000_000_000;
const scopes = { key: 'p~abcd', model: 'p~abcd/m' };
/** Every preset's header dialect: the parser must survive any value under any of their names. */
const specs: HeaderBucketSpec[] = Object.values(presets).flatMap((preset) => preset.headerBuckets);
const openai = presets.openai!.headerBuckets;
const names = [
  ...new Set(
    specs.flatMap((spec) =>
      [spec.limitHeader, spec.remainingHeader, spec.resetHeader].filter((name) => name !== undefined),
    ),
  ),
];
/** Header values as they come, well-formed or not (only what Headers accepts). */
const value = fc.oneof(
  fc.nat().map(String),
  fc.double().map(String),
  fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,20}$/),
  fc.array(fc.nat(1000), { minLength: 1, maxLength: 3 }).map((values) => values.join(', ')),
);

describe('readRateLimitHeaders (properties)', () => {
  it('never throws, and every observation it gives is a sane bucket', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...names), value), (record) => {
        const observations = readRateLimitHeaders(new Headers(record), specs, { now, scopes });
        for (const observation of observations) {
          expect(Number.isFinite(observation.remaining) && (observation.remaining ?? -1) >= 0).toBe(true);
          if (observation.limit !== undefined) expect(observation.limit).toBeGreaterThanOrEqual(0);
          if (observation.resetAt !== undefined) expect(Number.isFinite(observation.resetAt)).toBe(true);
          expect([scopes.key, scopes.model]).toContain(observation.scope);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads remaining and limit exactly, and a repeated header as its smallest value', () => {
    fc.assert(
      fc.property(fc.nat(1_000_000), fc.nat(1_000_000), fc.nat(1_000_000), (remaining, other, limit) => {
        const headers = new Headers();
        headers.append('x-ratelimit-remaining-requests', String(remaining));
        headers.append('x-ratelimit-remaining-requests', String(other));
        headers.set('x-ratelimit-limit-requests', String(limit));
        const [observation] = readRateLimitHeaders(headers, openai, { now, scopes });
        expect(observation).toMatchObject({
          remaining: Math.min(remaining, other),
          limit,
          scope: scopes.model,
        });
      }),
    );
  });
});
