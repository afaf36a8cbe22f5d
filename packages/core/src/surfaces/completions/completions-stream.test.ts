import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fixtureReply, streamEvents, useFixtureChain } from '../../testing/replay-fixture.ts';

/** Parsed JSON, read loosely by the assertions. */
// biome-ignore lint/suspicious/noExplicitAny: assertions walk parsed JSON of known shape
type Json = Record<string, any>;

/** A recorded chat upstream stream replayed through the legacy `POST /v1/completions`. */

const fixture = useFixtureChain({ beforeAll, afterEach, afterAll });

describe('legacy completions stream from a recorded chat stream', () => {
  it('text_completion chunks in order, usage when asked, then [DONE]', async () => {
    fixture.mock().script('llama-3.3-70b', [fixtureReply('text-then-tool-call.sse')]);
    const { events } = await streamEvents(fixture.chain(), '/v1/completions', {
      model: 'main',
      prompt: 'Weather?',
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(events.at(-1)!.data).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event.data) as Json);
    expect(
      chunks.map((chunk) => [chunk.choices[0]?.text ?? null, chunk.choices[0]?.finish_reason ?? null]),
    ).toEqual([
      ['Let me ', null],
      ['check.', null],
      ['', 'tool_calls'],
      [null, null],
    ]);
    expect(chunks.every((chunk) => chunk.object === 'text_completion')).toBe(true);
    expect(chunks.at(-1)!.usage).toEqual({ prompt_tokens: 31, completion_tokens: 14, total_tokens: 45 });
    expect(fixture.mock().requests[0]!.body!.messages).toEqual([{ role: 'user', content: 'Weather?' }]);
  });

  it('a stream cut mid-answer ends with an in-band error and no [DONE]', async () => {
    fixture.mock().script('llama-3.3-70b', [fixtureReply('text-then-cut.sse', 'cut')]);
    const { events } = await streamEvents(fixture.chain(), '/v1/completions', {
      model: 'main',
      prompt: 'Story',
      stream: true,
    });
    expect(events.map((event) => event.data)).not.toContain('[DONE]');
    expect(JSON.parse(events.at(-1)!.data)).toMatchObject({ error: { code: 'stream_interrupted' } });
  });
});
