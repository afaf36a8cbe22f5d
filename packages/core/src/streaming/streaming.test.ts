/**
 * Streaming through the public interface (docs/architecture.md, Streaming; traps 7, 8 and 12
 * of docs/providers.md):
 * `createChain(...).fetch(...)` against a real loopback mock provider, asserting what the
 * client received and what the upstream saw.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { type Chain, type CreateChainOptions, createChain } from '../create-chain.ts';
import type { RequestRecord } from '../events/request-record.ts';
import {
  errorReply,
  type MockProvider,
  type MockReply,
  startMockProvider,
  streamReply,
} from '../testing/mock-provider.ts';

const chatUrl = 'http://429chain.local/v1/chat/completions';
const firstModel = 'model-a';
const secondModel = 'model-b';

/** Fast timeouts, so that every failure path ends well within a test. */
const fastSettings = {
  requestTimeoutMs: 2_000,
  firstTokenTimeoutMs: 1_000,
  streamIdleTimeoutMs: 1_000,
  requestBudgetMs: 5_000,
};

let mock: MockProvider;
const chains: Chain[] = [];

beforeEach(async () => {
  mock = await startMockProvider();
});

afterEach(async () => {
  await Promise.all(chains.splice(0).map((chain) => chain.close()));
  await mock.close();
});

interface ChainSetup {
  /** Capabilities of the second entry. */
  secondPrefill?: boolean;
  /** Preset of the first provider. @default 'generic' */
  firstType?: string;
  settings?: NonNullable<CreateChainOptions['settings']>;
}

/** Two entries on the mock: `first/model-a`, then `second/model-b`. */
function openChain(setup: ChainSetup = {}): Chain {
  const chain = createChain({
    providers: [
      { id: 'first', type: setup.firstType ?? 'generic', baseUrl: mock.url, apiKey: 'test-key-first-0001' },
      { id: 'second', type: 'generic', baseUrl: mock.url, apiKey: 'test-key-second-0002' },
    ],
    chains: [
      {
        name: 'main',
        entries: [
          { provider: 'first', model: firstModel },
          {
            provider: 'second',
            model: secondModel,
            ...(setup.secondPrefill === undefined ? {} : { capabilities: { prefill: setup.secondPrefill } }),
          },
        ],
      },
    ],
    settings: { ...fastSettings, ...setup.settings },
  });
  chains.push(chain);
  return chain;
}

const userMessages = [{ role: 'user', content: 'Say hello.' }];

function streamRequest(chain: Chain, extra: Record<string, unknown> = {}, signal?: AbortSignal) {
  return chain.fetch(chatUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'main', messages: userMessages, stream: true, ...extra }),
    signal,
  });
}

/** One upstream SSE chunk in OpenAI's format. */
function chunk(options: {
  model: string;
  id?: string;
  delta?: Record<string, unknown>;
  finishReason?: string | null;
  usage?: Record<string, number>;
}): string {
  const body: Record<string, unknown> = {
    id: options.id ?? `chatcmpl-${options.model}`,
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: options.model,
    choices: options.usage
      ? []
      : [{ index: 0, delta: options.delta ?? {}, finish_reason: options.finishReason ?? null }],
  };
  if (options.usage) body.usage = options.usage;
  return JSON.stringify(body);
}

const event = (data: string) => `data: ${data}\n\n`;
const roleChunk = (model: string) => event(chunk({ model, delta: { role: 'assistant', content: '' } }));
const textChunk = (model: string, content: string) => event(chunk({ model, delta: { content } }));
const finishChunk = (model: string) => event(chunk({ model, finishReason: 'stop' }));
const usageChunk = (model: string) =>
  event(chunk({ model, usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 } }));

/** A raw stream reply. */
function rawStream(pieces: string[], extra: Partial<Extract<MockReply, { type: 'stream' }>> = {}): MockReply {
  return { type: 'stream', pieces, ...extra };
}

