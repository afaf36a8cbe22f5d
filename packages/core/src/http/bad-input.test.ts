import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChainConfigInput } from '../config/config-schema.ts';
import { type Chain, createChain } from '../create-chain.ts';
import { ConfigError, type ConfigIssue } from '../errors.ts';
import type { RequestRecord } from '../events/request-record.ts';
import { type MockProvider, startMockProvider } from '../testing/mock-provider.ts';

/**
 * Bad input never reaches a provider: each malformed request gets an OpenAI-shaped
 * 4xx naming the field, and each malformed config a ConfigError naming the path.
 */

let mock: MockProvider;
let chain: Chain;
/** Every fetch the engine made toward a provider. */
const upstreamCalls: string[] = [];
/** Every request the engine closed, from `request-end`. */
const records: RequestRecord[] = [];

beforeAll(async () => {
  mock = await startMockProvider();
  chain = createChain({
    providers: [{ id: 'local', type: 'generic', baseUrl: mock.url }],
    chains: [
      { name: 'chat', entries: [{ provider: 'local', model: 'chat-model' }] },
      { name: 'embed', kind: 'embedding', entries: [{ provider: 'local', model: 'embed-model' }] },
    ],
    // No defaultChain: an unknown `model` must be refused.
    fetch: (input, init) => {
      upstreamCalls.push(String(input instanceof Request ? input.url : input));
      return globalThis.fetch(input, init);
    },
  });
  chain.on('request-end', ({ record }) => {
    records.push(record);
  });
});

afterEach(() => {
  // No bad input may cost an upstream request.
  expect(upstreamCalls).toEqual([]);
  expect(mock.requests).toEqual([]);
});

afterAll(async () => {
  await chain.close();
  await mock.close();
});

interface ErrorAnswer {
  status: number;
  headers: Headers;
  error: { message: string; type: string; code: string | null; param: string | null };
}

async function readError(response: Response): Promise<ErrorAnswer> {
  expect(response.headers.get('content-type')).toBe('application/json');
  const body = (await response.json()) as { error: ErrorAnswer['error'] };
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error).toEqual({
    message: expect.any(String),
    type: expect.any(String),
    code: body.error.code === null ? null : expect.any(String),
    param: body.error.param === null ? null : expect.any(String),
  });
  return { status: response.status, headers: response.headers, error: body.error };
}

