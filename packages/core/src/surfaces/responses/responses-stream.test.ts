import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fixtureReply, streamEvents, useFixtureChain } from '../../testing/replay-fixture.ts';

/** Parsed JSON, read loosely by the assertions. */
// biome-ignore lint/suspicious/noExplicitAny: assertions walk parsed JSON of known shape
type Json = Record<string, any>;

/** Recorded chat upstream streams replayed through `POST /v1/responses`: the exact event order. */

const fixture = useFixtureChain({ beforeAll, afterEach, afterAll });

const request = {
  model: 'main',
  input: 'Weather in Paris?',
  stream: true,
  tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' } }, { type: 'web_search' }],
};

describe('Responses stream from a recorded chat stream', () => {
  it('text then a tool call: every event in order, numbered, with the final response', async () => {
    fixture.mock().script('llama-3.3-70b', [fixtureReply('text-then-tool-call.sse')]);
    const { status, events } = await streamEvents(fixture.chain(), '/v1/responses', request);
    expect(status).toBe(200);
    const parsed: Json[] = events.map((event) => ({
      ...(JSON.parse(event.data) as Json),
      sse: event.event,
    }));
    expect(parsed.map((event) => event.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(parsed.every((event) => event.sse === event.type)).toBe(true);
    expect(parsed.map((event) => event.sequence_number)).toEqual(parsed.map((_, index) => index));

    const completed = parsed.at(-1)!.response;
    expect(completed.status).toBe('completed');
    expect(completed.model).toBe('llama-3.3-70b');
    expect(completed.usage).toMatchObject({ input_tokens: 31, output_tokens: 14, total_tokens: 45 });
    expect(completed.output).toEqual([
      expect.objectContaining({
        type: 'message',
        status: 'completed',
        content: [expect.objectContaining({ type: 'output_text', text: 'Let me check.' })],
      }),
      expect.objectContaining({
        type: 'function_call',
        call_id: 'call_d41d8cd98f00b204e9800998ecf8427e',
        name: 'get_weather',
        arguments: '{"city":"Paris"}',
        status: 'completed',
      }),
    ]);
    // The hosted tool cannot run on a chat upstream: left out, and said so in the record.
    expect(fixture.mock().requests[0]!.body!.tools).toEqual([
      { type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } },
    ]);
  });

  it('a stream cut mid-answer ends with response.failed, never response.completed', async () => {
    fixture.mock().script('llama-3.3-70b', [fixtureReply('text-then-cut.sse', 'cut')]);
    const { events } = await streamEvents(fixture.chain(), '/v1/responses', {
      model: 'main',
      input: 'Tell a story',
      stream: true,
    });
    const types = events.map((event) => (JSON.parse(event.data) as { type: string }).type);
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.failed',
    ]);
    const failed = JSON.parse(events.at(-1)!.data) as {
      response: { status: string; error: { code: string } };
    };
    expect(failed.response).toMatchObject({ status: 'failed', error: { code: 'stream_interrupted' } });
  });

  it('refuses input it cannot translate with a 400 naming the item', async () => {
    const response = await fixture.chain().fetch('http://429chain.local/v1/responses', {
      method: 'POST',
      body: JSON.stringify({ model: 'main', input: [{ type: 'input_file', file_id: 'f1' }] }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'invalid_value', param: 'input[0].type' } });
    expect(fixture.mock().requests).toHaveLength(0);
  });
});
