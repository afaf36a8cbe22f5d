import { describe, expect, test } from 'vitest';
import type { HeaderBucketSpec } from './provider-preset.ts';
import { readRateLimitHeaders } from './read-rate-limit-headers.ts';

const NOW = Date.UTC(2026, 2, 10, 15, 30, 12, 345);
const CONTEXT = { now: NOW, scopes: { key: 'groq~3fa9c2e1', model: 'groq~3fa9c2e1/llama-3.1-8b-instant' } };

const REQUESTS_PER_DAY: HeaderBucketSpec = {
  kind: 'requests',
  window: 'day',
  scope: 'model',
  limitHeader: 'x-ratelimit-limit-requests',
  remainingHeader: 'x-ratelimit-remaining-requests',
  resetHeader: 'x-ratelimit-reset-requests',
  resetFormat: 'duration',
};
const TOKENS_PER_MINUTE: HeaderBucketSpec = {
  kind: 'tokens',
  window: 'minute',
  scope: 'model',
  limitHeader: 'x-ratelimit-limit-tokens',
  remainingHeader: 'x-ratelimit-remaining-tokens',
  resetHeader: 'x-ratelimit-reset-tokens',
  resetFormat: 'duration',
};

describe('readRateLimitHeaders', () => {
  test('reads one observation per spec with its limit, remaining and reset', () => {
    const headers = new Headers({
      'x-ratelimit-limit-requests': '14400',
      'x-ratelimit-remaining-requests': '14370',
      'x-ratelimit-reset-requests': '2m59.56s',
      'x-ratelimit-limit-tokens': '6000',
      'x-ratelimit-remaining-tokens': '5997',
      'x-ratelimit-reset-tokens': '30ms',
    });
    expect(readRateLimitHeaders(headers, [REQUESTS_PER_DAY, TOKENS_PER_MINUTE], CONTEXT)).toEqual([
      {
        id: 'groq~3fa9c2e1/llama-3.1-8b-instant|requests:day:header',
        scope: 'groq~3fa9c2e1/llama-3.1-8b-instant',
        kind: 'requests',
        window: 'day',
        source: 'header',
        limit: 14_400,
        remaining: 14_370,
        resetAt: NOW + 179_560,
      },
      {
        id: 'groq~3fa9c2e1/llama-3.1-8b-instant|tokens:minute:header',
        scope: 'groq~3fa9c2e1/llama-3.1-8b-instant',
        kind: 'tokens',
        window: 'minute',
        source: 'header',
        limit: 6_000,
        remaining: 5_997,
        resetAt: NOW + 30,
      },
    ]);
  });

  test('names the key scope for a per-key spec', () => {
    const spec: HeaderBucketSpec = { ...REQUESTS_PER_DAY, scope: 'key' };
    const [observation] = readRateLimitHeaders(
      new Headers({ 'x-ratelimit-remaining-requests': '5' }),
      [spec],
      CONTEXT,
    );
    expect(observation?.scope).toBe('groq~3fa9c2e1');
    expect(observation?.id).toBe('groq~3fa9c2e1|requests:day:header');
  });

  test('skips a spec whose remaining header is missing or not numeric', () => {
    const headers = new Headers({
      'x-ratelimit-limit-requests': '14400',
      'x-ratelimit-remaining-tokens': 'lots',
    });
    expect(readRateLimitHeaders(headers, [REQUESTS_PER_DAY, TOKENS_PER_MINUTE], CONTEXT)).toEqual([]);
  });

  test('keeps the observation but drops a malformed limit or reset', () => {
    const headers = new Headers({
      'x-ratelimit-limit-requests': 'unlimited',
      'x-ratelimit-remaining-requests': '10',
      'x-ratelimit-reset-requests': 'soonish',
    });
    const [observation] = readRateLimitHeaders(headers, [REQUESTS_PER_DAY], CONTEXT);
    expect(observation).toEqual({
      id: 'groq~3fa9c2e1/llama-3.1-8b-instant|requests:day:header',
      scope: 'groq~3fa9c2e1/llama-3.1-8b-instant',
      kind: 'requests',
      window: 'day',
      source: 'header',
      remaining: 10,
    });
  });

  test('reads header names case-insensitively', () => {
    const headers = new Headers({
      'X-RateLimit-Remaining-Requests': '3',
      'X-RateLimit-Limit-Requests': '30',
    });
    expect(readRateLimitHeaders(headers, [REQUESTS_PER_DAY], CONTEXT)[0]).toMatchObject({
      remaining: 3,
      limit: 30,
    });
  });

  test('takes the smallest of a repeated header and reads a negative remaining as none', () => {
    const repeated = new Headers([
      ['x-ratelimit-remaining-requests', '7'],
      ['x-ratelimit-remaining-requests', '5'],
    ]);
    expect(readRateLimitHeaders(repeated, [REQUESTS_PER_DAY], CONTEXT)[0]?.remaining).toBe(5);
    const negative = new Headers({ 'x-ratelimit-remaining-requests': '-2' });
    expect(readRateLimitHeaders(negative, [REQUESTS_PER_DAY], CONTEXT)[0]?.remaining).toBe(0);
  });

  test('ends a window-end bucket at the next wall-clock boundary of its window', () => {
    const specs: HeaderBucketSpec[] = [
      {
        kind: 'requests',
        window: 'minute',
        scope: 'model',
        remainingHeader: 'x-ratelimit-remaining-req-minute',
        resetFormat: 'window-end',
      },
      {
        kind: 'tokens',
        window: 'month',
        scope: 'model',
        remainingHeader: 'x-ratelimit-remaining-tokens-month',
        resetFormat: 'window-end',
      },
    ];
    const headers = new Headers({
      'x-ratelimit-remaining-req-minute': '0',
      'x-ratelimit-remaining-tokens-month': '999000',
    });
    const observations = readRateLimitHeaders(headers, specs, CONTEXT);
    expect(observations.map((observation) => observation.resetAt)).toEqual([
      Date.UTC(2026, 2, 10, 15, 31),
      Date.UTC(2026, 3, 1),
    ]);
  });

  test('reads an auto reset written as an epoch, seconds or an HTTP date', () => {
    const spec: HeaderBucketSpec = { ...REQUESTS_PER_DAY, resetFormat: 'auto' };
    const read = (reset: string) =>
      readRateLimitHeaders(
        new Headers({ 'x-ratelimit-remaining-requests': '1', 'x-ratelimit-reset-requests': reset }),
        [spec],
        CONTEXT,
      )[0]?.resetAt;
    expect(read('1773187200')).toBe(Date.UTC(2026, 2, 11));
    expect(read('1773187200000')).toBe(Date.UTC(2026, 2, 11));
    expect(read('12')).toBe(NOW + 12_000);
    expect(read('Wed, 11 Mar 2026 00:00:00 GMT')).toBe(Date.UTC(2026, 2, 11));
  });

  test('leaves resetAt out when the spec names no reset header', () => {
    const spec: HeaderBucketSpec = {
      kind: 'requests',
      window: 'minute',
      scope: 'key',
      remainingHeader: 'x-left',
    };
    expect(readRateLimitHeaders(new Headers({ 'x-left': '4' }), [spec], CONTEXT)[0]).not.toHaveProperty(
      'resetAt',
    );
  });
});
