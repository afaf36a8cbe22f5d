/**
 * Reservations under concurrency (docs/rate-limits.md, "Reservation"), through `createChain(...).fetch(...)`
 * against a loopback mock provider: a request takes its unit of every bucket before it
 * is sent, so racing requests never overrun what is left.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { ChainConfigInput } from '../config/config-schema.ts';
import { type Chain, createChain } from '../create-chain.ts';
import type { RequestRecord } from '../events/request-record.ts';
import type { BucketStatus } from '../status/chain-status.ts';
import {
  completionReply,
  errorReply,
  type MockProvider,
  startMockProvider,
} from '../testing/mock-provider.ts';

const chatUrl = 'http://429chain.local/v1/chat/completions';
const limitedModel = 'limited-model';
const backupModel = 'backup-model';

const fastSettings = { requestTimeoutMs: 2_000, requestBudgetMs: 5_000 };

let mock: MockProvider;
const chains: Chain[] = [];

beforeEach(async () => {
  mock = await startMockProvider();
});

afterEach(async () => {
  await Promise.all(chains.splice(0).map((chain) => chain.close()));
  await mock.close();
});

type ProviderInput = ChainConfigInput['providers'][number];
type EntryInput = ChainConfigInput['chains'][number]['entries'][number];

/** A chain `main` of the limited entry, then a backup entry without limits. */
function openChain(limited: {
  provider: Omit<ProviderInput, 'id' | 'baseUrl'>;
  entry?: Partial<EntryInput>;
}): Chain {
  const chain = createChain({
    providers: [
      { id: 'limited', baseUrl: mock.url, apiKey: 'test-key-limited-0001', ...limited.provider },
      { id: 'backup', type: 'generic', baseUrl: mock.url, apiKey: 'test-key-backup-0002' },
    ],
    chains: [
      {
        name: 'main',
        entries: [
          { provider: 'limited', model: limitedModel, ...limited.entry },
          { provider: 'backup', model: backupModel },
        ],
      },
    ],
    settings: fastSettings,
  });
  chains.push(chain);
  return chain;
}

function chat(chain: Chain, extra: Record<string, unknown> = {}): Promise<Response> {
  return chain.fetch(chatUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'main', messages: [{ role: 'user', content: 'Hello.' }], ...extra }),
  });
}

/** Sends `count` requests at once and reads every answer. */
async function burst(
  chain: Chain,
  count: number,
): Promise<Array<{ status: number; provider: string | null }>> {
  const responses = await Promise.all(Array.from({ length: count }, () => chat(chain)));
  return Promise.all(
    responses.map(async (response) => {
      await response.text();
      return { status: response.status, provider: response.headers.get('x-429chain-provider') };
    }),
  );
}

