import { describe, expect, test } from 'vitest';
import type { ErrorAnswer } from '../provider-preset.ts';
import { readRateLimitHeaders } from '../read-rate-limit-headers.ts';
import { presetAliases, presets, resolvePreset } from './index.ts';

const NOW = Date.UTC(2026, 2, 10, 15, 30, 0);
const CONTEXT = { model: 'some-model' };
const ALL = Object.values(presets);

function answer(status: number, body = '', headers: Record<string, string> = {}): ErrorAnswer {
  return { status, headers: new Headers(headers), body, now: NOW };
}

describe('presets', () => {
  test('holds all 18 presets, each under its own unique id', () => {
    expect(Object.keys(presets).sort()).toEqual(
      [
        'cerebras',
        'cloudflare',
        'cohere',
        'deepinfra',
        'deepseek',
        'fireworks',
        'gemini',
        'generic',
        'github',
        'groq',
        'huggingface',
        'mistral',
        'nvidia',
        'ollama',
        'openai',
        'openrouter',
        'sambanova',
        'together',
      ].sort(),
    );
    for (const [id, preset] of Object.entries(presets)) expect(preset.id).toBe(id);
    expect(new Set(ALL.map((preset) => preset.id)).size).toBe(ALL.length);
  });

  test.each(ALL.map((preset) => [preset.id, preset] as const))(
    '%s has a name, a base URL and env keys',
    (id, preset) => {
      expect(preset.name).not.toBe('');
      if (id === 'generic') expect(preset.baseUrl).toBeUndefined();
      else expect(preset.baseUrl).toMatch(/^https?:\/\/[^/]+.*[^/]$/);
      if (id === 'generic' || id === 'ollama') expect(preset.envKeys).toEqual([]);
      else expect(preset.envKeys.length).toBeGreaterThan(0);
      for (const name of preset.envKeys) expect(name).toMatch(/^[A-Z][A-Z0-9_]*$/);
    },
  );

  test.each(ALL.map((preset) => [preset.id, preset] as const))(
    '%s classifies a plain 500 as server and a plain 429 as rate-limit',
    (_id, preset) => {
      expect(preset.classify(answer(500), CONTEXT).kind).toBe('server');
      expect(preset.classify(answer(429), CONTEXT).kind).toBe('rate-limit');
    },
  );

  test.each(ALL.map((preset) => [preset.id, preset] as const))(
    '%s degrades gracefully on malformed headers and bodies',
    (_id, preset) => {
      const garbage = {
        'retry-after': 'soon',
        'retry-after-ms': '-5',
        'x-ratelimit-reset': 'NaN',
        'x-ratelimit-type': '???',
        'x-ratelimit-timeremaining': 'later',
      };
      for (const body of [
        '{"error":',
        '<html>502</html>',
        '[]',
        'null',
        '{"error":{"code":{},"message":[1,{}]}}',
      ]) {
        expect(preset.classify(answer(500, body, garbage), CONTEXT).kind).toBe('server');
        const limited = preset.classify(answer(429, body, garbage), CONTEXT);
        expect(limited.kind).toBe('rate-limit');
        expect(typeof limited.reason).toBe('string');
        expect(typeof limited.message).toBe('string');
      }
      const headerNames = preset.headerBuckets.flatMap((spec) =>
        [spec.limitHeader, spec.remainingHeader, spec.resetHeader].filter((name) => name !== undefined),
      );
      const junk = new Headers(headerNames.map((name) => [name, 'n/a']));
      expect(
        readRateLimitHeaders(junk, preset.headerBuckets, { now: NOW, scopes: { key: 'k', model: 'k/m' } }),
      ).toEqual([]);
    },
  );
});

describe('resolvePreset', () => {
  test('finds a preset by id, ignoring case and spaces', () => {
    expect(resolvePreset('groq')?.id).toBe('groq');
    expect(resolvePreset(' Groq ')?.id).toBe('groq');
  });

  test('maps the v1 type names generic-openai and google-ai', () => {
    expect(presetAliases).toEqual({ 'generic-openai': 'generic', 'google-ai': 'gemini' });
    expect(resolvePreset('generic-openai')?.id).toBe('generic');
    expect(resolvePreset('google-ai')?.id).toBe('gemini');
  });

  test('answers undefined for an unknown type, including inherited object keys', () => {
    expect(resolvePreset('grok')).toBeUndefined();
    expect(resolvePreset('constructor')).toBeUndefined();
    expect(resolvePreset('__proto__')).toBeUndefined();
  });
});
