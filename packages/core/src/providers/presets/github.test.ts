import { describe, expect, test } from 'vitest';
import type { ErrorAnswer } from '../provider-preset.ts';
import { readRateLimitHeaders } from '../read-rate-limit-headers.ts';
import { github } from './github.ts';

const NOW = Date.UTC(2026, 2, 10, 15, 30, 0);
const CONTEXT = { model: 'openai/gpt-4.1' };

function answer(status: number, body: unknown = '', headers: Record<string, string> = {}): ErrorAnswer {
  return {
    status,
    headers: new Headers(headers),
    body: typeof body === 'string' ? body : JSON.stringify(body),
    now: NOW,
  };
}

function rateLimitReached(message: string) {
  return { error: { code: 'RateLimitReached', message, details: message } };
}

describe('github preset', () => {
  test('ignores the advertised x-ratelimit values, which are not enforced', () => {
    const headers = new Headers({
      'x-ratelimit-limit-requests': '15000',
      'x-ratelimit-remaining-requests': '14999',
      'x-ratelimit-limit-tokens': '64000000',
      'x-ratelimit-remaining-tokens': '63999000',
    });
    expect(github.headerBuckets).toEqual([]);
    expect(
      readRateLimitHeaders(headers, github.headerBuckets, { now: NOW, scopes: { key: 'k', model: 'm' } }),
    ).toEqual([]);
  });

  test('UserByModelByDay is a daily quota of the model, waiting hours as retry-after says', () => {
    const body = rateLimitReached(
      'Rate limit of 50 per 86400s exceeded for UserByModelByDay. Please wait 5631 seconds before retrying.',
    );
    const headers = {
      'retry-after': '5631',
      'x-ratelimit-type': 'UserByModelByDay',
      'x-ratelimit-timeremaining': '5631',
    };
    expect(github.classify(answer(429, body, headers), CONTEXT)).toEqual({
      kind: 'quota',
      limits: [{ kind: 'requests', limit: 50, window: 'day', windowMs: 86_400_000, evidence: 'message' }],
      scope: 'model',
      window: 'day',
      retryAt: NOW + 5_631_000,
      reason: '429 requests per day (UserByModelByDay), retry in 1h34m',
      message:
        'Rate limit of 50 per 86400s exceeded for UserByModelByDay. Please wait 5631 seconds before retrying.',
      code: 'RateLimitReached',
      type: undefined,
      param: undefined,
    });
  });

  test('UserByMinute is a per-minute rate limit', () => {
    const body = rateLimitReached(
      'Rate limit of 15 per 60s exceeded for UserByMinute. Please wait 42 seconds before retrying.',
    );
    expect(
      github.classify(
        answer(429, body, { 'retry-after': '42', 'x-ratelimit-type': 'UserByMinute' }),
        CONTEXT,
      ),
    ).toMatchObject({
      kind: 'rate-limit',
      scope: 'key',
      window: 'minute',
      retryAt: NOW + 42_000,
      reason: '429 requests per minute (UserByMinute), retry in 42s',
    });
  });

  test('UserConcurrentRequests is a rate limit on requests in flight', () => {
    const body = rateLimitReached(
      'Rate limit of 5 per 0s exceeded for UserConcurrentRequests. Please wait 0 seconds before retrying.',
    );
    expect(
      github.classify(
        answer(429, body, { 'retry-after': '0', 'x-ratelimit-type': 'UserConcurrentRequests' }),
        CONTEXT,
      ),
    ).toMatchObject({
      kind: 'rate-limit',
      window: undefined,
      retryAt: NOW,
      reason: '429 concurrent requests, retry in 0s',
    });
  });

  test('falls back to x-ratelimit-timeremaining without retry-after', () => {
    const verdict = github.classify(
      answer(429, '', { 'x-ratelimit-type': 'UserByModelByDay', 'x-ratelimit-timeremaining': '3600' }),
      CONTEXT,
    );
    expect(verdict).toMatchObject({ kind: 'quota', window: 'day', retryAt: NOW + 3_600_000 });
  });

  test('413 tokens_limit_reached is too large', () => {
    const body = {
      error: {
        code: 'tokens_limit_reached',
        message: 'Request body too large for gpt-4.1 model. Max size: 8000 tokens.',
        details: 'Request body too large for gpt-4.1 model. Max size: 8000 tokens.',
      },
    };
    expect(github.classify(answer(413, body), CONTEXT)).toMatchObject({
      kind: 'too-large',
      code: 'tokens_limit_reached',
    });
  });

  test('reads GITHUB_TOKEN', () => {
    expect(github.envKeys[0]).toBe('GITHUB_TOKEN');
  });
});
