import { readFile } from 'node:fs/promises';
import type { MockProvider } from '@429chain/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closeTestResources,
  mockProviderConfig,
  startTestMock,
  startTestServer,
  type TestServer,
  testAdminKey,
  testClientKey,
} from '../testing/start-test-server.ts';

afterEach(closeTestResources);

const otherClientKey = 'client-key-for-tests-0000cl02';

/** A server with two client keys and a separate admin key. */
async function startKeyedServer(settings: Record<string, unknown> = {}): Promise<{
  server: TestServer;
  mock: MockProvider;
}> {
  const mock = await startTestMock();
  const server = await startTestServer({
    config: {
      providers: [mockProviderConfig('alpha', mock)],
      chains: [{ name: 'main', entries: [{ provider: 'alpha', model: 'alpha-small' }] }],
      settings: { apiKeys: [testClientKey, otherClientKey], adminKeys: [testAdminKey], ...settings },
    },
  });
  return { server, mock };
}

describe('client keys on /v1', () => {
  it('accepts a client key as "Authorization: Bearer"', async () => {
    const { server, mock } = await startKeyedServer();

    const response = await server.call('/v1/chat/completions', {
      method: 'POST',
      json: server.chat('main'),
      key: testClientKey,
    });

    expect(response.status).toBe(200);
    expect(mock.requests).toHaveLength(1);
    // The client's key is not what the provider sees.
    expect(mock.requests[0]!.headers.authorization).toBe('Bearer sk-alpha-secret-key-0000');
  });

  it('accepts a client key as "x-api-key"', async () => {
    const { server, mock } = await startKeyedServer();

    const response = await server.call('/v1/models', { headers: { 'x-api-key': otherClientKey } });

    expect(response.status).toBe(200);
    expect(mock.requests).toHaveLength(0);
  });

  it('rejects a request without a key: 401, OpenAI-shaped, with www-authenticate, and no upstream call', async () => {
    const { server, mock } = await startKeyedServer();

    const response = await server.call('/v1/chat/completions', { method: 'POST', json: server.chat('main') });

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(response.body).toEqual({
      error: {
        message: expect.stringContaining('Missing API key'),
        type: 'authentication_error',
        code: 'missing_api_key',
        param: null,
      },
    });
    expect(mock.requests).toHaveLength(0);
  });

  it('rejects a wrong key with 401 invalid_api_key', async () => {
    const { server, mock } = await startKeyedServer();

    const bearer = await server.call('/v1/chat/completions', {
      method: 'POST',
      json: server.chat('main'),
      key: `${testClientKey}x`,
    });
    const header = await server.call('/v1/models', { headers: { 'x-api-key': 'nope' } });

    for (const response of [bearer, header]) {
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      expect(response.body).toMatchObject({
        error: { type: 'authentication_error', code: 'invalid_api_key' },
      });
    }
    expect(mock.requests).toHaveLength(0);
  });

  it('does not accept the admin key on /v1 unless it is also a client key', async () => {
    const { server: separate } = await startKeyedServer();
    const refused = await separate.call('/v1/models', { key: testAdminKey });
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ error: { code: 'invalid_api_key' } });

    const { server: shared } = await startKeyedServer({ apiKeys: [testClientKey, testAdminKey] });
    const accepted = await shared.call('/v1/models', { key: testAdminKey });
    expect(accepted.status).toBe(200);
  });

  it('leaves /v1 open when no client keys are configured', async () => {
    const mock = await startTestMock();
    const server = await startTestServer({
      config: {
        providers: [mockProviderConfig('alpha', mock)],
        chains: [{ name: 'main', entries: [{ provider: 'alpha', model: 'alpha-small' }] }],
      },
    });

    const response = await server.call('/v1/chat/completions', { method: 'POST', json: server.chat('main') });

    expect(response.status).toBe(200);
    expect(server.server.warnings.join('\n')).toContain('settings.apiKeys');
  });

  it('records the client key label in the request log, never the key', async () => {
    const { server } = await startKeyedServer();

    const answered = await server.call('/v1/chat/completions', {
      method: 'POST',
      json: server.chat('main'),
      key: otherClientKey,
    });
    const requestId = answered.headers.get('x-429chain-request-id')!;
    const record = await server.admin<{ metadata: Record<string, string> }>(`/api/requests/${requestId}`);
    const list = await server.admin<{ items: Array<{ id: string; client: string }> }>(
      `/api/requests?client=${encodeURIComponent('key 2 (…cl02)')}`,
    );

    expect(record.status).toBe(200);
    expect(record.body.metadata).toEqual({ client: 'key 2 (…cl02)' });
    expect(list.body.items.map((item) => item.id)).toEqual([requestId]);
    expect(list.body.items[0]!.client).toBe('key 2 (…cl02)');
    for (const text of server.responseTexts) {
      expect(text).not.toContain(otherClientKey);
      expect(text).not.toContain(testClientKey);
      expect(text).not.toContain(testAdminKey);
    }
  });
});

