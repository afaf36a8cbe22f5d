/**
 * Queue mode (docs/rate-limits.md, "Release no more than is known"), through `createChain(...).fetch(...)` against
 * a loopback mock provider: a request that finds every entry rate-limited waits for the
 * earliest reset instead of answering 429, within bounds of time and size.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { ChainConfigInput } from '../config/config-schema.ts';
import { type Chain, createChain } from '../create-chain.ts';
import type { ChainEventMap } from '../events/chain-events.ts';
import type { RequestRecord } from '../events/request-record.ts';
import {
  completionReply,
  errorReply,
  type MockProvider,
  type MockReply,
  startMockProvider,
} from '../testing/mock-provider.ts';

const chatUrl = 'http://429chain.local/v1/chat/completions';
const firstModel = 'model-a';
const secondModel = 'model-b';

let mock: MockProvider;
const chains: Chain[] = [];

beforeEach(async () => {
  mock = await startMockProvider();
});

afterEach(async () => {
  await Promise.all(chains.splice(0).map((chain) => chain.close()));
  await mock.close();
});

type Settings = NonNullable<ChainConfigInput['settings']>;
type ProviderInput = ChainConfigInput['providers'][number];

/** A chain `main` of one entry per model, each on its own provider of the given type. */
function openChain(options: { settings: Settings; models?: string[]; type?: string }): Chain {
  const models = options.models ?? [firstModel, secondModel];
  const providers: ProviderInput[] = models.map((model, index) => ({
    id: `provider-${index + 1}`,
    type: options.type ?? 'generic',
    baseUrl: mock.url,
    apiKey: `test-key-${model}-000${index + 1}`,
  }));
  const chain = createChain({
    providers,
    chains: [
      {
        name: 'main',
        entries: models.map((model, index) => ({ provider: `provider-${index + 1}`, model })),
      },
    ],
    settings: { requestTimeoutMs: 2_000, requestBudgetMs: 5_000, ...options.settings },
  });
  chains.push(chain);
  return chain;
}

function chat(chain: Chain, signal?: AbortSignal): Promise<Response> {
  return chain.fetch(chatUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'main', messages: [{ role: 'user', content: 'Hello.' }] }),
    signal,
  });
}

/** A per-minute 429 (OpenAI dialect) that says to come back in `seconds`. */
function rateLimited(seconds: number, headers: Record<string, string> = {}): MockReply {
  return errorReply(
    429,
    {
      error: {
        message: 'Rate limit reached for requests per minute.',
        type: 'requests',
        code: 'rate_limit_exceeded',
      },
    },
    { 'retry-after': String(seconds), ...headers },
  );
}

/** Collects every event of one kind. */
function collect<Name extends keyof ChainEventMap>(chain: Chain, name: Name): ChainEventMap[Name][] {
  const events: ChainEventMap[Name][] = [];
  chain.on(name, (payload) => events.push(payload));
  return events;
}

/** Resolves once the queue holds `size` requests. */
async function queueSize(chain: Chain, size: number): Promise<void> {
  while ((await chain.status()).queue.size !== size) await new Promise((resolve) => setTimeout(resolve, 10));
}

interface Settled {
  done: boolean;
  response: Promise<Response>;
}

/** Tracks whether a request has answered yet. */
function track(response: Promise<Response>): Settled {
  const settled: Settled = { done: false, response };
  response.then(
    () => {
      settled.done = true;
    },
    () => {
      settled.done = true;
    },
  );
  return settled;
}

