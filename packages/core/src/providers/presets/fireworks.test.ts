import { describe, expect, test } from 'vitest';
import type { ErrorAnswer } from '../provider-preset.ts';
import { readRateLimitHeaders } from '../read-rate-limit-headers.ts';
import { fireworks } from './fireworks.ts';

const NOW = Date.UTC(2026, 2, 10, 15, 30, 0);
const CONTEXT = { model: 'accounts/fireworks/models/llama-v3p1-8b-instruct' };

function answer(status: number, body: unknown = '', headers: Record<string, string> = {}): ErrorAnswer {
  return {
    status,
    headers: new Headers(headers),
    body: typeof body === 'string' ? body : JSON.stringify(body),
    now: NOW,
  };
}

describe('fireworks preset', () => {
  test('reads the request bucket and ignores token limits that have no remaining count', () => {
    const headers = new Headers({
      'x-ratelimit-limit-requests': '10',
      'x-ratelimit-remaining-requests': '9',
      'x-ratelimit-limit-tokens-prompt': '60000',
      'x-ratelimit-limit-tokens-generated': '12000',
    });
    expect(
      readRateLimitHeaders(headers, fireworks.headerBuckets, {
        now: NOW,
        scopes: { key: 'fw~k', model: 'fw~k/m' },
      }),
    ).toEqual([
      {
        id: 'fw~k|requests:minute:header',
        scope: 'fw~k',
        kind: 'requests',
        window: 'minute',
        source: 'header',
        limit: 10,
        remaining: 9,
      },
    ]);
  });

  test.each([402, 412])('%i is a billing problem: no credit for the key', (status) => {
    const body = {
      error: {
        object: 'error',
        type: 'invalid_request_error',
        message: 'Account suspended: payment required',
      },
    };
    expect(fireworks.classify(answer(status, body), CONTEXT)).toMatchObject({
      kind: 'no-credit',
      scope: 'key',
    });
  });

  test('429 is over the limit; 503 is overloaded', () => {
    const limited = {
      error: { object: 'error', type: 'invalid_request_error', message: 'Request rate limit exceeded' },
    };
    expect(fireworks.classify(answer(429, limited), CONTEXT).kind).toBe('rate-limit');
    expect(fireworks.classify(answer(503, { error: { message: 'Service overloaded' } }), CONTEXT).kind).toBe(
      'server',
    );
  });
});