/** The `data:` payloads the client received, in order. */
function dataOf(body: string): string[] {
  return body
    .split(/\n\n/)
    .filter((block) => block.trim() !== '')
    .map((block) => {
      expect(block.startsWith('data: ')).toBe(true);
      return block.slice('data: '.length);
    });
}

/** The JSON payloads (everything but `[DONE]`). */
function jsonOf(data: string[]): Record<string, unknown>[] {
  return data.filter((payload) => payload !== '[DONE]').map((payload) => JSON.parse(payload));
}

interface ChoiceDelta {
  content?: string;
  role?: string;
  reasoning?: string;
  reasoning_content?: string;
}

function deltaOf(json: Record<string, unknown>): ChoiceDelta | undefined {
  const choices = json.choices as Array<{ delta?: ChoiceDelta }> | undefined;
  return choices?.[0]?.delta;
}

/** The assistant text the client assembled from its chunks. */
function textOf(data: string[]): string {
  return jsonOf(data)
    .map((json) => deltaOf(json)?.content ?? '')
    .join('');
}

/** Reads `count` events from a client stream without waiting for its end. */
async function readEvents(reader: ReadableStreamDefaultReader<Uint8Array>, count: number): Promise<string[]> {
  const decoder = new TextDecoder();
  let buffered = '';
  const events: string[] = [];
  while (events.length < count) {
    const read = await reader.read();
    if (read.done) break;
    buffered += decoder.decode(read.value, { stream: true });
    let boundary = buffered.indexOf('\n\n');
    while (boundary !== -1) {
      events.push(buffered.slice(0, boundary).replace(/^data: /, ''));
      buffered = buffered.slice(boundary + 2);
      boundary = buffered.indexOf('\n\n');
    }
  }
  return events;
}

/** Resolves with the next request record. */
function nextRecord(chain: Chain): Promise<RequestRecord> {
  return new Promise((resolve) => {
    const stop = chain.on('request-end', ({ record }) => {
      stop();
      resolve(record);
    });
  });
}

function lastMessageOf(body: Record<string, unknown> | undefined): unknown {
  const messages = body?.messages as unknown[] | undefined;
  return messages?.[messages.length - 1];
}

describe('commit', () => {
  test('commits on the first content event and sends the role-only chunks before it, in order', async () => {
    mock.script(firstModel, [
      rawStream(
        [
          event(chunk({ model: firstModel, delta: { role: 'assistant' } })),
          roleChunk(firstModel),
          textChunk(firstModel, 'Hello'),
        ],
        { after: 'hang' },
      ),
    ]);
    const chain = openChain();

    // The upstream never finishes: the response arriving proves the commit came with the first content.
    const response = await streamRequest(chain);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(response.headers.get('x-429chain-provider')).toBe('first');
    const reader = response.body!.getReader();
    const events = (await readEvents(reader, 3)).map((payload) => JSON.parse(payload));
    expect(events.map(deltaOf)).toEqual([
      { role: 'assistant' },
      { role: 'assistant', content: '' },
      { content: 'Hello' },
    ]);
    await reader.cancel();
    await mock.allSocketsClosed();
    expect(mock.requestsFor(secondModel)).toHaveLength(0);
  });

  test('forwards a complete stream event by event and ends it with one [DONE]', async () => {
    mock.script(firstModel, [streamReply({ model: firstModel, tokens: ['Hel', 'lo', '!'] })]);
    const chain = openChain();

    const response = await streamRequest(chain);
    const data = dataOf(await response.text());

    expect(textOf(data)).toBe('Hello!');
    expect(data.filter((payload) => payload === '[DONE]')).toHaveLength(1);
    expect(data.at(-1)).toBe('[DONE]');
    expect(mock.requestsFor(firstModel)).toHaveLength(1);
    expect(mock.requestsFor(firstModel)[0]!.body).toMatchObject({ model: firstModel, stream: true });
  });
});