describe('with queueMode', () => {
  test('a request that finds every entry rate-limited waits for the earliest reset, then succeeds', async () => {
    mock.script(firstModel, [
      rateLimited(1),
      completionReply({ model: firstModel, text: 'after the reset' }),
    ]);
    mock.script(secondModel, [rateLimited(3), completionReply({ model: secondModel })]);
    const chain = openChain({ settings: { queueMode: true, queueMaxWaitMs: 5_000 } });
    const joins = collect(chain, 'queue-join');
    const leaves = collect(chain, 'queue-leave');

    const response = await chat(chain);
    const body = (await response.json()) as { choices: Array<{ message: { content: string } }> };

    expect(response.status).toBe(200);
    expect(response.headers.get('x-429chain-provider')).toBe('provider-1');
    expect(body.choices[0]!.message.content).toBe('after the reset');
    expect(joins).toHaveLength(1);
    expect(leaves.map((leave) => leave.reason)).toEqual(['resumed']);
    // Once each before waiting; after the earliest reset only the entry that reset was asked.
    expect(mock.requestsFor(firstModel)).toHaveLength(2);
    expect(mock.requestsFor(secondModel)).toHaveLength(1);
    expect((await chain.status()).queue.size).toBe(0);
  });

  test('the wait is bounded by queueMaxWaitMs: it ends with an OpenAI-shaped 429 with Retry-After', async () => {
    mock.script(firstModel, [rateLimited(1)]);
    const chain = openChain({ models: [firstModel], settings: { queueMode: true, queueMaxWaitMs: 1_500 } });
    const joins = collect(chain, 'queue-join');

    const response = await chat(chain);
    const body = (await response.json()) as { error: { code: string; type: string; message: string } };

    expect(response.status).toBe(429);
    expect(body.error).toMatchObject({ code: 'rate_limited', type: 'rate_limit_error' });
    expect(body.error.message).toContain('provider-1/model-a');
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(joins).toHaveLength(1);
    // Tried before waiting and once at the reset; the next reset lies past the deadline.
    expect(mock.requestsFor(firstModel)).toHaveLength(2);
    expect((await chain.status()).queue.size).toBe(0);
  });

  test('a wait for a slot that never frees up ends with a 429 once queueMaxWaitMs passes', async () => {
    const chain = createChain({
      providers: [{ id: 'provider-1', type: 'generic', baseUrl: mock.url }],
      chains: [
        {
          name: 'main',
          entries: [{ provider: 'provider-1', model: firstModel, rateLimits: { concurrentRequests: 1 } }],
        },
      ],
      settings: { queueMode: true, queueMaxWaitMs: 300, requestTimeoutMs: 3_000, requestBudgetMs: 5_000 },
    });
    chains.push(chain);
    mock.script(firstModel, [completionReply({ model: firstModel, delayMs: 700 })]);
    const leaves = collect(chain, 'queue-leave');

    const holder = chat(chain);
    while (mock.requestsFor(firstModel).length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const waiter = await chat(chain);
    const body = (await waiter.json()) as { error: { code: string } };

    expect(waiter.status).toBe(429);
    expect(body.error.code).toBe('rate_limited');
    expect(leaves.map((leave) => leave.reason)).toEqual(['timeout']);
    expect(mock.requestsFor(firstModel)).toHaveLength(1);
    expect((await holder).status).toBe(200);
  });

  test('the queue is bounded by queueMaxSize: the extra request gets 429 queue_full at once', async () => {
    // The first answer leaves no request for 1 s (OpenAI-dialect headers).
    mock.script(firstModel, [
      completionReply({
        model: firstModel,
        headers: {
          'x-ratelimit-limit-requests': '1',
          'x-ratelimit-remaining-requests': '0',
          'x-ratelimit-reset-requests': '1s',
        },
      }),
      completionReply({ model: firstModel, text: 'served after the reset' }),
    ]);
    const chain = openChain({
      models: [firstModel],
      settings: { queueMode: true, queueMaxWaitMs: 5_000, queueMaxSize: 1 },
    });
    expect((await chat(chain)).status).toBe(200);

    const queued = track(chat(chain));
    await queueSize(chain, 1);
    const extra = await chat(chain);
    const body = (await extra.json()) as { error: { code: string; type: string } };

    expect(extra.status).toBe(429);
    expect(body.error).toMatchObject({ code: 'queue_full', type: 'rate_limit_error' });
    expect(queued.done).toBe(false);
    expect((await chain.status()).queue.size).toBe(1);
    expect(mock.requestsFor(firstModel)).toHaveLength(1);

    const served = await queued.response;
    expect(served.status).toBe(200);
    expect(
      ((await served.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message
        .content,
    ).toBe('served after the reset');
    expect(mock.requestsFor(firstModel)).toHaveLength(2);
  });

  test('a client that aborts while queued is removed, and no upstream request is made for it', async () => {
    mock.script(firstModel, [
      completionReply({
        model: firstModel,
        headers: {
          'x-ratelimit-limit-requests': '1',
          'x-ratelimit-remaining-requests': '0',
          'x-ratelimit-reset-requests': '300ms',
        },
      }),
    ]);
    const chain = openChain({ models: [firstModel], settings: { queueMode: true, queueMaxWaitMs: 5_000 } });
    expect((await chat(chain)).status).toBe(200);
    const leaves = collect(chain, 'queue-leave');
    const records: RequestRecord[] = [];
    chain.on('request-end', ({ record }) => records.push(record));
    const controller = new AbortController();

    const queued = chat(chain, controller.signal);
    await queueSize(chain, 1);
    controller.abort();

    await expect(queued).rejects.toMatchObject({ name: 'AbortError' });
    expect((await chain.status()).queue.size).toBe(0);
    expect(leaves.map((leave) => leave.reason)).toEqual(['cancelled']);
    expect(records.map((record) => record.outcome)).toEqual(['cancelled']);
    // Past the reset, nothing is sent on its behalf.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(mock.requestsFor(firstModel)).toHaveLength(1);
  });

  test('when two entries recover at once, exactly two of three waiters are served and the third waits for the next reset', async () => {
    // Together's per-second request bucket: one request a second per entry.
    const oneLeft = { 'x-ratelimit-limit': '1', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1' };
    for (const model of [firstModel, secondModel]) {
      mock.script(model, [rateLimited(1, oneLeft), completionReply({ model, headers: oneLeft })]);
    }
    const chain = openChain({ type: 'together', settings: { queueMode: true, queueMaxWaitMs: 5_000 } });
    const joins = collect(chain, 'queue-join');

    const waiters = [track(chat(chain))];
    await queueSize(chain, 1);
    waiters.push(track(chat(chain)));
    await queueSize(chain, 2);
    waiters.push(track(chat(chain)));
    await queueSize(chain, 3);
    // Only the first waiter reached upstream (one 429 per entry); the others were skipped.
    expect(mock.requestsFor(firstModel)).toHaveLength(1);
    expect(mock.requestsFor(secondModel)).toHaveLength(1);

    const [first, second] = await Promise.all([waiters[0]!.response, waiters[1]!.response]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect([first.headers.get('x-429chain-provider'), second.headers.get('x-429chain-provider')]).toEqual([
      'provider-1',
      'provider-2',
    ]);
    expect(waiters[2]!.done).toBe(false);
    // Woken when the second probe's answer arrived, the third found nothing and waits at the head.
    await queueSize(chain, 1);
    expect(waiters[2]!.done).toBe(false);
    expect(mock.requestsFor(firstModel)).toHaveLength(2);
    expect(mock.requestsFor(secondModel)).toHaveLength(2);

    const third = await waiters[2]!.response;
    expect(third.status).toBe(200);
    expect(mock.requests).toHaveLength(5);
    expect(joins).toHaveLength(3);
    expect((await chain.status()).queue.size).toBe(0);
  });
});

describe('without queueMode', () => {
  test('every entry rate-limited answers 429 at once, with Retry-After set to the earliest reset', async () => {
    mock.script(firstModel, [rateLimited(9)]);
    mock.script(secondModel, [rateLimited(5)]);
    const chain = openChain({ settings: {} });
    const joins = collect(chain, 'queue-join');

    const first = await chat(chain);
    const firstBody = (await first.json()) as { error: { code: string; type: string; message: string } };
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('5');
    expect(firstBody.error).toMatchObject({ code: 'rate_limited', type: 'rate_limit_error' });
    expect(firstBody.error.message).toContain('provider-1/model-a');
    expect(firstBody.error.message).toContain('provider-2/model-b');

    // A second request costs nothing upstream: both entries are known to be limited.
    const second = await chat(chain);
    await second.text();
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('5');
    expect(mock.requestsFor(firstModel)).toHaveLength(1);
    expect(mock.requestsFor(secondModel)).toHaveLength(1);
    expect(joins).toHaveLength(0);
  });
});
