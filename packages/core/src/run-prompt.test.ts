import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Chain, createChain } from './create-chain.ts';
import { UnknownTargetError } from './errors.ts';
import { parsePromptTarget, runPrompt } from './run-prompt.ts';
import {
  completionReply,
  errorReply,
  type MockProvider,
  startMockProvider,
  streamReply,
} from './testing/mock-provider.ts';

let mock: MockProvider;
let chain: Chain;

beforeAll(async () => {
  mock = await startMockProvider();
});
afterEach(async () => {
  await chain?.close();
  mock.reset();
});
afterAll(async () => {
  await mock.close();
});

function startChain(): Chain {
  chain = createChain({
    providers: [
      { id: 'alpha', type: 'generic', baseUrl: mock.url, apiKey: 'sk-alpha-run-prompt-0001' },
      { id: 'beta', type: 'generic', baseUrl: mock.url, apiKey: 'sk-beta-run-prompt-0002' },
    ],
    chains: [
      {
        name: 'main',
        entries: [
          { provider: 'alpha', model: 'alpha-small' },
          { provider: 'beta', model: 'beta-large' },
        ],
      },
    ],
    settings: { defaultChain: 'main' },
  });
  return chain;
}

describe('runPrompt', () => {
  it('runs a prompt through a chain and captures the record of that request', async () => {
    startChain();
    mock.script('alpha-small', [
      errorReply(429, { error: { message: 'slow down' } }, { 'retry-after': '30' }),
    ]);
    mock.script('beta-large', [completionReply({ model: 'beta-large', text: 'Hello from beta.' })]);

    const run = await runPrompt({
      chain,
      target: 'main',
      prompt: 'hi',
      maxTokens: 12,
      metadata: { client: 'test' },
    });
    const answer = (await run.response.json()) as { choices: Array<{ message: { content: string } }> };
    const record = await run.record;

    expect(run.response.status).toBe(200);
    expect(answer.choices[0]!.message.content).toBe('Hello from beta.');
    expect(run.response.headers.get('x-429chain-request-id')).toBe(run.requestId);
    expect(record).toMatchObject({
      id: run.requestId,
      chain: 'main',
      outcome: 'answered',
      provider: 'beta',
      attemptCount: 2,
      fallback: true,
      metadata: { client: 'test' },
    });
    expect(record.attempts.map((attempt) => [attempt.provider, attempt.outcome, attempt.failure])).toEqual([
      ['alpha', 'failed', 'rate-limit'],
      ['beta', 'answered', undefined],
    ]);
    expect(mock.requestsFor('beta-large')[0]!.body).toMatchObject({
      model: 'beta-large',
      max_tokens: 12,
      messages: [{ role: 'user', content: 'hi' }],
    });
  });

  it('sends provider/model to that one entry, and streams with usage when asked', async () => {
    startChain();
    mock.script('beta-large', [streamReply({ model: 'beta-large', tokens: ['Hel', 'lo'] })]);

    const run = await runPrompt({
      chain,
      target: { provider: 'beta', model: 'beta-large' },
      prompt: 'hi',
      stream: true,
    });
    const text = await run.response.text();
    const record = await run.record;

    expect(run.response.headers.get('content-type')).toContain('text/event-stream');
    expect(text).toContain('data: [DONE]');
    expect(record).toMatchObject({
      chain: 'beta/beta-large',
      stream: true,
      outcome: 'answered',
      fallback: false,
    });
    expect(mock.requests.map((request) => request.model)).toEqual(['beta-large']);
    expect(mock.requests[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('refuses an unknown provider, and with unknownChain: refuse an unknown chain, before sending anything', async () => {
    startChain();

    const provider = await runPrompt({ chain, target: 'gamma/x', prompt: 'hi' }).catch(
      (error: unknown) => error,
    );
    const refused = await runPrompt({ chain, target: 'nope', prompt: 'hi', unknownChain: 'refuse' }).catch(
      (error: unknown) => error,
    );

    expect(provider).toBeInstanceOf(UnknownTargetError);
    expect(provider).toMatchObject({
      what: 'provider',
      target: 'gamma',
      known: ['alpha', 'beta'],
      code: 'provider_not_found',
      status: 404,
      param: 'provider',
    });
    expect(refused).toMatchObject({
      what: 'chain',
      target: 'nope',
      known: ['main'],
      code: 'chain_not_found',
    });
    expect(mock.requests).toHaveLength(0);
  });

  it('routes an unknown chain name to the default chain unless told to refuse it', async () => {
    startChain();

    const run = await runPrompt({ chain, target: 'nope', prompt: 'hi' });
    await run.response.text();

    expect((await run.record).chain).toBe('main');
  });

  it('reads a slash as provider/model and anything else as a chain', () => {
    expect(parsePromptTarget('main')).toEqual({ chain: 'main' });
    expect(parsePromptTarget('openrouter/meta-llama/llama-3.3-70b:free')).toEqual({
      provider: 'openrouter',
      model: 'meta-llama/llama-3.3-70b:free',
    });
  });
});
