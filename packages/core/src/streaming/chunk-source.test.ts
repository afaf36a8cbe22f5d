import { afterEach, describe, expect, it } from 'vitest';
import { type Chain, createChain } from '../create-chain.ts';
import { type ChunkRead, type ChunkSource, withChunkSource } from './chunk-source.ts';

const chatUrl = 'http://429chain.local/v1/chat/completions';
const chains: Chain[] = [];
afterEach(async () => {
  await Promise.all(chains.splice(0).map((chain) => chain.close()));
});

const event = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta, finish_reason: finish }],
  })}\n\n`;

/** A source that hands out `chunks` one read at a time, then ends or breaks. */
function scriptedSource(chunks: string[], end: 'done' | 'break'): ChunkSource & { cancelled: boolean } {
  const encoder = new TextEncoder();
  const queue = [...chunks];
  return {
    cancelled: false,
    read(): Promise<ChunkRead> {
      const next = queue.shift();
      if (next !== undefined) return Promise.resolve({ done: false, value: encoder.encode(next) });
      return end === 'done'
        ? Promise.resolve({ done: true, value: undefined })
        : Promise.reject(new Error('connection reset'));
    },
    async cancel() {
      this.cancelled = true;
    },
  };
}

/** A body that fails the request if anything reads it. */
const untouchableBody = () =>
  new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.error(new Error('the engine read the body instead of the chunk source'));
    },
  });

function chainWith(source: ChunkSource): Chain {
  const chain = createChain({
    providers: [{ id: 'only', type: 'generic', baseUrl: 'http://upstream.test/v1', apiKey: 'test-key-0001' }],
    chains: [{ name: 'main', entries: [{ provider: 'only', model: 'm' }] }],
    fetch: async () =>
      withChunkSource(
        new Response(untouchableBody(), { status: 200, headers: { 'content-type': 'text/event-stream' } }),
        source,
      ),
  });
  chains.push(chain);
  return chain;
}

const askStreaming = (chain: Chain) =>
  chain.fetch(chatUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'main', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
  });

describe('withChunkSource', () => {
  it('streams the answer from the source, several events to a chunk, without reading the body', async () => {
    const source = scriptedSource(
      [
        `${event({ role: 'assistant', content: '' })}${event({ content: 'Hel' })}`,
        `${event({ content: 'lo' })}${event({}, 'stop')}data: [DONE]\n\n`,
      ],
      'done',
    );
    const response = await askStreaming(chainWith(source));
    const text = await response.text();
    const contents = text
      .split('\n\n')
      .filter((line) => line.startsWith('data: {'))
      .map(
        (line) =>
          (JSON.parse(line.slice(6)) as { choices: Array<{ delta: { content?: string } }> }).choices[0]!.delta
            .content ?? '',
      );
    expect(contents.join('')).toBe('Hello');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('ends an answer whose source breaks with an in-band error and no [DONE]', async () => {
    const source = scriptedSource([event({ role: 'assistant', content: 'Half an ans' })], 'break');
    const response = await askStreaming(chainWith(source));
    const text = await response.text();
    expect(text).toContain('Half an ans');
    expect(text).toContain('interrupted');
    expect(text).not.toContain('[DONE]');
  });
});
