import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChainConfigInput } from '../config/config-schema.ts';
import { type Chain, createChain } from '../create-chain.ts';
import type { RequestRecord } from '../events/request-record.ts';
import {
  completionReply,
  errorReply,
  type MockProvider,
  type MockReply,
  type MockRequest,
  startMockProvider,
} from '../testing/mock-provider.ts';

/**
 * Learnt limits through `chain.fetch` (issue 9, items 1–3): every limit a provider states in a
 * 429 (its wording, its body, its headers) or that the engine can count becomes a sliding
 * window; a silent provider's cooldown ends when its window does; a stale snapshot never raises
 * what is left. The providers are loopback mocks speaking each provider's dialect, limited by a
 * window on the test's own clock, which the chain shares.
 */

const start = Date.UTC(2026, 11, 2, 12, 0, 0);
let clock = start;
const now = () => clock;

let mock: MockProvider;
/** How the mock answers each request; set by each test. */
let answer: (request: MockRequest) => MockReply = () => completionReply({});

beforeAll(async () => {
  mock = await startMockProvider({ fallback: (request) => answer(request) });
});
afterAll(() => mock.close());

let chain: Chain | undefined;
afterEach(async () => {
  await chain?.close();
  chain = undefined;
  mock.reset();
  clock = start;
});

/** A limiter on the test's clock: at most `limit` accepted in any `windowMs` (a rolling window). */
function rollingWindow(limit: number, windowMs: number) {
  const accepted: number[] = [];
  return {
    /** Whether a request now fits; it is counted when it does. */
    take(): boolean {
      while (accepted.length > 0 && accepted[0]! <= clock - windowMs) accepted.shift();
      if (accepted.length >= limit) return false;
      accepted.push(clock);
      return true;
    },
    /** When the oldest accepted request leaves the window (ms from now). */
    retryInMs: () => Math.max(0, (accepted[0] ?? clock) + windowMs - clock),
  };
}

function open(options: {
  providers: ChainConfigInput['providers'];
  entries: Array<{ provider: string; model: string }>;
  settings?: NonNullable<ChainConfigInput['settings']>;
}): Chain {
  chain = createChain({
    providers: options.providers.map((provider) => ({
      baseUrl: mock.url,
      apiKey: `key-${provider.id}-0000000000`,
      ...provider,
    })),
    chains: [{ name: 'main', entries: options.entries }],
    settings: { defaultChain: 'main', cooldownDefaultMs: 10_000, ...options.settings },
    now,
  });
  return chain;
}

async function ask(target: Chain): Promise<{ status: number; provider: string | null }> {
  const response = await target.fetch('http://429chain.local/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'main', messages: [{ role: 'user', content: 'Hello' }] }),
  });
  await response.text();
  return { status: response.status, provider: response.headers.get('x-429chain-provider') };
}

function records(target: Chain): RequestRecord[] {
  const list: RequestRecord[] = [];
  target.on('request-end', ({ record }) => list.push(record));
  return list;
}

const backup = { id: 'backup', type: 'generic' };
const backupEntry = { provider: 'backup', model: 'backup-model' };
const answered = (request: MockRequest) => completionReply({ model: request.model });

