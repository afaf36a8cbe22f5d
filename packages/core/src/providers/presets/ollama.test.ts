import { describe, expect, test } from 'vitest';
import type { ErrorAnswer } from '../provider-preset.ts';
import { ollama } from './ollama.ts';

const NOW = Date.UTC(2026, 2, 10, 15, 30, 0);
const CONTEXT = { model: 'llama3.2' };

function answer(status: number, body: unknown = '', headers: Record<string, string> = {}): ErrorAnswer {
  return {
    status,
    headers: new Headers(headers),
    body: typeof body === 'string' ? body : JSON.stringify(body),
    now: NOW,
  };
}

describe('ollama preset', () => {
  test('needs no key and is never rate-limited', () => {
    expect(ollama).toMatchObject({ keyRequired: false, rateLimited: false, envKeys: [], headerBuckets: [] });
    expect(ollama.baseUrl).toBe('http://127.0.0.1:11434/v1');
  });

  test('a model that was never pulled is not found', () => {
    const body = {
      error: {
        message: 'model "llama3.2" not found, try pulling it first',
        type: 'api_error',
        param: null,
        code: null,
      },
    };
    expect(ollama.classify(answer(404, body), CONTEXT)).toMatchObject({ kind: 'not-found' });
  });

  test('a full queue reads as a rate limit the router will not cool down for', () => {
    const verdict = ollama.classify(
      answer(429, { error: 'server busy, please try again.  maximum pending requests exceeded' }),
      CONTEXT,
    );
    expect(verdict.kind).toBe('rate-limit');
  });
});