describe('SSE parsing (trap 8)', () => {
  test('comments, keep-alives, blank lines, CRLF and an event split mid-line across two writes pass through the parser', async () => {
    const content = chunk({ model: firstModel, delta: { content: 'Hello, world' } });
    const splitAt = content.indexOf('world');
    mock.script(firstModel, [
      rawStream(
        [
          ': OPENROUTER PROCESSING\n\n',
          ': keep-alive\r\n\r\n',
          '\n',
          `data: ${chunk({ model: firstModel, delta: { role: 'assistant', content: '' } })}\r\n\r\n`,
          `data: ${content.slice(0, splitAt)}`,
          `${content.slice(splitAt)}\n\n`,
          ': keep-alive\n\n',
          `data: ${chunk({ model: firstModel, finishReason: 'stop' })}\r\n\r\n`,
          'data: [DONE]\r\n\r\n',
        ],
        { intervalMs: 20 },
      ),
    ]);
    const chain = openChain();

    const response = await streamRequest(chain);
    const body = await response.text();
    const data = dataOf(body);

    expect(body).not.toContain('OPENROUTER');
    expect(body).not.toContain('keep-alive');
    expect(body).not.toContain('\r');
    expect(textOf(data)).toBe('Hello, world');
    expect(data.at(-1)).toBe('[DONE]');
    expect(jsonOf(data)).toHaveLength(3);
    expect(response.headers.get('x-429chain-provider')).toBe('first');
    expect(mock.requestsFor(secondModel)).toHaveLength(0);
  });

  test('a non-JSON data line is dropped, not forwarded, and the answer completes', async () => {
    mock.script(firstModel, [
      rawStream([
        roleChunk(firstModel),
        event('not json at all'),
        textChunk(firstModel, 'Hello'),
        event('{"truncated":'),
        textChunk(firstModel, ' there'),
        finishChunk(firstModel),
        event('[DONE]'),
      ]),
    ]);
    const chain = openChain();

    const response = await streamRequest(chain);
    const body = await response.text();
    const data = dataOf(body);

    expect(body).not.toContain('not json');
    expect(body).not.toContain('truncated');
    expect(() => jsonOf(data)).not.toThrow();
    expect(textOf(data)).toBe('Hello there');
    expect(data.at(-1)).toBe('[DONE]');
    expect(mock.requestsFor(secondModel)).toHaveLength(0);
  });

  test('a stream that ends cleanly after a finish_reason but without [DONE] is complete: the client gets [DONE]', async () => {
    mock.script(firstModel, [streamReply({ model: firstModel, tokens: ['Done', ' here'], done: false })]);
    const chain = openChain({ secondPrefill: true });
    const record = nextRecord(chain);

    const response = await streamRequest(chain);
    const data = dataOf(await response.text());

    expect(textOf(data)).toBe('Done here');
    expect(data.at(-1)).toBe('[DONE]');
    expect((await record).outcome).toBe('answered');
    expect(mock.requestsFor(secondModel)).toHaveLength(0);
  });
});

describe('in-band errors before commit (trap 7)', () => {
  const inBandErrors: Array<[string, string[]]> = [
    [
      'data: {"error":{…}}',
      [event('{"error":{"message":"Upstream overloaded","type":"server_error","code":502}}')],
    ],
    ['event: error', ['event: error\ndata: {"message":"Upstream exploded"}\n\n']],
    ['finish_reason "error"', [event(chunk({ model: firstModel, finishReason: 'error' }))]],
  ];

  test.each(inBandErrors)(
    '%s fails over to the next entry and the client sees only its answer',
    async (_name, errorPieces) => {
      mock.script(firstModel, [rawStream([roleChunk(firstModel), ...errorPieces], { after: 'hang' })]);
      mock.script(secondModel, [streamReply({ model: secondModel, tokens: ['From', ' second'] })]);
      const chain = openChain();
      const record = nextRecord(chain);

      const response = await streamRequest(chain);
      const data = dataOf(await response.text());

      expect(response.headers.get('x-429chain-provider')).toBe('second');
      expect(textOf(data)).toBe('From second');
      expect(jsonOf(data).every((json) => json.model === secondModel)).toBe(true);
      expect(data.some((payload) => payload.includes('error'))).toBe(false);
      expect(data.at(-1)).toBe('[DONE]');
      expect(mock.requestsFor(firstModel)).toHaveLength(1);
      expect(mock.requestsFor(secondModel)).toHaveLength(1);
      const ended = await record;
      expect(ended.outcome).toBe('answered');
      expect(ended.attempts.map((attempt) => [attempt.provider, attempt.outcome])).toEqual([
        ['first', 'failed'],
        ['second', 'answered'],
      ]);
    },
  );
});