function countBy<Item>(items: Item[], key: (item: Item) => string | null): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) {
    const name = String(key(item));
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

async function bucketsOf(chain: Chain, provider: string): Promise<BucketStatus[]> {
  return (await chain.status()).buckets.filter((bucket) => bucket.provider === provider);
}

/** Collects every request record. */
function recordRequests(chain: Chain): RequestRecord[] {
  const records: RequestRecord[] = [];
  chain.on('request-end', ({ record }) => records.push(record));
  return records;
}

describe('20 concurrent requests against an entry with 3 requests left', () => {
  test('3 left learned from Groq headers: exactly 3 upstream calls to it, the rest go to the next entry without a 429', async () => {
    // Groq's `x-ratelimit-*-requests` headers describe the per-day request bucket (trap 1).
    const quotaHeaders = (remaining: number) => ({
      'x-ratelimit-limit-requests': '14400',
      'x-ratelimit-remaining-requests': String(remaining),
      'x-ratelimit-reset-requests': '2m59.56s',
    });
    mock.script(limitedModel, [
      completionReply({ model: limitedModel, text: 'warm-up', headers: quotaHeaders(3) }),
      completionReply({ model: limitedModel, delayMs: 150, headers: quotaHeaders(2) }),
      completionReply({ model: limitedModel, delayMs: 150, headers: quotaHeaders(1) }),
      completionReply({ model: limitedModel, delayMs: 150, headers: quotaHeaders(0) }),
      errorReply(429, {
        error: {
          message: 'Rate limit reached for requests per day (RPD): Limit 14400, Used 14400, Requested 1.',
          type: 'requests',
          code: 'rate_limit_exceeded',
        },
      }),
    ]);
    mock.script(backupModel, [completionReply({ model: backupModel, delayMs: 20 })]);
    const chain = openChain({ provider: { type: 'groq' } });

    const warmUp = await chat(chain);
    expect(warmUp.status).toBe(200);
    expect(await bucketsOf(chain, 'limited')).toContainEqual(
      expect.objectContaining({
        kind: 'requests',
        window: 'day',
        source: 'header',
        limit: 14_400,
        remaining: 3,
      }),
    );

    const answers = await burst(chain, 20);

    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect(countBy(answers, (answer) => answer.provider)).toEqual({ limited: 3, backup: 17 });
    expect(mock.requestsFor(limitedModel)).toHaveLength(1 + 3);
    expect(mock.requestsFor(backupModel)).toHaveLength(17);
    const [requests] = (await bucketsOf(chain, 'limited')).filter((bucket) => bucket.kind === 'requests');
    expect(requests).toMatchObject({ window: 'day', limit: 14_400, remaining: 0, inFlight: 0 });
  });

  test('3 left from a manual requestsPerMinute: exactly 3 upstream calls to it, the rest go to the next entry without a 429', async () => {
    mock.script(limitedModel, [
      completionReply({ model: limitedModel, delayMs: 150 }),
      completionReply({ model: limitedModel, delayMs: 150 }),
      completionReply({ model: limitedModel, delayMs: 150 }),
      errorReply(429, { error: { message: 'Rate limit exceeded.', code: 'rate_limit_exceeded' } }),
    ]);
    mock.script(backupModel, [completionReply({ model: backupModel, delayMs: 20 })]);
    const chain = openChain({
      provider: { type: 'generic' },
      entry: { rateLimits: { requestsPerMinute: 3 } },
    });
    const records = recordRequests(chain);

    const answers = await burst(chain, 20);

    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect(countBy(answers, (answer) => answer.provider)).toEqual({ limited: 3, backup: 17 });
    expect(mock.requestsFor(limitedModel)).toHaveLength(3);
    expect(mock.requestsFor(backupModel)).toHaveLength(17);
    expect(await bucketsOf(chain, 'limited')).toContainEqual(
      expect.objectContaining({
        kind: 'requests',
        window: 'minute',
        source: 'manual',
        limit: 3,
        remaining: 0,
        inFlight: 0,
      }),
    );
    // The 17 skips cost nothing upstream and say why.
    const skips = records.flatMap((record) =>
      record.attempts.filter((attempt) => attempt.provider === 'limited' && attempt.outcome === 'skipped'),
    );
    expect(skips).toHaveLength(17);
    expect(skips.every((attempt) => attempt.reason.includes('0/3 requests per minute left'))).toBe(true);
  });
});

describe('concurrency limit', () => {
  test('concurrentRequests: 2 admits 2 at once, the rest go to the next entry, and a freed slot is used again', async () => {
    mock.script(limitedModel, [completionReply({ model: limitedModel, delayMs: 300 })]);
    mock.script(backupModel, [completionReply({ model: backupModel })]);
    const chain = openChain({
      provider: { type: 'generic' },
      entry: { rateLimits: { concurrentRequests: 2 } },
    });

    const answers = await burst(chain, 10);

    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect(countBy(answers, (answer) => answer.provider)).toEqual({ limited: 2, backup: 8 });
    expect(mock.requestsFor(limitedModel)).toHaveLength(2);
    expect(await bucketsOf(chain, 'limited')).toContainEqual(
      expect.objectContaining({ kind: 'concurrency', limit: 2, inFlight: 0 }),
    );

    const later = await chat(chain);
    await later.text();
    expect(later.headers.get('x-429chain-provider')).toBe('limited');
    expect(mock.requestsFor(limitedModel)).toHaveLength(3);
  });
});

describe('token estimation', () => {
  test('an entry whose tokensPerMinute is below a long prompt’s estimate is skipped before sending', async () => {
    const chain = openChain({
      provider: { type: 'generic' },
      entry: { rateLimits: { tokensPerMinute: 1_000 } },
    });
    const records = recordRequests(chain);

    const response = await chain.fetch(chatUrl, {
      method: 'POST',
      body: JSON.stringify({ model: 'main', messages: [{ role: 'user', content: 'word '.repeat(2_000) }] }),
    });
    await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get('x-429chain-provider')).toBe('backup');
    expect(mock.requestsFor(limitedModel)).toHaveLength(0);
    expect(records[0]!.attempts[0]).toMatchObject({ provider: 'limited', outcome: 'skipped' });
    expect(records[0]!.attempts[0]!.reason).toContain('tokens per minute');

    // A short prompt fits the same bucket.
    const short = await chat(chain);
    await short.text();
    expect(short.headers.get('x-429chain-provider')).toBe('limited');
  });

  const upFront: Array<[string, boolean]> = [
    ['cerebras', true],
    ['groq', true],
    ['openai', false],
  ];

  test.each(upFront)(
    'max_tokens counts against tokensPerMinute up front for %s: %s (trap 11)',
    async (type, charged) => {
      const chain = openChain({ provider: { type }, entry: { rateLimits: { tokensPerMinute: 1_000 } } });

      const response = await chat(chain, { max_tokens: 4_000 });
      await response.text();

      expect(response.status).toBe(200);
      expect(response.headers.get('x-429chain-provider')).toBe(charged ? 'backup' : 'limited');
      expect(mock.requestsFor(limitedModel)).toHaveLength(charged ? 0 : 1);
      if (!charged) expect(mock.requestsFor(limitedModel)[0]!.body).toMatchObject({ max_tokens: 4_000 });
    },
  );
});

