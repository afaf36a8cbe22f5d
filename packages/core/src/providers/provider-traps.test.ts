/**
 * One test per provider trap (docs/providers.md) that is about reading answers (1, 2, 4, 5, 6, 9).
 * Traps 3, 7, 8, 10, 11 and 12 are the router's and the stream reader's.
 */
import { describe, expect, test } from 'vitest';
import { cerebras } from './presets/cerebras.ts';
import { cloudflare } from './presets/cloudflare.ts';
import { gemini } from './presets/gemini.ts';
import { generic } from './presets/generic.ts';
import { groq } from './presets/groq.ts';
import { mistral } from './presets/mistral.ts';
import { nvidia } from './presets/nvidia.ts';
import { openai } from './presets/openai.ts';
import { openrouter } from './presets/openrouter.ts';
import { together } from './presets/together.ts';
import type { ErrorAnswer } from './provider-preset.ts';
import { readErrorBody } from './read-error-body.ts';
import { readRateLimitHeaders } from './read-rate-limit-headers.ts';

const NOW = Date.UTC(2026, 2, 10, 15, 30, 0);
const SCOPES = { key: 'p~k', model: 'p~k/m' };
const CONTEXT = { model: 'm' };

function answer(status: number, body: unknown = '', headers: Record<string, string> = {}): ErrorAnswer {
  return {
    status,
    headers: new Headers(headers),
    body: typeof body === 'string' ? body : JSON.stringify(body),
    now: NOW,
  };
}