describe('failures after commit', () => {
  /** Upstream replies that break after "Hello wor" reached the client. */
  const breaks: Array<[string, MockReply, string]> = [
    [
      'a cut stream',
      // Paced, so that the cut comes after the engine has read and forwarded the text.
      streamReply({
        model: firstModel,
        tokens: ['Hello', ' wor'],
        finish: false,
        after: 'cut',
        intervalMs: 40,
      }),
      'the connection broke',
    ],
    [
      'a stall past streamIdleTimeoutMs',
      streamReply({ model: firstModel, tokens: ['Hello', ' wor'], finish: false, after: 'hang' }),
      'stalled',
    ],
    [
      'an in-band error',
      rawStream([
        roleChunk(firstModel),
        textChunk(firstModel, 'Hello'),
        textChunk(firstModel, ' wor'),
        event('{"error":{"message":"overloaded mid-stream","type":"server_error","code":500}}'),
      ]),
      'overloaded mid-stream',
    ],
    [
      'an end without finish_reason',
      streamReply({ model: firstModel, tokens: ['Hello', ' wor'], finish: false }),
      'before a finish_reason',
    ],
    [
      'a [DONE] without finish_reason',
      rawStream([
        roleChunk(firstModel),
        textChunk(firstModel, 'Hello'),
        textChunk(firstModel, ' wor'),
        event('[DONE]'),
      ]),
      'without a finish_reason',
    ],
  ];
  const stallSettings = { streamIdleTimeoutMs: 300 };

  test.each(breaks)(
    'after %s with no prefill entry, the client gets an in-band stream_interrupted error and no [DONE]',
    async (_name, reply, reason) => {
      mock.script(firstModel, [reply]);
      const chain = openChain({ settings: stallSettings });
      const record = nextRecord(chain);

      const response = await streamRequest(chain);
      expect(response.status).toBe(200);
      const data = dataOf(await response.text());

      expect(data).not.toContain('[DONE]');
      const last = JSON.parse(data.at(-1)!) as { error?: { code?: string; message?: string } };
      expect(last.error).toMatchObject({ code: 'stream_interrupted' });
      expect(last.error?.message).toContain(reason);
      expect(textOf(data.slice(0, -1))).toBe('Hello wor');
      expect(mock.requestsFor(secondModel)).toHaveLength(0);
      const ended = await record;
      expect(ended.outcome).toBe('interrupted');
      expect(ended.error).toMatchObject({ code: 'stream_interrupted' });
      const first = (await chain.status()).entries.find((entry) => entry.provider === 'first');
      expect(first?.state).toBe('exhausted');
    },
  );

  test.each(breaks)(
    'after %s, a later prefill entry continues from the forwarded text and the client gets only the continuation, then [DONE]',
    async (_name, reply) => {
      mock.script(firstModel, [reply]);
      mock.script(secondModel, [
        rawStream([
          event(
            chunk({ model: secondModel, id: 'chatcmpl-second', delta: { role: 'assistant', content: '' } }),
          ),
          event(chunk({ model: secondModel, id: 'chatcmpl-second', delta: { content: 'ld!' } })),
          event(chunk({ model: secondModel, id: 'chatcmpl-second', finishReason: 'stop' })),
          event('[DONE]'),
        ]),
      ]);
      const chain = openChain({ secondPrefill: true, settings: stallSettings });
      const record = nextRecord(chain);

      const response = await streamRequest(chain);
      const data = dataOf(await response.text());

      expect(textOf(data)).toBe('Hello world!');
      expect(data.filter((payload) => payload === '[DONE]')).toHaveLength(1);
      expect(data.at(-1)).toBe('[DONE]');
      expect(data.some((payload) => payload.includes('"error"'))).toBe(false);
      // One stream to the client: the continuation's chunks carry the first stream's id, and no second role chunk.
      const jsons = jsonOf(data);
      expect(new Set(jsons.map((json) => json.id)).size).toBe(1);
      expect(jsons[0]!.id).not.toBe('chatcmpl-second');
      expect(jsons.filter((json) => deltaOf(json)?.role !== undefined)).toHaveLength(1);

      const continuation = mock.requestsFor(secondModel);
      expect(continuation).toHaveLength(1);
      expect(continuation[0]!.body).toMatchObject({ model: secondModel, stream: true });
      expect(lastMessageOf(continuation[0]!.body)).toEqual({ role: 'assistant', content: 'Hello wor' });
      expect((continuation[0]!.body!.messages as unknown[]).slice(0, -1)).toEqual(userMessages);

      const ended = await record;
      expect(ended.outcome).toBe('answered');
      expect(ended.attempts.find((attempt) => attempt.continuation)).toMatchObject({
        provider: 'second',
        outcome: 'answered',
      });
    },
  );

  test('a stalled upstream is aborted: its socket closes', async () => {
    mock.script(firstModel, [breaks[1]![1]]);
    const chain = openChain({ settings: stallSettings });

    const response = await streamRequest(chain);
    const data = dataOf(await response.text());

    expect(JSON.parse(data.at(-1)!)).toMatchObject({ error: { code: 'stream_interrupted' } });
    await mock.allSocketsClosed();
    expect(mock.sockets()).toMatchObject({ opened: 1, closed: 1 });
  });

  test('when the continuation entry rejects the prefill, the in-band error names the original failure', async () => {
    mock.script(firstModel, [breaks[2]![1]]);
    mock.script(secondModel, [
      errorReply(400, {
        error: {
          message: 'Assistant prefill is not supported by this model.',
          type: 'invalid_request_error',
          code: 'unsupported_prefill',
        },
      }),
    ]);
    const chain = openChain({ secondPrefill: true });
    const record = nextRecord(chain);

    const response = await streamRequest(chain);
    const data = dataOf(await response.text());

    expect(data).not.toContain('[DONE]');
    expect(textOf(data.slice(0, -1))).toBe('Hello wor');
    const last = JSON.parse(data.at(-1)!) as { error: { code: string; message: string } };
    expect(last.error.code).toBe('stream_interrupted');
    expect(last.error.message).toContain('overloaded mid-stream');
    expect(last.error.message).not.toContain('prefill');
    expect(mock.requestsFor(secondModel)).toHaveLength(1);
    expect(lastMessageOf(mock.requestsFor(secondModel)[0]!.body)).toEqual({
      role: 'assistant',
      content: 'Hello wor',
    });
    const ended = await record;
    expect(ended.outcome).toBe('interrupted');
    expect(ended.error?.message).toContain('overloaded mid-stream');
  });
});

