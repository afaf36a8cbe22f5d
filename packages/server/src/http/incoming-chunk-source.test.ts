import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { chunkSourceStream, incomingChunkSource } from './incoming-chunk-source.ts';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A loopback upstream answering with `answer`; resolves the client's IncomingMessage. */
async function exchange(
  answer: (response: ServerResponse, socket: Socket) => void,
): Promise<{ incoming: IncomingMessage; serverSocket: () => Socket }> {
  let socket: Socket | undefined;
  const server = createServer((incomingRequest, response) => {
    socket = incomingRequest.socket;
    answer(response, incomingRequest.socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const incoming = await new Promise<IncomingMessage>((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/' }, resolve).on('error', reject).end();
  });
  return { incoming, serverSocket: () => socket! };
}

const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);

describe('incomingChunkSource', () => {
  it('hands over everything that has arrived in one read, then the end', async () => {
    let finish: () => void = () => {};
    const { incoming } = await exchange((response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let index = 0; index < 5; index++) response.write(`data: ${index}\n\n`);
      finish = () => response.end();
    });
    const source = incomingChunkSource(incoming);
    // Give every write time to arrive before the first read.
    await vi.waitFor(() => expect(incoming.readableLength).toBeGreaterThanOrEqual(5 * 9));
    const first = await source.read();
    expect(text(first.value)).toBe('data: 0\n\ndata: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\n');
    finish();
    expect(await source.read()).toEqual({ done: true, value: undefined });
  });

  it('waits for the next bytes when nothing has arrived', async () => {
    let send: (data: string) => void = () => {};
    const { incoming } = await exchange((response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.flushHeaders();
      send = (data) => response.write(data);
    });
    const source = incomingChunkSource(incoming);
    const pending = source.read();
    send('data: late\n\n');
    expect(text((await pending).value)).toBe('data: late\n\n');
  });

  it('rejects a read when the connection is cut before the end', async () => {
    const { incoming, serverSocket } = await exchange((response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: partial\n\n');
    });
    const source = incomingChunkSource(incoming);
    expect(text((await source.read()).value)).toBe('data: partial\n\n');
    serverSocket().destroy();
    await expect(source.read()).rejects.toBeInstanceOf(Error);
  });

  it('closes the connection on cancel, and reads end', async () => {
    const { incoming, serverSocket } = await exchange((response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: one\n\n');
    });
    const source = incomingChunkSource(incoming);
    await source.read();
    const closed = new Promise((resolve) => serverSocket().once('close', resolve));
    await source.cancel();
    await closed;
    expect((await source.read()).done).toBe(true);
  });

  it('serves a web stream that reads the same bytes only when it is read', async () => {
    const { incoming } = await exchange((response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end('data: all\n\n');
    });
    const source = incomingChunkSource(incoming);
    const body = chunkSourceStream(source);
    await vi.waitFor(() => expect(incoming.readableLength).toBe(11));
    // The stream pulled nothing on its own: the source still has every byte.
    expect(text((await source.read()).value)).toBe('data: all\n\n');
    expect(await new Response(body).text()).toBe('');
  });
});
