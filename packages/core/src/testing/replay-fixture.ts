import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Chain, createChain } from '../create-chain.ts';
import { type MockProvider, type MockReply, startMockProvider } from './mock-provider.ts';
import { parseSseText } from './parse-sse-text.ts';

/** Test helper: a recorded upstream stream from `surfaces/fixtures/`, as a mock reply (one write per event, then end or cut). */
export function fixtureReply(name: string, after: 'end' | 'cut' = 'end'): MockReply {
  const text = readFileSync(join(import.meta.dirname, '..', 'surfaces', 'fixtures', name), 'utf8');
  const pieces = text.split(/(?<=\n\n)/).filter((piece) => piece.trim() !== '');
  return { type: 'stream', pieces, intervalMs: 5, after };
}

/** A one-entry chain over the mock, for replaying fixtures through `chain.fetch`. */
export function fixtureChain(mock: MockProvider): Chain {
  return createChain({
    providers: [{ id: 'groq', type: 'generic', baseUrl: mock.url, apiKey: 'sk-fixture-000000001' }],
    chains: [{ name: 'main', entries: [{ provider: 'groq', model: 'llama-3.3-70b' }] }],
    settings: { defaultChain: 'main' },
  });
}

/** POSTs a JSON body through `chain.fetch` and reads the answer's SSE events. */
export async function streamEvents(
  chain: Chain,
  path: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<{ status: number; events: Array<{ event: string | undefined; data: string }> }> {
  const response = await chain.fetch(`http://429chain.local${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, events: parseSseText(await response.text()) };
}

/**
 * Registers a mock provider and a one-entry chain over it for a test file (vitest hooks);
 * `script()` replays a fixture for the next request.
 */
export function useFixtureChain(hooks: {
  beforeAll: (fn: () => Promise<void>) => void;
  afterEach: (fn: () => void) => void;
  afterAll: (fn: () => Promise<void>) => void;
}): { mock: () => MockProvider; chain: () => Chain } {
  let mock: MockProvider | undefined;
  let chain: Chain | undefined;
  hooks.beforeAll(async () => {
    mock = await startMockProvider();
    chain = fixtureChain(mock);
  });
  hooks.afterEach(() => mock?.reset());
  hooks.afterAll(async () => {
    await chain?.close();
    await mock?.close();
  });
  return { mock: () => mock!, chain: () => chain! };
}