describe('first-token timeout', () => {
  test('headers then silence fail over to the next entry and cool the first entry down', async () => {
    mock.script(firstModel, [rawStream([': keep-alive\n\n'], { after: 'hang' })]);
    mock.script(secondModel, [streamReply({ model: secondModel, tokens: ['Backup'] })]);
    const chain = openChain({ settings: { firstTokenTimeoutMs: 300 } });
    const record = nextRecord(chain);

    const response = await streamRequest(chain);
    const data = dataOf(await response.text());

    expect(response.headers.get('x-429chain-provider')).toBe('second');
    expect(textOf(data)).toBe('Backup');
    expect(data.at(-1)).toBe('[DONE]');
    expect(mock.requestsFor(firstModel)).toHaveLength(1);
    expect(mock.requestsFor(secondModel)).toHaveLength(1);
    expect((await record).attempts[0]).toMatchObject({
      provider: 'first',
      outcome: 'failed',
      failure: 'first-token-timeout',
    });
    const status = await chain.status();
    const first = status.entries.find((entry) => entry.provider === 'first');
    expect(first).toMatchObject({ state: 'exhausted' });
    expect(first?.reason).toContain('first token');
    // A fault, not a limit: the block says so (a chain out for faults answers 503, not 429).
    expect(status.blocks).toContainEqual(expect.objectContaining({ provider: 'first', state: 'faulted' }));
    expect(status.entries.find((entry) => entry.provider === 'second')?.state).not.toBe('exhausted');
  });
});