describe('a limit stated in a 429 becomes a learnt bucket', () => {
  it('a Groq 429 that says "Limit 3" makes the fourth request in that window skip without an upstream call', async () => {
    const window = rollingWindow(3, 10_000);
    let refusals = 0;
    answer = (request) => {
      if (request.model !== 'llama') return answered(request);
      if (window.take()) return answered(request);
      refusals++;
      const seconds = window.retryInMs() / 1000;
      return errorReply(
        429,
        {
          error: {
            message: `Rate limit reached for model \`llama\` in organization \`org_1\` service tier \`on_demand\` on requests per minute (RPM): Limit 3, Used 3, Requested 1. Please try again in ${seconds}s.`,
            type: 'requests',
            code: 'rate_limit_exceeded',
          },
        },
        { 'retry-after': String(Math.ceil(seconds)) },
      );
    };
    const target = open({
      providers: [{ id: 'groq', type: 'groq' }, backup],
      entries: [{ provider: 'groq', model: 'llama' }, backupEntry],
    });
    const log = records(target);
    const upstreamCalls = () => mock.requestsFor('llama').length;

    for (let second = 0; second < 3; second++) {
      clock = start + second * 1_000;
      expect(await ask(target)).toEqual({ status: 200, provider: 'groq' });
    }
    clock = start + 3_000;
    expect(await ask(target)).toEqual({ status: 200, provider: 'backup' });
    expect(upstreamCalls()).toBe(4);

    const learnt = (await target.status()).buckets.find((bucket) => bucket.source === 'learnt');
    expect(learnt).toMatchObject({
      provider: 'groq',
      model: 'llama',
      kind: 'requests',
      limit: 3,
      windowMs: 10_000,
      learnt: { evidence: 'message', named: 'minute' },
    });
    expect(learnt?.learnt?.note).toContain('the 429 message stated 3');

    // The rest of the window: skipped at once, nothing sent.
    for (const at of [4_000, 6_000, 9_999]) {
      clock = start + at;
      expect(await ask(target)).toEqual({ status: 200, provider: 'backup' });
    }
    expect(upstreamCalls()).toBe(4);
    expect(log.at(-1)?.attempts[0]).toMatchObject({ provider: 'groq', outcome: 'skipped' });
    expect(log.at(-1)?.attempts[0]?.reason).toMatch(/^cooldown for 1s: 429 requests per minute/);

    // Then, one request a second for a minute: Groq takes what its window allows and never says 429 again.
    for (let at = 10_000; at < 70_000; at += 1_000) {
      clock = start + at;
      await ask(target);
    }
    expect(refusals).toBe(1);
    // Past the provider's reset, the learnt window is what holds requests back.
    const heldBack = log.filter(
      (record) => record.startedAt >= start + 10_000 && record.provider === 'backup',
    );
    expect(heldBack.length).toBeGreaterThan(0);
    expect(heldBack[0]?.attempts[0]?.reason).toContain('0/3 requests in any 10s left (learnt: message)');
    const groqAnswers = log.filter((record) => record.provider === 'groq').length;
    expect(groqAnswers).toBe(3 + 18);
    expect(mock.requestsFor('llama')).toHaveLength(4 + 18);
  });

  it('a Gemini body’s quotaValue is learnt, and still holds after the daily quota refills', async () => {
    const minute = rollingWindow(2, 6_000);
    let dailyLeft = 3;
    const violation = (quotaId: string, quotaValue: string) => ({
      '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
      violations: [
        {
          quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
          quotaId,
          quotaValue,
        },
      ],
    });
    const exhausted = (quotaId: string, quotaValue: string, retryDelay: string) =>
      errorReply(429, [
        {
          error: {
            code: 429,
            message: 'You exceeded your current quota, please check your plan and billing details.',
            status: 'RESOURCE_EXHAUSTED',
            details: [
              violation(quotaId, quotaValue),
              { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay },
            ],
          },
        },
      ]);
    answer = (request) => {
      if (request.model !== 'flash') return answered(request);
      if (dailyLeft <= 0) return exhausted('GenerateRequestsPerDayPerProjectPerModel-FreeTier', '3', '30s');
      if (!minute.take()) {
        return exhausted(
          'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
          '2',
          `${minute.retryInMs() / 1000}s`,
        );
      }
      dailyLeft--;
      return answered(request);
    };
    const target = open({
      providers: [{ id: 'gemini', type: 'gemini' }, backup],
      entries: [{ provider: 'gemini', model: 'flash' }, backupEntry],
    });
    for (const at of [0, 1_000, 2_000]) {
      clock = start + at;
      await ask(target);
    }
    expect(mock.requestsFor('flash')).toHaveLength(3);
    const learnt = (await target.status()).buckets.find((bucket) => bucket.source === 'learnt');
    expect(learnt).toMatchObject({
      limit: 2,
      windowMs: 6_000,
      learnt: { evidence: 'body', named: 'minute' },
    });

    // The minute window opens again; the third request of the day is the last, then the daily quota answers.
    for (const at of [6_000, 7_000, 13_000]) {
      clock = start + at;
      await ask(target);
    }
    const daily = (await target.status()).buckets.find((bucket) =>
      bucket.id.endsWith('|requests:day:learnt'),
    );
    expect(daily).toMatchObject({ limit: 3, remaining: 0, learnt: { evidence: 'body', named: 'day' } });
    const blocked = (await target.status()).entries.find((entry) => entry.provider === 'gemini');
    expect(blocked).toMatchObject({ state: 'exhausted' });
    // Midnight Pacific, the quota is back: the per-minute limit learnt yesterday holds at once.
    clock = blocked!.until! + 1;
    dailyLeft = 3;
    const callsBefore = mock.requestsFor('flash').length;
    for (let index = 0; index < 4; index++) {
      clock += 500;
      await ask(target);
    }
    expect(mock.requestsFor('flash').length - callsBefore).toBe(2);
    expect(
      mock
        .requestsFor('flash')
        .slice(callsBefore)
        .every((request) => request.model === 'flash'),
    ).toBe(true);
  });

  it('an OpenRouter 429 carrying X-RateLimit-Limit limits the whole key, every model of it', async () => {
    const perMinute = rollingWindow(2, 8_000);
    answer = (request) => {
      if (!String(request.model).includes(':free')) return answered(request);
      if (perMinute.take()) return answered(request);
      const reset = String(clock + perMinute.retryInMs());
      return errorReply(
        429,
        {
          error: {
            code: 429,
            message: 'Rate limit exceeded: free-models-per-min.',
            metadata: {
              headers: { 'X-RateLimit-Limit': '2', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': reset },
            },
          },
        },
        { 'X-RateLimit-Limit': '2', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': reset },
      );
    };
    const target = open({
      providers: [{ id: 'openrouter', type: 'openrouter' }, backup],
      entries: [
        { provider: 'openrouter', model: 'llama:free' },
        { provider: 'openrouter', model: 'qwen:free' },
        backupEntry,
      ],
    });
    for (const at of [0, 1_000, 2_000]) {
      clock = start + at;
      await ask(target);
    }
    const calls = () => mock.requests.filter((request) => String(request.model).includes(':free')).length;
    expect(calls()).toBe(3);
    const learnt = (await target.status()).buckets.find((bucket) => bucket.source === 'learnt');
    expect(learnt).toMatchObject({ limit: 2, model: undefined, learnt: { evidence: 'header' } });
    // Both models of the key wait for the key's window: nothing more is sent to either.
    clock = start + 3_000;
    expect(await ask(target)).toEqual({ status: 200, provider: 'backup' });
    expect(calls()).toBe(3);
  });
});

describe('a provider that says nothing', () => {
  /** NVIDIA's dialect: `{status:429,title:"Too Many Requests"}`, no reset at all. */
  function silentProvider(limit: number, windowMs: number) {
    const window = rollingWindow(limit, windowMs);
    answer = (request) => {
      if (request.model !== 'nim') return answered(request);
      return window.take() ? answered(request) : errorReply(429, { status: 429, title: 'Too Many Requests' });
    };
  }

  it('learns how many requests it accepted before its 429, and its cooldown ends when the window does', async () => {
    silentProvider(3, 10_000);
    const target = open({
      providers: [{ id: 'nvidia', type: 'nvidia' }, backup],
      entries: [{ provider: 'nvidia', model: 'nim' }, backupEntry],
      settings: { cooldownDefaultMs: 10_000 },
    });
    for (const at of [0, 1_000, 2_000, 2_500]) {
      clock = start + at;
      await ask(target);
    }
    const status = await target.status();
    // Counted from the oldest accepted request (0 s), not from the 429 (2.5 s): 10 s, not 12.5 s,
    // plus 2 % for the first request's arrival upstream, which the provider dates its window from.
    expect(status.entries.find((entry) => entry.provider === 'nvidia')).toMatchObject({
      state: 'exhausted',
      until: start + 10_200,
    });
    expect(status.buckets.find((bucket) => bucket.source === 'learnt')).toMatchObject({
      limit: 3,
      windowMs: 10_200,
      learnt: { evidence: 'count', note: expect.stringContaining('+200ms for arrival') },
    });
    clock = start + 10_000;
    expect(await ask(target)).toEqual({ status: 200, provider: 'backup' });
    clock = start + 10_200;
    expect(await ask(target)).toEqual({ status: 200, provider: 'nvidia' });
    expect(mock.requestsFor('nim')).toHaveLength(5);
  });

  it('drops a learnt limit that the provider contradicts by answering beyond it', async () => {
    let calls = 0;
    answer = (request) => {
      if (request.model !== 'nim') return answered(request);
      calls++;
      // The third request is refused at once, stating a limit of 1; the two before it were accepted.
      if (calls === 3)
        return errorReply(
          429,
          { error: { message: 'Limit 1, Used 1, Requested 1.' } },
          { 'retry-after': '5' },
        );
      return completionReply({ model: 'nim', delayMs: 150 });
    };
    const target = open({
      providers: [{ id: 'nvidia', type: 'nvidia' }, backup],
      entries: [{ provider: 'nvidia', model: 'nim' }, backupEntry],
    });
    const results = await Promise.all([ask(target), ask(target), ask(target)]);
    expect(results.map((result) => result.provider).sort()).toEqual(['backup', 'nvidia', 'nvidia']);
    const learnt = (await target.status()).buckets.find((bucket) => bucket.source === 'learnt');
    expect(learnt?.limit ?? null).toBeNull();
    expect(learnt?.learnt).toBeUndefined();
  });
});

describe('observations are monotonic within a window', () => {
  it('five answers arriving in reverse upstream order leave the remaining count at its minimum', async () => {
    const reset = '10m0s';
    const groqHeaders = (remaining: number) => ({
      'x-ratelimit-limit-requests': '5',
      'x-ratelimit-remaining-requests': String(remaining),
      'x-ratelimit-reset-requests': reset,
    });
    // Upstream takes them in order and says 4, 3, 2, 1, 0 left; the answers come back last first.
    mock.script(
      'llama',
      [4, 3, 2, 1, 0].map((remaining, index) =>
        completionReply({ model: 'llama', headers: groqHeaders(remaining), delayMs: 500 - index * 100 }),
      ),
    );
    const target = open({
      providers: [{ id: 'groq', type: 'groq' }, backup],
      entries: [{ provider: 'groq', model: 'llama' }, backupEntry],
    });
    const answers = await Promise.all(Array.from({ length: 5 }, () => ask(target)));
    expect(answers.every((result) => result.provider === 'groq')).toBe(true);
    const bucket = (await target.status()).buckets.find((found) => found.id.endsWith('|requests:day:header'));
    expect(bucket).toMatchObject({ limit: 5, remaining: 0 });
    expect(await ask(target)).toEqual({ status: 200, provider: 'backup' });
    expect(mock.requestsFor('llama')).toHaveLength(5);
  });
});
