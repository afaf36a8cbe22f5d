/**
 * docs/rate-limits.md (What each failure does), row by row: what each upstream outcome does,
 * proved through `chain.fetch` against real loopback providers, asserting what the client
 * got and what the upstream saw.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ChainConfigInput } from '../config/config-schema.ts';
import { type Chain, type CreateChainOptions, createChain } from '../create-chain.ts';
import type { RequestRecord } from '../events/request-record.ts';
import {
  completionReply,
  errorReply,
  type MockProvider,
  type MockReply,
  startMockProvider,
  streamReply,
} from '../testing/mock-provider.ts';

let mock: MockProvider;
let chain: Chain | undefined;

beforeAll(async () => {
  mock = await startMockProvider();
});
afterEach(async () => {
  await chain?.close();
  chain = undefined;
  mock.reset();
});
afterAll(async () => {
  await mock.close();
});

interface EntrySpec {
  model: string;
  type?: string;
  keys?: string[];
  capabilities?: Record<string, unknown>;
}

/** A chain named `main` whose entries each live on their own provider pointed at the mock. */
function build(
  entries: EntrySpec[],
  options: Partial<CreateChainOptions> & { settings?: ChainConfigInput['settings'] } = {},
) {
  const providers = entries.map((entry, index) => ({
    id: `p${index}`,
    type: entry.type ?? 'generic',
    baseUrl: mock.url,
    apiKeys: entry.keys ?? [`sk-test-key-number-${index}`],
  }));
  chain = createChain({
    ...options,
    providers,
    chains: [
      {
        name: 'main',
        entries: entries.map((entry, index) => ({
          provider: `p${index}`,
          model: entry.model,
          capabilities: entry.capabilities,
        })),
      },
    ],
    settings: { requestTimeoutMs: 2_000, firstTokenTimeoutMs: 1_000, ...options.settings },
  });
  return chain;
}

function ask(target: Chain, body: Record<string, unknown> = {}, init: RequestInit = {}) {
  return target.fetch('http://429chain.local/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'main', messages: [{ role: 'user', content: 'Say hello.' }], ...body }),
    ...init,
  });
}

/** The parts of an OpenAI answer or error these tests read. */
interface AnswerBody {
  model: string;
  choices: Array<{ message: { content: string } }>;
  error: {
    message: string;
    type: string;
    code: string;
    param: string | null;
    attempts: Array<Record<string, unknown>>;
  };
}

async function readBody(response: Response): Promise<AnswerBody> {
  return (await response.json()) as AnswerBody;
}

function records(target: Chain): RequestRecord[] {
  const list: RequestRecord[] = [];
  target.on('request-end', ({ record }) => list.push(record));
  return list;
}

async function entryState(target: Chain, model: string) {
  const status = await target.status();
  return status.entries.find((entry) => entry.model === model);
}

const rateLimited = (headers: Record<string, string> = {}, body: unknown = undefined): MockReply =>
  errorReply(
    429,
    body ?? {
      error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' },
    },
    headers,
  );

