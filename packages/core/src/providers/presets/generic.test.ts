import { describe, expect, test } from 'vitest';
import type { ErrorAnswer } from '../provider-preset.ts';
import { readRateLimitHeaders } from '../read-rate-limit-headers.ts';
import { generic } from './generic.ts';

const NOW = Date.UTC(2026, 2, 10, 15, 30, 0);
const SCOPES = { key: 'local~k', model: 'local~k/qwen' };
const CONTEXT = { model: 'qwen' };

function answer(status: number, body: unknown = '', headers: Record<string, string> = {}): ErrorAnswer {
  return {
    status,
    headers: new Headers(headers),
    body: typeof body === 'string' ? body : JSON.stringify(body),
    now: NOW,
  };
}

describe('generic preset', () => {
  test('has no base URL: the user gives one', () => {
    expect(generic.baseUrl).toBeUndefined();
  });

  test('reads the OpenAI header names in any reset format', () => {
    const headers = new Headers({
      'x-ratelimit-remaining-requests': '9',
      'x-ratelimit-reset-requests': '1.5s',
      'x-ratelimit-remaining-tokens': '900',
      'x-ratelimit-reset-tokens': String(NOW + 30_000),
    });
    const observations = readRateLimitHeaders(headers, generic.headerBuckets, { now: NOW, scopes: SCOPES });
    expect(observations.map((observation) => observation.resetAt)).toEqual([NOW + 1_500, NOW + 30_000]);
  });

  test.each([
    [
      'OpenAI',
      { error: { message: 'slow down', type: 'requests', code: 'rate_limit_exceeded' } },
      'slow down',
    ],
    [
      'Gemini array',
      [{ error: { code: 429, message: 'Resource exhausted', status: 'RESOURCE_EXHAUSTED' } }],
      'Resource exhausted',
    ],
    [
      'Mistral',
      { object: 'error', type: 'rate_limited', code: '1300', message: 'Requests rate limit exceeded' },
      'Requests rate limit exceeded',
    ],
    [
      'Cerebras',
      {
        message: 'Requests per minute limit exceeded',
        type: 'too_many_requests_error',
        param: 'quota',
        code: 'request_quota_exceeded',
      },
      'Requests per minute limit exceeded',
    ],
    ['NVIDIA', { status: 429, title: 'Too Many Requests' }, 'Too Many Requests'],
    [
      'Cloudflare',
      { errors: [{ code: 429, message: 'Too many requests' }], success: false },
      'Too many requests',
    ],
    ['plain error string', { error: 'Too many requests' }, 'Too many requests'],
    ['prose', 'Too Many Requests', 'Too Many Requests'],
  ])('accepts the %s body shape', (_shape, body, message) => {
    expect(generic.classify(answer(429, body), CONTEXT)).toMatchObject({ kind: 'rate-limit', message });
  });
});
