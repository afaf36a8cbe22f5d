import { describe, expect, test } from 'vitest';
import type { ErrorAnswer } from '../provider-preset.ts';
import { huggingface } from './huggingface.ts';

const NOW = Date.UTC(2026, 2, 10, 15, 30, 0);
const CONTEXT = { model: 'meta-llama/Llama-3.1-8B-Instruct' };
const OUT_OF_CREDITS =
  'You have exceeded your monthly included credits for Inference Providers. Subscribe to PRO to get 20x more monthly included credits.';

function answer(status: number, body: unknown = '', headers: Record<string, string> = {}): ErrorAnswer {
  return {
    status,
    headers: new Headers(headers),
    body: typeof body === 'string' ? body : JSON.stringify(body),
    now: NOW,
  };
}

describe('huggingface preset', () => {
  test('402 with x-error-message parks the key until the next month', () => {
    expect(huggingface.classify(answer(402, '', { 'x-error-message': OUT_OF_CREDITS }), CONTEXT)).toEqual({
      kind: 'no-credit',
      scope: 'key',
      window: 'month',
      retryAt: Date.UTC(2026, 3, 1),
      reason: '402 monthly credits used up, retry in 21d9h',
      message: OUT_OF_CREDITS,
      code: undefined,
      type: undefined,
      param: undefined,
    });
  });

  test('402 with the message in an {error:"…"} body reads the same', () => {
    expect(huggingface.classify(answer(402, { error: OUT_OF_CREDITS }), CONTEXT)).toMatchObject({
      kind: 'no-credit',
      retryAt: Date.UTC(2026, 3, 1),
      message: OUT_OF_CREDITS,
    });
  });

  test('a 429 is a rate limit', () => {
    expect(huggingface.classify(answer(429, { error: 'Rate limit reached' }), CONTEXT).kind).toBe(
      'rate-limit',
    );
  });

  test('reads HF_TOKEN', () => {
    expect(huggingface.envKeys[0]).toBe('HF_TOKEN');
  });
});
