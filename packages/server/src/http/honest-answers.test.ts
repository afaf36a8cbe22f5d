import type { RequestRecord } from '@429chain/core';
import { errorReply, type MockProvider, streamReply } from '@429chain/core/testing';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closeTestResources,
  mockProviderConfig,
  parseSse,
  startTestMock,
  startTestServer,
  type TestServer,
} from '../testing/start-test-server.ts';

/** Parsed JSON, read loosely by the assertions. */
// biome-ignore lint/suspicious/noExplicitAny: assertions walk parsed JSON of known shape
type Json = Record<string, any>;

/**
 * Answer hygiene (issue 10, item 5) and honest errors (item 6), through the proxy over HTTP:
 * what upstream leaves out is filled in, a continued stream stays one answer, every response
 * names its request, and an exhausted chain tells clients whether retrying is worth it.
 */

afterEach(closeTestResources);

async function start(
  entries: Array<Record<string, unknown>> = [
    { provider: 'first', model: 'first-model' },
    { provider: 'second', model: 'second-model', capabilities: { prefill: true } },
  ],
  settings: Record<string, unknown> = {},
): Promise<{ server: TestServer; mock: MockProvider; records: RequestRecord[] }> {
  const mock = await startTestMock();
  const server = await startTestServer({
    config: {
      providers: [mockProviderConfig('first', mock), mockProviderConfig('second', mock)],
      chains: [{ name: 'main', entries }],
      settings: { defaultChain: 'main', ...settings },
    },
  });
  const records: RequestRecord[] = [];
  server.server.chain.on('request-end', ({ record }) => records.push(record));
  return { server, mock, records };
}

