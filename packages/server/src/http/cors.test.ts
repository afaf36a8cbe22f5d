import { afterEach, describe, expect, it } from 'vitest';
import {
  closeTestResources,
  mockProviderConfig,
  startTestMock,
  startTestServer,
  type TestServer,
  testClientKey,
} from '../testing/start-test-server.ts';

/** CORS on the client surfaces: off by default, on for the origins `settings.cors.origins` lists, never on /api. */

afterEach(closeTestResources);

const app = 'http://localhost:5173';

async function start(settings: Record<string, unknown>): Promise<TestServer> {
  const mock = await startTestMock();
  return startTestServer({
    config: {
      providers: [mockProviderConfig('first', mock)],
      chains: [{ name: 'main', entries: [{ provider: 'first', model: 'first-model' }] }],
      settings: { defaultChain: 'main', ...settings },
    },
  });
}

function preflight(server: TestServer, path: string, origin = app) {
  return server.fetch(path, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    },
  });
}

describe('CORS', () => {
  it('is off by default: a preflight gets no CORS headers', async () => {
    const server = await start({});
    const response = await preflight(server, '/v1/chat/completions');
    expect(response.status).toBe(405);
    expect(response.headers.has('access-control-allow-origin')).toBe(false);
  });

  it('answers the preflight of a listed origin, and exposes the x-429chain headers on its answers', async () => {
    const server = await start({ cors: { origins: [app] } });
    const allowed = await preflight(server, '/v1/responses');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(app);
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    expect(allowed.headers.get('access-control-allow-headers')).toBe('authorization, content-type');

    const answer = await server.call('/v1/chat/completions', {
      method: 'POST',
      headers: { origin: app },
      json: server.chat('main'),
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBe(app);
    expect(answer.headers.get('access-control-expose-headers')).toContain('x-429chain-trail');
    expect(answer.headers.get('access-control-expose-headers')).toContain('x-request-id');
    expect(answer.headers.get('vary')).toContain('origin');

    const other = await preflight(server, '/v1/chat/completions', 'https://evil.example');
    expect(other.headers.has('access-control-allow-origin')).toBe(false);
  });

  it('never applies to the admin API', async () => {
    const server = await start({ cors: { origins: [app] } });
    const response = await preflight(server, '/api/settings');
    expect(response.headers.has('access-control-allow-origin')).toBe(false);
    const read = await server.admin('/api/settings', { headers: { origin: app } });
    expect(read.headers.has('access-control-allow-origin')).toBe(false);
  });

  it('honours "*" only with client keys, and then a refusal is readable by the page', async () => {
    await expect(start({ cors: { origins: '*' } })).rejects.toThrow(/needs client keys/);
    const server = await start({ cors: { origins: '*' }, apiKeys: [testClientKey] });
    const refused = await server.call('/v1/chat/completions', {
      method: 'POST',
      headers: { origin: 'https://any.example' },
      json: server.chat('main'),
    });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe('https://any.example');
    const answered = await server.call('/v1/models', {
      key: testClientKey,
      headers: { origin: 'https://any.example' },
    });
    expect(answered.status).toBe(200);
    expect(answered.headers.get('access-control-allow-origin')).toBe('https://any.example');
  });
});
