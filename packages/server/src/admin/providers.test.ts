import { fingerprintOf } from '@429chain/core';
import type { MockProvider } from '@429chain/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProviderView } from '../admin-api/admin-api.ts';
import {
  closeTestResources,
  type ErrorBody,
  mockProviderConfig,
  startTestMock,
  startTestServer,
  type TestServer,
} from '../testing/start-test-server.ts';

afterEach(closeTestResources);

const alphaKey = 'sk-alpha-secret-key-0000';
const newKey = 'sk-brand-new-provider-key-9abc';
const replacementKey = 'sk-replacement-provider-key-7xyz';

async function startAdminServer(): Promise<{ server: TestServer; alpha: MockProvider; spare: MockProvider }> {
  const alpha = await startTestMock();
  const spare = await startTestMock();
  const server = await startTestServer({
    config: {
      providers: [mockProviderConfig('alpha', alpha)],
      chains: [{ name: 'main', entries: [{ provider: 'alpha', model: 'alpha-small' }] }],
      settings: { defaultChain: 'main' },
    },
  });
  return { server, alpha, spare };
}

/** Every response the server sent so far, searched for a secret. */
function expectNoResponseContains(server: TestServer, secret: string): void {
  expect(server.responseTexts.length).toBeGreaterThan(0);
  for (const text of server.responseTexts) expect(text).not.toContain(secret);
}

