import OpenAI, { RateLimitError } from 'openai';
import type {
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Chain, createChain } from './create-chain.ts';
import {
  completionReply,
  errorReply,
  type MockProvider,
  type MockRequest,
  startMockProvider,
  streamReply,
} from './testing/mock-provider.ts';

/**
 * The official `openai` SDK running on `chain.fetch`, in-process, against loopback
 * mock providers: what the SDK gets, and what the upstream saw.
 */

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

/** A chain `main` of two entries (`first/model-a`, then `second/model-b`) and an SDK client over it. */
function startClient(): OpenAI {
  chain = createChain({
    providers: [
      { id: 'first', type: 'generic', baseUrl: mock.url, apiKey: 'sk-first-0000000001' },
      { id: 'second', type: 'generic', baseUrl: mock.url, apiKey: 'sk-second-000000002' },
    ],
    chains: [
      {
        name: 'main',
        entries: [
          { provider: 'first', model: 'model-a' },
          { provider: 'second', model: 'model-b' },
        ],
      },
      { name: 'backup', entries: [{ provider: 'second', model: 'model-c' }] },
      {
        name: 'vectors',
        kind: 'embedding',
        entries: [
          { provider: 'first', model: 'embed-a' },
          { provider: 'second', model: 'embed-b' },
        ],
      },
    ],
    settings: { defaultChain: 'main' },
  });
  // maxRetries 0: the SDK's own retries would hide what the engine answered.
  return new OpenAI({
    apiKey: 'unused',
    baseURL: 'http://429chain.local/v1',
    fetch: chain.fetch,
    maxRetries: 0,
  });
}

function onlyRequestFor(model: string): MockRequest {
  const requests = mock.requestsFor(model);
  expect(requests).toHaveLength(1);
  return requests[0]!;
}

