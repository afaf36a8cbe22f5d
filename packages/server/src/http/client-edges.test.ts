/**
 * Issue 11, item 8: the edges of what a client sends. Node's HTTP parser refusals answer
 * OpenAI-shaped errors, not empty bodies or resets; a header or body trickle is cut off at
 * its timeout; every over-limit chunked upload gets its 413; the connection cap holds; and a
 * body nested thousands deep is a 400. Raw sockets against a real server.
 */
import { connect, type Socket } from 'node:net';
import type { MockProvider } from '@429chain/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closeTestResources,
  mockProviderConfig,
  startTestMock,
  startTestServer,
  type TestServer,
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
      settings: { bodyLimitBytes: 4_096, ...settings },
    },
  });
  return { server, mock };
}

/** Opens a socket, writes `parts` (with pauses), and collects everything until the server closes it. */
function exchange(
  server: TestServer,
  parts: string[],
  options: { pauseMs?: number; holdOpen?: boolean } = {},
): Promise<{ text: string; reset: boolean }> {
  const url = new URL(server.url);
  return new Promise((resolve) => {
    const socket: Socket = connect(Number(url.port), url.hostname);
    let text = '';
    let reset = false;
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') reset = true;
    });
    socket.on('close', () => resolve({ text, reset }));
    socket.on('connect', async () => {
      for (const part of parts) {
        if (socket.destroyed) break;
        socket.write(part);
        if (options.pauseMs) await new Promise((wait) => setTimeout(wait, options.pauseMs));
      }
      if (!options.holdOpen) socket.end();
    });
  });
}

function errorOf(text: string): { status: number; error: Record<string, unknown> } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
  const body = text.slice(text.indexOf('\r\n\r\n') + 4);
  return { status, error: (JSON.parse(body) as { error: Record<string, unknown> }).error };
}

describe("Node's HTTP parser refusals", () => {
  it('answers a malformed request line with an OpenAI-shaped 400', async () => {
    const { server } = await start();
    const { text } = await exchange(server, ['GET /v1/models HTTP/9.9 oops\r\n\r\n']);
    expect(errorOf(text)).toMatchObject({
      status: 400,
      error: { code: 'malformed_request', type: 'invalid_request_error' },
    });
  });

  it('answers headers over the size limit with an OpenAI-shaped 431', async () => {
    const { server } = await start();
    const { text } = await exchange(server, [
      `GET /v1/models HTTP/1.1\r\nhost: 127.0.0.1\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`,
    ]);
    expect(errorOf(text)).toMatchObject({ status: 431, error: { code: 'headers_too_large' } });
  });

  it('cuts off a header trickle at settings.clientHeadersTimeoutMs with a 408', async () => {
    const { server } = await start({ clientHeadersTimeoutMs: 500 });
    const started = Date.now();
    const { text } = await exchange(
      server,
      ['GET /v1/models HTTP/1.1\r\n', ...Array(40).fill('x-slow: 1\r\n')],
      {
        pauseMs: 100,
        holdOpen: true,
      },
    );
    expect(errorOf(text)).toMatchObject({ status: 408, error: { code: 'request_timeout' } });
    // Node checks its timers once a second here; the trickle would otherwise last 4 s or more.
    expect(Date.now() - started).toBeLessThan(3_500);
  });

  it('cuts off a body trickle at settings.clientRequestTimeoutMs with a 408', async () => {
    const { server, mock } = await start({ clientRequestTimeoutMs: 600 });
    const { text } = await exchange(
      server,
      [
        'POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 400\r\n\r\n',
        ...Array(40).fill(' '),
      ],
      { pauseMs: 100, holdOpen: true },
    );
    expect(errorOf(text)).toMatchObject({ status: 408, error: { code: 'request_timeout' } });
    expect(mock.requests).toHaveLength(0);
  });
});

describe('bodies over the limit', () => {
  it('answers each of 20 over-limit chunked uploads with its 413, none reset', async () => {
    const { server, mock } = await start();
    const chunk = 'x'.repeat(8_192);
    const upload = () =>
      exchange(server, [
        'POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n',
        ...Array(16).fill(`${chunk.length.toString(16)}\r\n${chunk}\r\n`),
        '0\r\n\r\n',
      ]);
    const results = await Promise.all(Array.from({ length: 20 }, upload));

    const statuses = results.map(({ text }) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]));
    expect(statuses).toEqual(Array(20).fill(413));
    for (const { text } of results) expect(text).toContain('"code":"request_too_large"');
    expect(mock.requests).toHaveLength(0);
  });

  it('answers a body nested 5,000 deep with a 400, not a 500, and stays up', async () => {
    const { server, mock } = await start({ bodyLimitBytes: 1_000_000 });
    const nested = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;
    const response = await server.call<{ error: Record<string, unknown> }>('/v1/chat/completions', {
      method: 'POST',
      body: `{"model":"okchain","messages":[{"role":"user","content":"hi"}],"metadata":${nested}}`,
      headers: { 'content-type': 'application/json' },
    });

    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: 'invalid_json', param: 'metadata' });
    expect(mock.requests).toHaveLength(0);
    expect((await server.call('/health')).status).toBe(200);
  });
});

describe('the connection cap', () => {
  it('closes connections past settings.maxConnections and keeps serving the others', async () => {
    const { server } = await start({ maxConnections: 3 });
    const url = new URL(server.url);
    const held = await Promise.all(
      Array.from(
        { length: 3 },
        () =>
          new Promise<Socket>((resolve) => {
            const socket = connect(Number(url.port), url.hostname, () => resolve(socket));
          }),
      ),
    );
    const extra = await exchange(server, ['GET /health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n']);
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const after = await server.call('/health');

    expect(extra.text).toBe('');
    expect(after.status).toBe(200);
  });
});
