/**
 * Issue 11, item 4, through the proxy: a 200 MB non-streamed answer is cut at 64 MiB and the
 * trail says so (it said "connection failed (fetch failed)"), and a stream whose first event
 * never ends its line costs a bounded amount of memory and fails over, naming the limit.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closeTestResources, startTestServer } from '../testing/start-test-server.ts';

const servers: Server[] = [];
afterEach(async () => {
  await closeTestResources();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** An upstream that answers every request with `write(response)`. */
async function upstream(write: (response: import('node:http').ServerResponse) => void): Promise<string> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => write(response));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

/** Writes `total` bytes of `x` after `head`, respecting backpressure, then ends. */
function flood(response: import('node:http').ServerResponse, head: string, total: number, end = true): void {
  const piece = Buffer.alloc(1024 * 1024, 'x');
  let sent = 0;
  response.write(head);
  const pump = () => {
    while (sent < total) {
      sent += piece.length;
      if (!response.write(piece)) return void response.once('drain', pump);
    }
    if (end) response.end('"}');
  };
  response.on('error', () => {});
  pump();
}

describe('answers too large to hold', () => {
  it('cuts a 200 MB answer at 64 MiB and names the limit in the trail', async () => {
    const huge = await upstream((response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      flood(response, '{"choices":[{"message":{"content":"', 200 * 1024 * 1024);
    });
    const fine = await upstream((response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          id: 'x',
          object: 'chat.completion',
          model: 'fine',
          choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
        }),
      );
    });
    const server = await startTestServer({
      config: {
        providers: [
          { id: 'huge', type: 'generic', baseUrl: huge, apiKey: 'sk-huge-key-00001' },
          { id: 'fine', type: 'generic', baseUrl: fine, apiKey: 'sk-fine-key-00001' },
        ],
        chains: [
          {
            name: 'main',
            entries: [
              { provider: 'huge', model: 'm' },
              { provider: 'fine', model: 'fine' },
            ],
          },
        ],
      },
    });
    const response = await server.call('/v1/chat/completions', { method: 'POST', json: server.chat('main') });
    const record = await server.admin<{ attempts: Array<{ reason: string; outcome: string }> }>(
      `/api/requests/${response.headers.get('x-429chain-request-id')}`,
    );

    expect(response.status).toBe(200);
    expect(response.headers.get('x-429chain-provider')).toBe('fine');
    expect(record.body.attempts[0]).toMatchObject({
      outcome: 'failed',
      reason: 'the answer is larger than 64 MiB, the most a non-streamed answer may be; it was cut there',
    });
  }, 60_000);

  it('fails over from a stream whose first line never ends, holding a bounded amount', async () => {
    const endless = await upstream((response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      flood(response, 'data: {"choices":[{"delta":{"content":"', 200 * 1024 * 1024, false);
    });
    const fine = await upstream((response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end(
        'data: {"id":"s","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":null}]}\n\n' +
          'data: {"id":"s","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n',
      );
    });
    const server = await startTestServer({
      config: {
        providers: [
          { id: 'endless', type: 'generic', baseUrl: endless, apiKey: 'sk-endless-key-001' },
          { id: 'fine', type: 'generic', baseUrl: fine, apiKey: 'sk-fine-key-00001' },
        ],
        chains: [
          {
            name: 'main',
            entries: [
              { provider: 'endless', model: 'm' },
              { provider: 'fine', model: 'fine' },
            ],
          },
        ],
        settings: { streamEventLimitBytes: 1024 * 1024 },
      },
    });
    const heapBefore = process.memoryUsage().heapUsed;
    const response = await server.call('/v1/chat/completions', {
      method: 'POST',
      json: server.chat('main', { stream: true }),
    });
    const heapAfter = process.memoryUsage().heapUsed;
    const record = await server.admin<{ attempts: Array<{ reason: string }> }>(
      `/api/requests/${response.headers.get('x-429chain-request-id')}`,
    );

    expect(response.text).toContain('data: [DONE]');
    expect(response.headers.get('x-429chain-provider')).toBe('fine');
    expect(record.body.attempts[0]!.reason).toContain(
      'grew past 1048576 characters (settings.streamEventLimitBytes)',
    );
    expect((heapAfter - heapBefore) / 1024 / 1024).toBeLessThan(32);
  }, 60_000);
});
