import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Chain, createChain } from '../create-chain.ts';
import { alphanumericDigest, atMostCharacters, nineAlphanumerics } from '../providers/portable-history.ts';
import {
  completionReply,
  errorReply,
  type MockProvider,
  type MockRequest,
  startMockProvider,
} from '../testing/mock-provider.ts';

/** Parsed JSON, read loosely by the assertions. */
// biome-ignore lint/suspicious/noExplicitAny: assertions walk parsed JSON of known shape
type Json = Record<string, any>;

/**
 * A conversation carried across providers: the history one provider wrote (its 40-character
 * tool-call ids, its reasoning fields) is rewritten for the next by that preset's hook.
 */

let first: MockProvider;
let mistral: MockProvider;
let chain: Chain | undefined;

/** Answers like Mistral: a 422 for any tool-call id that is not nine alphanumerics, or any unknown field. */
function mistralDialect(request: MockRequest) {
  const messages = (request.body?.messages ?? []) as Array<Record<string, unknown>>;
  for (const message of messages) {
    const ids = [
      ...(Array.isArray(message.tool_calls) ? message.tool_calls.map((call) => String(call.id)) : []),
      ...(message.tool_call_id !== undefined ? [String(message.tool_call_id)] : []),
    ];
    for (const id of ids) {
      if (!/^[A-Za-z0-9]{9}$/.test(id)) {
        return errorReply(422, {
          object: 'error',
          message: `Tool call id was ${id} but must be a-z, A-Z, 0-9, with a length of 9.`,
          type: 'invalid_request_message_order',
          code: '3280',
        });
      }
    }
    if ('reasoning_content' in message) {
      return errorReply(422, { object: 'error', message: 'Extra inputs are not permitted', code: '3051' });
    }
  }
  return completionReply({ model: request.model, text: 'Paris is sunny.' });
}

beforeAll(async () => {
  first = await startMockProvider();
  mistral = await startMockProvider({ fallback: mistralDialect });
});

afterEach(async () => {
  await chain?.close();
  chain = undefined;
  first.reset();
  mistral.reset();
});

afterAll(async () => {
  await first.close();
  await mistral.close();
});

const longId = `call_${'9f8e7d6c5b'.repeat(4).slice(0, 35)}`;
const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }];

function start(secondType: string): Chain {
  chain = createChain({
    providers: [
      { id: 'groq', type: 'generic', baseUrl: first.url, apiKey: 'sk-first-0000000001' },
      { id: 'mistral', type: secondType, baseUrl: mistral.url, apiKey: 'sk-mistral-00000002' },
    ],
    chains: [
      {
        name: 'main',
        entries: [
          { provider: 'groq', model: 'llama' },
          { provider: 'mistral', model: 'mistral-small' },
        ],
      },
    ],
  });
  return chain;
}

async function chat(engine: Chain, body: Record<string, unknown>) {
  const response = await engine.fetch('http://429chain.local/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'main', tools, ...body }),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Json,
  };
}

describe('conversation-portable fallback', () => {
  it('falls back mid-conversation from 40-character tool-call ids to a Mistral-dialect entry', async () => {
    const engine = start('mistral');
    // Turn 1: the first entry answers with a tool call whose id is 40 characters long.
    first.script('llama', [
      completionReply({
        model: 'llama',
        finishReason: 'tool_calls',
        message: {
          role: 'assistant',
          content: null,
          reasoning_content: 'The user wants the weather.',
          tool_calls: [
            {
              id: longId,
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
          ],
        },
      }),
      errorReply(
        429,
        { error: { message: 'Rate limit reached', code: 'rate_limit_exceeded' } },
        { 'retry-after': '30' },
      ),
    ]);
    const question = { role: 'user', content: 'Weather in Paris?' };
    const turn1 = await chat(engine, { messages: [question] });
    const assistant = turn1.body.choices[0].message;
    expect(assistant.tool_calls[0].id).toHaveLength(40);

    // Turn 2: the first entry is rate-limited; Mistral gets the history, rewritten.
    const turn2 = await chat(engine, {
      messages: [question, assistant, { role: 'tool', tool_call_id: longId, content: 'sunny, 21 °C' }],
    });
    expect(turn2.status).toBe(200);
    expect(turn2.body.choices[0].message.content).toBe('Paris is sunny.');
    expect(turn2.headers.get('x-429chain-trail')).toBe('groq/llama=429, mistral/mistral-small=200');
    const sent = mistral.requests.at(-1)!.body!.messages as Array<Json>;
    const rewritten = sent[1]!.tool_calls[0].id as string;
    expect(rewritten).toMatch(/^[A-Za-z0-9]{9}$/);
    expect(sent[2]!.tool_call_id).toBe(rewritten);
    expect(sent[1]).not.toHaveProperty('reasoning_content');
    expect(sent[1]!.tool_calls[0].function).toEqual({ name: 'get_weather', arguments: '{"city":"Paris"}' });
  });

  it('without the preset hook (a generic entry) the Mistral dialect refuses the same history', async () => {
    const engine = start('generic');
    const history = [
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: longId, type: 'function', function: { name: 'get_weather', arguments: '{}' } }],
      },
      { role: 'tool', tool_call_id: longId, content: 'sunny' },
    ];
    first.script('llama', [
      errorReply(429, { error: { message: 'Rate limit reached' } }, { 'retry-after': '30' }),
    ]);
    const answer = await chat(engine, { messages: history });
    expect(answer.status).toBe(422);
    expect(answer.body.error.message).toContain('with a length of 9');
  });

  it('gives images to an entry without vision only as a note (dropImages), else skips it', async () => {
    chain = createChain({
      providers: [
        { id: 'groq', type: 'generic', baseUrl: first.url, apiKey: 'sk-first-0000000001' },
        { id: 'mistral', type: 'mistral', baseUrl: mistral.url, apiKey: 'sk-mistral-00000002' },
      ],
      chains: [
        {
          name: 'main',
          entries: [
            { provider: 'groq', model: 'llama', capabilities: { vision: false } },
            {
              provider: 'mistral',
              model: 'mistral-small',
              capabilities: { vision: false, dropImages: true },
            },
          ],
        },
      ],
    });
    const answer = await chat(chain, {
      tools: undefined,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          ],
        },
      ],
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-429chain-trail')).toBe(
      'groq/llama=skip(unsuitable), mistral/mistral-small=200',
    );
    expect(first.requests).toHaveLength(0);
    expect(mistral.requests.at(-1)!.body!.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'text', text: '[an image was left out: this model does not accept images]' },
        ],
      },
    ]);
  });

  it('shapes ids stably: nine alphanumerics for Mistral, at most 40 characters for OpenAI', () => {
    expect(nineAlphanumerics(longId)).toBe(nineAlphanumerics(longId));
    expect(nineAlphanumerics(longId)).not.toBe(nineAlphanumerics(`${longId}x`));
    expect(nineAlphanumerics('abcDEF123')).toBe('abcDEF123');
    expect(alphanumericDigest('toolu_01', 9)).toMatch(/^[A-Za-z0-9]{9}$/);
    const openaiShape = atMostCharacters(40);
    expect(openaiShape(longId)).toBe(longId);
    expect(openaiShape(`${longId}-and-more`).length).toBeLessThanOrEqual(40);
  });
});
