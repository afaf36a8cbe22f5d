import { describe, expect, test } from 'vitest';
import type { ErrorAnswer } from '../provider-preset.ts';
import { readRateLimitHeaders } from '../read-rate-limit-headers.ts';
import { cerebras } from './cerebras.ts';

const NOW = Date.UTC(2026, 2, 10, 15, 30, 0);
const SCOPES = { key: 'cerebras~k', model: 'cerebras~k/llama3.1-8b' };
const CONTEXT = { model: 'llama3.1-8b' };

function answer(status: number, body: unknown = '', headers: Record<string, string> = {}): ErrorAnswer {
  return {
    status,
    headers: new Headers(headers),
    body: typeof body === 'string' ? body : JSON.stringify(body),
    now: NOW,
  };
}

describe('cerebras preset', () => {
  test('reads the per-day request and per-minute token buckets with float-second resets', () => {
    const headers = new Headers({
      'x-ratelimit-limit-requests-day': '14400',
      'x-ratelimit-limit-tokens-minute': '60000',
      'x-ratelimit-remaining-requests-day': '14399',
      'x-ratelimit-remaining-tokens-minute': '59616',
      'x-ratelimit-reset-requests-day': '33011.38',
      'x-ratelimit-reset-tokens-minute': '11.38',
    });
    expect(readRateLimitHeaders(headers, cerebras.headerBuckets, { now: NOW, scopes: SCOPES })).toEqual([
      expect.objectContaining({
        kind: 'requests',
        window: 'day',
        limit: 14_400,
        remaining: 14_399,
        resetAt: NOW + 33_011_380,
      }),
      expect.objectContaining({
        kind: 'tokens',
        window: 'minute',
        limit: 60_000,
        remaining: 59_616,
        resetAt: NOW + 11_380,
      }),
    ]);
  });

  test('also reads the per-minute request and per-day token buckets', () => {
    const headers = new Headers({
      'x-ratelimit-remaining-requests-minute': '29',
      'x-ratelimit-reset-requests-minute': '41.5',
      'x-ratelimit-remaining-tokens-day': '999000',
    });
    const observations = readRateLimitHeaders(headers, cerebras.headerBuckets, { now: NOW, scopes: SCOPES });
    expect(observations.map(({ kind, window, remaining }) => ({ kind, window, remaining }))).toEqual([
      { kind: 'requests', window: 'minute', remaining: 29 },
      { kind: 'tokens', window: 'day', remaining: 999_000 },
    ]);
    expect(observations[0]?.resetAt).toBe(NOW + 41_500);
  });

  test('a 429 carries no x-ratelimit headers, so it yields no observations', () => {
    const headers = new Headers({ 'retry-after': '60', 'content-type': 'application/json' });
    expect(readRateLimitHeaders(headers, cerebras.headerBuckets, { now: NOW, scopes: SCOPES })).toEqual([]);
  });

  test('queue_exceeded is an overloaded server, despite x-should-retry: false', () => {
    const body = {
      message: "We're experiencing high traffic right now! Please try again soon.",
      type: 'too_many_requests_error',
      param: 'queue',
      code: 'queue_exceeded',
    };
    expect(cerebras.classify(answer(429, body, { 'x-should-retry': 'false' }), CONTEXT)).toMatchObject({
      kind: 'server',
      scope: undefined,
      reason: '429 overloaded (queue full)',
      code: 'queue_exceeded',
      param: 'queue',
    });
  });

  test('request_quota_exceeded per minute is a rate limit with its retry-after', () => {
    const body = {
      message: 'Requests per minute limit exceeded - too many requests sent.',
      type: 'too_many_requests_error',
      param: 'quota',
      code: 'request_quota_exceeded',
    };
    expect(cerebras.classify(answer(429, body, { 'retry-after': '60' }), CONTEXT)).toMatchObject({
      kind: 'rate-limit',
      window: 'minute',
      retryAt: NOW + 60_000,
      reason: '429 requests per minute, retry in 1m',
    });
  });

  test('token_quota_exceeded per day is a daily quota that ignores the one-minute retry-after', () => {
    const body = {
      error: {
        message: 'Tokens per day limit exceeded - too many tokens processed.',
        type: 'too_many_requests_error',
        param: 'quota',
        code: 'token_quota_exceeded',
      },
    };
    expect(cerebras.classify(answer(429, body, { 'retry-after': '60' }), CONTEXT)).toMatchObject({
      kind: 'quota',
      window: 'day',
      retryAt: undefined,
      reason: '429 tokens per day',
    });
  });

  test('charges max_tokens up front', () => {
    expect(cerebras.chargesMaxTokensUpfront).toBe(true);
  });
});
