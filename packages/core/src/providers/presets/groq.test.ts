import { describe, expect, test } from 'vitest';
import { createChain } from '../../create-chain.ts';
import type { RequestRecord } from '../../events/request-record.ts';
import { startMockProvider } from '../../testing/mock-provider.ts';
import type { ErrorAnswer } from '../provider-preset.ts';
import { readRateLimitHeaders } from '../read-rate-limit-headers.ts';
import { groq } from './groq.ts';

const NOW = Date.UTC(2026, 2, 10, 15, 30, 0);
const SCOPES = { key: 'groq~k', model: 'groq~k/llama-3.1-8b-instant' };
const CONTEXT = { model: 'llama-3.1-8b-instant' };

function answer(status: number, body: unknown = '', headers: Record<string, string> = {}): ErrorAnswer {
  return {
    status,
    headers: new Headers(headers),
    body: typeof body === 'string' ? body : JSON.stringify(body),
    now: NOW,
  };
}

describe('groq preset', () => {
  test("reads Groq's per-day request bucket and per-minute token bucket", () => {
    const headers = new Headers({
      'x-ratelimit-limit-requests': '14400',
      'x-ratelimit-limit-tokens': '6000',
      'x-ratelimit-remaining-requests': '14370',
      'x-ratelimit-remaining-tokens': '5997',
      'x-ratelimit-reset-requests': '2m59.56s',
      'x-ratelimit-reset-tokens': '7.66s',
    });
    const observations = readRateLimitHeaders(headers, groq.headerBuckets, { now: NOW, scopes: SCOPES });
    expect(observations).toEqual([
      expect.objectContaining({
        kind: 'requests',
        window: 'day',
        limit: 14_400,
        remaining: 14_370,
        resetAt: NOW + 179_560,
      }),
      expect.objectContaining({
        kind: 'tokens',
        window: 'minute',
        limit: 6_000,
        remaining: 5_997,
        resetAt: NOW + 7_660,
      }),
    ]);
  });

  test('reads a 370ms token reset', () => {
    const headers = new Headers({ 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '370ms' });
    expect(readRateLimitHeaders(headers, groq.headerBuckets, { now: NOW, scopes: SCOPES })[0]?.resetAt).toBe(
      NOW + 370,
    );
  });

  test('a 429 on requests per minute is a one-minute rate limit with its "try again in 2s"', () => {
    const body = {
      error: {
        message:
          'Rate limit reached for model `llama-3.1-8b-instant` in organization `org_01jabc` service tier `on_demand` on requests per minute (RPM): Limit 30, Used 30, Requested 1. Please try again in 2s. Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing',
        type: 'requests',
        code: 'rate_limit_exceeded',
      },
    };
    expect(groq.classify(answer(429, body), CONTEXT)).toEqual({
      kind: 'rate-limit',
      subject: 'requests',
      limits: [{ kind: 'requests', limit: 30, window: 'minute', evidence: 'message' }],
      scope: 'model',
      window: 'minute',
      retryAt: NOW + 2_000,
      reason: '429 requests per minute, retry in 2s',
      message: body.error.message,
      code: 'rate_limit_exceeded',
      type: 'requests',
      param: undefined,
    });
  });

  test('a 429 on tokens per day is a daily quota, waiting what retry-after says', () => {
    const body = {
      error: {
        message:
          'Rate limit reached for model `llama-3.3-70b-versatile` in organization `org_01jabc` service tier `on_demand` on tokens per day (TPD): Limit 100000, Used 99718, Requested 1030. Please try again in 10m6.048s. Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing',
        type: 'tokens',
        code: 'rate_limit_exceeded',
      },
    };
    expect(groq.classify(answer(429, body, { 'retry-after': '607' }), CONTEXT)).toMatchObject({
      kind: 'quota',
      scope: 'model',
      window: 'day',
      retryAt: NOW + 607_000,
      reason: '429 tokens per day, retry in 10m7s',
    });
    expect(groq.classify(answer(429, body), CONTEXT).retryAt).toBe(NOW + 606_048);
  });

  test('a 429 on tokens per minute is a rate limit on tokens', () => {
    const body = {
      error: {
        message:
          'Rate limit reached for model `llama-3.1-8b-instant` in organization `org_01jabc` service tier `on_demand` on tokens per minute (TPM): Limit 6000, Used 5400, Requested 1200. Please try again in 6s.',
        type: 'tokens',
        code: 'rate_limit_exceeded',
      },
    };
    expect(groq.classify(answer(429, body, { 'retry-after': '6' }), CONTEXT)).toMatchObject({
      kind: 'rate-limit',
      window: 'minute',
      reason: '429 tokens per minute, retry in 6s',
    });
  });

  test('a 413 "Request too large" is too large, not a rate limit', () => {
    const body = {
      error: {
        message:
          'Request too large for model `llama-3.3-70b-versatile` in organization `org_01jabc` service tier `on_demand` on tokens per minute (TPM): Limit 12000, Requested 15163, please reduce your message size and try again.',
        type: 'tokens',
        code: 'rate_limit_exceeded',
      },
    };
    expect(groq.classify(answer(413, body), CONTEXT).kind).toBe('too-large');
  });

  test('a decommissioned model is not found', () => {
    const body = {
      error: {
        message: 'The model `mixtral-8x7b-32768` has been decommissioned and is no longer supported.',
        type: 'invalid_request_error',
        code: 'model_decommissioned',
      },
    };
    expect(groq.classify(answer(400, body), CONTEXT).kind).toBe('not-found');
  });

  test('charges max_tokens up front', () => {
    expect(groq.chargesMaxTokensUpfront).toBe(true);
    expect(groq.envKeys).toEqual(['GROQ_API_KEY']);
  });
});

describe('groq stream usage', () => {
  test('reads the usage of a stream from x_groq.usage, where Groq puts it', async () => {
    const mock = await startMockProvider();
    const chunk = (fields: Record<string, unknown>) =>
      `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'llama', ...fields })}\n\n`;
    mock.script('llama', [
      {
        type: 'stream',
        pieces: [
          chunk({
            choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi' }, finish_reason: null }],
          }),
          chunk({
            choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
            x_groq: { id: 'req_1', usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 } },
          }),
          'data: [DONE]\n\n',
        ],
      },
    ]);
    const chain = createChain({
      providers: [{ id: 'groq', type: 'groq', apiKey: 'gsk-test-0000000000', baseUrl: mock.url }],
      chains: [{ name: 'main', entries: [{ provider: 'groq', model: 'llama' }] }],
      settings: { defaultChain: 'main' },
    });
    const records: RequestRecord[] = [];
    chain.on('request-end', ({ record }) => records.push(record));
    try {
      const response = await chain.fetch('http://429chain.local/v1/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'main', messages: [{ role: 'user', content: 'Hi' }], stream: true }),
      });
      expect(await response.text()).toContain('[DONE]');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(records[0]?.usage).toEqual({ promptTokens: 7, completionTokens: 3, totalTokens: 10 });
    } finally {
      await chain.close();
      await mock.close();
    }
  });
});
