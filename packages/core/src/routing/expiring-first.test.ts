import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChainConfigInput } from '../config/config-schema.ts';
import { type Chain, createChain } from '../create-chain.ts';
import {
  completionReply,
  type MockProvider,
  type MockRequest,
  startMockProvider,
} from '../testing/mock-provider.ts';

/**
 * `strategy: expiring-first` (issue 9, item 6): within a tier, entries whose limits are unknown
 * go first (to learn them), then the capacity that expires soonest (a per-minute window before a
 * daily pool), then daily pools that ran ahead of their pace; tiers stay in strict order.
 */

const start = Date.UTC(2026, 11, 2, 12, 0, 0);
let clock = start;

let mock: MockProvider;
/** Rate-limit headers each model answers with, as a function of how often it was called. */
let headersOf: (request: MockRequest, calls: number) => Record<string, string> = () => ({});

beforeAll(async () => {
  mock = await startMockProvider({
    fallback: (request) =>
      completionReply({
        model: request.model,
        headers: headersOf(request, mock.requestsFor(String(request.model)).length),
      }),
  });
});
afterAll(() => mock.close());

let chain: Chain | undefined;
afterEach(async () => {
  await chain?.close();
  chain = undefined;
  mock.reset();
  clock = start;
  headersOf = () => ({});
});

/** Cerebras-style daily request headers: `limit`, what is left, and the reset in float seconds. */
function dailyPool(limit: number, calls: number, resetInSeconds: number): Record<string, string> {
  return {
    'x-ratelimit-limit-requests-day': String(limit),
    'x-ratelimit-remaining-requests-day': String(Math.max(0, limit - calls)),
    'x-ratelimit-reset-requests-day': String(resetInSeconds),
  };
}

/** Cerebras-style per-minute request headers. */
function minuteWindow(limit: number, calls: number): Record<string, string> {
  return {
    'x-ratelimit-limit-requests-minute': String(limit),
    'x-ratelimit-remaining-requests-minute': String(Math.max(0, limit - calls)),
    'x-ratelimit-reset-requests-minute': '30.0',
  };
}

function open(
  entries: Array<{ provider: string; model: string; tier?: number }>,
  strategy?: 'expiring-first',
): Chain {
  const ids = [...new Set(entries.map((entry) => entry.provider))];
  const providers: ChainConfigInput['providers'] = ids.map((id) => ({
    id,
    type: 'cerebras',
    apiKey: `key-${id}-00000000000`,
    baseUrl: mock.url,
  }));
  chain = createChain({
    providers,
    chains: [{ name: 'main', strategy, entries }],
    settings: { defaultChain: 'main' },
    now: () => clock,
  });
  return chain;
}

async function ask(target: Chain): Promise<string | null> {
  const response = await target.fetch('http://429chain.local/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'main', messages: [{ role: 'user', content: 'Hello' }] }),
  });
  await response.text();
  return response.headers.get('x-429chain-model');
}

describe('strategy: expiring-first', () => {
  it('spends a per-minute window before a daily pool listed first, and keeps chain order without it', async () => {
    headersOf = (request, calls) =>
      request.model === 'daily' ? dailyPool(100, calls, 40_000) : minuteWindow(3, calls);
    const entries = [
      { provider: 'pool', model: 'daily' },
      { provider: 'window', model: 'minute' },
    ];
    const ordered = open(entries);
    const orderedAnswers = [];
    for (let index = 0; index < 4; index++) orderedAnswers.push(await ask(ordered));
    expect(orderedAnswers).toEqual(['daily', 'daily', 'daily', 'daily']);
    await ordered.close();
    mock.reset();

    const target = open(entries, 'expiring-first');
    // Both unknown at first: tried in chain order, and each one learnt once.
    const answers = [await ask(target), await ask(target)];
    expect(answers).toEqual(['daily', 'minute']);
    // Known now: the minute's capacity (2 left) expires within 30 s, the pool's in 11 h.
    for (let index = 0; index < 4; index++) answers.push(await ask(target));
    expect(answers).toEqual(['daily', 'minute', 'minute', 'minute', 'daily', 'daily']);
  });

  it('tries an entry whose limits are unknown before known ones, to learn them', async () => {
    headersOf = (request, calls) => (request.model === 'known' ? minuteWindow(10, calls) : {});
    const target = open(
      [
        { provider: 'a', model: 'known' },
        { provider: 'b', model: 'unknown' },
      ],
      'expiring-first',
    );
    expect(await ask(target)).toBe('known');
    expect(await ask(target)).toBe('unknown');
  });

  it('keeps tiers in strict order: a higher tier is used only when every entry of a lower one is out', async () => {
    headersOf = (request, calls) =>
      request.model === 'paid' ? minuteWindow(100, calls) : minuteWindow(2, calls);
    const target = open(
      [
        { provider: 'paid', model: 'paid', tier: 2 },
        { provider: 'free', model: 'free', tier: 1 },
      ],
      'expiring-first',
    );
    const answers = [];
    for (let index = 0; index < 3; index++) answers.push(await ask(target));
    expect(answers).toEqual(['free', 'free', 'paid']);
  });

  it('paces daily pools: one that spent more than its share of the day so far goes after one that did not', async () => {
    // Both pools reset in 6 h (three quarters of the day gone): one has spent 90 %, the other 10 %.
    headersOf = (request, calls) =>
      request.model === 'spent' ? dailyPool(100, 90 + calls, 21_600) : dailyPool(100, 10 + calls, 21_600);
    const target = open(
      [
        { provider: 'x', model: 'spent' },
        { provider: 'y', model: 'fresh' },
      ],
      'expiring-first',
    );
    // Learn both (unknown first, in chain order), then the fresh pool leads.
    const answers = [await ask(target), await ask(target), await ask(target), await ask(target)];
    expect(answers).toEqual(['spent', 'fresh', 'fresh', 'fresh']);
  });
});