describe('providers API', () => {
  it('lists providers with masked keys and the chains that use them', async () => {
    const { server } = await startAdminServer();

    const response = await server.admin<{ data: ProviderView[]; persisted: boolean }>('/api/providers');

    expect(response.status).toBe(200);
    expect(response.body.persisted).toBe(true);
    expect(response.body.data).toHaveLength(1);
    expect(response.body.data[0]).toMatchObject({
      id: 'alpha',
      type: 'generic',
      keys: [{ index: 1, masked: '…0000', fromEnvironment: false }],
      usedBy: ['main'],
    });
    expectNoResponseContains(server, alphaKey);
  });

  it('creates a provider: 201, listed with its key masked, and the key in no response body', async () => {
    const { server, spare } = await startAdminServer();

    const created = await server.admin<ProviderView>('/api/providers', {
      method: 'POST',
      json: {
        id: 'spare',
        type: 'generic',
        baseUrl: spare.url,
        apiKey: newKey,
        headers: { 'x-team-token': 'team-token-secret-0042' },
      },
    });
    const list = await server.admin<{ data: ProviderView[] }>('/api/providers');
    const one = await server.admin<ProviderView>('/api/providers/spare');
    const settings = await server.admin('/api/settings');
    const chains = await server.admin('/api/chains');
    const status = await server.admin('/api/ratelimits');

    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: 'spare',
      baseUrl: spare.url,
      keys: [{ index: 1, masked: '…9abc' }],
      headers: { 'x-team-token': '…0042' },
      usedBy: [],
    });
    expect(list.body.data.map((provider) => provider.id)).toEqual(['alpha', 'spare']);
    expect(one.status).toBe(200);
    expect(one.body.keys[0]!.masked).toBe('…9abc');
    expect([settings.status, chains.status, status.status]).toEqual([200, 200, 200]);
    expectNoResponseContains(server, newKey);
    expectNoResponseContains(server, 'team-token-secret-0042');
    expectNoResponseContains(server, alphaKey);
  });

  it('makes a new provider usable at once as provider/model, with its key upstream', async () => {
    const { server, spare } = await startAdminServer();
    await server.admin('/api/providers', {
      method: 'POST',
      json: { id: 'spare', type: 'generic', baseUrl: spare.url, apiKey: newKey, models: ['spare-model'] },
    });

    const response = await server.call('/v1/chat/completions', {
      method: 'POST',
      json: server.chat('spare/spare-model'),
    });

    expect(response.status).toBe(200);
    expect(response.headers.get('x-429chain-provider')).toBe('spare');
    expect(spare.requestsFor('spare-model')[0]!.headers.authorization).toBe(`Bearer ${newKey}`);
    expectNoResponseContains(server, newKey);
  });

  it('keeps the key on a PATCH that does not send one', async () => {
    const { server, alpha } = await startAdminServer();

    const patched = await server.admin<ProviderView>('/api/providers/alpha', {
      method: 'PATCH',
      json: { name: 'Alpha renamed', timeout: 5_000 },
    });
    const answered = await server.call('/v1/chat/completions', { method: 'POST', json: server.chat('main') });

    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Alpha renamed', keys: [{ masked: '…0000' }] });
    expect(answered.status).toBe(200);
    expect(alpha.requestsFor('alpha-small')[0]!.headers.authorization).toBe(`Bearer ${alphaKey}`);
  });

  it('keeps the key on a PATCH that sends back the masked form it was shown', async () => {
    const { server, alpha } = await startAdminServer();
    const shown = await server.admin<ProviderView>('/api/providers/alpha');

    const patched = await server.admin<ProviderView>('/api/providers/alpha', {
      method: 'PATCH',
      json: { name: 'Alpha', apiKey: shown.body.keys[0]!.masked },
    });
    await server.call('/v1/chat/completions', { method: 'POST', json: server.chat('main') });

    expect(patched.status).toBe(200);
    expect(patched.body.keys).toEqual(shown.body.keys);
    expect(alpha.requestsFor('alpha-small')[0]!.headers.authorization).toBe(`Bearer ${alphaKey}`);
  });

  it('keeps keys and header values when a form sends the whole masked view back', async () => {
    const { server, spare } = await startAdminServer();
    await server.admin('/api/providers', {
      method: 'POST',
      json: {
        id: 'spare',
        type: 'generic',
        baseUrl: spare.url,
        apiKeys: [newKey, replacementKey],
        headers: { 'x-team-token': 'team-token-secret-0042' },
        models: ['spare-model'],
      },
    });
    const shown = await server.admin<ProviderView>('/api/providers/spare');

    const patched = await server.admin<ProviderView>('/api/providers/spare', {
      method: 'PATCH',
      // The view as shown, edited, with the masked keys as a key field.
      json: { ...shown.body, name: 'Spare', apiKeys: shown.body.keys.map((key) => key.masked) },
    });
    await server.call('/v1/chat/completions', { method: 'POST', json: server.chat('spare/spare-model') });

    expect(patched.status).toBe(200);
    expect(patched.body.keys).toEqual(shown.body.keys);
    const seen = spare.requestsFor('spare-model')[0]!;
    expect([`Bearer ${newKey}`, `Bearer ${replacementKey}`]).toContain(seen.headers.authorization);
    expect(seen.headers['x-team-token']).toBe('team-token-secret-0042');
    expectNoResponseContains(server, newKey);
    expectNoResponseContains(server, 'team-token-secret-0042');
  });

  it('refuses a masked key that matches no current key, and changes nothing', async () => {
    const { server, alpha } = await startAdminServer();

    const response = await server.admin<ErrorBody>('/api/providers/alpha', {
      method: 'PATCH',
      json: { apiKey: '…zzzz' },
    });
    await server.call('/v1/chat/completions', { method: 'POST', json: server.chat('main') });

    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: 'invalid_value', param: 'apiKey' });
    expect(alpha.requestsFor('alpha-small')[0]!.headers.authorization).toBe(`Bearer ${alphaKey}`);
  });

  it('replaces the key on a PATCH that sends a new one, live', async () => {
    const { server, alpha } = await startAdminServer();
    await server.call('/v1/chat/completions', { method: 'POST', json: server.chat('main') });

    const patched = await server.admin<ProviderView>('/api/providers/alpha', {
      method: 'PATCH',
      json: { apiKey: replacementKey },
    });
    await server.call('/v1/chat/completions', { method: 'POST', json: server.chat('main') });

    expect(patched.status).toBe(200);
    expect(patched.body.keys).toEqual([expect.objectContaining({ index: 1, masked: '…7xyz' })]);
    expect(alpha.requestsFor('alpha-small').map((request) => request.headers.authorization)).toEqual([
      `Bearer ${alphaKey}`,
      `Bearer ${replacementKey}`,
    ]);
    expectNoResponseContains(server, replacementKey);
  });

  it('renames a provider and carries the new id into the chains that used it', async () => {
    const { server, alpha } = await startAdminServer();

    const patched = await server.admin<ProviderView>('/api/providers/alpha', {
      method: 'PATCH',
      json: { id: 'first' },
    });
    const chain = await server.admin<{ entries: Array<{ provider: string }> }>('/api/chains/main');
    const answered = await server.call('/v1/chat/completions', { method: 'POST', json: server.chat('main') });

    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: 'first', usedBy: ['main'] });
    expect(chain.body.entries[0]!.provider).toBe('first');
    expect(answered.headers.get('x-429chain-provider')).toBe('first');
    expect(alpha.requestsFor('alpha-small')).toHaveLength(1);
  });

  it('refuses a rename onto an id that exists, wherever that provider sits: 409', async () => {
    const { server, spare } = await startAdminServer();
    await server.admin('/api/providers', {
      method: 'POST',
      json: { id: 'spare', type: 'generic', baseUrl: spare.url, apiKey: newKey, models: ['spare-model'] },
    });

    const ontoLater = await server.admin<ErrorBody>('/api/providers/alpha', {
      method: 'PATCH',
      json: { id: 'spare' },
    });
    const ontoEarlier = await server.admin<ErrorBody>('/api/providers/spare', {
      method: 'PATCH',
      json: { id: 'alpha' },
    });
    const list = await server.admin<{ data: ProviderView[] }>('/api/providers');

    for (const response of [ontoLater, ontoEarlier]) {
      expect(response.status).toBe(409);
      expect(response.body.error).toMatchObject({ code: 'provider_exists', param: 'id' });
    }
    expect(list.body.data.map((provider) => provider.id)).toEqual(['alpha', 'spare']);
  });

  it('shows a key given as an environment reference as the reference, and uses its value', async () => {
    const alpha = await startTestMock();
    const environmentKey = 'sk-from-the-environment-00envk';
    const server = await startTestServer({
      config: {
        providers: [{ id: 'alpha', type: 'generic', baseUrl: alpha.url, apiKey: '${ALPHA_TEST_KEY}' }],
        chains: [{ name: 'main', entries: [{ provider: 'alpha', model: 'alpha-small' }] }],
      },
      start: { env: { ALPHA_TEST_KEY: environmentKey } },
    });

    const view = await server.admin<ProviderView>('/api/providers/alpha');
    await server.call('/v1/chat/completions', { method: 'POST', json: server.chat('main') });
    await server.admin('/api/ratelimits');

    expect(view.body.keys).toEqual([
      {
        index: 1,
        masked: '${ALPHA_TEST_KEY}',
        fromEnvironment: true,
        fingerprint: fingerprintOf(environmentKey),
      },
    ]);
    expect(alpha.requests[0]!.headers.authorization).toBe(`Bearer ${environmentKey}`);
    expectNoResponseContains(server, environmentKey);
  });

  it('refuses to delete a provider a chain uses: 409 naming the chain', async () => {
    const { server } = await startAdminServer();

    const response = await server.admin<ErrorBody>('/api/providers/alpha', { method: 'DELETE' });
    const still = await server.admin('/api/providers/alpha');

    expect(response.status).toBe(409);
    expect(response.body.error).toMatchObject({ type: 'conflict_error', code: 'provider_in_use' });
    expect(response.body.error.message).toContain('main');
    expect(still.status).toBe(200);
  });

  it('deletes an unused provider: 204, then 404', async () => {
    const { server, spare } = await startAdminServer();
    await server.admin('/api/providers', {
      method: 'POST',
      json: { id: 'spare', type: 'generic', baseUrl: spare.url, apiKey: newKey, models: ['spare-model'] },
    });

    const deleted = await server.fetch('/api/providers/spare', {
      method: 'DELETE',
      headers: { authorization: `Bearer ${server.adminKey}` },
    });
    const gone = await server.admin<ErrorBody>('/api/providers/spare');
    const direct = await server.call<ErrorBody>('/v1/chat/completions', {
      method: 'POST',
      json: server.chat('spare/spare-model'),
    });

    expect(deleted.status).toBe(204);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('provider_not_found');
    // With the provider gone, spare/… is no entry: it goes to the default chain.
    expect(direct.headers.get('x-429chain-chain')).toBe('main');
    expect(spare.requests).toHaveLength(0);
  });

  it('refuses a duplicate id with 409', async () => {
    const { server, spare } = await startAdminServer();

    const response = await server.admin<ErrorBody>('/api/providers', {
      method: 'POST',
      json: { id: 'alpha', type: 'generic', baseUrl: spare.url, apiKey: newKey },
    });

    expect(response.status).toBe(409);
    expect(response.body.error).toMatchObject({ code: 'provider_exists', param: 'id' });
  });

  it('refuses a masked key as the key of a new provider: 400 naming the field', async () => {
    const { server, spare } = await startAdminServer();

    const response = await server.admin<ErrorBody>('/api/providers', {
      method: 'POST',
      json: { id: 'copied', type: 'generic', baseUrl: spare.url, apiKey: '…a1b2' },
    });

    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: 'masked_key', param: 'apiKey' });
    const listed = await server.admin<{ data: Array<{ id: string }> }>('/api/providers');
    expect(listed.body.data.map((provider) => provider.id)).not.toContain('copied');
  });

  it('reports validation problems with paths relative to the provider', async () => {
    const { server } = await startAdminServer();

    const badUrl = await server.admin<ErrorBody>('/api/providers', {
      method: 'POST',
      json: { id: 'broken', type: 'generic', baseUrl: 'not a url', apiKey: newKey },
    });
    const noKey = await server.admin<ErrorBody>('/api/providers', {
      method: 'POST',
      json: { id: 'broken', type: 'groq' },
    });
    const typo = await server.admin<ErrorBody>('/api/providers/alpha', {
      method: 'PATCH',
      json: { baseURL: 'http://127.0.0.1:1/v1' },
    });
    const list = await server.admin<{ data: ProviderView[] }>('/api/providers');

    expect(badUrl.status).toBe(400);
    expect(badUrl.body.error.code).toBe('invalid_config');
    expect(badUrl.body.error.issues).toEqual([{ path: 'baseUrl', message: expect.stringContaining('URL') }]);
    expect(noKey.status).toBe(400);
    expect(noKey.body.error.issues).toEqual([
      { path: 'apiKey', message: expect.stringContaining('needs an API key') },
    ]);
    expect(typo.status).toBe(400);
    expect(typo.body.error.issues).toEqual([
      { path: 'baseURL', message: expect.stringContaining('did you mean "baseUrl"') },
    ]);
    // Nothing was applied.
    expect(list.body.data.map((provider) => provider.id)).toEqual(['alpha']);
    expectNoResponseContains(server, newKey);
  });

  it('answers 404 for an unknown provider on GET, PATCH and DELETE', async () => {
    const { server } = await startAdminServer();

    for (const method of ['GET', 'PATCH', 'DELETE']) {
      const response = await server.admin<ErrorBody>('/api/providers/nobody', {
        method,
        json: method === 'PATCH' ? { name: 'x' } : undefined,
      });
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe('provider_not_found');
    }
  });
});
