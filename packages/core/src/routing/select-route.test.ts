/**
 * Issue 11, item 1: a client cannot grow the engine's state by inventing names. `provider/model`
 * reaches only models the provider lists or a chain names; `settings.allowUnlistedModels` opens
 * it, up to `settings.unlistedModelLimit` distinct names. Proved through `chain.fetch`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Chain, createChain } from '../create-chain.ts';
import { type MockProvider, startMockProvider } from '../testing/mock-provider.ts';

let mock: MockProvider;
let chain: Chain | undefined;

beforeAll(async () => {
  mock = await startMockProvider();
});
afterEach(async () => {
  await chain?.close();
  chain = undefined;
  mock.reset();
});
afterAll(() => mock.close());

function build(settings: Record<string, unknown> = {}): Chain {
  chain = createChain({
    providers: [
      { id: 'p-ok', type: 'generic', baseUrl: mock.url, apiKey: 'sk-p-ok-key-0001', models: ['listed', 'é'] },
    ],
    chains: [{ name: 'main', entries: [{ provider: 'p-ok', model: 'in-chain' }] }],
    settings,
  });
  return chain;
}

interface Sent {
  status: number;
  body: { error: { code: string; param: string; message: string } };
  headers: Headers;
}

async function send(model: string): Promise<Sent> {
  const response = await chain!.fetch('http://429chain.local/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  return {
    status: response.status,
    body: (await response.json()) as Sent['body'],
    headers: response.headers,
  };
}

describe('provider/model addressing', () => {
  it('reaches a model the provider lists, and one a chain names for it', async () => {
    build();
    expect((await send('p-ok/listed')).status).toBe(200);
    expect((await send('p-ok/in-chain')).status).toBe(200);
    expect(mock.requests.map((request) => request.model)).toEqual(['listed', 'in-chain']);
  });

  it('refuses an unlisted model with a 400 naming model and the setting, sending nothing upstream', async () => {
    build();
    const refused = await send('p-ok/distinct-model-1');

    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'model_not_found', param: 'model' });
    expect(refused.body.error.message).toContain('settings.allowUnlistedModels');
    expect(mock.requests).toHaveLength(0);
  });

  it('lets unlisted models through when allowed, at most unlistedModelLimit distinct ones', async () => {
    build({ allowUnlistedModels: true, unlistedModelLimit: 3 });
    const statuses = [];
    for (let index = 0; index < 6; index++) statuses.push((await send(`p-ok/free-${index}`)).status);
    // A name already let through stays usable.
    statuses.push((await send('p-ok/free-0')).status);
    const over = await send('p-ok/free-9');

    expect(statuses).toEqual([200, 200, 200, 400, 400, 400, 200]);
    expect(over.body.error.message).toContain('settings.unlistedModelLimit');
    expect(new Set(mock.requests.map((request) => request.model))).toEqual(
      new Set(['free-0', 'free-1', 'free-2']),
    );
    const status = await chain!.status();
    expect(new Set(status.buckets.map((bucket) => bucket.model).filter(Boolean)).size).toBeLessThanOrEqual(3);
  });

  it('keeps the names it let through across a config update, within the limit', async () => {
    build({ allowUnlistedModels: true, unlistedModelLimit: 2 });
    await send('p-ok/free-0');
    await send('p-ok/free-1');
    chain!.update({ ...chain!.config() });

    expect((await send('p-ok/free-1')).status).toBe(200);
    expect((await send('p-ok/free-2')).status).toBe(400);
  });

  it('names the entry in percent-encoded headers: p-ok/é answers x-429chain-model: %C3%A9', async () => {
    build();
    const answered = await send('p-ok/é');

    expect(answered.status).toBe(200);
    expect(answered.headers.get('x-429chain-model')).toBe('%C3%A9');
    expect(answered.headers.get('x-429chain-chain')).toBe('p-ok/%C3%A9');
    expect(decodeURIComponent(answered.headers.get('x-429chain-trail')!)).toBe('p-ok/é=200');
  });

  it('serves a chain named with an emoji, naming it percent-encoded instead of throwing on the header', async () => {
    chain = createChain({
      providers: [{ id: 'p-ok', type: 'generic', baseUrl: mock.url, apiKey: 'sk-p-ok-key-0001' }],
      chains: [{ name: '🙂', entries: [{ provider: 'p-ok', model: 'smile' }] }],
    });
    const answered = await send('🙂');

    expect(answered.status).toBe(200);
    expect(answered.headers.get('x-429chain-chain')).toBe('%F0%9F%99%82');
    expect(decodeURIComponent(answered.headers.get('x-429chain-chain')!)).toBe('🙂');
  });
});