describe('admin keys on /api', () => {
  it('answers an admin key', async () => {
    const { server } = await startKeyedServer();

    const response = await server.call('/api/info', { key: testAdminKey });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ name: '429chain', mode: 'file' });
  });

  it('refuses a client key with 403 not_an_admin_key', async () => {
    const { server } = await startKeyedServer();

    const response = await server.call('/api/providers', { key: testClientKey });

    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ error: { type: 'permission_error', code: 'not_an_admin_key' } });
    expect(response.text).not.toContain('sk-alpha-secret-key-0000');
  });

  it('refuses a request without a key with 401 and www-authenticate', async () => {
    const { server } = await startKeyedServer();

    const response = await server.call('/api/providers');

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(response.body).toMatchObject({ error: { code: 'missing_admin_key' } });
  });

  it('refuses an unknown key with 401 invalid_admin_key', async () => {
    const { server } = await startKeyedServer();

    const response = await server.call('/api/providers', { headers: { 'x-api-key': 'guess-0000000000' } });

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(response.body).toMatchObject({ error: { code: 'invalid_admin_key' } });
  });

  it('uses a generated local admin key when the config names none', async () => {
    const mock = await startTestMock();
    const server = await startTestServer({
      defaultAdminKey: false,
      config: {
        providers: [mockProviderConfig('alpha', mock)],
        chains: [{ name: 'main', entries: [{ provider: 'alpha', model: 'alpha-small' }] }],
      },
    });
    const generated = (await readFile(server.server.adminKeyFile!, 'utf8')).trim();

    expect((await server.call('/api/info', { key: generated })).status).toBe(200);
    expect((await server.call('/api/info', { key: testAdminKey })).status).toBe(401);
  });
});

describe('/metrics', () => {
  it('needs an admin key once client keys are set: 401 without one, 403 for a client key', async () => {
    const { server } = await startKeyedServer();

    const missing = await server.call('/metrics');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(missing.body).toMatchObject({
      error: { code: 'missing_admin_key', message: expect.stringContaining('/metrics needs an admin key') },
    });
    expect(missing.text).not.toContain('chain429_');
    expect((await server.call('/metrics', { key: testClientKey })).status).toBe(403);

    const scraped = await server.call('/metrics', { key: testAdminKey });
    expect(scraped.status).toBe(200);
    expect(scraped.text).toContain('# TYPE chain429_requests_total counter');
  });

  it('is public with settings.publicMetrics, and without client keys', async () => {
    const { server } = await startKeyedServer({ publicMetrics: true });
    expect((await server.call('/metrics')).status).toBe(200);

    const mock = await startTestMock();
    const open = await startTestServer({
      config: {
        providers: [mockProviderConfig('alpha', mock)],
        chains: [{ name: 'main', entries: [{ provider: 'alpha', model: 'alpha-small' }] }],
      },
    });
    expect((await open.call('/metrics')).status).toBe(200);
  });
});

describe('listening beyond loopback', () => {
  it('refuses to start on 0.0.0.0 without client keys, naming settings.apiKeys', async () => {
    const mock = await startTestMock();
    const server = startTestServer({
      config: {
        providers: [mockProviderConfig('alpha', mock)],
        chains: [{ name: 'main', entries: [{ provider: 'alpha', model: 'alpha-small' }] }],
      },
      start: { host: '0.0.0.0' },
    });

    await expect(server).rejects.toThrow(/settings\.apiKeys/);
  });
});
