/**
 * Issue 11, item 3: with no client keys, no web page can drive the proxy. A request from a
 * foreign origin (a form or a `text/plain` fetch needs no preflight) and one under a foreign
 * Host name (DNS rebinding) are refused before anything runs; loopback callers, the dashboard's
 * own origin and configured names are served. With client keys the key is the protection.
 */
import { request } from 'node:http';
import type { MockProvider } from '@429chain/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closeTestResources,
  mockProviderConfig,
  startTestMock,
  startTestServer,
  type TestServer,
  testClientKey,
} from '../testing/start-test-server.ts';

afterEach(closeTestResources);

async function start(
  settings: Record<string, unknown> = {},
): Promise<{ server: TestServer; mock: MockProvider }> {
  const mock = await startTestMock();
  const server = await startTestServer({
    config: {
      providers: [mockProviderConfig('p-ok', mock)],
      chains: [{ name: 'okchain', entries: [{ provider: 'p-ok', model: 'ok-model' }] }],
      settings,
    },
  });
  return { server, mock };
}

/** A raw request, so the test chooses the Host header (fetch does not let it). */
function send(
  server: TestServer,
  options: { path: string; method?: string; headers: Record<string, string>; body?: string },
): Promise<{ status: number; body: string }> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: url.hostname,
        port: url.port,
        path: options.path,
        method: options.method ?? 'GET',
        headers: options.headers,
      },
      (incoming) => {
        let body = '';
        incoming.setEncoding('utf8').on('data', (chunk: string) => {
          body += chunk;
        });
        incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

const chatBody = JSON.stringify({ model: 'okchain', messages: [{ role: 'user', content: 'hi' }] });

describe('the no-key local mode against web pages', () => {
  it("refuses the issue's request: evil Origin, rebinding Host, text/plain body; nothing is spent", async () => {
    const { server, mock } = await start();
    const port = new URL(server.url).port;
    const refused = await send(server, {
      path: '/v1/chat/completions',
      method: 'POST',
      headers: {
        origin: 'http://evil.example',
        host: `rebind.evil.example:${port}`,
        'content-type': 'text/plain',
      },
      body: chatBody,
    });

    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body).error).toMatchObject({
      code: 'host_not_allowed',
      type: 'permission_error',
    });
    expect(mock.requests).toHaveLength(0);
  });

  it('refuses a cross-origin text/plain post under a loopback Host, naming settings.cors.origins', async () => {
    const { server, mock } = await start();
    const refused = await send(server, {
      path: '/v1/chat/completions',
      method: 'POST',
      headers: {
        origin: 'http://evil.example',
        host: new URL(server.url).host,
        'content-type': 'text/plain',
      },
      body: chatBody,
    });

    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body).error.code).toBe('origin_not_allowed');
    expect(JSON.parse(refused.body).error.message).toContain('settings.cors.origins');
    expect(mock.requests).toHaveLength(0);
  });

  it.each([
    ['a rebinding Host on /metrics', { host: 'rebind.evil.example' }, '/metrics'],
    ['a rebinding Host on /api', { host: 'rebind.evil.example:80' }, '/api/info'],
    ['the null origin of a sandboxed frame', { origin: 'null' }, '/v1/models'],
    ['a file: page', { origin: 'file://' }, '/v1/models'],
    ['a look-alike origin', { origin: 'http://127.0.0.1.evil.example' }, '/v1/models'],
  ])('refuses %s', async (_name, headers, path) => {
    const { server } = await start();
    const response = await send(server, { path, headers: { host: new URL(server.url).host, ...headers } });
    expect(response.status).toBe(403);
    expect(JSON.parse(response.body).error.type).toBe('permission_error');
  });

  it.each([
    ['loopback by IP', (port: string) => ({ host: `127.0.0.1:${port}` })],
    ['localhost', (port: string) => ({ host: `localhost:${port}` })],
    [
      'the dashboard posting from its own origin',
      (port: string) => ({ host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}` }),
    ],
    [
      'a local dev server',
      (port: string) => ({ host: `localhost:${port}`, origin: 'http://localhost:5173' }),
    ],
    ['IPv6 loopback', (port: string) => ({ host: `[::1]:${port}`, origin: `http://[::1]:${port}` })],
  ])('serves %s', async (_name, headers) => {
    const { server } = await start();
    const response = await send(server, {
      path: '/v1/chat/completions',
      method: 'POST',
      headers: { ...headers(new URL(server.url).port), 'content-type': 'application/json' },
      body: chatBody,
    });
    expect(response.status).toBe(200);
  });

  it('serves a name listed in settings.allowedHosts', async () => {
    const { server } = await start({ allowedHosts: ['proxy.lan'] });
    const response = await send(server, { path: '/v1/models', headers: { host: 'proxy.lan:3429' } });
    expect(response.status).toBe(200);
  });

  it('stands aside once client keys are set: the key protects', async () => {
    const { server } = await start({ apiKeys: [testClientKey] });
    const response = await send(server, {
      path: '/v1/chat/completions',
      method: 'POST',
      headers: {
        host: 'proxy.example.com',
        origin: 'https://app.example.com',
        authorization: `Bearer ${testClientKey}`,
        'content-type': 'application/json',
      },
      body: chatBody,
    });
    expect(response.status).toBe(200);
  });
});
