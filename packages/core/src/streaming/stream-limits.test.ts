/**
 * Issue 11, item 4: an upstream cannot make the engine buffer without bound. An SSE event (or a
 * line without its newline) past `settings.streamEventLimitBytes` is an upstream fault: before
 * commit the chain fails over, after commit the answer ends with an in-band error and no
 * [DONE]. A non-streamed answer cut at 64 MiB is named as such. Through `chain.fetch`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Chain, createChain } from '../create-chain.ts';
import type { RequestRecord } from '../events/request-record.ts';
import { type MockProvider, startMockProvider, streamReply } from '../testing/mock-provider.ts';

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
afterAll(() => mock.close());

const limit = 64 * 1024;

function build(): { records: RequestRecord[] } {
  const records: RequestRecord[] = [];
  chain = createChain({
    providers: [
      { id: 'first', type: 'generic', baseUrl: mock.url, apiKey: 'sk-first-key-0001' },
      { id: 'second', type: 'generic', baseUrl: mock.url, apiKey: 'sk-second-key-0002' },
    ],
    chains: [
      {
        name: 'main',
        entries: [
          { provider: 'first', model: 'flood' },
          { provider: 'second', model: 'fine', capabilities: { prefill: false } },
        ],
      },
    ],
    settings: { streamEventLimitBytes: limit, circuitFailureThreshold: 100 },
  });
  chain.on('request-end', ({ record }) => records.push(record));
  return { records };
}

const chatStream = (model: string) =>
  chain!.fetch('http://429chain.local/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
  });

describe('stream limits', () => {
  it('fails over when the first event never ends its line, naming the limit', async () => {
    const { records } = build();
    // `data: {` and then 4 MiB without a newline.
    mock.script('flood', [
      {
        type: 'stream',
        pieces: ['data: {"choices":[{"delta":{"content":"', ...Array(64).fill('x'.repeat(65_536))],
        after: 'hang',
      },
    ]);
    const response = await chatStream('main');
    const text = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get('x-429chain-provider')).toBe('second');
    expect(text).toContain('data: [DONE]');
    const first = records[0]!.attempts[0]!;
    expect(first).toMatchObject({ provider: 'first', outcome: 'failed', failure: 'server' });
    expect(first.reason).toContain(`grew past ${limit} characters (settings.streamEventLimitBytes)`);
  });

  it('ends a committed stream in-band, without [DONE], when a later event grows past the limit', async () => {
    const { records } = build();
    const start = streamReply({ tokens: ['Hello', ' world'] });
    const pieces = (start as { pieces: string[] }).pieces.slice(0, 2);
    mock.script('flood', [
      {
        type: 'stream',
        pieces: [...pieces, 'data: {"a":"', ...Array(8).fill('y'.repeat(65_536))],
        after: 'hang',
      },
    ]);
    const response = await chatStream('first/flood');
    const text = await response.text();

    expect(text).toContain('"content":"Hello"');
    expect(text).toContain('stream_interrupted');
    expect(text).toContain('settings.streamEventLimitBytes');
    expect(text).not.toContain('[DONE]');
    expect(records[0]).toMatchObject({ outcome: 'interrupted' });
  });
});
