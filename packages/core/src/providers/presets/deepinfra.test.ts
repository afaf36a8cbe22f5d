import { describe, expect, test } from 'vitest';
import type { ErrorAnswer } from '../provider-preset.ts';
import { deepinfra } from './deepinfra.ts';

const NOW = Date.UTC(2026, 2, 10, 15, 30, 0);
const CONTEXT = { model: 'meta-llama/Meta-Llama-3.1-8B-Instruct' };

function answer(status: number, body: unknown = '', headers: Record<string, string> = {}): ErrorAnswer {
  return {
    status,
    headers: new Headers(headers),
    body: typeof body === 'string' ? body : JSON.stringify(body),
    now: NOW,
  };
}

describe('deepinfra preset', () => {
  test('uses the OpenAI-compatible path', () => {
    expect(deepinfra.baseUrl).toBe('https://api.deepinfra.com/v1/openai');
  });

  test('reads FastAPI-style {detail} errors', () => {
    expect(deepinfra.classify(answer(404, { detail: 'Model is not available' }), CONTEXT)).toMatchObject({
      kind: 'not-found',
      message: 'Model is not available',
    });
  });

  test('429 is a rate limit, 402 no credit', () => {
    expect(deepinfra.classify(answer(429, { error: { message: 'Rate limited' } }), CONTEXT).kind).toBe(
      'rate-limit',
    );
    expect(deepinfra.classify(answer(402, { error: { message: 'Balance is too low' } }), CONTEXT).kind).toBe(
      'no-credit',
    );
  });
});
