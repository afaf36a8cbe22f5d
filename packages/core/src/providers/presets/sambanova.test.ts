import { describe, expect, test } from 'vitest';
import type { ErrorAnswer } from '../provider-preset.ts';
import { readRateLimitHeaders } from '../read-rate-limit-headers.ts';
import { sambanova } from './sambanova.ts';

const NOW = Date.UTC(2026, 2, 10, 15, 30, 0);
const SCOPES = { key: 'sambanova~k', model: 'sambanova~k/Meta-Llama-3.3-70B-Instruct' };
const CONTEXT = { model: 'Meta-Llama-3.3-70B-Instruct' };

function answer(status: number, body: unknown = '', headers: Record<string, string> = {}): ErrorAnswer {
  return {
    status,
    headers: new Headers(headers),
    body: typeof body === 'string' ? body : JSON.stringify(body),
    now: NOW,
  };
}

describe('sambanova preset', () => {
  test('reads per-minute and per-day request buckets, with resets as epoch seconds or durations', () => {
    const headers = new Headers({
      'x-ratelimit-limit-requests': '20',
      'x-ratelimit-remaining-requests': '19',
      'x-ratelimit-reset-requests': String(NOW / 1000 + 60),
      'x-ratelimit-limit-requests-day': '400',
      'x-ratelimit-remaining-requests-day': '380',
      'x-ratelimit-reset-requests-day': '8h29m30s',
    });
    expect(readRateLimitHeaders(headers, sambanova.headerBuckets, { now: NOW, scopes: SCOPES })).toEqual([
      expect.objectContaining({
        kind: 'requests',
        window: 'minute',
        limit: 20,
        remaining: 19,
        resetAt: NOW + 60_000,
      }),
      expect.objectContaining({
        kind: 'requests',
        window: 'day',
        limit: 400,
        remaining: 380,
        resetAt: NOW + 30_570_000,
      }),
    ]);
  });

  test('an OpenAI-shaped 429 with request_id is a per-minute rate limit', () => {
    const body = {
      error: {
        message: 'Rate limit exceeded',
        type: 'rate_limit_exceeded',
        code: 'rate_limit_exceeded',
        param: null,
      },
      request_id: 'req_8f2c1e',
    };
    expect(sambanova.classify(answer(429, body, { 'retry-after': '12' }), CONTEXT)).toMatchObject({
      kind: 'rate-limit',
      window: 'minute',
      retryAt: NOW + 12_000,
      message: 'Rate limit exceeded',
    });
  });

  test('a 429 naming the daily limit is a daily quota', () => {
    const body = {
      error: {
        message: 'Daily request limit exceeded',
        type: 'rate_limit_exceeded',
        code: 'rate_limit_exceeded',
      },
      request_id: 'req_8f2c1f',
    };
    expect(sambanova.classify(answer(429, body), CONTEXT)).toMatchObject({ kind: 'quota', window: 'day' });
  });
});
