import { describe, expect, test } from 'vitest';
import type { ErrorAnswer } from '../provider-preset.ts';
import { cloudflare } from './cloudflare.ts';

const NOW = Date.UTC(2026, 2, 10, 15, 30, 0);
const CONTEXT = { model: '@cf/meta/llama-3.3-70b-instruct-fp8-fast' };

function answer(status: number, body: unknown = '', headers: Record<string, string> = {}): ErrorAnswer {
  return {
    status,
    headers: new Headers(headers),
    body: typeof body === 'string' ? body : JSON.stringify(body),
    now: NOW,
  };
}

describe('cloudflare preset', () => {
  test('3036 daily allocation is a quota of the whole account until 00:00 UTC', () => {
    const body = {
      errors: [
        {
          code: 3036,
          message:
            "AiError: Account limited: you have used up your daily free allocation of 10,000 neurons, please upgrade to Cloudflare's Workers Paid plan if you would like to continue usage.",
        },
      ],
      success: false,
      result: null,
      messages: [],
    };
    expect(cloudflare.classify(answer(429, body), CONTEXT)).toEqual({
      kind: 'quota',
      limits: [],
      scope: 'key',
      window: 'day',
      retryAt: Date.UTC(2026, 2, 11),
      reason: '429 daily neuron allocation, retry in 8h30m',
      message: body.errors[0]?.message,
      code: '3036',
      type: undefined,
      param: undefined,
    });
  });

  test('3040 capacity is an overloaded server', () => {
    const body = {
      errors: [{ code: 3040, message: 'AiError: Capacity temporarily exceeded, please try again.' }],
      success: false,
    };
    expect(cloudflare.classify(answer(429, body), CONTEXT)).toMatchObject({
      kind: 'server',
      reason: '429 overloaded (capacity)',
      code: '3040',
    });
  });

  test('a bad token is an auth failure', () => {
    const body = { errors: [{ code: 10000, message: 'Authentication error' }], success: false };
    expect(cloudflare.classify(answer(401, body), CONTEXT)).toMatchObject({
      kind: 'auth',
      message: 'Authentication error',
    });
  });

  test('the base URL names the account to fill in', () => {
    expect(cloudflare.baseUrl).toContain('{account}');
    expect(cloudflare.dailyReset).toBe('utc');
    expect(cloudflare.envKeys[0]).toBe('CLOUDFLARE_API_TOKEN');
  });
});
