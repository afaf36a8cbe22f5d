import { describe, expect, test } from 'vitest';
import type { ErrorAnswer } from '../provider-preset.ts';
import { nvidia } from './nvidia.ts';

const NOW = Date.UTC(2026, 2, 10, 15, 30, 0);
const CONTEXT = { model: 'meta/llama-3.3-70b-instruct' };

function answer(status: number, body: unknown = '', headers: Record<string, string> = {}): ErrorAnswer {
  return {
    status,
    headers: new Headers(headers),
    body: typeof body === 'string' ? body : JSON.stringify(body),
    now: NOW,
  };
}

describe('nvidia preset', () => {
  test('{status:429,title:"Too Many Requests"} is a per-minute rate limit', () => {
    expect(nvidia.classify(answer(429, { status: 429, title: 'Too Many Requests' }), CONTEXT)).toEqual({
      kind: 'rate-limit',
      subject: 'requests',
      limits: [],
      scope: 'model',
      window: 'minute',
      retryAt: undefined,
      reason: '429 requests per minute',
      message: 'Too Many Requests',
      code: undefined,
      type: undefined,
      param: undefined,
    });
  });

  test('a problem+json 404 is a missing model', () => {
    const body = {
      type: 'about:blank',
      status: 404,
      title: 'Not Found',
      detail: "Function 'abc' not found for account",
    };
    expect(nvidia.classify(answer(404, body), CONTEXT)).toMatchObject({
      kind: 'not-found',
      message: body.detail,
    });
  });

  test('knows its ~40 requests per minute and has no limit headers', () => {
    expect(nvidia.knownLimits?.requestsPerMinute).toBe(40);
    expect(nvidia.headerBuckets).toEqual([]);
  });
});
