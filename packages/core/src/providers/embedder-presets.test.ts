import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChain } from '../create-chain.ts';
import { ConfigError } from '../errors.ts';
import type { RequestRecord } from '../events/request-record.ts';
import {
  completionReply,
  errorReply,
  type MockProvider,
  startMockProvider,
} from '../testing/mock-provider.ts';
import { classifyFailure } from './classify-failure.ts';
import { definePreset } from './define-preset.ts';

/**
 * Presets are open: an embedder adds a provider dialect of its own with `createChain({ presets })`,
 * and it routes and learns limits like a built-in one.
 */

let mock: MockProvider;
beforeAll(async () => {
  mock = await startMockProvider();
});
afterAll(() => mock.close());

const start = Date.UTC(2026, 11, 2, 12, 0, 0);

/** "Acme": its own header names, epoch-second resets, and a 429 that says `{"quota":{"per_window":4}}`. */
const acme = definePreset({
  id: 'acme',
  name: 'Acme AI',
  envKeys: ['ACME_API_KEY'],
  suggestedModels: ['acme-1'],
  headerBuckets: [
    {
      kind: 'requests',
      window: 'hour',
      scope: 'key',
      limitHeader: 'acme-quota',
      remainingHeader: 'acme-quota-left',
      resetHeader: 'acme-quota-reset',
      resetFormat: 'epoch',
    },
  ],
  classify(answer) {
    const verdict = classifyFailure(answer);
    const quota = (JSON.parse(answer.body || '{}') as { quota?: { per_window?: number } }).quota;
    if (verdict.kind !== 'rate-limit' || quota?.per_window === undefined) return verdict;
    return {
      ...verdict,
      limits: [{ kind: 'requests', limit: quota.per_window, window: 'minute', evidence: 'body' }],
    };
  },
});

function open(now: () => number) {
  const chain = createChain({
    presets: [acme],
    providers: [
      { id: 'mine', type: 'acme', apiKey: 'acme-key-000000000000', baseUrl: mock.url },
      { id: 'backup', type: 'generic', apiKey: 'backup-key-0000000000', baseUrl: mock.url },
    ],
    chains: [
      {
        name: 'main',
        entries: [
          { provider: 'mine', model: 'acme-1' },
          { provider: 'backup', model: 'b' },
        ],
      },
    ],
    settings: { defaultChain: 'main' },
    now,
  });
  const records: RequestRecord[] = [];
  chain.on('request-end', ({ record }) => records.push(record));
  const ask = async () => {
    const response = await chain.fetch('http://429chain.local/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'main', messages: [{ role: 'user', content: 'Hi' }] }),
    });
    await response.text();
    return response.headers.get('x-429chain-provider');
  };
  return { chain, records, ask };
}

describe('an embedder’s own preset', () => {
  it('reads its own headers: a count of 0 skips the entry until the reset it gives, without a request', async () => {
    mock.reset();
    const reset = String(Math.floor((start + 3_600_000) / 1000));
    mock.script('acme-1', [
      completionReply({
        model: 'acme-1',
        headers: { 'acme-quota': '2', 'acme-quota-left': '0', 'acme-quota-reset': reset },
      }),
    ]);
    let clock = start;
    const { chain, ask } = open(() => clock);
    expect(await ask()).toBe('mine');
    expect(await ask()).toBe('backup');
    expect(mock.requestsFor('acme-1')).toHaveLength(1);
    const bucket = (await chain.status()).buckets.find((found) => found.provider === 'mine');
    expect(bucket).toMatchObject({ source: 'header', limit: 2, remaining: 0, resetAt: start + 3_600_000 });
    clock = start + 3_600_000;
    expect(await ask()).toBe('mine');
    await chain.close();
  });

  it('learns the limit its 429 states through its own classify hook', async () => {
    mock.reset();
    mock.script('acme-1', [
      completionReply({ model: 'acme-1' }),
      errorReply(429, { error: { message: 'slow down' }, quota: { per_window: 1 } }, { 'retry-after': '20' }),
    ]);
    const clock = start;
    const { chain, ask } = open(() => clock);
    expect(await ask()).toBe('mine');
    expect(await ask()).toBe('backup');
    const learnt = (await chain.status()).buckets.find((found) => found.source === 'learnt');
    expect(learnt).toMatchObject({
      provider: 'mine',
      limit: 1,
      windowMs: 20_000,
      learnt: { evidence: 'body' },
    });
    await chain.close();
  });

  it('is named in the error for an unknown type, beside the built-in ones', () => {
    expect(() =>
      createChain({
        presets: [acme],
        providers: [{ id: 'x', type: 'acme2', apiKey: 'k' }],
        chains: [{ name: 'main', entries: [{ provider: 'x', model: 'm' }] }],
      }),
    ).toThrow(ConfigError);
    try {
      createChain({
        presets: [acme],
        providers: [{ id: 'x', type: 'acme2', apiKey: 'k' }],
        chains: [{ name: 'main', entries: [{ provider: 'x', model: 'm' }] }],
      });
    } catch (error) {
      expect(String((error as ConfigError).message)).toMatch(
        /providers\[0\]\.type: unknown provider type "acme2"; known types: .*groq.*acme/,
      );
    }
  });
});