describe('2xx answers', () => {
  it('answers a 2xx JSON body and records the quota its headers give', async () => {
    mock.script('gpt-a', [
      completionReply({
        model: 'gpt-a',
        text: 'hi',
        headers: {
          'x-ratelimit-limit-requests': '500',
          'x-ratelimit-remaining-requests': '499',
          'x-ratelimit-reset-requests': '120ms',
          'x-ratelimit-limit-tokens': '30000',
          'x-ratelimit-remaining-tokens': '29950',
          'x-ratelimit-reset-tokens': '6m0s',
        },
      }),
    ]);
    const target = build([{ model: 'gpt-a', type: 'openai' }]);
    const response = await ask(target);
    expect(response.status).toBe(200);
    const body = await readBody(response);
    expect(body.choices[0]!.message.content).toBe('hi');
    expect(body.model).toBe('gpt-a');
    expect(response.headers.get('x-429chain-provider')).toBe('p0');
    expect(response.headers.get('x-429chain-model')).toBe('gpt-a');

    const status = await target.status();
    const requests = status.buckets.find((bucket) => bucket.kind === 'requests');
    const tokens = status.buckets.find((bucket) => bucket.kind === 'tokens');
    expect(requests).toMatchObject({
      limit: 500,
      remaining: 499,
      window: 'minute',
      source: 'header',
      inFlight: 0,
    });
    expect(tokens).toMatchObject({ limit: 30_000, window: 'minute', source: 'header' });
    expect(tokens!.remaining).toBe(29_950);
    expect((await entryState(target, 'gpt-a'))?.state).toBe('tracking');
  });

  it('commits a 2xx stream on its first content and records the quota its headers give', async () => {
    mock.script('gpt-a', [
      streamReply({
        model: 'gpt-a',
        tokens: ['Hel', 'lo'],
        headers: { 'x-ratelimit-limit-requests': '60', 'x-ratelimit-remaining-requests': '41' },
      }),
    ]);
    const target = build([{ model: 'gpt-a', type: 'openai' }]);
    const response = await ask(target, { stream: true });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const text = await response.text();
    expect(text).toContain('"Hel"');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const bucket = (await target.status()).buckets.find((found) => found.kind === 'requests');
    expect(bucket).toMatchObject({ remaining: 41, limit: 60 });
  });
});

