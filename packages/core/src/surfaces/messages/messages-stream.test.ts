import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fixtureReply, streamEvents, useFixtureChain } from '../../testing/replay-fixture.ts';

/** Parsed JSON, read loosely by the assertions. */
// biome-ignore lint/suspicious/noExplicitAny: assertions walk parsed JSON of known shape
type Json = Record<string, any>;

/** Recorded chat upstream streams replayed through `POST /v1/messages`: Anthropic's exact event order. */

const fixture = useFixtureChain({ beforeAll, afterEach, afterAll });

const request = {
  model: 'main',
  max_tokens: 1024,
  stream: true,
  system: [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }],
  thinking: { type: 'enabled', budget_tokens: 1024 },
  tools: [{ name: 'get_weather', description: 'Weather', input_schema: { type: 'object' } }],
  messages: [{ role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] }],
};

describe('Messages stream from a recorded chat stream', () => {
  it('text then a tool call: message_start … message_stop, in order', async () => {
    fixture.mock().script('llama-3.3-70b', [fixtureReply('text-then-tool-call.sse')]);
    const { status, events } = await streamEvents(fixture.chain(), '/v1/messages?beta=true', request, {
      'anthropic-version': '2023-06-01',
      'anthropic-beta': 'interleaved-thinking-2025-05-14,claude-code-20250219',
    });
    expect(status).toBe(200);
    const parsed: Json[] = events.map((event) => ({
      ...(JSON.parse(event.data) as Json),
      sse: event.event,
    }));
    expect(parsed.map((event) => `${event.type}${event.delta?.type ? `:${event.delta.type}` : ''}`)).toEqual([
      'message_start',
      'ping',
      'content_block_start',
      'content_block_delta:text_delta',
      'content_block_delta:text_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta:input_json_delta',
      'content_block_delta:input_json_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(parsed.every((event) => event.sse === event.type)).toBe(true);
    expect(parsed[0]!.message).toMatchObject({
      type: 'message',
      role: 'assistant',
      content: [],
      stop_reason: null,
    });
    expect(parsed[6]).toMatchObject({
      index: 1,
      content_block: {
        type: 'tool_use',
        id: 'call_d41d8cd98f00b204e9800998ecf8427e',
        name: 'get_weather',
        input: {},
      },
    });
    expect(parsed[7]!.delta.partial_json + parsed[8]!.delta.partial_json).toBe('{"city":"Paris"}');
    expect(parsed[10]).toMatchObject({
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { input_tokens: 31, output_tokens: 14 },
    });
    // What the chat upstream was sent: the system blocks as one system message; thinking left out.
    expect(fixture.mock().requests[0]!.body).toMatchObject({
      max_tokens: 1024,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Weather in Paris?' },
      ],
      tools: [
        {
          type: 'function',
          function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object' } },
        },
      ],
    });
    expect(fixture.mock().requests[0]!.body).not.toHaveProperty('thinking');
  });

  it('a stream cut mid-answer ends with an error event and no message_stop', async () => {
    fixture.mock().script('llama-3.3-70b', [fixtureReply('text-then-cut.sse', 'cut')]);
    const { events } = await streamEvents(fixture.chain(), '/v1/messages', { ...request, tools: undefined });
    expect(events.map((event) => event.event)).toEqual([
      'message_start',
      'ping',
      'content_block_start',
      'content_block_delta',
      'error',
    ]);
    expect(JSON.parse(events.at(-1)!.data)).toMatchObject({
      type: 'error',
      error: { type: 'overloaded_error' },
    });
  });

  it('answers errors in Anthropic shape: a bad body is a 400 invalid_request_error', async () => {
    const response = await fixture.chain().fetch('http://429chain.local/v1/messages', {
      method: 'POST',
      headers: { 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'main', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: "Missing required parameter: 'max_tokens'." },
    });
    const unknown = await fixture.chain().fetch('http://429chain.local/v1/messages/batches', {
      method: 'POST',
      headers: { 'anthropic-version': '2023-06-01' },
      body: '{}',
    });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
  });
});