describe('usage', () => {
  test('upstream is always asked for usage, and the usage chunk is not forwarded when the client did not ask', async () => {
    mock.script(firstModel, [
      rawStream([
        roleChunk(firstModel),
        textChunk(firstModel, 'Hi'),
        finishChunk(firstModel),
        usageChunk(firstModel),
        event('[DONE]'),
      ]),
    ]);
    const chain = openChain();
    const record = nextRecord(chain);

    const response = await streamRequest(chain);
    const data = dataOf(await response.text());

    expect(mock.requestsFor(firstModel)[0]!.body).toMatchObject({ stream_options: { include_usage: true } });
    expect(jsonOf(data).some((json) => json.usage !== undefined)).toBe(false);
    expect(textOf(data)).toBe('Hi');
    expect(data.at(-1)).toBe('[DONE]');
    expect((await record).usage).toEqual({ promptTokens: 7, completionTokens: 3, totalTokens: 10 });
  });

  test('the usage chunk is forwarded when the client asked for it', async () => {
    mock.script(firstModel, [
      rawStream([
        roleChunk(firstModel),
        textChunk(firstModel, 'Hi'),
        finishChunk(firstModel),
        usageChunk(firstModel),
        event('[DONE]'),
      ]),
    ]);
    const chain = openChain();

    const response = await streamRequest(chain, { stream_options: { include_usage: true } });
    const data = dataOf(await response.text());

    expect(mock.requestsFor(firstModel)[0]!.body).toMatchObject({ stream_options: { include_usage: true } });
    const usage = jsonOf(data).filter((json) => json.usage !== undefined);
    expect(usage).toHaveLength(1);
    expect(usage[0]).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
    });
    expect(data.at(-1)).toBe('[DONE]');
  });

  test('a preset that rejects stream_options (cohere) gets none upstream, even when the client asked', async () => {
    mock.script(firstModel, [streamReply({ model: firstModel, tokens: ['Hi'], usage: false })]);
    const chain = openChain({ firstType: 'cohere' });

    const response = await streamRequest(chain, { stream_options: { include_usage: true } });
    const data = dataOf(await response.text());

    const upstream = mock.requestsFor(firstModel);
    expect(upstream).toHaveLength(1);
    expect(upstream[0]!.body).not.toHaveProperty('stream_options');
    expect(upstream[0]!.body).toMatchObject({ stream: true, model: firstModel });
    expect(textOf(data)).toBe('Hi');
    expect(data.at(-1)).toBe('[DONE]');
  });
});

