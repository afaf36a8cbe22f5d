import { describe, expect, test } from 'vitest';
import type { ErrorAnswer } from '../provider-preset.ts';
import { readRateLimitHeaders } from '../read-rate-limit-headers.ts';
import { mistral } from './mistral.ts';

const NOW = Date.UTC(2026, 2, 10, 15, 30, 42);
const SCOPES = { key: 'mistral~k', model: 'mistral~k/mistral-small-latest' };
const CONTEXT = { model: 'mistral-small-latest' };

function answer(status: number, body: unknown = '', headers: Record<string, string> = {}): ErrorAnswer {
  return {
    status,
    headers: new Headers(headers),
    body: typeof body === 'string' ? body : JSON.stringify(body),
    now: NOW,
  };
}

describe('mistral preset', () => {
  test('reads minute and month buckets that end at the wall-clock boundary', () => {
    const headers = new Headers({
      'x-ratelimit-limit-req-minute': '60',
      'x-ratelimit-remaining-req-minute': '59',
      'x-ratelimit-limit-tokens-minute': '500000',
      'x-ratelimit-remaining-tokens-minute': '498000',
      'x-ratelimit-limit-tokens-month': '1000000000',
      'x-ratelimit-remaining-tokens-month': '999990000',
    });
    expect(readRateLimitHeaders(headers, mistral.headerBuckets, { now: NOW, scopes: SCOPES })).toEqual([
      expect.objectContaining({
        kind: 'requests',
        window: 'minute',
        limit: 60,
        remaining: 59,
        resetAt: Date.UTC(2026, 2, 10, 15, 31),
      }),
      expect.objectContaining({
        kind: 'tokens',
        window: 'minute',
        remaining: 498_000,
        resetAt: Date.UTC(2026, 2, 10, 15, 31),
      }),
      expect.objectContaining({
        kind: 'tokens',
        window: 'month',
        remaining: 999_990_000,
        resetAt: Date.UTC(2026, 3, 1),
      }),
    ]);
  });

  test('a stream without limit headers yields no observations', () => {
    expect(readRateLimitHeaders(new Headers(), mistral.headerBuckets, { now: NOW, scopes: SCOPES })).toEqual(
      [],
    );
  });

  test('a rate_limited 1300 is a rate limit until the next wall-clock minute', () => {
    const body = {
      object: 'error',
      message: 'Requests rate limit exceeded',
      type: 'rate_limited',
      param: null,
      code: '1300',
    };
    expect(mistral.classify(answer(429, body), CONTEXT)).toEqual({
      kind: 'rate-limit',
      subject: 'requests',
      limits: [],
      scope: 'model',
      window: 'minute',
      retryAt: Date.UTC(2026, 2, 10, 15, 31),
      reason: '429 requests per minute, retry in 18s',
      message: 'Requests rate limit exceeded',
      code: '1300',
      type: 'rate_limited',
      param: undefined,
    });
  });

  test('a monthly token limit is a quota until the next month', () => {
    const body = {
      object: 'error',
      message: 'Monthly token limit exceeded',
      type: 'rate_limited',
      param: null,
      code: '1300',
    };
    expect(mistral.classify(answer(429, body), CONTEXT)).toMatchObject({
      kind: 'quota',
      window: 'month',
      retryAt: Date.UTC(2026, 3, 1),
    });
  });

  test('3505 service tier capacity is an overloaded server, not your limit', () => {
    const body = {
      object: 'error',
      message: 'Service tier capacity exceeded for this model.',
      type: 'service_tier_capacity_exceeded',
      param: null,
      code: '3505',
    };
    expect(mistral.classify(answer(429, body), CONTEXT)).toMatchObject({
      kind: 'server',
      reason: '429 overloaded (service tier capacity)',
    });
  });

  test('a validation error with a structured message is an invalid request', () => {
    const body = {
      object: 'error',
      message: { detail: [{ type: 'missing', loc: ['body', 'messages'], msg: 'Field required', input: {} }] },
      type: 'invalid_request_error',
      param: null,
      code: null,
    };
    expect(mistral.classify(answer(422, body), CONTEXT)).toMatchObject({
      kind: 'invalid-request',
      message: 'Field required',
    });
  });
});