/** Chunks as a sloppy upstream sends them: no id, object, created, model, nor the first delta's role. */
function bareChunks(tokens: string[], finish: boolean): string[] {
  const pieces = tokens.map(
    (token) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: token } }] })}\n\n`,
  );
  if (finish) {
    pieces.push(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
    pieces.push('data: [DONE]\n\n');
  }
  return pieces;
}

function client(server: TestServer, maxRetries = 0): OpenAI {
  return new OpenAI({ apiKey: 'unused', baseURL: `${server.url}/v1`, maxRetries });
}

describe('answer hygiene', () => {
  it('fills in id, object, created, model and the first role, so the SDK stream helpers work', async () => {
    const { server, mock, records } = await start([{ provider: 'first', model: 'first-model' }]);
    mock.script('first-model', [{ type: 'stream', pieces: bareChunks(['Hel', 'lo'], true) }]);
    const stream = client(server).chat.completions.stream({
      model: 'main',
      messages: [{ role: 'user', content: 'hi' }],
    });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]!.message).toMatchObject({ role: 'assistant', content: 'Hello' });
    expect(final.model).toBe('first-model');
    expect(final.id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);

    mock.script('first-model', [
      {
        type: 'json',
        body: {
          choices: [{ index: 0, message: { role: 'assistant', content: 'Hi' }, finish_reason: 'stop' }],
        },
      },
    ]);
    const answer = await server.call<Record<string, unknown>>('/v1/chat/completions', {
      method: 'POST',
      json: server.chat('main'),
    });
    expect(answer.body).toMatchObject({
      object: 'chat.completion',
      model: 'first-model',
      created: expect.any(Number),
    });
    expect(answer.body.id).toBe(`chatcmpl-${answer.headers.get('x-request-id')!.replaceAll('-', '')}`);
    expect(records.at(-1)!.attempts.at(-1)!.upstreamId).toBeUndefined();
  });

  it('keeps one id and model across a continuation, names who finished, and counts the whole usage', async () => {
    const { server, mock, records } = await start();
    mock.script('first-model', [
      streamReply({
        model: 'first-model',
        tokens: ['Once', ' upon'],
        finish: false,
        intervalMs: 20,
        after: 'cut',
      }),
    ]);
    mock.script('second-model', [streamReply({ model: 'second-model', tokens: [' a', ' time.'] })]);
    const response = await server.fetch('/v1/chat/completions', {
      method: 'POST',
      json: { ...server.chat('main'), stream: true, stream_options: { include_usage: true } },
    });
    const events = parseSse(await response.text()).map((event) => event.data);
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((data) => JSON.parse(data) as Json);
    expect(new Set(chunks.map((chunk) => chunk.id))).toEqual(new Set(['chatcmpl-mock']));
    expect(new Set(chunks.map((chunk) => chunk.model))).toEqual(new Set(['first-model']));
    expect(chunks[0]!.choices[0].delta.role).toBe('assistant');
    const text = chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join('');
    expect(text).toBe('Once upon a time.');
    const finishing = chunks.find((chunk) => chunk.choices[0]?.finish_reason);
    expect(finishing!.x_429chain).toEqual({ continued: true, finished_by: 'second-model' });
    // The broken part never sent usage: its estimate (prompt, ~"Once upon" / 4) plus the continuation's 10 + 2.
    const usage = chunks.at(-1)!.usage;
    expect(usage.completion_tokens).toBe(2 + Math.ceil('Once upon'.length / 4));
    expect(usage.prompt_tokens).toBeGreaterThan(10);
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
    await expect.poll(() => records.length).toBe(1);
    expect(records[0]!.model).toBe('second-model');
    expect(records[0]!.usage?.completionTokens).toBe(usage.completion_tokens);
    expect(records[0]!.attempts.map((attempt) => attempt.upstreamId)).toEqual(['chatcmpl-mock', undefined]);
  });

  it('names every response by its request: x-request-id on answers, streams and errors', async () => {
    const { server } = await start([{ provider: 'first', model: 'first-model' }]);
    const answered = await server.call('/v1/chat/completions', { method: 'POST', json: server.chat('main') });
    const refused = await server.call('/v1/chat/completions', { method: 'POST', json: { model: 'main' } });
    const unknown = await server.call('/v1/nothing', { method: 'POST', json: {} });
    const listed = await server.call('/v1/models');
    for (const response of [answered, refused, unknown, listed]) {
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(answered.headers.get('x-request-id')).toBe(answered.headers.get('x-429chain-request-id'));
    const sdk = await client(server)
      .chat.completions.create({ model: 'main', messages: [{ role: 'user', content: 'x' }] })
      .withResponse();
    expect(sdk.request_id).toBe(sdk.response.headers.get('x-429chain-request-id'));
  });
});

describe('honest errors and client retries', () => {
  it('an exhausted chain far from its reset says x-should-retry: false, and the SDK does not retry', async () => {
    const { server, mock, records } = await start([{ provider: 'first', model: 'first-model' }]);
    mock.script('first-model', [
      errorReply(429, { error: { message: 'Rate limit reached' } }, { 'retry-after': '30' }),
    ]);
    const error = (await client(server, 2)
      .chat.completions.create({ model: 'main', messages: [{ role: 'user', content: 'x' }] })
      .catch((caught: unknown) => caught)) as InstanceType<typeof OpenAI.RateLimitError>;
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error.headers?.get('x-should-retry')).toBe('false');
    expect(Number(error.headers?.get('retry-after'))).toBeGreaterThanOrEqual(29);
    // One request reached the proxy: the SDK's two retries were not spent sleeping 60 s.
    expect(records).toHaveLength(1);
  });

  it('a reset within settings.clientRetryMaxWaitMs leaves retrying to the client', async () => {
    const { server, mock } = await start([{ provider: 'first', model: 'first-model' }], {
      clientRetryMaxWaitMs: 60_000,
    });
    mock.script('first-model', [
      errorReply(429, { error: { message: 'Rate limit reached' } }, { 'retry-after': '30' }),
    ]);
    const answer = await server.call('/v1/chat/completions', { method: 'POST', json: server.chat('main') });
    expect(answer.status).toBe(429);
    expect(answer.headers.get('retry-after')).toBe('30');
    expect(answer.headers.has('x-should-retry')).toBe(false);
  });

  it('entries out after a broken stream answer 503 upstream_unavailable, not a rate limit', async () => {
    const { server, mock } = await start([{ provider: 'first', model: 'first-model' }]);
    mock.script('first-model', [
      streamReply({
        model: 'first-model',
        tokens: ['par', 'tial'],
        finish: false,
        intervalMs: 20,
        after: 'cut',
      }),
    ]);
    const broken = await server.fetch('/v1/chat/completions', {
      method: 'POST',
      json: { ...server.chat('main'), stream: true },
    });
    expect(await broken.text()).toContain('stream_interrupted');
    const next = await server.call<{ error: { code: string; type: string; message: string } }>(
      '/v1/chat/completions',
      {
        method: 'POST',
        json: server.chat('main'),
      },
    );
    expect(next.status).toBe(503);
    expect(next.body.error.code).toBe('upstream_unavailable');
    expect(next.body.error.type).toBe('api_error');
    expect(next.body.error.message).toContain('not rate limits');
    expect(next.headers.has('retry-after')).toBe(false);
  });
});