describe('429 per-minute limits', () => {
  const now = () => Date.now();
  const formats: Array<[string, () => MockReply, number]> = [
    ['Retry-After seconds', () => rateLimited({ 'retry-after': '30' }), 30_000],
    [
      'Retry-After as an HTTP date',
      () => rateLimited({ 'retry-after': new Date(now() + 45_000).toUTCString() }),
      45_000,
    ],
    ['retry-after-ms', () => rateLimited({ 'retry-after-ms': '12500' }), 12_500],
    [
      'X-RateLimit-Reset epoch milliseconds',
      () =>
        rateLimited({}, { error: { code: 429, message: 'Rate limit exceeded: limit_rpm/meta-llama/free' } }),
      60_000,
    ],
    [
      '"try again in 5.2s" in the message',
      () =>
        rateLimited(
          {},
          {
            error: {
              message:
                'Rate limit reached for model `llama` on requests per minute (RPM): Limit 30, Used 30, Requested 1. Please try again in 5.2s.',
              type: 'requests',
              code: 'rate_limit_exceeded',
            },
          },
        ),
      5_200,
    ],
  ];

  it.each(formats)(
    'fails over at once on a 429 and cools the entry until the reset (%s)',
    async (_name, reply, expectedMs) => {
      mock.script('first', [reply()]);
      mock.script('second', [completionReply({ model: 'second' })]);
      const target = build([{ model: 'first' }, { model: 'second' }], {
        settings: { cooldownDefaultMs: 60_000 },
      });
      const before = Date.now();
      const response = await ask(target);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-429chain-model')).toBe('second');
      expect(response.headers.get('x-429chain-trail')).toBe('p0/first=429, p1/second=200');
      const state = await entryState(target, 'first');
      expect(state?.state).toBe('exhausted');
      expect(state!.until! - before).toBeGreaterThanOrEqual(expectedMs - 1_000);
      expect(state!.until! - before).toBeLessThanOrEqual(expectedMs + 2_000);

      // The next request skips the cooled entry without calling it.
      const again = await ask(target);
      expect(again.status).toBe(200);
      expect(mock.requestsFor('first')).toHaveLength(1);
      expect(mock.requestsFor('second')).toHaveLength(2);
      expect(again.headers.get('x-429chain-trail')).toBe('p0/first=skip(cooldown), p1/second=200');
    },
  );

  it('reads the reset from a Gemini RetryInfo body', async () => {
    mock.script('gemini-flash', [
      errorReply(429, [
        {
          error: {
            code: 429,
            message: 'You exceeded your current quota.',
            status: 'RESOURCE_EXHAUSTED',
            details: [
              {
                '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
                violations: [
                  {
                    quotaMetric: 'generate_content_free_tier_requests',
                    quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
                  },
                ],
              },
              { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '26s' },
            ],
          },
        },
      ]),
    ]);
    mock.script('second', [completionReply({ model: 'second' })]);
    const target = build([{ model: 'gemini-flash', type: 'gemini' }, { model: 'second' }]);
    const before = Date.now();
    expect((await ask(target)).status).toBe(200);
    const state = await entryState(target, 'gemini-flash');
    expect(state?.state).toBe('exhausted');
    expect(state!.until! - before).toBeGreaterThanOrEqual(25_000);
    expect(state!.until! - before).toBeLessThanOrEqual(28_000);
  });

  it('reads the reset from OpenRouter X-RateLimit-Reset (epoch ms)', async () => {
    const resetAt = Date.now() + 40_000;
    mock.script('meta-llama/llama-3.3-70b-instruct:free', [
      rateLimited(
        { 'x-ratelimit-limit': '20', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(resetAt) },
        { error: { code: 429, message: 'Rate limit exceeded: limit_rpm/meta-llama/llama-3.3-70b-instruct' } },
      ),
    ]);
    mock.script('second', [completionReply({ model: 'second' })]);
    const target = build([
      { model: 'meta-llama/llama-3.3-70b-instruct:free', type: 'openrouter' },
      { model: 'second' },
    ]);
    expect((await ask(target)).status).toBe(200);
    const state = await entryState(target, 'meta-llama/llama-3.3-70b-instruct:free');
    expect(state?.state).toBe('exhausted');
    expect(Math.abs(state!.until! - resetAt)).toBeLessThan(1_000);
  });

  it('uses the default cooldown when a 429 gives no reset', async () => {
    mock.script('first', [rateLimited()]);
    const target = build([{ model: 'first' }, { model: 'second' }], {
      settings: { cooldownDefaultMs: 90_000 },
    });
    const before = Date.now();
    await ask(target);
    const state = await entryState(target, 'first');
    expect(state!.until! - before).toBeGreaterThanOrEqual(90_000);
    expect(state!.until! - before).toBeLessThan(92_000);
  });

  it('with retryWaitMs, waits out a near reset once on the same entry instead of failing over', async () => {
    mock.script('first', [
      rateLimited({ 'retry-after': '1' }),
      completionReply({ model: 'first', text: 'waited' }),
    ]);
    const target = build([{ model: 'first' }, { model: 'paid' }], { settings: { retryWaitMs: 2_000 } });
    const response = await ask(target);
    expect(response.status).toBe(200);
    expect((await readBody(response)).choices[0]!.message.content).toBe('waited');
    expect(mock.requestsFor('first')).toHaveLength(2);
    expect(mock.requestsFor('paid')).toHaveLength(0);
  });

  it('without retryWaitMs (the default), never waits: the next entry answers', async () => {
    mock.script('first', [rateLimited({ 'retry-after': '1' })]);
    const target = build([{ model: 'first' }, { model: 'paid' }]);
    const response = await ask(target);
    expect(response.headers.get('x-429chain-model')).toBe('paid');
    expect(mock.requestsFor('first')).toHaveLength(1);
  });

  it('tries the next key of the same entry before the next entry', async () => {
    mock.script('shared', [
      rateLimited({ 'retry-after': '30' }),
      completionReply({ model: 'shared', text: 'second key' }),
    ]);
    const target = build([
      { model: 'shared', keys: ['sk-first-key-aaaa', 'sk-second-key-bbbb'] },
      { model: 'other' },
    ]);
    const response = await ask(target);
    expect((await readBody(response)).choices[0]!.message.content).toBe('second key');
    const keysSeen = mock.requestsFor('shared').map((request) => request.headers.authorization);
    expect(new Set(keysSeen)).toEqual(new Set(['Bearer sk-first-key-aaaa', 'Bearer sk-second-key-bbbb']));
    expect(mock.requestsFor('other')).toHaveLength(0);
    const states = (await target.status()).entries
      .filter((entry) => entry.model === 'shared')
      .map((entry) => entry.state);
    expect(states.sort()).toEqual(['available', 'exhausted']);
  });
});

