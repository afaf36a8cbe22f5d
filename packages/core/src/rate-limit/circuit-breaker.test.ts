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
  streamReply,
} from '../testing/mock-provider.ts';

/**
 * A breaker that comes back (issue 9, item 5): an entry's circuit stays open for a quarter of
 * the outage's age so far (at least 2 s, ±20 %, at most 60 s); a probe is never retried and gets
 * a short first-token limit; with no traffic, a background `GET /models` can close it.
 */

const start = Date.UTC(2026, 11, 2, 12, 0, 0);
let clock = start;

let mock: MockProvider;
let answer: (request: MockRequest) => MockReply = (request) => completionReply({ model: request.model });

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
  answer = (request) => completionReply({ model: request.model });
});

function open(
  settings: NonNullable<ChainConfigInput['settings']>,
  options: { fakeClock?: boolean } = {},
): Chain {
  chain = createChain({
    providers: [
      { id: 'primary', type: 'generic', apiKey: 'key-primary-000000', baseUrl: mock.url },
      { id: 'backup', type: 'generic', apiKey: 'key-backup-0000000', baseUrl: mock.url },
    ],
    chains: [
      {
        name: 'main',
        entries: [
          { provider: 'primary', model: 'primary-model' },
          { provider: 'backup', model: 'backup-model' },
        ],
      },
    ],
    settings: { defaultChain: 'main', circuitFailureThreshold: 3, ...settings },
    now: options.fakeClock === false ? undefined : () => clock,
  });
  return chain;
}

async function ask(target: Chain, body: Record<string, unknown> = {}): Promise<string | null> {
  const response = await target.fetch('http://429chain.local/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'main', messages: [{ role: 'user', content: 'Hello' }], ...body }),
  });
  await response.text();
  return response.headers.get('x-429chain-provider');
}

/** The primary answers 503 until `outageEndsAt` (on the test's clock), then 200. */
function outageUntil(outageEndsAt: number): void {
  answer = (request) =>
    request.model === 'primary-model' && clock < outageEndsAt
      ? errorReply(503, { error: { message: 'upstream unavailable' } })
      : completionReply({ model: request.model });
}

describe('the circuit breaker', () => {
  for (const outageMs of [4_000, 20_000, 60_000]) {
    it(`uses a primary that was down for ${outageMs / 1000} s again within a quarter of the outage plus one request interval`, async () => {
      const intervalMs = 500;
      outageUntil(start + outageMs);
      const target = open({ backgroundProbes: 'off' });
      let recoveredAfterMs: number | undefined;
      for (let at = 0; at < outageMs * 2 + 10_000 && recoveredAfterMs === undefined; at += intervalMs) {
        clock = start + at;
        const provider = await ask(target);
        if (at >= outageMs && provider === 'primary') recoveredAfterMs = at - outageMs;
      }
      expect(recoveredAfterMs).toBeDefined();
      // Open for max(2 s, age / 4) × (1 ± 0.2); a request arrives every interval.
      const bound = Math.max(2_000, outageMs / 4) * 1.2 + intervalMs;
      expect(recoveredAfterMs!).toBeLessThanOrEqual(bound);
    }, 20_000);
  }

  it('opens for longer as the outage ages, and a probe is never retried', async () => {
    outageUntil(Number.POSITIVE_INFINITY);
    const target = open({ backgroundProbes: 'off' });
    const log: RequestRecord[] = [];
    target.on('request-end', ({ record }) => log.push(record));
    for (let index = 0; index < 3; index++) await ask(target);
    // Three failed requests, each retried once: six calls; now the circuit is open.
    expect(mock.requestsFor('primary-model')).toHaveLength(6);
    const opened = (await target.status()).blocks.find((block) => block.state === 'circuit-open');
    expect(opened!.until - clock).toBeGreaterThanOrEqual(1_600);
    expect(opened!.until - clock).toBeLessThanOrEqual(2_400);

    clock = opened!.until;
    expect(await ask(target)).toBe('backup');
    expect(mock.requestsFor('primary-model')).toHaveLength(7);
    expect(log.at(-1)?.attempts[0]).toMatchObject({ provider: 'primary', outcome: 'failed' });
    expect(log.at(-1)?.attempts[0]?.retries ?? 0).toBe(0);

    // An hour into the outage, the circuit stays open for about a quarter of it, capped at 60 s.
    clock = start + 3_600_000;
    const reopened = (await target.status()).blocks.find((block) => block.state === 'circuit-open');
    expect(reopened).toBeDefined();
    expect(await ask(target)).toBe('backup');
    const longest = (await target.status()).blocks.find((block) => block.state === 'circuit-open');
    expect(longest!.until - clock).toBe(60_000);
  });

  it('gives a streamed probe only probeFirstTokenTimeoutMs for its first token', async () => {
    const target = open(
      { backgroundProbes: 'off', probeFirstTokenTimeoutMs: 150, firstTokenTimeoutMs: 20_000 },
      { fakeClock: false },
    );
    answer = (request) =>
      request.model === 'primary-model'
        ? errorReply(503, { error: { message: 'down' } })
        : completionReply({ model: request.model });
    for (let index = 0; index < 3; index++) await ask(target);
    await target.reset();
    await target.reset({ provider: 'backup' });
    // Open the circuit again and let it end: the next request is its probe.
    for (let index = 0; index < 3; index++) await ask(target);
    const block = (await target.status()).blocks.find((found) => found.state === 'circuit-open');
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, block!.until - Date.now()) + 20));
    answer = (request) =>
      request.model === 'primary-model'
        ? { type: 'stream', pieces: [': keep-alive\n\n'], after: 'hang' }
        : streamReply({ model: request.model, tokens: ['Hello'] });
    const log: RequestRecord[] = [];
    target.on('request-end', ({ record }) => log.push(record));
    const response = await target.fetch('http://429chain.local/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'main', messages: [{ role: 'user', content: 'Hello' }], stream: true }),
    });
    await response.text();
    expect(response.headers.get('x-429chain-provider')).toBe('backup');
    expect(log[0]?.attempts[0]).toMatchObject({ provider: 'primary', failure: 'first-token-timeout' });
    expect(log[0]?.attempts[0]?.reason).toBe('no first token within 150 ms');
  }, 20_000);
});

