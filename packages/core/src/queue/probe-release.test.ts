import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Chain, createChain } from '../create-chain.ts';
import {
  completionReply,
  errorReply,
  type MockProvider,
  type MockReply,
  type MockRequest,
  startMockProvider,
} from '../testing/mock-provider.ts';

/**
 * Releasing no more than is known (issue 9, item 4), with queue mode: where the capacity behind
 * an ended block is unknown, exactly one request probes and the others wait for its answer;
 * where N units are known to remain, up to N go at once.
 */

let mock: MockProvider;
let answer: (request: MockRequest) => MockReply = () => completionReply({});
/** When the mock received and answered each request of the limited model. */
const timeline: Array<{ event: 'in' | 'out'; at: number }> = [];

beforeAll(async () => {
  mock = await startMockProvider({ fallback: (request) => answer(request) });
});
afterAll(() => mock.close());

let chain: Chain | undefined;
afterEach(async () => {
  await chain?.close();
  chain = undefined;
  mock.reset();
  timeline.length = 0;
});

function open(type: string): Chain {
  chain = createChain({
    providers: [{ id: 'limited', type, apiKey: 'key-limited-00000000', baseUrl: mock.url }],
    chains: [{ name: 'main', entries: [{ provider: 'limited', model: 'm' }] }],
    settings: { defaultChain: 'main', queueMode: true, queueMaxWaitMs: 10_000, cooldownDefaultMs: 600 },
  });
  return chain;
}

function ask(target: Chain): Promise<Response> {
  return target.fetch('http://429chain.local/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'main', messages: [{ role: 'user', content: 'Hello' }] }),
  });
}

async function queued(target: Chain, size: number): Promise<void> {
  while ((await target.status()).queue.size < size) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** Upstream requests in flight at the same moment, at most, over the timeline. */
function mostAtOnce(): number {
  let open = 0;
  let most = 0;
  for (const event of [...timeline].sort((left, right) => left.at - right.at)) {
    open += event.event === 'in' ? 1 : -1;
    most = Math.max(most, open);
  }
  return most;
}

describe('release after a block', () => {
  it('ten queued requests behind an entry of unknown capacity send one probe, not ten', async () => {
    let refusedFirst = false;
    answer = () => {
      timeline.push({ event: 'in', at: Date.now() });
      setTimeout(() => timeline.push({ event: 'out', at: Date.now() }), 200);
      if (!refusedFirst) {
        refusedFirst = true;
        // NVIDIA says nothing: no reset, no limit, and nothing was accepted before this 429.
        return errorReply(429, { status: 429, title: 'Too Many Requests' });
      }
      return completionReply({ model: 'm', delayMs: 200 });
    };
    const target = open('nvidia');
    const first = ask(target);
    await queued(target, 1);
    const rest = Array.from({ length: 10 }, () => ask(target));
    await queued(target, 11);
    const answers = await Promise.all([first, ...rest]);
    expect(answers.map((response) => response.status)).toEqual(Array.from({ length: 11 }, () => 200));
    // The refused request, then one probe alone; the others only after its answer came back.
    const arrivals = mock.requests.map((request) => request.at);
    expect(arrivals).toHaveLength(12);
    const probeAnswered = timeline.filter((event) => event.event === 'out')[1]!.at;
    expect(arrivals[2]!).toBeGreaterThanOrEqual(probeAnswered - 5);
  });

  it('where N units are known to remain when the block ends, up to N go at once, and no more', async () => {
    let windowStart = 0;
    let used = 0;
    // Together's per-second dialect: x-ratelimit-limit 3, resets every second; 429s say so.
    answer = () => {
      timeline.push({ event: 'in', at: Date.now() });
      setTimeout(() => timeline.push({ event: 'out', at: Date.now() }), 150);
      const now = Date.now();
      if (now - windowStart >= 1_000) {
        windowStart = now;
        used = 0;
      }
      const resetIn = ((windowStart + 1_000 - now) / 1_000).toFixed(3);
      if (used >= 3) {
        return errorReply(
          429,
          { error: { message: 'rate limited', code: 'dynamic_request_limited' } },
          {
            'x-ratelimit-limit': '3',
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset': resetIn,
            'retry-after': '1',
          },
        );
      }
      used++;
      return completionReply({
        model: 'm',
        delayMs: 150,
        headers: {
          'x-ratelimit-limit': '3',
          'x-ratelimit-remaining': String(3 - used),
          'x-ratelimit-reset': resetIn,
        },
      });
    };
    const target = open('together');
    // One answer tells the window: 3 a second, 2 left.
    expect((await ask(target)).status).toBe(200);
    const answers = await Promise.all(Array.from({ length: 8 }, () => ask(target)));
    expect(answers.map((response) => response.status)).toEqual(Array.from({ length: 8 }, () => 200));
    expect(mostAtOnce()).toBeLessThanOrEqual(3);
    // What was known was released, and no more: not one 429 upstream.
    expect(mock.requests).toHaveLength(9);
  });
});
