import { describe, expect, test } from 'vitest';
import type { ErrorAnswer } from '../provider-preset.ts';
import { readRateLimitHeaders } from '../read-rate-limit-headers.ts';
import { openai } from './openai.ts';

const NOW = Date.UTC(2026, 2, 10, 15, 30, 0);
const SCOPES = { key: 'openai~k', model: 'openai~k/gpt-4o-mini' };
const CONTEXT = { model: 'gpt-4o-mini' };

function answer(status: number, body: unknown = '', headers: Record<string, string> = {}): ErrorAnswer {
  return {
    status,
    headers: new Headers(headers),
    body: typeof body === 'string' ? body : JSON.stringify(body),
    now: NOW,
  };
}

describe('openai preset', () => {
  test('reads per-minute request and token buckets with Go-style duration resets', () => {
    const headers = new Headers({
      'x-ratelimit-limit-requests': '500',
      'x-ratelimit-limit-tokens': '30000',
      'x-ratelimit-remaining-requests': '499',
      'x-ratelimit-remaining-tokens': '29950',
      'x-ratelimit-reset-requests': '120ms',
      'x-ratelimit-reset-tokens': '6m0s',
    });
    expect(readRateLimitHeaders(headers, openai.headerBuckets, { now: NOW, scopes: SCOPES })).toEqual([
      expect.objectContaining({
        kind: 'requests',
        window: 'minute',
        limit: 500,
        remaining: 499,
        resetAt: NOW + 120,
      }),
      expect.objectContaining({
        kind: 'tokens',
        window: 'minute',
        limit: 30_000,
        remaining: 29_950,
        resetAt: NOW + 360_000,
      }),
    ]);
  });

  test('a rate_limit_exceeded 429 is a per-minute rate limit honouring retry-after-ms', () => {
    const body = {
      error: {
        message:
          'Rate limit reached for gpt-4o-mini in organization org-abc on tokens per min (TPM): Limit 200000, Used 199500, Requested 1200. Please try again in 210ms.',
        type: 'tokens',
        param: null,
        code: 'rate_limit_exceeded',
      },
    };
    expect(
      openai.classify(answer(429, body, { 'retry-after-ms': '210', 'retry-after': '1' }), CONTEXT),
    ).toMatchObject({
      kind: 'rate-limit',
      window: 'minute',
      retryAt: NOW + 210,
      reason: '429 tokens per minute, retry in 210ms',
      code: 'rate_limit_exceeded',
      type: 'tokens',
    });
  });

  test('insufficient_quota is no credit for the key, not a transient limit', () => {
    const body = {
      error: {
        message:
          'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
        type: 'insufficient_quota',
        param: null,
        code: 'insufficient_quota',
      },
    };
    expect(openai.classify(answer(429, body), CONTEXT)).toMatchObject({
      kind: 'no-credit',
      scope: 'key',
      code: 'insufficient_quota',
    });
  });

  test('context_length_exceeded is a context-length failure', () => {
    const body = {
      error: {
        message:
          "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.",
        type: 'invalid_request_error',
        param: 'messages',
        code: 'context_length_exceeded',
      },
    };
    expect(openai.classify(answer(400, body), CONTEXT)).toMatchObject({
      kind: 'context-length',
      param: 'messages',
    });
  });
});