const rateLimited = errorReply(
  429,
  { error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' } },
  { 'retry-after': '30' },
);

describe('the openai SDK on chain.fetch', () => {
  it('gets a non-streaming completion from the first entry, which received the client body', async () => {
    const client = startClient();
    mock.script('model-a', [
      completionReply({
        model: 'model-a',
        text: 'Paris.',
        usage: { prompt_tokens: 12, completion_tokens: 2 },
      }),
    ]);

    const completion = await client.chat.completions.create({
      model: 'main',
      messages: [
        { role: 'system', content: 'Answer briefly.' },
        { role: 'user', content: 'Capital of France?' },
      ],
      max_tokens: 20,
      temperature: 0.2,
    });

    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('model-a');
    expect(completion.choices[0]?.message.content).toBe('Paris.');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage).toEqual({ prompt_tokens: 12, completion_tokens: 2, total_tokens: 14 });

    const upstream = onlyRequestFor('model-a');
    expect(upstream.method).toBe('POST');
    expect(upstream.path).toBe('/v1/chat/completions');
    expect(upstream.headers.authorization).toBe('Bearer sk-first-0000000001');
    expect(upstream.body).toEqual({
      model: 'model-a',
      messages: [
        { role: 'system', content: 'Answer briefly.' },
        { role: 'user', content: 'Capital of France?' },
      ],
      max_tokens: 20,
      temperature: 0.2,
    });
    expect(mock.requestsFor('model-b')).toHaveLength(0);
  });

  it('streams chunks that reassemble the text, without a usage chunk the client did not ask for', async () => {
    const client = startClient();
    mock.script('model-a', [streamReply({ model: 'model-a', tokens: ['The', ' answer', ' is', ' 42.'] })]);

    const stream = await client.chat.completions.create({
      model: 'main',
      messages: [{ role: 'user', content: 'What is the answer?' }],
      stream: true,
    });
    let text = '';
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      text += chunk.choices[0]?.delta.content ?? '';
    }

    expect(text).toBe('The answer is 42.');
    expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.some((chunk) => chunk.usage)).toBe(false);
    expect(chunks.some((chunk) => chunk.choices.length === 0)).toBe(false);

    // Upstream was asked for usage anyway (the engine counts tokens), and got `stream: true`.
    const upstream = onlyRequestFor('model-a');
    expect(upstream.body?.stream).toBe(true);
    expect(upstream.body?.stream_options).toEqual({ include_usage: true });
    expect(upstream.headers.accept).toBe('text/event-stream');
  });

  it('passes the usage chunk through when the client sets stream_options.include_usage', async () => {
    const client = startClient();
    mock.script('model-a', [streamReply({ model: 'model-a', tokens: ['Hi', ' there'] })]);

    const stream = await client.chat.completions.create({
      model: 'main',
      messages: [{ role: 'user', content: 'Say hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    const usages: OpenAI.CompletionUsage[] = [];
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usages.push(chunk.usage);
    }

    expect(text).toBe('Hi there');
    expect(usages).toEqual([{ prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 }]);
    expect(onlyRequestFor('model-a').body?.stream_options).toEqual({ include_usage: true });
  });

  it('parses a tool call, and the upstream received the tools array unchanged', async () => {
    const client = startClient();
    const tools: ChatCompletionTool[] = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Current weather in a city',
          parameters: {
            type: 'object',
            properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
            required: ['city'],
            additionalProperties: false,
          },
          strict: true,
        },
      },
    ];
    mock.script('model-a', [
      completionReply({
        model: 'model-a',
        finishReason: 'tool_calls',
        message: {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_abc123',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"c"}' },
            },
          ],
        },
      }),
    ]);

    const completion = await client.chat.completions.create({
      model: 'main',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools,
      tool_choice: 'auto',
      parallel_tool_calls: false,
    });

    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    const call = choice.message.tool_calls?.[0];
    expect(call?.type).toBe('function');
    if (call?.type !== 'function') throw new Error('expected a function tool call');
    expect(call.id).toBe('call_abc123');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Paris', unit: 'c' });

    const upstream = onlyRequestFor('model-a');
    expect(upstream.body?.tools).toEqual(tools);
    expect(upstream.body?.tool_choice).toBe('auto');
    expect(upstream.body?.parallel_tool_calls).toBe(false);
  });

  it('passes response_format to the upstream untouched', async () => {
    const client = startClient();
    const responseFormat = {
      type: 'json_schema' as const,
      json_schema: {
        name: 'city',
        strict: true,
        schema: {
          type: 'object',
          properties: { name: { type: 'string' }, population: { type: 'integer' } },
          required: ['name', 'population'],
          additionalProperties: false,
        },
      },
    };
    mock.script('model-a', [
      completionReply({ model: 'model-a', text: '{"name":"Paris","population":2102650}' }),
    ]);

    const completion = await client.chat.completions.create({
      model: 'main',
      messages: [{ role: 'user', content: 'Describe Paris as JSON.' }],
      response_format: responseFormat,
    });

    expect(JSON.parse(completion.choices[0]?.message.content ?? '')).toEqual({
      name: 'Paris',
      population: 2102650,
    });
    expect(onlyRequestFor('model-a').body?.response_format).toEqual(responseFormat);
  });

  it('sends unknown extra body fields to the upstream untouched', async () => {
    const client = startClient();
    const params: ChatCompletionCreateParamsNonStreaming = {
      model: 'main',
      messages: [{ role: 'user', content: 'hello' }],
      seed: 7,
    };
    // The SDK's documented way to send undocumented params: extra keys in the body object.
    const withExtras = {
      ...params,
      extra_body_field: { nested: [1, 2] },
      provider: { order: ['x', 'y'], allow_fallbacks: false },
    } as ChatCompletionCreateParamsNonStreaming;

    const completion = await client.chat.completions.create(withExtras);

    expect(completion.choices[0]?.message.content).toBe('Hello from the mock.');
    const upstream = onlyRequestFor('model-a');
    expect(upstream.body).toEqual({
      model: 'model-a',
      messages: [{ role: 'user', content: 'hello' }],
      seed: 7,
      extra_body_field: { nested: [1, 2] },
      provider: { order: ['x', 'y'], allow_fallbacks: false },
    });
  });

  it('sends a body given through the request options untouched', async () => {
    const client = startClient();
    const body = {
      model: 'main',
      messages: [{ role: 'user', content: 'hello' }],
      seed: 7,
      extra_body_field: { nested: [1, 2] },
    };

    // The `body` request option replaces the params object wholesale.
    type CreateOptions = Parameters<typeof client.chat.completions.create>[1];
    await client.chat.completions.create({ model: 'ignored', messages: [] }, { body } as CreateOptions);

    expect(onlyRequestFor('model-a').body).toEqual({ ...body, model: 'model-a' });
  });

  it('fails over after a 429, invisibly to the SDK except for the x-429chain headers', async () => {
    const client = startClient();
    mock.script('model-a', [rateLimited]);
    mock.script('model-b', [completionReply({ model: 'model-b', text: 'From the second entry.' })]);

    const { data, response } = await client.chat.completions
      .create({ model: 'main', messages: [{ role: 'user', content: 'hello' }], max_tokens: 16 })
      .withResponse();

    expect(data.choices[0]?.message.content).toBe('From the second entry.');
    expect(data.model).toBe('model-b');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-429chain-chain')).toBe('main');
    expect(response.headers.get('x-429chain-provider')).toBe('second');
    expect(response.headers.get('x-429chain-model')).toBe('model-b');
    expect(response.headers.get('x-429chain-attempts')).toBe('2');
    expect(response.headers.get('x-429chain-trail')).toBe('first/model-a=429, second/model-b=200');
    expect(response.headers.get('x-429chain-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    // Each entry saw the client's body, with only `model` replaced, exactly once.
    const first = onlyRequestFor('model-a');
    const second = onlyRequestFor('model-b');
    const clientBody = { messages: [{ role: 'user', content: 'hello' }], max_tokens: 16 };
    expect(first.body).toEqual({ ...clientBody, model: 'model-a' });
    expect(second.body).toEqual({ ...clientBody, model: 'model-b' });
    expect(second.headers.authorization).toBe('Bearer sk-second-000000002');

    // The cooled-down entry is skipped next time: no second request to it.
    const again = await client.chat.completions
      .create({ model: 'main', messages: [{ role: 'user', content: 'again' }] })
      .asResponse();
    expect(again.headers.get('x-429chain-provider')).toBe('second');
    expect(again.headers.get('x-429chain-attempts')).toBe('1');
    expect(again.headers.get('x-429chain-trail')).toMatch(
      /^first\/model-a=skip\(cooldown\), second\/model-b=200$/,
    );
    await again.body?.cancel();
    expect(mock.requestsFor('model-a')).toHaveLength(1);
  });

  it('fails over a stream after a 429 and streams the second entry', async () => {
    const client = startClient();
    mock.script('model-a', [rateLimited]);
    mock.script('model-b', [streamReply({ model: 'model-b', tokens: ['from', ' b'] })]);

    const { data: stream, response } = await client.chat.completions
      .create({ model: 'main', messages: [{ role: 'user', content: 'hello' }], stream: true })
      .withResponse();
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';

    expect(text).toBe('from b');
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(response.headers.get('x-429chain-provider')).toBe('second');
    expect(response.headers.get('x-429chain-attempts')).toBe('2');
    expect(response.headers.get('x-429chain-trail')).toBe('first/model-a=429, second/model-b=200');
    expect(onlyRequestFor('model-a').body?.stream).toBe(true);
    expect(onlyRequestFor('model-b').body?.stream).toBe(true);
  });

  it('closes the upstream socket when the SDK stops reading a stream early', async () => {
    const client = startClient();
    const tokens = Array.from({ length: 200 }, (_, index) => ` word${index}`);
    mock.script('model-a', [streamReply({ model: 'model-a', tokens, intervalMs: 10, after: 'hang' })]);

    const stream = await client.chat.completions.create({
      model: 'main',
      messages: [{ role: 'user', content: 'Write a long story.' }],
      stream: true,
    });
    let received = '';
    for await (const chunk of stream) {
      received += chunk.choices[0]?.delta.content ?? '';
      if (received.includes('word2')) break; // the SDK aborts its request on break
    }

    await onlyRequestFor('model-a').socketClosed;
    expect(received.startsWith(' word0 word1 word2')).toBe(true);
    expect(mock.requestsFor('model-b')).toHaveLength(0);
  });

  it('surfaces an all-rate-limited chain as the SDK RateLimitError with the OpenAI shape and retry-after', async () => {
    const client = startClient();
    mock.script('model-a', [rateLimited]);
    mock.script('model-b', [rateLimited]);

    const error = await client.chat.completions
      .create({ model: 'main', messages: [{ role: 'user', content: 'hello' }] })
      .then(
        () => undefined,
        (thrown: unknown) => thrown,
      );

    expect(error).toBeInstanceOf(RateLimitError);
    const rateLimitError = error as RateLimitError;
    expect(rateLimitError.status).toBe(429);
    expect(rateLimitError.type).toBe('rate_limit_error');
    expect(rateLimitError.code).toBe('rate_limited');
    expect(rateLimitError.param).toBeNull();
    expect(rateLimitError.message).toContain('rate-limited');
    expect(rateLimitError.error).toMatchObject({
      message: expect.stringContaining('first/model-a'),
      type: 'rate_limit_error',
      code: 'rate_limited',
      param: null,
      attempts: [
        expect.objectContaining({ provider: 'first', model: 'model-a', outcome: 'failed', status: 429 }),
        expect.objectContaining({ provider: 'second', model: 'model-b', outcome: 'failed', status: 429 }),
      ],
    });
    const retryAfter = Number(rateLimitError.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(29);
    expect(retryAfter).toBeLessThanOrEqual(30);
    expect(rateLimitError.headers.get('x-429chain-chain')).toBe('main');
    expect(rateLimitError.headers.get('content-type')).toContain('application/json');
    expect(mock.requestsFor('model-a')).toHaveLength(1);
    expect(mock.requestsFor('model-b')).toHaveLength(1);

    // Now every entry is known to be cooling down: the next request costs nothing upstream.
    const second = await client.chat.completions
      .create({ model: 'main', messages: [{ role: 'user', content: 'hello' }] })
      .catch((thrown: unknown) => thrown);
    expect(second).toBeInstanceOf(RateLimitError);
    expect(mock.requests).toHaveLength(2);
  });

  it('lists the chains first, then every provider/model entry', async () => {
    const client = startClient();

    const page = await client.models.list();
    const ids = page.data.map((model) => model.id);

    expect(ids).toEqual([
      'main',
      'backup',
      'vectors',
      'first/model-a',
      'second/model-b',
      'second/model-c',
      'first/embed-a',
      'second/embed-b',
    ]);
    expect(page.data[0]).toMatchObject({ id: 'main', object: 'model', owned_by: '429chain' });
    expect(page.data[3]).toMatchObject({ id: 'first/model-a', object: 'model', owned_by: 'first' });
    const listed: string[] = [];
    for await (const model of client.models.list()) listed.push(model.id);
    expect(listed).toEqual(ids);
    expect(mock.requests).toHaveLength(0);
  });

  it('creates embeddings through an embedding chain, failing over on 429, in the SDK default base64', async () => {
    const client = startClient();
    const vectors = [
      [0.25, -0.5, 1],
      [0.125, 2, -4],
    ];
    const base64Of = (vector: number[]) => Buffer.from(new Float32Array(vector).buffer).toString('base64');
    mock.script('embed-a', [rateLimited]);
    mock.script('embed-b', [
      {
        type: 'json',
        body: {
          object: 'list',
          model: 'embed-b',
          data: vectors.map((vector, index) => ({ object: 'embedding', index, embedding: base64Of(vector) })),
          usage: { prompt_tokens: 4, total_tokens: 4 },
        },
      },
    ]);

    const { data, response } = await client.embeddings
      .create({ model: 'vectors', input: ['first text', 'second text'], dimensions: 3 })
      .withResponse();

    expect(data.data.map((item) => Array.from(item.embedding))).toEqual(vectors);
    expect(data.model).toBe('embed-b');
    expect(data.usage).toEqual({ prompt_tokens: 4, total_tokens: 4 });
    expect(response.headers.get('x-429chain-provider')).toBe('second');
    expect(response.headers.get('x-429chain-trail')).toBe('first/embed-a=429, second/embed-b=200');
    const upstream = onlyRequestFor('embed-b');
    expect(upstream.path).toBe('/v1/embeddings');
    expect(upstream.body).toEqual({
      model: 'embed-b',
      input: ['first text', 'second text'],
      dimensions: 3,
      encoding_format: 'base64',
    });
  });

  it('reads a multi-megabyte embeddings answer whole', async () => {
    const client = startClient();
    const inputs = Array.from({ length: 100 }, (_, index) => `document ${index}`);
    const vector = Array.from({ length: 1536 }, (_, index) => Math.sin(index) / 3);
    const body = {
      object: 'list',
      model: 'embed-a',
      data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: vector })),
      usage: { prompt_tokens: 300, total_tokens: 300 },
    };
    expect(JSON.stringify(body).length).toBeGreaterThan(2 * 1024 * 1024);
    mock.script('embed-a', [{ type: 'json', body }]);

    const result = await client.embeddings.create({
      model: 'vectors',
      input: inputs,
      encoding_format: 'float',
    });

    expect(result.data).toHaveLength(100);
    expect(result.data[99]?.embedding).toEqual(vector);
    expect(onlyRequestFor('embed-a').body?.encoding_format).toBe('float');
  });

  it('addresses one entry directly with provider/model', async () => {
    const client = startClient();
    mock.script('model-b', [completionReply({ model: 'model-b', text: 'direct' })]);

    const { data, response } = await client.chat.completions
      .create({ model: 'second/model-b', messages: [{ role: 'user', content: 'hello' }] })
      .withResponse();

    expect(data.choices[0]?.message.content).toBe('direct');
    expect(response.headers.get('x-429chain-provider')).toBe('second');
    expect(onlyRequestFor('model-b').body?.model).toBe('model-b');
    expect(mock.requestsFor('model-a')).toHaveLength(0);
  });
});