describe('provider traps', () => {
  test('trap 1: the same header name means different windows (Groq requests per day, OpenAI per minute)', () => {
    const headers = new Headers({
      'x-ratelimit-limit-requests': '1000',
      'x-ratelimit-remaining-requests': '999',
      'x-ratelimit-reset-requests': '1m26.4s',
    });
    const [fromGroq] = readRateLimitHeaders(headers, groq.headerBuckets, { now: NOW, scopes: SCOPES });
    const [fromOpenAI] = readRateLimitHeaders(headers, openai.headerBuckets, { now: NOW, scopes: SCOPES });
    expect(fromGroq).toMatchObject({ kind: 'requests', window: 'day', id: 'p~k/m|requests:day:header' });
    expect(fromOpenAI).toMatchObject({
      kind: 'requests',
      window: 'minute',
      id: 'p~k/m|requests:minute:header',
    });
  });

  test("trap 2: a reset time is not a wait time (Groq's reset-requests is the daily bucket's refill)", () => {
    const headers = {
      'x-ratelimit-limit-requests': '1000',
      'x-ratelimit-remaining-requests': '998',
      'x-ratelimit-reset-requests': '2m59.56s',
      'x-ratelimit-limit-tokens': '6000',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-tokens': '7.66s',
    };
    const body = {
      error: {
        message:
          'Rate limit reached for model `llama-3.1-8b-instant` in organization `org_01jabc` service tier `on_demand` on tokens per minute (TPM): Limit 6000, Used 6000, Requested 350. Please try again in 7.66s.',
        type: 'tokens',
        code: 'rate_limit_exceeded',
      },
    };
    const verdict = groq.classify(answer(429, body, headers), CONTEXT);
    expect(verdict).toMatchObject({ kind: 'rate-limit', window: 'minute', retryAt: NOW + 7_660 });
    const observations = readRateLimitHeaders(new Headers(headers), groq.headerBuckets, {
      now: NOW,
      scopes: SCOPES,
    });
    // The daily bucket still has 998 requests: its reset is when it refills, not a reason to wait.
    expect(observations[0]).toMatchObject({ window: 'day', remaining: 998, resetAt: NOW + 179_560 });
  });

  describe('trap 4: one status, several meanings', () => {
    test('429 insufficient_quota is no credit, 429 rate_limit_exceeded a minute limit', () => {
      const noCredit = {
        error: {
          message: 'You exceeded your current quota, please check your plan and billing details.',
          type: 'insufficient_quota',
          param: null,
          code: 'insufficient_quota',
        },
      };
      const minute = {
        error: {
          message: 'Rate limit reached on requests per min (RPM)',
          type: 'requests',
          param: null,
          code: 'rate_limit_exceeded',
        },
      };
      expect(openai.classify(answer(429, noCredit), CONTEXT).kind).toBe('no-credit');
      expect(openai.classify(answer(429, minute), CONTEXT).kind).toBe('rate-limit');
    });

    test('413 and 429 "request too large" are both too large', () => {
      const body = {
        error: {
          message:
            'Request too large for model `llama-3.3-70b-versatile` in organization `org_01jabc` service tier `on_demand` on tokens per minute (TPM): Limit 12000, Requested 15163, please reduce your message size and try again.',
          type: 'tokens',
          code: 'rate_limit_exceeded',
        },
      };
      expect(groq.classify(answer(413, body), CONTEXT).kind).toBe('too-large');
      expect(groq.classify(answer(429, body), CONTEXT).kind).toBe('too-large');
    });

    test("Together's 503 below your rate is capacity, not a rate limit", () => {
      const headers = { 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '9' };
      expect(
        together.classify(answer(503, { error: { message: 'Service Unavailable' } }, headers), CONTEXT).kind,
      ).toBe('server');
    });

    test("Cerebras's 429 queue_exceeded is an overload, its 429 request_quota_exceeded a limit", () => {
      const queue = {
        message: "We're experiencing high traffic right now! Please try again soon.",
        type: 'too_many_requests_error',
        param: 'queue',
        code: 'queue_exceeded',
      };
      const quota = {
        message: 'Requests per minute limit exceeded - too many requests sent.',
        type: 'too_many_requests_error',
        param: 'quota',
        code: 'request_quota_exceeded',
      };
      expect(cerebras.classify(answer(429, queue), CONTEXT).kind).toBe('server');
      expect(cerebras.classify(answer(429, quota), CONTEXT).kind).toBe('rate-limit');
    });
  });

  test("trap 5: x-should-retry: false is attached to Cerebras's most retryable error", () => {
    const body = {
      message: "We're experiencing high traffic right now! Please try again soon.",
      type: 'too_many_requests_error',
      param: 'queue',
      code: 'queue_exceeded',
    };
    const verdict = cerebras.classify(
      answer(429, body, { 'x-should-retry': 'false', 'retry-after': '1' }),
      CONTEXT,
    );
    expect(verdict).toMatchObject({ kind: 'server', retryAt: NOW + 1_000 });
  });

  describe('trap 6: daily caps park the entry until the reset, not for seconds', () => {
    test('OpenRouter free-models-per-day waits for its reset at UTC midnight, not for Retry-After', () => {
      const midnight = Date.UTC(2026, 2, 11);
      const body = {
        error: {
          message:
            'Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day',
          code: 429,
          metadata: {
            headers: {
              'X-RateLimit-Limit': '50',
              'X-RateLimit-Remaining': '0',
              'X-RateLimit-Reset': String(midnight),
            },
            provider_name: null,
          },
        },
      };
      const verdict = openrouter.classify(answer(429, body, { 'retry-after': '20' }), CONTEXT);
      expect(verdict).toMatchObject({ kind: 'quota', scope: 'key', window: 'day', retryAt: midnight });
    });

    test('Gemini PerDay waits for midnight Pacific, not its 26s retryDelay', () => {
      const body = [
        {
          error: {
            code: 429,
            message: 'You exceeded your current quota, please check your plan and billing details.',
            status: 'RESOURCE_EXHAUSTED',
            details: [
              {
                '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
                violations: [{ quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier' }],
              },
              { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '26s' },
            ],
          },
        },
      ];
      expect(gemini.classify(answer(429, body), CONTEXT)).toMatchObject({
        kind: 'quota',
        window: 'day',
        retryAt: Date.UTC(2026, 2, 11, 7),
      });
    });

    test("Cerebras's daily quota ignores its one-minute Retry-After", () => {
      const body = {
        message: 'Tokens per day limit exceeded - too many tokens processed.',
        type: 'too_many_requests_error',
        param: 'quota',
        code: 'token_quota_exceeded',
      };
      const verdict = cerebras.classify(answer(429, body, { 'retry-after': '60' }), CONTEXT);
      expect(verdict).toMatchObject({ kind: 'quota', window: 'day', retryAt: undefined });
    });

    test("Cloudflare's daily neuron allocation waits for 00:00 UTC", () => {
      const body = {
        errors: [
          { code: 3036, message: 'AiError: you have used up your daily free allocation of 10,000 neurons' },
        ],
        success: false,
      };
      const verdict = cloudflare.classify(answer(429, body, { 'retry-after': '5' }), CONTEXT);
      expect(verdict).toMatchObject({ kind: 'quota', window: 'day', retryAt: Date.UTC(2026, 2, 11) });
    });
  });

  describe('trap 9: error bodies that are not {error:{…}}', () => {
    test.each([
      [
        'a Gemini array',
        [{ error: { code: 429, message: 'Resource exhausted', status: 'RESOURCE_EXHAUSTED' } }],
        { message: 'Resource exhausted', code: '429', type: 'RESOURCE_EXHAUSTED' },
      ],
      [
        'Mistral top-level fields',
        {
          object: 'error',
          message: 'Requests rate limit exceeded',
          type: 'rate_limited',
          param: null,
          code: '1300',
        },
        { message: 'Requests rate limit exceeded', code: '1300', type: 'rate_limited' },
      ],
      [
        'Cerebras top-level fields',
        {
          message: 'Tokens per minute limit exceeded',
          type: 'too_many_requests_error',
          param: 'quota',
          code: 'token_quota_exceeded',
        },
        { message: 'Tokens per minute limit exceeded', code: 'token_quota_exceeded', param: 'quota' },
      ],
      [
        'NVIDIA {status,title}',
        { status: 429, title: 'Too Many Requests' },
        { message: 'Too Many Requests', status: 429 },
      ],
      [
        'Cloudflare errors[]',
        {
          errors: [{ code: 3040, message: 'AiError: Capacity temporarily exceeded, please try again.' }],
          success: false,
        },
        { message: 'AiError: Capacity temporarily exceeded, please try again.', code: '3040' },
      ],
      ['a numeric code', { error: { code: 429, message: 'slow down' } }, { code: '429' }],
      [
        'a string code',
        { error: { code: 'RateLimitReached', message: 'slow down' } },
        { code: 'RateLimitReached' },
      ],
    ])('reads %s', (_shape, body, expected) => {
      expect(readErrorBody(JSON.stringify(body))).toMatchObject(expected);
    });

    test('each provider classifies its own odd shape', () => {
      const mistralBody = {
        object: 'error',
        message: 'Requests rate limit exceeded',
        type: 'rate_limited',
        code: '1300',
      };
      expect(mistral.classify(answer(429, mistralBody), CONTEXT).kind).toBe('rate-limit');
      expect(nvidia.classify(answer(429, { status: 429, title: 'Too Many Requests' }), CONTEXT).kind).toBe(
        'rate-limit',
      );
      expect(generic.classify(answer(429, [{ error: { code: 429, message: 'x' } }]), CONTEXT).code).toBe(
        '429',
      );
    });
  });
});
