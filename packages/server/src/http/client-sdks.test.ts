import { type Chain, createChain } from '@429chain/core';
import { errorReply, type MockProvider } from '@429chain/core/testing';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import Anthropic from '@anthropic-ai/sdk';
import { generateText, streamText } from 'ai';
import OpenAI from 'openai';
import { zodTextFormat } from 'openai/helpers/zod';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { conversationReply } from '../testing/conversation-upstream.ts';
import {
  closeTestResources,
  mockProviderConfig,
  startTestMock,
  startTestServer,
  testClientKey,
} from '../testing/start-test-server.ts';

/**
 * The official clients of 2026 against 429chain's client surfaces, each through the proxy and
 * through `chain.fetch` in-process: the `openai` SDK (Responses, models, legacy completions),
 * the Vercel AI SDK's default OpenAI provider (Responses) and its Anthropic provider, and
 * `@anthropic-ai/sdk`. The chain's first entry answers 429 every time and its state is reset
 * before each test, so every test also proves a failover on a 429.
 */

let mock: MockProvider;

function config(url: MockProvider) {
  return {
    providers: [mockProviderConfig('first', url), mockProviderConfig('second', url)],
    chains: [
      {
        name: 'main',
        entries: [
          { provider: 'first', model: 'first-model' },
          { provider: 'second', model: 'second-model' },
        ],
      },
    ],
    settings: { defaultChain: 'main', modelAliases: { 'claude-*': 'main', 'gpt-*': 'main' } },
  };
}

interface Transport {
  name: string;
  /** Base URL without `/v1`. */
  origin: string;
  fetch: typeof globalThis.fetch;
  apiKey: string;
  reset(): Promise<void>;
}

const transports: Transport[] = [];
let inProcess: Chain;

beforeAll(async () => {
  mock = await startTestMock({ fallback: (request) => conversationReply(request) });
  const server = await startTestServer({
    config: { ...config(mock), settings: { ...config(mock).settings, apiKeys: [testClientKey] } },
  });
  inProcess = createChain(config(mock) as unknown as Parameters<typeof createChain>[0]);
  transports.push(
    {
      name: 'proxy',
      origin: server.url,
      fetch: (input, init) => globalThis.fetch(input, init),
      apiKey: testClientKey,
      reset: () => server.server.chain.reset(),
    },
    {
      name: 'chain.fetch',
      origin: 'http://429chain.local',
      fetch: inProcess.fetch,
      apiKey: 'unused',
      reset: () => inProcess.reset(),
    },
  );
});

afterAll(async () => {
  await inProcess.close();
  await closeTestResources();
});

let firstModelCalls = 0;
beforeEach(async () => {
  mock.script('first-model', [
    errorReply(
      429,
      {
        error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' },
      },
      { 'retry-after': '20' },
    ),
  ]);
  for (const transport of transports) await transport.reset();
  firstModelCalls = mock.requestsFor('first-model').length;
});

/** The first entry was asked once more (and answered 429): the answer came by failover. */
function expectFailover(times = 1): void {
  expect(mock.requestsFor('first-model').length - firstModelCalls).toBe(times);
  firstModelCalls = mock.requestsFor('first-model').length;
}

const each = (name: string, test: (transport: Transport) => Promise<void>) =>
  it.each(['proxy', 'chain.fetch'])(`${name} (%s)`, async (which) => {
    await test(transports.find((transport) => transport.name === which)!);
  });

function openai(transport: Transport): OpenAI {
  return new OpenAI({
    apiKey: transport.apiKey,
    baseURL: `${transport.origin}/v1`,
    fetch: transport.fetch,
    maxRetries: 0,
  });
}

function anthropic(transport: Transport): Anthropic {
  return new Anthropic({
    apiKey: transport.apiKey,
    baseURL: transport.origin,
    fetch: transport.fetch,
    maxRetries: 0,
  });
}

const weather: OpenAI.Responses.FunctionTool = {
  type: 'function',
  name: 'get_weather',
  description: 'The weather in a city.',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  strict: false,
};

