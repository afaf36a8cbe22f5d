/**
 * Embed 429chain in your own process and talk to it with the official OpenAI SDK.
 *
 *   pnpm exec node --conditions=@429chain/source examples/embed-openai-sdk.ts
 *
 * With GROQ_API_KEY and CEREBRAS_API_KEY set, the chain calls Groq, then Cerebras.
 * Without them (as in CI) it starts a loopback mock provider where the first entry
 * always answers 429, so you can watch the failover with no network and no keys.
 * Exits 0 when both completions arrived, 1 otherwise.
 */
import { type Chain, type ChainConfigInput, createChain } from '@429chain/core';
import {
  completionReply,
  errorReply,
  type MockProvider,
  startMockProvider,
  streamReply,
} from '@429chain/core/testing/mock-provider';
import OpenAI from 'openai';

const groqKey = process.env.GROQ_API_KEY;
const cerebrasKey = process.env.CEREBRAS_API_KEY;
const live = groqKey !== undefined && cerebrasKey !== undefined;

/** One chain, `fast`: Groq first, Cerebras when Groq is rate-limited. */
function configFor(options: { baseUrl?: string; groqKey: string; cerebrasKey: string }): ChainConfigInput {
  return {
    providers: [
      { id: 'groq', type: 'groq', apiKey: options.groqKey, baseUrl: options.baseUrl },
      { id: 'cerebras', type: 'cerebras', apiKey: options.cerebrasKey, baseUrl: options.baseUrl },
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
    settings: { defaultChain: 'fast' },
  };
}

/** A stand-in for both providers: Groq's model is always rate-limited, Cerebras's model answers. */
async function startStandIn(): Promise<MockProvider> {
  const mock = await startMockProvider({
    fallback: (request) =>
      request.body?.stream === true
        ? streamReply({ model: request.model, tokens: ['Waterfalls', ' all', ' the', ' way', ' down.'] })
        : completionReply({ model: request.model, text: 'A chain of free tiers, answering as one.' }),
  });
  mock.script('llama-3.3-70b-versatile', [
    errorReply(
      429,
      { error: { message: 'Rate limit reached for model', type: 'requests', code: 'rate_limit_exceeded' } },
      { 'retry-after': '60' },
    ),
  ]);
  return mock;
}

async function main(): Promise<void> {
  const mock = live ? undefined : await startStandIn();
  const chain: Chain = createChain(
    mock
      ? configFor({ baseUrl: mock.url, groqKey: 'gsk_mock', cerebrasKey: 'csk-mock' })
      : configFor({ groqKey: groqKey!, cerebrasKey: cerebrasKey! }),
  );
  console.log(live ? 'Using Groq and Cerebras.' : `No API keys set: using a mock provider at ${mock!.url}.`);

  // The SDK talks to the engine in-process: `chain.fetch` is a real fetch serving /v1/*.
  const openai = new OpenAI({ apiKey: 'unused', baseURL: 'http://429chain.local/v1', fetch: chain.fetch });

  try {
    // 1. A normal completion. `.withResponse()` exposes the x-429chain-* headers.
    const { data: completion, response } = await openai.chat.completions
      .create({ model: 'fast', messages: [{ role: 'user', content: 'Describe 429chain in one line.' }] })
      .withResponse();
    const provider = response.headers.get('x-429chain-provider');
    console.log(`\n[completion] answered by ${provider} (${completion.model})`);
    console.log(`  trail: ${response.headers.get('x-429chain-trail')}`);
    console.log(`  ${completion.choices[0]?.message.content}`);

    // 2. A streamed completion: chunks arrive as the provider sends them.
    const { data: stream, response: streamResponse } = await openai.chat.completions
      .create({ model: 'fast', messages: [{ role: 'user', content: 'Say something short.' }], stream: true })
      .withResponse();
    const streamProvider = streamResponse.headers.get('x-429chain-provider');
    console.log(`\n[stream] answered by ${streamProvider}`);
    console.log(`  trail: ${streamResponse.headers.get('x-429chain-trail')}`);
    let text = '';
    process.stdout.write('  ');
    for await (const chunk of stream) {
      const piece = chunk.choices[0]?.delta.content ?? '';
      text += piece;
      process.stdout.write(piece);
    }
    process.stdout.write('\n');

    if (!completion.choices[0]?.message.content || text.length === 0) throw new Error('an answer was empty');
    // With the mock, the first entry always answers 429: Cerebras must have answered both.
    if (mock && (provider !== 'cerebras' || streamProvider !== 'cerebras')) {
      throw new Error(`expected the failover to reach cerebras, got ${provider} and ${streamProvider}`);
    }
    console.log('\nOK');
  } finally {
    await chain.close();
    await mock?.close();
  }
}

main().catch((error: unknown) => {
  console.error('The example failed:', error);
  process.exitCode = 1;
});
