import { afterEach, describe, expect, it } from 'vitest';
import { type Chain, createChain } from '../create-chain.ts';
import { withBufferedBody } from './buffered-body.ts';

const chatUrl = 'http://429chain.local/v1/chat/completions';
const chains: Chain[] = [];
afterEach(async () => {
  await Promise.all(chains.splice(0).map((chain) => chain.close()));
});

const completion = (content: string) =>
  JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'm',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  });

/** A body that fails the request if anything reads it. */
function untouchableBody(): ReadableStream<Uint8Array> {
  return new ReadableStream({
    pull(controller) {
      controller.error(new Error('the engine read the stream of a buffered body'));
    },
  });
}

function chainWith(fetch: typeof globalThis.fetch): Chain {
  const chain = createChain({
    providers: [{ id: 'only', type: 'generic', baseUrl: 'http://upstream.test/v1', apiKey: 'test-key-0001' }],
    chains: [{ name: 'main', entries: [{ provider: 'only', model: 'm' }] }],
    fetch,
  });
  chains.push(chain);
  return chain;
}

const ask = (chain: Chain) =>
  chain.fetch(chatUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'main', messages: [{ role: 'user', content: 'hi' }] }),
  });

describe('withBufferedBody', () => {
  it('hands the engine an answer a custom fetch already read, without reading the body stream', async () => {
    const bytes = new TextEncoder().encode(completion('from the buffer'));
    const chain = chainWith(async () =>
      withBufferedBody(
        new Response(untouchableBody(), { status: 200, headers: { 'content-type': 'application/json' } }),
        bytes,
      ),
    );
    const response = await ask(chain);
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { choices: Array<{ message: { content: string } }> };
    expect(answer.choices[0]!.message.content).toBe('from the buffer');
  });

  it('classifies a buffered error answer like any other', async () => {
    const bytes = new TextEncoder().encode(
      JSON.stringify({
        error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' },
      }),
    );
    const chain = chainWith(async () =>
      withBufferedBody(
        new Response(untouchableBody(), {
          status: 429,
          headers: { 'content-type': 'application/json', 'retry-after': '30' },
        }),
        bytes,
      ),
    );
    const response = await ask(chain);
    expect(response.status).toBe(429);
    const status = await chain.status();
    // The window comes from the body (`type: requests`), so the body was read.
    expect(status.entries[0]).toMatchObject({
      provider: 'only',
      state: 'exhausted',
      reason: '429 requests per minute, retry in 30s',
    });
  });
});