describe('429 daily and monthly quotas', () => {
  it('fails over and keeps the entry exhausted until the daily reset, hours away', async () => {
    mock.script('llama-3.1-8b-instant', [
      rateLimited(
        { 'retry-after': '2' },
        {
          error: {
            message:
              'Rate limit reached for model `llama-3.1-8b-instant` on tokens per day (TPD): Limit 500000, Used 499990, Requested 40. Please try again in 2s.',
            type: 'tokens',
            code: 'rate_limit_exceeded',
          },
        },
      ),
    ]);
    const target = build([{ model: 'llama-3.1-8b-instant', type: 'groq' }, { model: 'second' }]);
    const response = await ask(target);
    expect(response.headers.get('x-429chain-model')).toBe('second');
    const state = await entryState(target, 'llama-3.1-8b-instant');
    expect(state?.state).toBe('exhausted');
    expect(state?.reason).toMatch(/day/i);
  });

  it('parks a Gemini PerDay quota until midnight Pacific', async () => {
    mock.script('gemini-2.5-pro', [
      errorReply(429, {
        error: {
          code: 429,
          message: 'You exceeded your current quota.',
          status: 'RESOURCE_EXHAUSTED',
          details: [
            {
              '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
              violations: [{ quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier' }],
            },
            { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '12s' },
          ],
        },
      }),
    ]);
    const target = build([{ model: 'gemini-2.5-pro', type: 'gemini' }, { model: 'second' }]);
    const before = Date.now();
    await ask(target);
    const state = await entryState(target, 'gemini-2.5-pro');
    expect(state?.state).toBe('exhausted');
    const pacificClock = new Intl.DateTimeFormat('en-US', {
      timeZone: 'America/Los_Angeles',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).format(new Date(state!.until!));
    expect(pacificClock).toBe('00:00');
    expect(state!.until! - before).toBeGreaterThan(60_000);
  });
});

describe('no credit', () => {
  it.each([
    [
      '429 insufficient_quota',
      errorReply(429, {
        error: {
          message: 'You exceeded your current quota, please check your plan and billing details.',
          type: 'insufficient_quota',
          code: 'insufficient_quota',
        },
      }),
    ],
    ['402', errorReply(402, { error: { message: 'Insufficient credits', code: 402 } })],
  ])('parks the key on %s and fails over', async (_name, reply) => {
    mock.script('first', [reply]);
    const target = build([{ model: 'first' }, { model: 'second' }]);
    const response = await ask(target);
    expect(response.headers.get('x-429chain-model')).toBe('second');
    expect((await entryState(target, 'first'))?.state).toBe('parked');
  });
});

describe('requests too large', () => {
  it.each([
    [
      '413',
      errorReply(413, { error: { message: 'Request Entity Too Large', code: 'tokens_limit_reached' } }),
    ],
    [
      '429 "request too large"',
      errorReply(429, {
        error: {
          message: 'Request too large for model on tokens per minute (TPM): Limit 6000, Requested 9000.',
          type: 'tokens',
          code: 'rate_limit_exceeded',
        },
      }),
    ],
  ])('fails over on %s without changing the entry’s state', async (_name, reply) => {
    mock.script('small', [reply, completionReply({ model: 'small' })]);
    const target = build([{ model: 'small' }, { model: 'big' }]);
    const response = await ask(target);
    expect(response.headers.get('x-429chain-model')).toBe('big');
    expect((await entryState(target, 'small'))?.state).toBe('available');
    // A smaller request still goes to the entry.
    const next = await ask(target);
    expect(next.headers.get('x-429chain-model')).toBe('small');
  });
});

describe('context length', () => {
  it('moves to an entry with a larger window and never back to the one that overflowed', async () => {
    const overflow = errorReply(400, {
      error: {
        message:
          "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.",
        type: 'invalid_request_error',
        code: 'context_length_exceeded',
        param: 'messages',
      },
    });
    mock.script('eight-k', [overflow]);
    const target = build([
      {
        model: 'eight-k',
        keys: ['sk-key-one-1111', 'sk-key-two-2222'],
        capabilities: { contextWindow: 8_192 },
      },
      { model: 'four-k', capabilities: { contextWindow: 4_096 } },
      { model: 'unknown-window' },
      { model: 'thirty-two-k', capabilities: { contextWindow: 32_768 } },
    ]);
    mock.script('unknown-window', [overflow]);
    const response = await ask(target, { messages: [{ role: 'user', content: 'x'.repeat(400) }] });
    expect(response.headers.get('x-429chain-model')).toBe('thirty-two-k');
    expect(mock.requestsFor('eight-k')).toHaveLength(1);
    expect(mock.requestsFor('four-k')).toHaveLength(0);
    expect(mock.requestsFor('unknown-window')).toHaveLength(1);
    expect((await entryState(target, 'eight-k'))?.state).toBe('available');
  });

  it('skips an entry whose known window cannot hold the prompt, without sending it', async () => {
    const target = build([
      { model: 'tiny', capabilities: { contextWindow: 100 } },
      { model: 'roomy', capabilities: { contextWindow: 100_000 } },
    ]);
    const response = await ask(target, { messages: [{ role: 'user', content: 'word '.repeat(200) }] });
    expect(response.headers.get('x-429chain-model')).toBe('roomy');
    expect(mock.requestsFor('tiny')).toHaveLength(0);
  });
});

describe('other client errors', () => {
  it('returns a content-policy 400 to the client as is, without failover', async () => {
    mock.script('strict', [
      errorReply(400, {
        error: {
          message: 'Your request was rejected as a result of our safety system.',
          type: 'invalid_request_error',
          code: 'content_policy_violation',
          param: null,
        },
      }),
    ]);
    const target = build([{ model: 'strict' }, { model: 'lenient' }]);
    const response = await ask(target);
    expect(response.status).toBe(400);
    const body = await readBody(response);
    expect(body.error).toMatchObject({
      message: 'Your request was rejected as a result of our safety system.',
      type: 'invalid_request_error',
      code: 'content_policy_violation',
    });
    expect(mock.requestsFor('lenient')).toHaveLength(0);
    expect((await entryState(target, 'strict'))?.state).toBe('available');
  });

  it('returns a 422 validation error as is', async () => {
    mock.script('strict', [
      errorReply(422, {
        object: 'error',
        message: 'temperature must be <= 1.5',
        type: 'invalid_request_error',
        code: '3051',
      }),
    ]);
    const target = build([{ model: 'strict', type: 'mistral' }, { model: 'lenient' }]);
    const response = await ask(target, { temperature: 3 });
    expect(response.status).toBe(422);
    expect((await readBody(response)).error.message).toBe('temperature must be <= 1.5');
    expect(mock.requestsFor('lenient')).toHaveLength(0);
  });
});

describe('secrets', () => {
  it('never lets a provider key echoed in an error body reach the client, the trail or the events', async () => {
    const key = 'sk-live-echoed-secret-0123456789';
    mock.script('echo', [
      errorReply(400, {
        error: { message: `Invalid request for key ${key}: temperature too high`, code: 'bad_value' },
      }),
    ]);
    const target = build([{ model: 'echo', keys: [key] }]);
    const log = records(target);
    const seen: string[] = [];
    target.on('attempt-end', (event) => seen.push(JSON.stringify(event)));
    const response = await ask(target);
    const text = await response.text();
    expect(response.status).toBe(400);
    expect(text).toContain('[redacted]');
    expect(text).not.toContain(key);
    expect(JSON.stringify(log)).not.toContain(key);
    expect(seen.join('')).not.toContain(key);
  });
});

describe('authentication', () => {
  it.each([401, 403])('fails over on %i and marks the key invalid until the key changes', async (status) => {
    mock.script('guarded', [
      errorReply(status, { error: { message: 'Invalid API key', code: 'invalid_api_key' } }),
    ]);
    const target = build([{ model: 'guarded' }, { model: 'open' }]);
    expect((await ask(target)).headers.get('x-429chain-model')).toBe('open');
    expect((await entryState(target, 'guarded'))?.state).toBe('parked');
    expect((await ask(target)).headers.get('x-429chain-trail')).toMatch(/^p0\/guarded=skip\(parked\)/);
    expect(mock.requestsFor('guarded')).toHaveLength(1);

    // A new key is a new scope: usable at once.
    mock.script('guarded', [completionReply({ model: 'guarded' })]);
    const config = target.config();
    target.update({
      ...config,
      providers: config.providers.map((provider) =>
        provider.id === 'p0' ? { ...provider, apiKeys: ['sk-a-brand-new-key-9999'] } : provider,
      ),
    });
    expect((await entryState(target, 'guarded'))?.state).toBe('available');
    expect((await ask(target)).headers.get('x-429chain-model')).toBe('guarded');
  });
});

describe('model not found', () => {
  it('fails over on 404 and marks the entry broken', async () => {
    mock.script('gone', [
      errorReply(404, { error: { message: 'The model `gone` does not exist', code: 'model_not_found' } }),
    ]);
    const target = build([{ model: 'gone' }, { model: 'here' }]);
    expect((await ask(target)).headers.get('x-429chain-model')).toBe('here');
    expect((await entryState(target, 'gone'))?.state).toBe('broken');
    await ask(target);
    expect(mock.requestsFor('gone')).toHaveLength(1);
  });
});

describe('server faults', () => {
  it.each([500, 502, 503, 529])('retries a %i once on the same entry, then fails over', async (status) => {
    mock.script('flaky', [errorReply(status, { error: { message: 'upstream fault' } })]);
    const target = build([{ model: 'flaky' }, { model: 'steady' }]);
    const log = records(target);
    const response = await ask(target);
    expect(response.headers.get('x-429chain-model')).toBe('steady');
    expect(mock.requestsFor('flaky')).toHaveLength(2);
    expect(log[0]!.attempts[0]).toMatchObject({ outcome: 'failed', status, retries: 1 });
  });

  it('succeeds on the retry when the fault was transient', async () => {
    mock.script('flaky', [
      errorReply(503, { error: { message: 'busy' } }),
      completionReply({ model: 'flaky', text: 'second try' }),
    ]);
    const target = build([{ model: 'flaky' }, { model: 'steady' }]);
    const response = await ask(target);
    expect((await readBody(response)).choices[0]!.message.content).toBe('second try');
    expect(mock.requestsFor('steady')).toHaveLength(0);
  });

  it('honours Retry-After on a 503 when it fits the budget', async () => {
    mock.script('flaky', [
      errorReply(503, { error: { message: 'busy' } }, { 'retry-after': '1' }),
      completionReply({ model: 'flaky', text: 'after the pause' }),
    ]);
    const target = build([{ model: 'flaky' }]);
    const response = await ask(target);
    expect((await readBody(response)).choices[0]!.message.content).toBe('after the pause');
    const [first, second] = mock.requestsFor('flaky');
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
  });

  it('fails over at once when a 503 asks for a wait beyond the request budget', async () => {
    mock.script('flaky', [errorReply(503, { error: { message: 'maintenance' } }, { 'retry-after': '3600' })]);
    const target = build([{ model: 'flaky' }, { model: 'steady' }]);
    const log = records(target);
    const response = await ask(target);
    expect(response.headers.get('x-429chain-model')).toBe('steady');
    expect(mock.requestsFor('flaky')).toHaveLength(1);
    expect(log[0]!.attempts[0]).toMatchObject({ outcome: 'failed', status: 503 });
    expect(log[0]!.attempts[0]!.retries).toBeUndefined();
  });

  it('retries a connection reset before headers once, then fails over', async () => {
    mock.script('dropping', [{ type: 'reset' }]);
    const target = build([{ model: 'dropping' }, { model: 'steady' }]);
    const log = records(target);
    const response = await ask(target);
    expect(response.headers.get('x-429chain-model')).toBe('steady');
    expect(mock.requestsFor('dropping')).toHaveLength(2);
    expect(log[0]!.attempts[0]!.reason).toMatch(/connection/);
  });

  it('opens the circuit after consecutive failures, then lets one probe through and closes it on success', async () => {
    mock.script('flaky', [errorReply(500, { error: { message: 'down' } })]);
    const target = build([{ model: 'flaky' }, { model: 'steady' }], {
      // Open for exactly 1 s (the jittered minimum is capped): long enough that a busy machine
      // cannot let it lapse between the asks below.
      settings: {
        circuitFailureThreshold: 2,
        circuitMinOpenMs: 1_250,
        circuitMaxOpenMs: 1_000,
        backgroundProbes: 'off',
      },
    });
    await ask(target);
    await ask(target);
    expect((await entryState(target, 'flaky'))?.state).toBe('broken');
    const callsWhenOpen = mock.requestsFor('flaky').length;
    await ask(target);
    expect(mock.requestsFor('flaky')).toHaveLength(callsWhenOpen);

    await new Promise((resolve) => setTimeout(resolve, 1_050));
    mock.script('flaky', [completionReply({ model: 'flaky', text: 'back' })]);
    const [probe, concurrent] = await Promise.all([ask(target), ask(target)]);
    const answeredBy = [
      probe.headers.get('x-429chain-model'),
      concurrent.headers.get('x-429chain-model'),
    ].sort();
    expect(answeredBy).toEqual(['flaky', 'steady']);
    expect((await entryState(target, 'flaky'))?.state).not.toBe('broken');
    expect((await ask(target)).headers.get('x-429chain-model')).toBe('flaky');
  });
});

describe('silence', () => {
  it('fails over when no headers come within the request timeout, without retrying, and cools the entry briefly', async () => {
    mock.script('silent', [{ type: 'silent' }]);
    const target = build([{ model: 'silent' }, { model: 'steady' }], {
      settings: { requestTimeoutMs: 300, timeoutCooldownMs: 5_000 },
    });
    const before = Date.now();
    const response = await ask(target);
    expect(response.headers.get('x-429chain-model')).toBe('steady');
    expect(mock.requestsFor('silent')).toHaveLength(1);
    const state = await entryState(target, 'silent');
    expect(state?.state).toBe('exhausted');
    expect(state!.until! - before).toBeLessThan(6_000);
    await mock.requestsFor('silent')[0]!.socketClosed;
  });

  it('fails over when a stream sends headers but no first token in time', async () => {
    mock.script('mute', [{ type: 'stream', pieces: [': keep-alive\n\n'], after: 'hang' }]);
    const target = build([{ model: 'mute' }, { model: 'steady' }], {
      settings: { firstTokenTimeoutMs: 300 },
    });
    const response = await ask(target, { stream: true });
    expect(response.headers.get('x-429chain-model')).toBe('steady');
    expect(await response.text()).toContain('[DONE]');
    expect((await entryState(target, 'mute'))?.state).toBe('exhausted');
  });
});

describe('the client goes away', () => {
  it('aborts the upstream request at once, with no failover and no cooldown', async () => {
    mock.script('slow', [{ type: 'silent' }]);
    const target = build([{ model: 'slow' }, { model: 'steady' }]);
    const log = records(target);
    const controller = new AbortController();
    const pending = ask(target, {}, { signal: controller.signal });
    await vi.waitFor(() => expect(mock.requestsFor('slow')).toHaveLength(1));
    controller.abort();
    await expect(pending).rejects.toThrow();
    await mock.requestsFor('slow')[0]!.socketClosed;
    expect(mock.requestsFor('steady')).toHaveLength(0);
    expect((await entryState(target, 'slow'))?.state).toBe('available');
    expect(log[0]).toMatchObject({ outcome: 'cancelled' });
    expect(log[0]!.attempts[0]!.outcome).toBe('cancelled');
  });
});

describe('when nothing can serve', () => {
  it('answers 429 with Retry-After set to the earliest reset when every entry is rate-limited', async () => {
    mock.script('first', [rateLimited({ 'retry-after': '40' })]);
    mock.script('second', [rateLimited({ 'retry-after': '20' })]);
    const target = build([{ model: 'first' }, { model: 'second' }]);
    const response = await ask(target);
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(19);
    expect(Number(response.headers.get('retry-after'))).toBeLessThanOrEqual(21);
    const body = await readBody(response);
    expect(body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limited', param: null });
    expect(body.error.attempts).toHaveLength(2);
    expect(body.error.attempts[0]).toMatchObject({
      provider: 'p0',
      model: 'first',
      outcome: 'failed',
      status: 429,
    });
  });

  it('answers 502 listing each attempt when entries failed for other reasons', async () => {
    mock.script('first', [errorReply(500, { error: { message: 'down' } })]);
    mock.script('second', [rateLimited({ 'retry-after': '20' })]);
    const target = build([{ model: 'first' }, { model: 'second' }]);
    const response = await ask(target);
    expect(response.status).toBe(502);
    const body = await readBody(response);
    expect(body.error.code).toBe('chain_exhausted');
    expect(body.error.attempts.map((attempt) => attempt.model)).toEqual(['first', 'second']);
    expect(body.error.message).toContain('first');
  });

  it('answers 503 when every entry is unusable without trying one', async () => {
    const target = build([{ model: 'vision-only', capabilities: { tools: false } }]);
    const response = await ask(target, {
      tools: [{ type: 'function', function: { name: 'lookup', parameters: {} } }],
    });
    expect(response.status).toBe(503);
    expect(mock.requests).toHaveLength(0);
  });
});

describe('capabilities and selection', () => {
  it('skips entries that cannot serve tools, images or JSON mode', async () => {
    const target = build([
      { model: 'no-tools', capabilities: { tools: false } },
      { model: 'no-vision', capabilities: { vision: false } },
      { model: 'no-json', capabilities: { jsonMode: false } },
      { model: 'all' },
    ]);
    const tools = await ask(target, {
      tools: [{ type: 'function', function: { name: 'f', parameters: {} } }],
    });
    expect(tools.headers.get('x-429chain-model')).toBe('no-vision');
    const image = await ask(target, {
      messages: [
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AA==' } }] },
      ],
    });
    expect(image.headers.get('x-429chain-model')).toBe('no-tools');
    const json = await ask(target, {
      response_format: { type: 'json_object' },
      tools: [{ type: 'function', function: { name: 'f', parameters: {} } }],
    });
    expect(json.headers.get('x-429chain-model')).toBe('no-vision');
    expect(mock.requestsFor('no-tools').every((request) => request.body?.tools === undefined)).toBe(true);
  });

  it('addresses one entry directly as provider/model, and sends the entry’s model upstream', async () => {
    const target = build([{ model: 'first' }, { model: 'vendor/second:free' }]);
    const response = await ask(target, { model: 'p1/vendor/second:free' });
    expect(response.headers.get('x-429chain-chain')).toBe('p1/vendor/second:free');
    expect(mock.requests.map((request) => request.model)).toEqual(['vendor/second:free']);
  });

  it('routes an unknown model name to the default chain', async () => {
    const target = build([{ model: 'first' }], { settings: { defaultChain: 'main' } });
    const response = await ask(target, { model: 'gpt-4o' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-429chain-chain')).toBe('main');
    expect(mock.requests[0]!.model).toBe('first');
  });
});
