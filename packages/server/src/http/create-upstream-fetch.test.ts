import { getEventListeners } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createUpstreamFetch } from './create-upstream-fetch.ts';

interface Upstream {
  url: string;
  /** Sockets the upstream accepted, and whether each is still open. */
  sockets: Array<{ socket: Socket; closed: boolean }>;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function startUpstream(answer: (response: ServerResponse) => void): Promise<Upstream> {
  const sockets: Upstream['sockets'] = [];
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => answer(response));
  });
  server.on('connection', (socket) => {
    const entry = { socket, closed: false };
    socket.on('close', () => {
      entry.closed = true;
    });
    sockets.push(entry);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sockets };
}

describe('createUpstreamFetch', () => {
  it('answers a JSON body whole, with status and headers, and leaves no listener on the signal', async () => {
    const upstream = await startUpstream((response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'x-ratelimit-remaining-requests': '9' });
      response.end('{"ok":true}');
    });
    const fetch = createUpstreamFetch();
    const controller = new AbortController();
    const response = await fetch(`${upstream.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model":"m"}',
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('9');
    expect(await response.text()).toBe('{"ok":true}');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('sends each URL to its own path and query, and credentials in the URL as basic auth', async () => {
    const seen: Array<{
      url: string | undefined;
      authorization: string | undefined;
      method: string | undefined;
    }> = [];
    const server = createServer((request, response) => {
      seen.push({ url: request.url, authorization: request.headers.authorization, method: request.method });
      request.resume();
      request.on('end', () => response.end('{}'));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const fetch = createUpstreamFetch();

    for (const url of [
      `http://127.0.0.1:${port}/v1/chat/completions`,
      `http://127.0.0.1:${port}/openai/v1/chat/completions?api-version=2024-10-21`,
      `http://127.0.0.1:${port}/v1/chat/completions`,
      `http://user%40x:p%3Ass@127.0.0.1:${port}/v1/embeddings`,
    ]) {
      expect((await fetch(url, { method: 'POST', body: '{}' })).status).toBe(200);
    }
    expect((await fetch(new URL(`http://127.0.0.1:${port}/v1/models?x=1`))).status).toBe(200);

    expect(seen).toEqual([
      { url: '/v1/chat/completions', authorization: undefined, method: 'POST' },
      { url: '/openai/v1/chat/completions?api-version=2024-10-21', authorization: undefined, method: 'POST' },
      { url: '/v1/chat/completions', authorization: undefined, method: 'POST' },
      {
        url: '/v1/embeddings',
        authorization: `Basic ${Buffer.from('user@x:p:ss').toString('base64')}`,
        method: 'POST',
      },
      { url: '/v1/models?x=1', authorization: undefined, method: 'GET' },
    ]);
  });

  it('rejects with the reason of an abort before the headers, and closes the socket', async () => {
    const upstream = await startUpstream(() => {
      // Never answers.
    });
    const fetch = createUpstreamFetch();
    const controller = new AbortController();
    const pending = fetch(`${upstream.url}/v1/chat/completions`, {
      method: 'POST',
      body: '{}',
      signal: controller.signal,
    });
    await vi.waitFor(() => expect(upstream.sockets).toHaveLength(1));
    const reason = new Error('the client went away');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await vi.waitFor(() => expect(upstream.sockets[0]!.closed).toBe(true));
  });

  it('closes the socket when the signal aborts while an event stream is read', async () => {
    const upstream = await startUpstream((response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: {"choices":[]}\n\n');
    });
    const fetch = createUpstreamFetch();
    const controller = new AbortController();
    const response = await fetch(`${upstream.url}/v1/chat/completions`, {
      method: 'POST',
      body: '{}',
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('choices');
    controller.abort(new Error('gone'));
    await vi.waitFor(() => expect(upstream.sockets[0]!.closed).toBe(true));
    await expect(reader.read()).rejects.toThrow();
  });

  it('cuts an answer larger than maxBodyBytes there and hands over its start', async () => {
    const upstream = await startUpstream((response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(`{"data":"${'x'.repeat(10_000)}"}`);
    });
    const fetch = createUpstreamFetch({ maxBodyBytes: 1_000 });
    const response = await fetch(`${upstream.url}/v1/chat/completions`, { method: 'POST', body: '{}' });

    expect(response.status).toBe(200);
    expect((await response.text()).length).toBe(1_000);
  });

  it('rejects with a TypeError carrying the code when nothing listens', async () => {
    const upstream = await startUpstream(() => {});
    const port = new URL(upstream.url).port;
    await new Promise((resolve) => servers.pop()!.close(resolve));
    const failure = await createUpstreamFetch()(`http://127.0.0.1:${port}/v1/models`).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(TypeError);
    expect((failure as TypeError & { cause: { code: string } }).cause.code).toBe('ECONNREFUSED');
  });
});
