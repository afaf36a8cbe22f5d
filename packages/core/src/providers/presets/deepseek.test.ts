import { describe, expect, test } from 'vitest';
import type { ErrorAnswer } from '../provider-preset.ts';
import { deepseek } from './deepseek.ts';

const NOW = Date.UTC(2026, 2, 10, 15, 30, 0);
const CONTEXT = { model: 'deepseek-chat' };

function answer(status: number, body: unknown = '', headers: Record<string, string> = {}): ErrorAnswer {
  return {
    status,
    headers: new Headers(headers),
    body: typeof body === 'string' ? body : JSON.stringify(body),
    now: NOW,
  };
}

describe('deepseek preset', () => {
  test('402 Insufficient Balance is no credit for the key', () => {
    const body = {
      error: {
        message: 'Insufficient Balance',
        type: 'unknown_error',
        param: null,
        code: 'invalid_request_error',
      },
    };
    expect(deepseek.classify(answer(402, body), CONTEXT)).toMatchObject({
      kind: 'no-credit',
      scope: 'key',
      message: 'Insufficient Balance',
    });
  });

  test('429 is a short rate limit on requests in flight', () => {
    const body = {
      error: {
        message: 'Rate Limit Reached',
        type: 'rate_limit_reached_error',
        param: null,
        code: 'rate_limit_reached',
      },
    };
    expect(deepseek.classify(answer(429, body), CONTEXT)).toMatchObject({
      kind: 'rate-limit',
      scope: 'key',
      window: undefined,
      retryAt: NOW + 5_000,
      reason: '429 too many concurrent requests, retry in 5s',
    });
  });

  test('a 429 retry-after wins over the default short wait', () => {
    expect(deepseek.classify(answer(429, '', { 'retry-after': '2' }), CONTEXT).retryAt).toBe(NOW + 2_000);
  });

  test('503 overloaded is a server fault', () => {
    const body = {
      error: { message: 'Server overloaded, please try again later', type: 'service_unavailable_error' },
    };
    expect(deepseek.classify(answer(503, body), CONTEXT)).toMatchObject({
      kind: 'server',
      reason: '503 overloaded',
    });
  });
});
