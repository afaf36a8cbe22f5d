import { describe, expect, test } from 'vitest';
import type { ErrorAnswer } from '../provider-preset.ts';
import { readRateLimitHeaders } from '../read-rate-limit-headers.ts';
import { together } from './together.ts';

const NOW = Date.UTC(2026, 2, 10, 15, 30, 0, 250);
const SCOPES = { key: 'together~k', model: 'together~k/meta-llama/Llama-3.3-70B-Instruct-Turbo-Free' };
const CONTEXT = { model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo-Free' };

function answer(status: number, body: unknown = '', headers: Record<string, string> = {}): ErrorAnswer {
  return {
    status,
    headers: new Headers(headers),
    body: typeof body === 'string' ? body : JSON.stringify(body),
    now: NOW,
  };
}

describe('together preset', () => {
  test('reads per-second request and token buckets', () => {
    const headers = new Headers({
      'x-ratelimit-limit': '10',
      'x-ratelimit-remaining': '9',
      'x-ratelimit-reset': '1',
      'x-tokenlimit-limit': '3333',
      'x-tokenlimit-remaining': '3000',
    });
    expect(readRateLimitHeaders(headers, together.headerBuckets, { now: NOW, scopes: SCOPES })).toEqual([
      expect.objectContaining({
        kind: 'requests',
        window: 'second',
        limit: 10,
        remaining: 9,
        resetAt: NOW + 1_000,
      }),
      expect.objectContaining({
        kind: 'tokens',
        window: 'second',
        limit: 3_333,
        remaining: 3_000,
        resetAt: Date.UTC(2026, 2, 10, 15, 30, 1),
      }),
    ]);
  });

  test('dynamic_request_limited is a short per-second limit waiting the suggested x-ratelimit-reset', () => {
    const body = {
      error: {
        message: 'You have been rate limited. Please try again later.',
        type: 'rate_limit',
        param: null,
        code: 'dynamic_request_limited',
      },
    };
    expect(together.classify(answer(429, body, { 'x-ratelimit-reset': '2' }), CONTEXT)).toMatchObject({
      kind: 'rate-limit',
      window: 'second',
      retryAt: NOW + 2_000,
      reason: '429 requests per second (dynamic), retry in 2s',
    });
  });

  test('dynamic_token_limited is a per-second token limit', () => {
    const body = {
      error: { message: 'Token rate limited', type: 'rate_limit', code: 'dynamic_token_limited' },
    };
    expect(together.classify(answer(429, body), CONTEXT).reason).toBe('429 tokens per second (dynamic)');
  });

  test('503 is capacity, a server fault, even below your rate', () => {
    const body = { error: { message: 'The server is overloaded or not ready yet.', type: 'server_error' } };
    expect(together.classify(answer(503, body, { 'x-ratelimit-remaining': '9' }), CONTEXT)).toMatchObject({
      kind: 'server',
      reason: '503 overloaded',
    });
  });
});
