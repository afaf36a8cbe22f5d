import { afterEach, describe, expect, it } from 'vitest';
import type { ChainDefinition } from '../admin-api/admin-api.ts';
import {
  closeTestResources,
  type ErrorBody,
  mockProviderConfig,
  startTestMock,
  startTestServer,
  startTwoEntryServer,
  type TestServer,
  testAdminKey,
  testClientKey,
} from '../testing/start-test-server.ts';

afterEach(closeTestResources);

async function answeredBy(server: TestServer, model: string): Promise<string | null> {
  const response = await server.call('/v1/chat/completions', { method: 'POST', json: server.chat(model) });
  expect(response.status).toBe(200);
  return response.headers.get('x-429chain-provider');
}

describe('chains API', () => {
  it('lists chains with the default chain', async () => {
    const { server } = await startTwoEntryServer();

    const response = await server.admin<{
      data: ChainDefinition[];
      defaultChain: string;
      persisted: boolean;
    }>('/api/chains');

    expect(response.status).toBe(200);
    expect(response.body.defaultChain).toBe('main');
    expect(response.body.data.map((chain) => chain.name)).toEqual(['main']);
  });

  it('creates a chain that serves requests at once', async () => {
    const { server, beta } = await startTwoEntryServer();

    const created = await server.admin<ChainDefinition>('/api/chains', {
      method: 'POST',
      json: { name: 'fast', entries: [{ provider: 'beta', model: 'beta-fast' }] },
    });
    const one = await server.admin<ChainDefinition>('/api/chains/fast');
    const models = await server.call<{ data: Array<{ id: string }> }>('/v1/models');

    expect(created.status).toBe(201);
    expect(created.body).toEqual({ name: 'fast', entries: [{ provider: 'beta', model: 'beta-fast' }] });
    expect(one.body.name).toBe('fast');
    expect(models.body.data.map((model) => model.id).slice(0, 2)).toEqual(['main', 'fast']);
    expect(await answeredBy(server, 'fast')).toBe('beta');
    expect(beta.requestsFor('beta-fast')).toHaveLength(1);
  });

  it('reorders entries with PUT: the next request goes to the new first entry', async () => {
    const { server, alpha, beta } = await startTwoEntryServer();
    expect(await answeredBy(server, 'main')).toBe('alpha');

    const updated = await server.admin<ChainDefinition>('/api/chains/main', {
      method: 'PUT',
      json: {
        entries: [
          { provider: 'beta', model: 'beta-large' },
          { provider: 'alpha', model: 'alpha-small' },
        ],
      },
    });

    expect(updated.status).toBe(200);
    expect(updated.body.entries.map((entry) => entry.provider)).toEqual(['beta', 'alpha']);
    expect(await answeredBy(server, 'main')).toBe('beta');
    expect(alpha.requestsFor('alpha-small')).toHaveLength(1);
    expect(beta.requestsFor('beta-large')).toHaveLength(1);
  });

  it('renames a chain, and the default chain setting follows', async () => {
    const { server } = await startTwoEntryServer();

    const renamed = await server.admin<ChainDefinition>('/api/chains/main', {
      method: 'PUT',
      json: { name: 'primary' },
    });
    const old = await server.admin<ErrorBody>('/api/chains/main');
    const settings = await server.admin<{ settings: { defaultChain: string } }>('/api/settings');
    const models = await server.call<{ data: Array<{ id: string }> }>('/v1/models');
    const answered = await server.call('/v1/chat/completions', {
      method: 'POST',
      json: server.chat('primary'),
    });

    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('primary');
    expect(renamed.body.entries).toHaveLength(2);
    expect(old.status).toBe(404);
    expect(old.body.error.code).toBe('chain_not_found');
    expect(settings.body.settings.defaultChain).toBe('primary');
    expect(models.body.data.map((model) => model.id)).not.toContain('main');
    expect(answered.headers.get('x-429chain-chain')).toBe('primary');
  });

  it('refuses to delete the default chain with 409, and deletes another with 204', async () => {
    const { server } = await startTwoEntryServer();
    await server.admin('/api/chains', {
      method: 'POST',
      json: { name: 'spare', entries: [{ provider: 'beta', model: 'beta-large' }] },
    });

    const refused = await server.admin<ErrorBody>('/api/chains/main', { method: 'DELETE' });
    const deleted = await server.admin('/api/chains/spare', { method: 'DELETE' });
    const list = await server.admin<{ data: ChainDefinition[] }>('/api/chains');

    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ type: 'conflict_error', code: 'chain_is_default' });
    expect(refused.body.error.message).toContain('main');
    expect(deleted.status).toBe(204);
    expect(list.body.data.map((chain) => chain.name)).toEqual(['main']);
  });

  it('refuses a duplicate name with 409 and an entry naming an unknown provider with 400', async () => {
    const { server } = await startTwoEntryServer();

    const duplicate = await server.admin<ErrorBody>('/api/chains', {
      method: 'POST',
      json: { name: 'main', entries: [{ provider: 'beta', model: 'beta-large' }] },
    });
    const unknown = await server.admin<ErrorBody>('/api/chains', {
      method: 'POST',
      json: { name: 'ghostly', entries: [{ provider: 'ghost', model: 'boo' }] },
    });
    const empty = await server.admin<ErrorBody>('/api/chains/main', { method: 'PUT', json: { entries: [] } });

    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error).toMatchObject({ code: 'chain_exists', param: 'name' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.issues).toEqual([
      { path: 'entries[0].provider', message: expect.stringContaining('"ghost"') },
    ]);
    expect(empty.status).toBe(400);
    expect(empty.body.error.issues).toEqual([
      { path: 'entries', message: expect.stringContaining('at least one entry') },
    ]);
  });
});