describe('openai SDK', () => {
  each('responses.create answers with output_text, usage and the trail', async (transport) => {
    const { data, response } = await openai(transport)
      .responses.create({ model: 'main', instructions: 'Be brief.', input: 'Hello there' })
      .withResponse();
    expect(data.object).toBe('response');
    expect(data.status).toBe('completed');
    expect(data.output_text).toBe('Echo: Hello there');
    expect(data.usage?.total_tokens).toBe(18);
    expect(response.headers.get('x-429chain-trail')).toMatch(
      /first\/first-model=429, second\/second-model=200/,
    );
    expect(response.headers.get('x-request-id')).toBe(response.headers.get('x-429chain-request-id'));
    expectFailover();
    const upstream = mock.requestsFor('second-model').at(-1)!.body!;
    expect(upstream.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hello there' },
    ]);
  });

  each('responses streaming yields the event sequence and a final response', async (transport) => {
    const stream = openai(transport).responses.stream({ model: 'gpt-5', input: 'Stream this' });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    const final = await stream.finalResponse();
    expect(final.output_text).toBe('Echo: Stream this');
    expect(final.usage?.output_tokens).toBe(6);
    expect(types[0]).toBe('response.created');
    expect(types).toContain('response.output_text.delta');
    expect(types.at(-1)).toBe('response.completed');
    expectFailover();
  });

  each('a function call round trip', async (transport) => {
    const client = openai(transport);
    const first = await client.responses.create({
      model: 'main',
      input: 'Weather in Paris?',
      tools: [weather],
    });
    const call = first.output.find((item) => item.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', arguments: '{"city":"Paris"}' });
    expectFailover();
    if (call?.type !== 'function_call') throw new Error('no function call');
    await transport.reset();
    const second = await client.responses.create({
      model: 'main',
      tools: [weather],
      input: [
        { role: 'user', content: 'Weather in Paris?' },
        { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
        { type: 'function_call_output', call_id: call.call_id, output: 'sunny, 21 °C' },
      ],
    });
    expect(second.output_text).toBe('The tool said: sunny, 21 °C');
    expectFailover();
    const messages = mock.requestsFor('second-model').at(-1)!.body!.messages as Array<
      Record<string, unknown>
    >;
    expect(messages.at(-2)).toMatchObject({ role: 'assistant', tool_calls: [{ id: call.call_id }] });
    expect(messages.at(-1)).toEqual({ role: 'tool', tool_call_id: call.call_id, content: 'sunny, 21 °C' });
  });

  each('structured output through text.format (responses.parse)', async (transport) => {
    const parsed = await openai(transport).responses.parse({
      model: 'main',
      input: 'Answer in JSON.',
      text: { format: zodTextFormat(z.object({ answer: z.string() }), 'answer') },
    });
    expect(parsed.output_parsed).toEqual({ answer: 'forty-two' });
    const upstream = mock.requestsFor('second-model').at(-1)!.body!;
    expect(upstream.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'answer' } });
    expectFailover();
  });

  each('previous_response_id continues the conversation; GET and DELETE by id', async (transport) => {
    const client = openai(transport);
    const first = await client.responses.create({ model: 'main', input: 'My name is Ada.' });
    expectFailover();
    await transport.reset();
    const second = await client.responses.create({
      model: 'main',
      input: 'What is my name?',
      previous_response_id: first.id,
    });
    expect(second.previous_response_id).toBe(first.id);
    expectFailover();
    expect(mock.requestsFor('second-model').at(-1)!.body!.messages).toEqual([
      { role: 'user', content: 'My name is Ada.' },
      { role: 'assistant', content: 'Echo: My name is Ada.' },
      { role: 'user', content: 'What is my name?' },
    ]);
    expect((await client.responses.retrieve(second.id)).output_text).toBe('Echo: What is my name?');
    await client.responses.delete(second.id);
    await expect(client.responses.retrieve(second.id)).rejects.toMatchObject({ status: 404 });
    await expect(
      client.responses.create({ model: 'main', input: 'x', previous_response_id: 'resp_missing' }),
    ).rejects.toMatchObject({ status: 400, code: 'previous_response_not_found' });
  });

  each('models.retrieve for a chain, an entry and an alias; legacy completions', async (transport) => {
    const client = openai(transport);
    expect(await client.models.retrieve('main')).toMatchObject({ id: 'main', owned_by: '429chain' });
    expect(await client.models.retrieve('second/second-model')).toMatchObject({ owned_by: 'second' });
    expect(await client.models.retrieve('claude-sonnet-4-5')).toMatchObject({ alias_of: 'main' });
    await expect(client.models.retrieve('nothing-like-it')).rejects.toMatchObject({ status: 404 });
    const completion = await client.completions.create({ model: 'main', prompt: 'Once upon a time' });
    expect(completion.object).toBe('text_completion');
    expect(completion.choices[0]!.text).toBe('Echo: Once upon a time');
    expectFailover();
    await transport.reset();
    const stream = await client.completions.create({ model: 'main', prompt: 'Stream me', stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe('Echo: Stream me');
    expectFailover();
  });
});

describe('Vercel AI SDK', () => {
  each('the default @ai-sdk/openai provider (Responses): generateText and streamText', async (transport) => {
    const provider = createOpenAI({
      apiKey: transport.apiKey,
      baseURL: `${transport.origin}/v1`,
      fetch: transport.fetch,
    });
    const generated = await generateText({ model: provider('main'), prompt: 'Hi AI SDK', maxRetries: 0 });
    expect(generated.text).toBe('Echo: Hi AI SDK');
    expect(generated.usage.outputTokens).toBe(6);
    expectFailover();
    await transport.reset();
    const streamed = streamText({ model: provider('main'), prompt: 'Stream AI SDK', maxRetries: 0 });
    expect(await streamed.text).toBe('Echo: Stream AI SDK');
    expectFailover();
  });

  each('@ai-sdk/anthropic: generateText and streamText', async (transport) => {
    const provider = createAnthropic({
      apiKey: transport.apiKey,
      baseURL: `${transport.origin}/v1`,
      fetch: transport.fetch,
    });
    const generated = await generateText({
      model: provider('claude-sonnet-4-5'),
      prompt: 'Hi Claude',
      maxRetries: 0,
    });
    expect(generated.text).toBe('Echo: Hi Claude');
    expectFailover();
    await transport.reset();
    const streamed = streamText({
      model: provider('claude-sonnet-4-5'),
      prompt: 'Stream Claude',
      maxRetries: 0,
    });
    expect(await streamed.text).toBe('Echo: Stream Claude');
    expectFailover();
  });
});

describe('@anthropic-ai/sdk', () => {
  const tool: Anthropic.Tool = {
    name: 'get_weather',
    description: 'The weather in a city.',
    input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  };

  each('messages.create with a system prompt', async (transport) => {
    const { data, response } = await anthropic(transport)
      .messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 100,
        system: [{ type: 'text', text: 'Be brief.' }],
        messages: [{ role: 'user', content: 'Hello Claude' }],
      })
      .withResponse();
    expect(data).toMatchObject({
      type: 'message',
      role: 'assistant',
      content: [{ type: 'text', text: 'Echo: Hello Claude' }],
      stop_reason: 'end_turn',
      usage: { input_tokens: 12, output_tokens: 6 },
    });
    expect(response.headers.get('x-429chain-trail')).toContain('first/first-model=429');
    expectFailover();
    expect(mock.requestsFor('second-model').at(-1)!.body!).toMatchObject({
      max_tokens: 100,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello Claude' },
      ],
    });
  });

  each('messages.stream gives the final message', async (transport) => {
    const stream = anthropic(transport).messages.stream({
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Stream, Claude' }],
    });
    const final = await stream.finalMessage();
    expect(final.content).toMatchObject([{ type: 'text', text: 'Echo: Stream, Claude' }]);
    expect(final.content).toHaveLength(1);
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage.output_tokens).toBe(6);
    expectFailover();
  });

  each('a tool-use round trip', async (transport) => {
    const client = anthropic(transport);
    const question: Anthropic.MessageParam = { role: 'user', content: 'Weather in Paris?' };
    const first = await client.messages
      .stream({ model: 'claude-sonnet-4-5', max_tokens: 200, tools: [tool], messages: [question] })
      .finalMessage();
    expect(first.stop_reason).toBe('tool_use');
    const use = first.content.find((block) => block.type === 'tool_use');
    expect(use).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } });
    expectFailover();
    if (use?.type !== 'tool_use') throw new Error('no tool use');
    await transport.reset();
    const second = await client.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 200,
      tools: [tool],
      messages: [
        question,
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny, 21 °C' }] },
      ],
    });
    expect(second.content).toEqual([{ type: 'text', text: 'The tool said: sunny, 21 °C' }]);
    expectFailover();
  });

  each('countTokens estimates without sending anything upstream', async (transport) => {
    const before = mock.requests.length;
    const counted = await anthropic(transport).messages.countTokens({
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'Count these words, please.' }],
    });
    expect(counted.input_tokens).toBeGreaterThan(4);
    expect(mock.requests.length).toBe(before);
  });

  each('an exhausted chain is a 429 rate_limit_error in Anthropic shape', async (transport) => {
    mock.script('second-model', [
      errorReply(429, { error: { message: 'slow down' } }, { 'retry-after': '5' }),
    ]);
    try {
      await expect(
        anthropic(transport).messages.create({
          model: 'claude-sonnet-4-5',
          max_tokens: 10,
          messages: [{ role: 'user', content: 'hi' }],
        }),
      ).rejects.toMatchObject({ status: 429, error: { type: 'error', error: { type: 'rate_limit_error' } } });
      expectFailover();
    } finally {
      mock.script('second-model', []);
    }
  });
});