/** Posts a raw body through `chain.fetch`. */
async function post(path: string, body: string): Promise<ErrorAnswer> {
  return readError(
    await chain.fetch(`http://429chain.local${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    }),
  );
}

const postChat = (body: unknown) => post('/v1/chat/completions', JSON.stringify(body));
const hello = [{ role: 'user', content: 'hello' }];

describe('bad requests through chain.fetch', () => {
  it('refuses a body that is not JSON with 400 invalid_json', async () => {
    const answer = await post('/v1/chat/completions', '{"model": "chat", "messages": [');

    expect(answer.status).toBe(400);
    expect(answer.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json', param: null });
    expect(answer.error.message).toMatch(/^The request body is not valid JSON/);
    expect(answer.headers.get('x-429chain-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses an empty body with 400 invalid_json', async () => {
    const answer = await post('/v1/chat/completions', '');

    expect(answer.status).toBe(400);
    expect(answer.error.code).toBe('invalid_json');
  });

  it.for([
    ['an array', '[{"model":"chat"}]'],
    ['a string', '"hello"'],
    ['null', 'null'],
    ['a number', '42'],
  ] as const)('refuses a JSON body that is %s rather than an object', async ([, body]) => {
    const answer = await post('/v1/chat/completions', body);

    expect(answer.status).toBe(400);
    expect(answer.error).toMatchObject({
      type: 'invalid_request_error',
      code: 'invalid_json',
      message: 'The request body must be a JSON object.',
    });
  });

  it('names messages when it is missing', async () => {
    const answer = await postChat({ model: 'chat' });

    expect(answer.status).toBe(400);
    expect(answer.error).toEqual({
      message: "Missing required parameter: 'messages'.",
      type: 'invalid_request_error',
      code: 'missing_required_parameter',
      param: 'messages',
    });
  });

  it('names messages when it is empty', async () => {
    const answer = await postChat({ model: 'chat', messages: [] });

    expect(answer.status).toBe(400);
    expect(answer.error).toMatchObject({ code: 'invalid_value', param: 'messages' });
    expect(answer.error.message).toContain("'messages'");
  });

  it('names messages when it is a string', async () => {
    const answer = await postChat({ model: 'chat', messages: 'hi' });

    expect(answer.status).toBe(400);
    expect(answer.error).toMatchObject({ code: 'invalid_value', param: 'messages' });
    expect(answer.error.message).toMatch(/expected array/);
  });

  it('names the role of the message at fault when it is not a known role', async () => {
    const answer = await postChat({
      model: 'chat',
      messages: [
        { role: 'user', content: 'hello' },
        { role: 'robot', content: 'beep' },
      ],
    });

    expect(answer.status).toBe(400);
    expect(answer.error).toMatchObject({
      type: 'invalid_request_error',
      code: 'invalid_value',
      param: 'messages[1].role',
    });
    expect(answer.error.message).toContain("'messages[1].role'");
    expect(answer.error.message).toContain('"assistant"');
  });

  it('names a missing role as a missing parameter', async () => {
    const answer = await postChat({ model: 'chat', messages: [{ content: 'hello' }] });

    expect(answer.error).toMatchObject({ code: 'missing_required_parameter', param: 'messages[0].role' });
  });

  it('names message content of the wrong type', async () => {
    const answer = await postChat({ model: 'chat', messages: [{ role: 'user', content: 42 }] });

    expect(answer.status).toBe(400);
    expect(answer.error).toMatchObject({ code: 'invalid_value', param: 'messages[0].content' });
    expect(answer.error.message).toContain('expected a string, an array of content parts, or null');
  });

  it.for([
    ['stream', { stream: 'yes' }, /expected boolean/],
    ['max_tokens', { max_tokens: -1 }, /too small/i],
    ['max_tokens', { max_tokens: 1.5 }, /expected int/],
    ['max_completion_tokens', { max_completion_tokens: '100' }, /expected number/],
    ['stream_options', { stream: true, stream_options: 'usage' }, /expected object/],
    ['stream_options.include_usage', { stream: true, stream_options: { include_usage: 'yes' } }, /boolean/],
    ['tools', { tools: { type: 'function' } }, /expected array/],
    ['tools[0].type', { tools: [{ function: { name: 'f' } }] }, /^Missing required parameter/],
    ['response_format', { response_format: 'json' }, /expected object/],
    ['n', { n: 0 }, /too small/i],
  ] as const)('names %s when its type or value is wrong', async ([param, extra, message]) => {
    const answer = await postChat({ model: 'chat', messages: hello, ...extra });

    expect(answer.status).toBe(400);
    expect(answer.error.type).toBe('invalid_request_error');
    expect(answer.error.param).toBe(param);
    expect(answer.error.message).toContain(`'${param}'`);
    expect(answer.error.message).toMatch(message);
  });

  it('names model when it is missing', async () => {
    const answer = await postChat({ messages: hello });

    expect(answer.status).toBe(400);
    expect(answer.error).toEqual({
      message: "Missing required parameter: 'model'.",
      type: 'invalid_request_error',
      code: 'missing_required_parameter',
      param: 'model',
    });
  });

  it('names model when it is empty', async () => {
    const answer = await postChat({ model: '', messages: hello });

    expect(answer.error).toMatchObject({ code: 'invalid_value', param: 'model' });
  });

  it('refuses an unknown chain with 400 model_not_found when no default chain is set', async () => {
    const answer = await postChat({ model: 'gpt-4o', messages: hello });

    expect(answer.status).toBe(400);
    expect(answer.error).toMatchObject({
      type: 'invalid_request_error',
      code: 'model_not_found',
      param: 'model',
    });
    expect(answer.error.message).toContain('"gpt-4o"');
    expect(answer.error.message).toContain('Known chains: chat.');
    expect(answer.headers.get('x-429chain-attempts')).toBe('0');
  });

  it('refuses provider/model for a provider that does not exist', async () => {
    const answer = await postChat({ model: 'nobody/chat-model', messages: hello });

    expect(answer.status).toBe(400);
    expect(answer.error).toMatchObject({ code: 'model_not_found', param: 'model' });
  });

  it('refuses an embedding chain on the chat endpoint', async () => {
    const answer = await postChat({ model: 'embed', messages: hello });

    expect(answer.status).toBe(400);
    expect(answer.error).toMatchObject({ code: 'model_not_found', param: 'model' });
    expect(answer.error.message).toContain('/v1/embeddings');
  });

  it('answers an unknown path with 404 unknown_url', async () => {
    const response = await chain.fetch('http://429chain.local/v1/audio/speech', {
      method: 'POST',
      body: JSON.stringify({ model: 'chat', input: 'hi' }),
    });
    const answer = await readError(response);

    expect(answer.status).toBe(404);
    expect(answer.error).toEqual({
      message: 'Unknown path POST /v1/audio/speech.',
      type: 'invalid_request_error',
      code: 'unknown_url',
      param: null,
    });
  });

  it('answers a wrong method with 405 and an Allow header', async () => {
    const answer = await readError(await chain.fetch('http://429chain.local/v1/chat/completions'));

    expect(answer.status).toBe(405);
    expect(answer.error).toMatchObject({ type: 'invalid_request_error', code: 'method_not_allowed' });
    expect(answer.error.message).toContain('GET');
    expect(answer.headers.get('allow')).toBe('POST');

    const onModels = await readError(
      await chain.fetch('http://429chain.local/v1/models', { method: 'DELETE' }),
    );
    expect(onModels.status).toBe(405);
    expect(onModels.headers.get('allow')).toBe('GET, HEAD');
  });

  it.for([
    ['missing', {}, 'missing_required_parameter'],
    ['an object', { input: { text: 'hi' } }, 'invalid_value'],
    ['an empty array', { input: [] }, 'invalid_value'],
    ['a mixed array', { input: ['a', 1] }, 'invalid_value'],
    ['a number', { input: 7 }, 'invalid_value'],
  ] as const)('names input on /v1/embeddings when it is %s', async ([, extra, code]) => {
    const answer = await post('/v1/embeddings', JSON.stringify({ model: 'embed', ...extra }));

    expect(answer.status).toBe(400);
    expect(answer.error).toMatchObject({ type: 'invalid_request_error', code, param: 'input' });
    expect(answer.error.message).toContain("'input'");
  });

  it('refuses a chat chain on the embeddings endpoint', async () => {
    const answer = await post('/v1/embeddings', JSON.stringify({ model: 'chat', input: 'hello' }));

    expect(answer.status).toBe(400);
    expect(answer.error).toMatchObject({ code: 'model_not_found', param: 'model' });
  });

  it('records each refused request as failed, with its status and no attempt', async () => {
    records.length = 0;
    await postChat({ model: 'chat' });
    await post('/v1/chat/completions', 'not json');

    expect(records).toHaveLength(2);
    for (const record of records) {
      expect(record).toMatchObject({ outcome: 'failed', status: 400, attempts: [] });
    }
    expect(records[0]?.error?.code).toBe('missing_required_parameter');
    expect(records[1]?.error?.code).toBe('invalid_json');
  });
});

describe('bad requests through chain.handle', () => {
  it('answers a Request with the same OpenAI-shaped errors', async () => {
    const invalid = await readError(
      await chain.handle(
        new Request('http://429chain.local/v1/chat/completions', {
          method: 'POST',
          body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 0 }),
        }),
        { requestId: 'request-42' },
      ),
    );
    expect(invalid.status).toBe(400);
    expect(invalid.error).toMatchObject({ code: 'invalid_value', param: 'max_tokens' });
    expect(invalid.headers.get('x-429chain-request-id')).toBe('request-42');

    const notJson = await readError(
      await chain.handle(
        new Request('http://429chain.local/v1/chat/completions', { method: 'POST', body: '{' }),
      ),
    );
    expect(notJson).toMatchObject({ status: 400, error: { code: 'invalid_json' } });

    const unknownPath = await readError(await chain.handle(new Request('http://429chain.local/v2/models')));
    expect(unknownPath).toMatchObject({ status: 404, error: { code: 'unknown_url' } });
  });
});

/** A valid config to break one field at a time. */
function validConfig(): ChainConfigInput {
  return {
    providers: [
      { id: 'groq', type: 'groq', apiKey: 'gsk_live_0123456789abcdef' },
      { id: 'cerebras', type: 'cerebras', apiKeys: ['csk-first-0123456789', 'csk-second-987654321'] },
    ],
    chains: [
      {
        name: 'fast',
        entries: [
          { provider: 'groq', model: 'llama-3.3-70b-versatile' },
          { provider: 'cerebras', model: 'llama3.1-8b' },
        ],
      },
    ],
  };
}

/** The ConfigError `createChain` throws for `config`. */
function configErrorOf(config: unknown): ConfigError {
  try {
    void createChain(config as ChainConfigInput).close();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('createChain accepted an invalid config');
}

function issueAt(error: ConfigError, path: string): ConfigIssue {
  const issue = error.issues.find((candidate) => candidate.path === path);
  if (!issue) throw new Error(`no issue at ${path}; issues: ${JSON.stringify(error.issues)}`);
  return issue;
}

describe('bad configs given to createChain', () => {
  it('names the entry whose provider does not exist, and the provider', () => {
    const config = validConfig();
    config.chains[0]!.entries[1]!.provider = 'grok';

    const error = configErrorOf(config);

    expect(error.code).toBe('invalid_config');
    const issue = issueAt(error, 'chains[0].entries[1].provider');
    expect(issue.message).toContain('unknown provider "grok"');
    expect(issue.message).toContain('groq, cerebras');
    expect(error.message).toContain('chains[0].entries[1].provider: unknown provider "grok"');
  });

  it('names an unknown provider type and lists the known ones', () => {
    const config = validConfig();
    config.providers[1]!.type = 'cerebrus';

    const issue = issueAt(configErrorOf(config), 'providers[1].type');

    expect(issue.message).toContain('unknown provider type "cerebrus"');
    expect(issue.message).toContain('cerebras');
  });

  it('names a provider whose API key is missing', () => {
    const config = validConfig();
    delete config.providers[0]!.apiKey;

    const issue = issueAt(configErrorOf(config), 'providers[0].apiKey');

    expect(issue.message).toMatch(/needs an API key/);
  });

  it('names a missing required key', () => {
    const config = validConfig() as { providers: Array<Record<string, unknown>>; chains: unknown[] };
    delete config.providers[1]!.id;

    expect(issueAt(configErrorOf(config), 'providers[1].id').message).toBe('expected string, got nothing');
    expect(issueAt(configErrorOf({ providers: [] }), 'chains').message).toBe('expected array, got nothing');
  });

  it('names an unknown key by its own path and suggests the key it resembles', () => {
    const config = validConfig();
    Object.assign(config.providers[0]!, { rateLimits: { requestPerMinute: 30 } });
    config.settings = { defaultChain: 'fast', ...({ cooldownDefault: 1000 } as object) };

    const error = configErrorOf(config);

    expect(issueAt(error, 'providers[0].rateLimits.requestPerMinute').message).toBe(
      'unknown key "requestPerMinute" (did you mean "requestsPerMinute"?)',
    );
    expect(issueAt(error, 'settings.cooldownDefault').message).toMatch(/^unknown key "cooldownDefault"/);
  });

  it('reports a wrong-typed value with its path and the value', () => {
    const config = validConfig();
    config.settings = { queueMaxSize: '100' as unknown as number, requestTimeoutMs: -5 };

    const error = configErrorOf(config);

    expect(issueAt(error, 'settings.queueMaxSize').message).toBe('expected number, got "100"');
    expect(issueAt(error, 'settings.requestTimeoutMs').message).toContain('(got -5)');
  });

  it('never echoes a value found under a key-ish path', () => {
    // The server's client and admin keys are checked the same way by its config file's schema.
    const secrets = ['gsk_secret_must_not_leak', 'Bearer sk-header-leak'];
    const config = {
      providers: [
        { id: 'groq', type: 'groq', apiKey: { value: secrets[0] } },
        { id: 'cerebras', type: 'cerebras', apiKeys: [secrets[0], 987654321, ''] },
        { id: 'other', type: 'openai', apiKey: '', headers: { Authorization: [secrets[1]] } },
        { id: 'number', type: 'openai', apiKey: 1234567890123 },
        { id: 'text', type: 'openai', apiKeys: secrets[0] },
      ],
      chains: [],
    };

    const error = configErrorOf(config);
    const seen = JSON.stringify(error.issues) + error.message + JSON.stringify(error.toJSON());

    for (const secret of [...secrets, '987654321', '1234567890123']) {
      expect(seen).not.toContain(secret);
    }
    expect(issueAt(error, 'providers[0].apiKey').message).toBe('expected string, got an object');
    expect(issueAt(error, 'providers[1].apiKeys[1]').message).toBe('expected string, got a number');
    expect(issueAt(error, 'providers[1].apiKeys[2]').message).toContain('must not be empty');
    expect(issueAt(error, 'providers[2].apiKey').message).toContain('must not be empty');
    expect(issueAt(error, 'providers[2].headers.Authorization').message).toBe('expected string, got a list');
    expect(issueAt(error, 'providers[3].apiKey').message).toBe('expected string, got a number');
    expect(issueAt(error, 'providers[4].apiKeys').message).toBe('expected array, got a string');
  });

  it('reports every problem at once, not only the first', () => {
    const config = validConfig();
    config.providers[1]!.type = 'nope';
    config.chains.push({ name: 'fast', entries: [{ provider: 'ghost', model: 'm' }] });
    config.settings = { defaultChain: 'slow' };

    const paths = configErrorOf(config).issues.map((issue) => issue.path);

    expect(paths).toEqual(
      expect.arrayContaining([
        'providers[1].type',
        'chains[1].name',
        'chains[1].entries[0].provider',
        'settings.defaultChain',
      ]),
    );
  });

  it('refuses an invalid config on update() and keeps serving the old one', () => {
    const live = createChain(validConfig());
    try {
      const broken = validConfig();
      broken.chains[0]!.entries[0]!.provider = 'grok';
      expect(() => live.update(broken)).toThrow(ConfigError);
      expect(live.config().chains[0]?.entries[0]?.provider).toBe('groq');
    } finally {
      void live.close();
    }
  });
});
