import { describe, expect, test } from 'vitest';
import type { ErrorAnswer } from '../provider-preset.ts';
import { readRateLimitHeaders } from '../read-rate-limit-headers.ts';
import { openrouter } from './openrouter.ts';

const NOW = Date.UTC(2026, 2, 10, 15, 30, 0);
const MIDNIGHT_UTC = Date.UTC(2026, 2, 11);
const CONTEXT = { model: 'meta-llama/llama-3.3-70b-instruct:free' };

function answer(status: number, body: unknown = '', headers: Record<string, string> = {}): ErrorAnswer {
  return {
    status,
    headers: new Headers(headers),
    body: typeof body === 'string' ? body : JSON.stringify(body),
    now: NOW,
  };
}

function perDayBody(reset: string) {
  return {
    error: {
      message:
        'Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day',
      code: 429,
      metadata: {
        headers: { 'X-RateLimit-Limit': '50', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': reset },
        provider_name: null,
      },
    },
    user_id: 'user_2abcdef',
  };
}

describe('openrouter preset', () => {
  test('has no header buckets: nothing is said on 200s', () => {
    expect(openrouter.headerBuckets).toEqual([]);
    const headers = new Headers({ 'x-ratelimit-remaining': '10' });
    expect(
      readRateLimitHeaders(headers, openrouter.headerBuckets, { now: NOW, scopes: { key: 'k', model: 'm' } }),
    ).toEqual([]);
  });

  test('free-models-per-day parks the whole key until the X-RateLimit-Reset epoch in ms', () => {
    const headers = {
      'X-RateLimit-Limit': '50',
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': String(MIDNIGHT_UTC),
    };
    expect(
      openrouter.classify(answer(429, perDayBody(String(MIDNIGHT_UTC)), headers), CONTEXT),
    ).toMatchObject({
      kind: 'quota',
      scope: 'key',
      window: 'day',
      retryAt: MIDNIGHT_UTC,
      reason: '429 free models requests per day, retry in 8h30m',
      code: '429',
    });
  });

  test('reads the reset from error.metadata.headers when the response headers lack it', () => {
    expect(openrouter.classify(answer(429, perDayBody(String(MIDNIGHT_UTC))), CONTEXT).retryAt).toBe(
      MIDNIGHT_UTC,
    );
  });

  test('tells a reset in epoch seconds by its magnitude', () => {
    expect(openrouter.classify(answer(429, perDayBody(String(MIDNIGHT_UTC / 1000))), CONTEXT).retryAt).toBe(
      MIDNIGHT_UTC,
    );
  });

  test('without any reset, the daily cap waits for the next UTC midnight, not for Retry-After', () => {
    const verdict = openrouter.classify(answer(429, perDayBody('garbage'), { 'retry-after': '30' }), CONTEXT);
    expect(verdict.retryAt).toBe(MIDNIGHT_UTC);
  });

  test('free-models-per-min is a per-minute rate limit of the whole key', () => {
    const body = {
      error: {
        message: 'Rate limit exceeded: free-models-per-min. ',
        code: 429,
        metadata: {
          headers: {
            'X-RateLimit-Limit': '20',
            'X-RateLimit-Remaining': '0',
            'X-RateLimit-Reset': String(NOW + 42_000),
          },
        },
      },
    };
    expect(openrouter.classify(answer(429, body), CONTEXT)).toMatchObject({
      kind: 'rate-limit',
      scope: 'key',
      window: 'minute',
      retryAt: NOW + 42_000,
      reason: '429 free models requests per minute, retry in 42s',
    });
  });

  test('"Provider returned error" is read from metadata.raw', () => {
    const body = {
      error: {
        message: 'Provider returned error',
        code: 429,
        metadata: {
          raw: 'meta-llama/llama-3.3-70b-instruct:free is temporarily rate-limited upstream. Please retry shortly, or add your own key to accumulate your rate limits: https://openrouter.ai/settings/integrations',
          provider_name: 'Venice',
        },
      },
    };
    const verdict = openrouter.classify(answer(429, body), CONTEXT);
    expect(verdict).toMatchObject({
      kind: 'rate-limit',
      scope: 'model',
      message: expect.stringMatching(/^Venice: meta-llama.* is temporarily rate-limited upstream/),
    });
    expect(verdict.reason).toMatch(/\(via Venice\)$/);
  });

  test('an upstream JSON body in metadata.raw gives its own code and retry delay', () => {
    const raw = JSON.stringify({
      error: {
        code: 429,
        message: 'Resource has been exhausted (e.g. check quota).',
        status: 'RESOURCE_EXHAUSTED',
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '26s' }],
      },
    });
    const body = {
      error: {
        message: 'Provider returned error',
        code: 429,
        metadata: { raw, provider_name: 'Google AI Studio' },
      },
    };
    expect(openrouter.classify(answer(429, body), CONTEXT)).toMatchObject({
      kind: 'rate-limit',
      retryAt: NOW + 26_000,
      type: 'RESOURCE_EXHAUSTED',
    });
  });

  test('402 is no credit for the key', () => {
    const body = {
      error: { code: 402, message: 'Insufficient credits. Add more using https://openrouter.ai/credits' },
    };
    expect(openrouter.classify(answer(402, body), CONTEXT)).toMatchObject({
      kind: 'no-credit',
      scope: 'key',
    });
  });

  test('a 403 moderation flag is an invalid request, not a bad key', () => {
    const body = {
      error: {
        code: 403,
        message: 'meta-llama/llama-guard requires moderation; your input was flagged',
        metadata: {
          reasons: ['violence'],
          flagged_input: '…',
          provider_name: 'OpenAI',
          model_slug: 'gpt-4o',
        },
      },
    };
    expect(openrouter.classify(answer(403, body), CONTEXT)).toMatchObject({
      kind: 'invalid-request',
      reason: '403 flagged by moderation',
    });
  });

  test('resets daily quotas at UTC midnight', () => {
    expect(openrouter.dailyReset).toBe('utc');
  });
});
