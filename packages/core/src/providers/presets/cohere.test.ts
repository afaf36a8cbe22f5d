import { describe, expect, test } from 'vitest';
import type { ErrorAnswer } from '../provider-preset.ts';
import { readRateLimitHeaders } from '../read-rate-limit-headers.ts';
import { cohere } from './cohere.ts';

const NOW = Date.UTC(2026, 2, 10, 15, 30, 20);
const SCOPES = { key: 'cohere~k', model: 'cohere~k/command-r-plus' };
const CONTEXT = { model: 'command-r-plus' };

function answer(status: number, body: unknown = '', headers: Record<string, string> = {}): ErrorAnswer {
  return {
    status,
    headers: new Headers(headers),
    body: typeof body === 'string' ? body : JSON.stringify(body),
    now: NOW,
  };
}

describe('cohere preset', () => {
  test('rejects stream_options', () => {
    expect(cohere.acceptsStreamOptions).toBe(false);
  });

  test('reads the trial endpoint call headers as a per-key minute bucket', () => {
    const headers = new Headers({
      'x-trial-endpoint-call-limit': '20',
      'x-trial-endpoint-call-remaining': '19',
    });
    expect(readRateLimitHeaders(headers, cohere.headerBuckets, { now: NOW, scopes: SCOPES })).toEqual([
      {
        id: 'cohere~k|requests:minute:header',
        scope: 'cohere~k',
        kind: 'requests',
        window: 'minute',
        source: 'header',
        limit: 20,
        remaining: 19,
        resetAt: Date.UTC(2026, 2, 10, 15, 31),
      },
    ]);
  });

  test('a trial key over its calls per minute is a rate limit', () => {
    const body = {
      message:
        "You are using a Trial key, which is limited to 20 API calls / minute. You can continue to use the Trial key for free or upgrade to a Production key with higher rate limits at 'https://dashboard.cohere.com/api-keys'. Contact us on 'https://discord.gg/XW44jPfYJu' or email us at support@cohere.com with any questions",
    };
    expect(cohere.classify(answer(429, body), CONTEXT)).toMatchObject({
      kind: 'rate-limit',
      window: 'minute',
    });
  });

  test('a trial key over its calls per month is a quota until the next month', () => {
    const body = {
      message:
        "You are using a Trial key, which is limited to 1000 API calls / month. You can continue to use the Trial key for free or upgrade to a Production key with higher rate limits at 'https://dashboard.cohere.com/api-keys'.",
    };
    expect(cohere.classify(answer(429, body), CONTEXT)).toMatchObject({
      kind: 'quota',
      window: 'month',
      retryAt: Date.UTC(2026, 3, 1),
      reason: expect.stringMatching(/^429 requests per month/),
    });
  });
});