describe('background probes', () => {
  async function openCircuit(target: Chain): Promise<void> {
    for (let index = 0; index < 3; index++) await ask(target);
    expect((await target.status()).blocks.some((block) => block.state === 'circuit-open')).toBe(true);
  }

  async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await condition()) return true;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return condition();
  }

  const modelsCalls = () =>
    mock.requests.filter((request) => request.method === 'GET' && request.path === '/v1/models');

  it('close an open circuit with GET /models when no request arrives, and the entry is used again', async () => {
    let down = true;
    answer = (request) => {
      if (request.method === 'GET')
        return down
          ? errorReply(503, { error: { message: 'down' } })
          : { type: 'json', body: { object: 'list', data: [] } };
      return request.model === 'primary-model' && down
        ? errorReply(503, { error: { message: 'down' } })
        : completionReply({ model: request.model });
    };
    const target = open({ circuitMinOpenMs: 200, circuitMaxOpenMs: 400 }, { fakeClock: false });
    await openCircuit(target);
    // Still down: the first background probe fails and the circuit opens again.
    expect(await until(() => modelsCalls().length >= 1, 8_000)).toBe(true);
    down = false;
    expect(
      await until(
        async () => !(await target.status()).blocks.some((block) => block.state === 'circuit-open'),
        8_000,
      ),
    ).toBe(true);
    expect(modelsCalls().length).toBeGreaterThanOrEqual(2);
    expect(mock.requestsFor('primary-model')).toHaveLength(6);
    expect(await ask(target)).toBe('primary');
    // Bounds for a loaded CI machine, not timings: the circuit reopens for at most 400 ms.
  }, 20_000);

  it('send nothing when settings.backgroundProbes is off', async () => {
    outageUntil(Number.POSITIVE_INFINITY);
    const target = open(
      { circuitMinOpenMs: 100, circuitMaxOpenMs: 100, backgroundProbes: 'off' },
      { fakeClock: false },
    );
    await openCircuit(target);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(modelsCalls()).toHaveLength(0);
    expect((await target.status()).entries.find((entry) => entry.provider === 'primary')?.state).toBe(
      'probing',
    );
  });
});