describe('headers missing on a later 429 (trap 10)', () => {
  test('a Cerebras 429 without x-ratelimit headers keeps the last values seen', async () => {
    mock.script(limitedModel, [
      completionReply({
        model: limitedModel,
        headers: {
          'x-ratelimit-limit-requests-day': '14400',
          'x-ratelimit-remaining-requests-day': '100',
          'x-ratelimit-reset-requests-day': '33011.38',
          'x-ratelimit-limit-tokens-minute': '60000',
          'x-ratelimit-remaining-tokens-minute': '59000',
          'x-ratelimit-reset-tokens-minute': '11.38',
        },
      }),
      errorReply(
        429,
        {
          message: 'Requests per minute limit exceeded - too many requests sent.',
          type: 'too_many_requests_error',
          param: 'quota',
          code: 'request_quota_exceeded',
        },
        { 'retry-after': '60' },
      ),
    ]);
    const chain = openChain({ provider: { type: 'cerebras' } });

    const first = await chat(chain);
    await first.text();
    expect(first.headers.get('x-429chain-provider')).toBe('limited');
    const before = await bucketsOf(chain, 'limited');
    const requestsBefore = before.find((bucket) => bucket.kind === 'requests' && bucket.window === 'day');
    const tokensBefore = before.find((bucket) => bucket.kind === 'tokens' && bucket.window === 'minute');
    expect(requestsBefore).toMatchObject({ limit: 14_400, remaining: 100 });
    expect(tokensBefore).toMatchObject({ limit: 60_000, remaining: 59_000 });

    const second = await chat(chain);
    await second.text();
    expect(second.headers.get('x-429chain-provider')).toBe('backup');
    expect(mock.requestsFor(limitedModel)).toHaveLength(2);

    const status = await chain.status();
    const after = status.buckets.filter((bucket) => bucket.provider === 'limited');
    const requestsAfter = after.find((bucket) => bucket.kind === 'requests' && bucket.window === 'day');
    const tokensAfter = after.find((bucket) => bucket.kind === 'tokens' && bucket.window === 'minute');
    // Limits and resets are kept; remaining is at most what was last seen (the 429's request may count).
    expect(requestsAfter).toMatchObject({ limit: 14_400, resetAt: requestsBefore!.resetAt, inFlight: 0 });
    expect([99, 100]).toContain(requestsAfter!.remaining);
    expect(tokensAfter).toMatchObject({ limit: 60_000, resetAt: tokensBefore!.resetAt, inFlight: 0 });
    expect(tokensAfter!.remaining).not.toBeNull();
    expect(tokensAfter!.remaining!).toBeLessThanOrEqual(59_000);
    // The 429 itself cooled the entry down.
    expect(status.entries.find((entry) => entry.provider === 'limited')).toMatchObject({
      state: 'exhausted',
    });
  });
});