describe('settings API', () => {
  it('shows settings with client and admin keys masked', async () => {
    const mock = await startTestMock();
    const server = await startTestServer({
      config: {
        providers: [mockProviderConfig('alpha', mock)],
        chains: [{ name: 'main', entries: [{ provider: 'alpha', model: 'alpha-small' }] }],
        settings: { apiKeys: [testClientKey], adminKeys: [testAdminKey], cooldownDefaultMs: 30_000 },
      },
    });

    const response = await server.admin<{ settings: Record<string, unknown>; persisted: boolean }>(
      '/api/settings',
    );

    expect(response.status).toBe(200);
    expect(response.body.settings).toMatchObject({
      apiKeys: ['…cl01'],
      adminKeys: ['…adm1'],
      cooldownDefaultMs: 30_000,
    });
    expect(response.text).not.toContain(testClientKey);
    expect(response.text).not.toContain(testAdminKey);
  });

  it('keeps client and admin keys when a form sends the masked settings back', async () => {
    const mock = await startTestMock();
    const server = await startTestServer({
      config: {
        providers: [mockProviderConfig('alpha', mock)],
        chains: [{ name: 'main', entries: [{ provider: 'alpha', model: 'alpha-small' }] }],
        settings: { apiKeys: [testClientKey], adminKeys: [testAdminKey] },
      },
    });
    const shown = await server.admin<{ settings: Record<string, unknown> }>('/api/settings');

    const patched = await server.admin<{ settings: Record<string, unknown> }>('/api/settings', {
      method: 'PATCH',
      json: { ...shown.body.settings, cooldownDefaultMs: 5_000 },
    });
    const client = await server.call('/v1/models', { key: testClientKey });
    const admin = await server.call('/api/info', { key: testAdminKey });

    expect(patched.status).toBe(200);
    expect(patched.body.settings).toMatchObject({ apiKeys: ['…cl01'], adminKeys: ['…adm1'] });
    expect(client.status).toBe(200);
    expect(admin.status).toBe(200);
  });

  it('changes the default chain live', async () => {
    const { server } = await startTwoEntryServer();
    await server.admin('/api/chains', {
      method: 'POST',
      json: { name: 'other', entries: [{ provider: 'beta', model: 'beta-other' }] },
    });
    expect(await answeredBy(server, 'gpt-4o')).toBe('alpha');

    const patched = await server.admin<{ settings: Record<string, unknown> }>('/api/settings', {
      method: 'PATCH',
      json: { defaultChain: 'other' },
    });

    expect(patched.status).toBe(200);
    expect(patched.body.settings.defaultChain).toBe('other');
    expect(await answeredBy(server, 'gpt-4o')).toBe('beta');
  });

  it('turns client keys on live, and an admin key change locks out the old one', async () => {
    const { server } = await startTwoEntryServer();
    const newAdminKey = 'admin-key-rotated-00000rot1';

    const patched = await server.admin('/api/settings', {
      method: 'PATCH',
      json: { apiKeys: [testClientKey], adminKeys: [newAdminKey] },
    });
    const open = await server.call('/v1/models');
    const keyed = await server.call('/v1/models', { key: testClientKey });
    const oldAdmin = await server.call('/api/info', { key: testAdminKey });
    const newAdmin = await server.call('/api/info', { key: newAdminKey });

    expect(patched.status).toBe(200);
    expect(patched.text).not.toContain(newAdminKey);
    expect(open.status).toBe(401);
    expect(keyed.status).toBe(200);
    expect(oldAdmin.status).toBe(401);
    expect(newAdmin.status).toBe(200);
  });

  it('restores a default with null, and refuses an invalid value naming it', async () => {
    const { server } = await startTwoEntryServer();

    const invalid = await server.admin<ErrorBody>('/api/settings', {
      method: 'PATCH',
      json: { requestTimeoutMs: -5 },
    });
    const unknownChain = await server.admin<ErrorBody>('/api/settings', {
      method: 'PATCH',
      json: { defaultChain: 'nowhere' },
    });
    const cleared = await server.admin<{ settings: Record<string, unknown> }>('/api/settings', {
      method: 'PATCH',
      json: { defaultChain: null },
    });
    const unknownModel = await server.call<ErrorBody>('/v1/chat/completions', {
      method: 'POST',
      json: server.chat('gpt-4o'),
    });

    expect(invalid.status).toBe(400);
    expect(invalid.body.error.issues).toEqual([{ path: 'requestTimeoutMs', message: expect.any(String) }]);
    expect(unknownChain.status).toBe(400);
    expect(unknownChain.body.error.issues).toEqual([
      { path: 'defaultChain', message: expect.stringContaining('nowhere') },
    ]);
    expect(cleared.status).toBe(200);
    expect(cleared.body.settings).not.toHaveProperty('defaultChain');
    expect(unknownModel.status).toBe(400);
    expect(unknownModel.body.error.code).toBe('model_not_found');
  });
});
