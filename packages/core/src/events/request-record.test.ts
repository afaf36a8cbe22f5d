import { describe, expect, it } from 'vitest';
import {
  type AttemptRecord,
  countSentAttempts,
  isErroredAttempt,
  isFallback,
  isRateLimitedAttempt,
} from './request-record.ts';

function attempt(overrides: Partial<AttemptRecord>): AttemptRecord {
  return {
    provider: 'groq',
    model: 'llama-3.3-70b',
    key: 'key 1',
    entryIndex: 0,
    outcome: 'answered',
    reason: '200',
    startedAt: 0,
    latencyMs: 1,
    ...overrides,
  };
}

const answered = attempt({ provider: 'cerebras', outcome: 'answered' });

describe('the facts a request record states', () => {
  it('is a fallback when an earlier attempt was sent or skipped for its limits, not for unsuitability', () => {
    expect(isFallback('answered', [answered])).toBe(false);
    expect(isFallback('answered', [attempt({ outcome: 'failed', failure: 'rate-limit' }), answered])).toBe(
      true,
    );
    expect(isFallback('answered', [attempt({ outcome: 'skipped', failure: 'cooldown' }), answered])).toBe(
      true,
    );
    expect(isFallback('answered', [attempt({ outcome: 'skipped', failure: 'circuit-open' }), answered])).toBe(
      true,
    );
    expect(isFallback('answered', [attempt({ outcome: 'skipped', failure: 'unsuitable' }), answered])).toBe(
      false,
    );
    expect(isFallback('failed', [attempt({ outcome: 'failed', failure: 'server' })])).toBe(false);
  });

  it('counts a stream resumed on another entry as a fallback', () => {
    const resumed = [
      attempt({ outcome: 'failed', failure: 'stream', reason: 'stream cut' }),
      attempt({ provider: 'cerebras', continuation: true }),
    ];
    expect(isFallback('answered', resumed)).toBe(true);
  });

  it('counts only the attempts that sent a request', () => {
    expect(
      countSentAttempts([
        attempt({ outcome: 'skipped', failure: 'exhausted' }),
        attempt({ outcome: 'failed', failure: 'timeout' }),
        attempt({ outcome: 'cancelled' }),
        answered,
      ]),
    ).toBe(3);
  });

  it('tells rate limits (429s, quotas, cooldown and exhausted skips) from errors', () => {
    const cases: Array<[Partial<AttemptRecord>, boolean, boolean]> = [
      [{ outcome: 'failed', failure: 'rate-limit' }, true, false],
      [{ outcome: 'failed', failure: 'quota' }, true, false],
      [{ outcome: 'skipped', failure: 'cooldown' }, true, false],
      [{ outcome: 'skipped', failure: 'exhausted' }, true, false],
      [{ outcome: 'skipped', failure: 'parked' }, false, false],
      [{ outcome: 'skipped', failure: 'unsuitable' }, false, false],
      [{ outcome: 'failed', failure: 'server' }, false, true],
      [{ outcome: 'failed', failure: 'first-token-timeout' }, false, true],
      [{ outcome: 'failed' }, false, true],
      [{ outcome: 'answered' }, false, false],
    ];
    for (const [overrides, rateLimited, errored] of cases) {
      expect(
        [isRateLimitedAttempt(attempt(overrides)), isErroredAttempt(attempt(overrides))],
        JSON.stringify(overrides),
      ).toEqual([rateLimited, errored]);
    }
  });
});
