import { describe, expect, test } from 'vitest';
import type { ErrorAnswer } from '../provider-preset.ts';
import { gemini } from './gemini.ts';

// 08:30 in Los Angeles (PDT since 2026-03-08): the next Pacific midnight is 07:00 UTC tomorrow.
const NOW = Date.UTC(2026, 2, 10, 15, 30, 0);
const PACIFIC_MIDNIGHT = Date.UTC(2026, 2, 11, 7);
const CONTEXT = { model: 'gemini-2.5-flash' };

function answer(status: number, body: unknown = '', headers: Record<string, string> = {}): ErrorAnswer {
  return {
    status,
    headers: new Headers(headers),
    body: typeof body === 'string' ? body : JSON.stringify(body),
    now: NOW,
  };
}

function resourceExhausted(quotaIds: string[], retryDelay = '26s') {
  return {
    error: {
      code: 429,
      message:
        'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. To monitor your current usage, head to: https://ai.dev/usage?tab=rate-limit. \n* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 10, model: gemini-2.5-flash\nPlease retry in 26.830692698s.',
      status: 'RESOURCE_EXHAUSTED',
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
          violations: quotaIds.map((quotaId) => ({
            quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
            quotaId,
            quotaDimensions: { location: 'global', model: 'gemini-2.5-flash' },
            quotaValue: '10',
          })),
        },
        {
          '@type': 'type.googleapis.com/google.rpc.Help',
          links: [
            {
              description: 'Learn more about Gemini API quotas',
              url: 'https://ai.google.dev/gemini-api/docs/rate-limits',
            },
          ],
        },
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay },
      ],
    },
  };
}

describe('gemini preset', () => {
  test('a PerMinute quotaId is a rate limit until RetryInfo.retryDelay, not a credit problem', () => {
    const body = resourceExhausted(['GenerateRequestsPerMinutePerProjectPerModel-FreeTier']);
    expect(gemini.classify(answer(429, body), CONTEXT)).toMatchObject({
      kind: 'rate-limit',
      scope: 'model',
      window: 'minute',
      retryAt: NOW + 26_000,
      reason: '429 requests per minute, retry in 26s',
      code: '429',
      type: 'RESOURCE_EXHAUSTED',
    });
  });

  test('reads a fractional retryDelay', () => {
    const body = resourceExhausted(['GenerateContentInputTokensPerModelPerMinute-FreeTier'], '7.5s');
    expect(gemini.classify(answer(429, body), CONTEXT)).toMatchObject({
      window: 'minute',
      retryAt: NOW + 7_500,
      reason: '429 tokens per minute, retry in 7.5s',
    });
  });

  test('a PerDay quotaId is a daily quota until midnight Pacific, whatever retryDelay says', () => {
    const body = resourceExhausted(['GenerateRequestsPerDayPerProjectPerModel-FreeTier']);
    expect(gemini.classify(answer(429, body), CONTEXT)).toMatchObject({
      kind: 'quota',
      scope: 'model',
      window: 'day',
      retryAt: PACIFIC_MIDNIGHT,
      reason: '429 requests per day, retry in 15h30m',
    });
  });

  test('reads the body wrapped in a JSON array', () => {
    const body = [resourceExhausted(['GenerateRequestsPerDayPerProjectPerModel-FreeTier'])];
    expect(gemini.classify(answer(429, body), CONTEXT)).toMatchObject({
      kind: 'quota',
      window: 'day',
      retryAt: PACIFIC_MIDNIGHT,
    });
  });

  test('with both a minute and a day violation, the day wins', () => {
    const body = resourceExhausted([
      'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
      'GenerateRequestsPerDayPerProjectPerModel-FreeTier',
    ]);
    expect(gemini.classify(answer(429, body), CONTEXT).window).toBe('day');
  });

  test('a 400 API_KEY_INVALID is an auth failure', () => {
    const body = [
      {
        error: {
          code: 400,
          message: 'API key not valid. Please pass a valid API key.',
          status: 'INVALID_ARGUMENT',
          details: [
            {
              '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
              reason: 'API_KEY_INVALID',
              domain: 'googleapis.com',
              metadata: { service: 'generativelanguage.googleapis.com' },
            },
          ],
        },
      },
    ];
    expect(gemini.classify(answer(400, body), CONTEXT)).toMatchObject({
      kind: 'auth',
      scope: 'key',
      reason: '400 invalid key',
    });
  });

  test('a 503 UNAVAILABLE overload is a server fault', () => {
    const body = {
      error: {
        code: 503,
        message: 'The model is overloaded. Please try again later.',
        status: 'UNAVAILABLE',
      },
    };
    expect(gemini.classify(answer(503, body), CONTEXT)).toMatchObject({
      kind: 'server',
      reason: '503 overloaded',
    });
  });

  test('reads GEMINI_API_KEY, then GOOGLE_API_KEY, and resets at midnight Pacific', () => {
    expect(gemini.envKeys).toEqual(['GEMINI_API_KEY', 'GOOGLE_API_KEY']);
    expect(gemini.dailyReset).toBe('pacific');
    expect(gemini.headerBuckets).toEqual([]);
  });
});