describe('reasoning (trap 12)', () => {
  /** Reasoning first; the content comes only after the first-token timeout would have fired. */
  function reasoningStream(field: 'reasoning' | 'reasoning_content'): MockReply {
    return rawStream(
      [
        roleChunk(firstModel) + event(chunk({ model: firstModel, delta: { [field]: 'Two plus two.' } })),
        textChunk(firstModel, 'It is 4.'),
        finishChunk(firstModel) + event('[DONE]'),
      ],
      { intervalMs: 350 },
    );
  }
  const fields = ['reasoning', 'reasoning_content'] as const;

  test.each(fields)('"%s" counts as content for commit and is forwarded as is', async (field) => {
    mock.script(firstModel, [reasoningStream(field)]);
    mock.script(secondModel, [streamReply({ model: secondModel, tokens: ['Wrong entry'] })]);
    const chain = openChain({ settings: { firstTokenTimeoutMs: 200 } });

    const response = await streamRequest(chain);
    const data = dataOf(await response.text());

    expect(response.headers.get('x-429chain-provider')).toBe('first');
    expect(mock.requestsFor(secondModel)).toHaveLength(0);
    const deltas = jsonOf(data).map(deltaOf);
    expect(deltas).toContainEqual({ [field]: 'Two plus two.' });
    expect(textOf(data)).toBe('It is 4.');
    expect(data.at(-1)).toBe('[DONE]');
  });

  test.each(fields)('with normalizeResponses, "%s" is moved into content', async (field) => {
    mock.script(firstModel, [reasoningStream(field)]);
    const chain = openChain({ settings: { firstTokenTimeoutMs: 200, normalizeResponses: true } });

    const response = await streamRequest(chain);
    const data = dataOf(await response.text());

    expect(response.headers.get('x-429chain-provider')).toBe('first');
    const deltas = jsonOf(data).map(deltaOf);
    expect(deltas).toContainEqual({ content: 'Two plus two.' });
    expect(
      deltas.some((delta) => delta?.reasoning !== undefined || delta?.reasoning_content !== undefined),
    ).toBe(false);
    expect(textOf(data)).toBe('Two plus two.It is 4.');
  });
});

describe('client abort', () => {
  test('aborting mid-stream cancels the upstream request, with no failover, no cooldown, and a cancelled record', async () => {
    mock.script(firstModel, [
      rawStream([roleChunk(firstModel), textChunk(firstModel, 'Hello')], { after: 'hang' }),
    ]);
    mock.script(secondModel, [streamReply({ model: secondModel })]);
    const chain = openChain({ secondPrefill: true });
    const record = nextRecord(chain);
    const controller = new AbortController();

    const response = await streamRequest(chain, {}, controller.signal);
    const reader = response.body!.getReader();
    const [first] = await readEvents(reader, 1);
    expect(deltaOf(JSON.parse(first!))).toEqual({ role: 'assistant', content: '' });
    expect(mock.sockets().open).toBe(1);

    controller.abort();
    await expect(reader.read()).rejects.toThrow();

    await mock.allSocketsClosed();
    const ended = await record;
    expect(ended.outcome).toBe('cancelled');
    expect(ended.attempts.map((attempt) => [attempt.provider, attempt.outcome])).toEqual([
      ['first', 'cancelled'],
    ]);
    expect(mock.requestsFor(firstModel)).toHaveLength(1);
    expect(mock.requestsFor(secondModel)).toHaveLength(0);
    const status = await chain.status();
    expect(status.blocks).toEqual([]);
    expect(status.entries.every((entry) => entry.state !== 'exhausted')).toBe(true);
  });

  test('aborting before the first token cancels the upstream request, with no failover and no cooldown', async () => {
    mock.script(firstModel, [rawStream([': keep-alive\n\n'], { after: 'hang' })]);
    mock.script(secondModel, [streamReply({ model: secondModel })]);
    const chain = openChain();
    const record = nextRecord(chain);
    const controller = new AbortController();

    const pending = streamRequest(chain, {}, controller.signal);
    while (mock.requestsFor(firstModel).length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort();

    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await mock.allSocketsClosed();
    expect((await record).outcome).toBe('cancelled');
    expect(mock.requestsFor(secondModel)).toHaveLength(0);
    expect((await chain.status()).blocks).toEqual([]);
  });
});
