import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A real OpenAI-compatible HTTP server on loopback for tests and benchmarks. Each
 * model answers from a script of replies (the last one repeats), and every request
 * and socket is recorded, so a test can assert what the upstream saw.
 */

/** One scripted reply. */
export type MockReply =
  | {
      type: 'json';
      status?: number | undefined;
      headers?: Record<string, string> | undefined;
      body: unknown;
      /** Delay before the headers (ms). */
      delayMs?: number | undefined;
    }
  | {
      type: 'text';
      status: number;
      headers?: Record<string, string> | undefined;
      body: string;
      delayMs?: number | undefined;
    }
  | {
      type: 'stream';
      status?: number | undefined;
      headers?: Record<string, string> | undefined;
      /** Raw SSE text pieces, written one after another. */
      pieces: string[];
      /** Pause between pieces (ms). */
      intervalMs?: number | undefined;
      /** Delay before the headers (ms). */
      delayMs?: number | undefined;
      /** After the pieces: `end` the response, `cut` the socket, or `hang` (never end). @default 'end' */
      after?: 'end' | 'cut' | 'hang' | undefined;
    }
  /** Accept the request and never send headers. */
  | { type: 'silent' }
  /** Destroy the socket before sending headers. */
  | { type: 'reset' };

/** A request the mock received. */
export interface MockRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown> | undefined;
  /** The `model` of the body. */
  model: string | undefined;
  at: number;
  /** Resolves when the socket that carried this request closes (e.g. the caller aborted). */
  socketClosed: Promise<void>;
}

/** Options of {@link startMockProvider}. */
export interface MockProviderOptions {
  /** Reply for models without a script. @default a completion (streamed when asked) echoing the model */
  fallback?: ((request: MockRequest) => MockReply) | undefined;
  /** Port to bind (0 = any free port). @default 0 */
  port?: number | undefined;
}

/** A running mock provider. */
export interface MockProvider {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:41234/v1`. */
  url: string;
  /** Every request received, in order. */
  requests: MockRequest[];
  /** Requests received for one model. */
  requestsFor(model: string): MockRequest[];
  /** Sets the replies for a model: each request takes the next; the last repeats. */
  script(model: string, replies: MockReply[]): void;
  /** Sockets opened so far, and how many are closed. */
  sockets(): { opened: number; closed: number; open: number };
  /** Resolves when every socket opened so far has closed. */
  allSocketsClosed(timeoutMs?: number): Promise<void>;
  /** Forgets requests and scripts. */
  reset(): void;
  close(): Promise<void>;
}

/** One promise per socket: a keep-alive socket carries many requests, and a listener each would pile up. */
const socketsClosed = new WeakMap<Socket, Promise<void>>();

function closedOf(socket: Socket): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  let closed = socketsClosed.get(socket);
  if (!closed) {
    closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socketsClosed.set(socket, closed);
  }
  return closed;
}

/** A chat completion reply. */
export function completionReply(options: {
  model?: string | undefined;
  text?: string | undefined;
  headers?: Record<string, string> | undefined;
  usage?: { prompt_tokens: number; completion_tokens: number } | undefined;
  message?: Record<string, unknown> | undefined;
  finishReason?: string | undefined;
  delayMs?: number | undefined;
}): MockReply {
  const usage = options.usage ?? { prompt_tokens: 10, completion_tokens: 5 };
  return {
    type: 'json',
    headers: options.headers,
    delayMs: options.delayMs,
    body: {
      id: 'chatcmpl-mock',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: options.model ?? 'mock-model',
      choices: [
        {
          index: 0,
          message: options.message ?? { role: 'assistant', content: options.text ?? 'Hello from the mock.' },
          finish_reason: options.finishReason ?? 'stop',
        },
      ],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    },
  };
}

/** A streamed chat completion reply, in OpenAI's chunk format. */
export function streamReply(options: {
  model?: string | undefined;
  /** Text pieces, one content chunk each. */
  tokens?: string[] | undefined;
  headers?: Record<string, string> | undefined;
  intervalMs?: number | undefined;
  delayMs?: number | undefined;
  /** Include the usage chunk. @default true */
  usage?: boolean | undefined;
  /** Send the finish chunk. @default true */
  finish?: boolean | undefined;
  /** Send `[DONE]`. @default true */
  done?: boolean | undefined;
  after?: 'end' | 'cut' | 'hang' | undefined;
}): MockReply {
  const model = options.model ?? 'mock-model';
  const tokens = options.tokens ?? ['Hello', ' from', ' the', ' mock.'];
  const chunk = (
    delta: Record<string, unknown>,
    finishReason: string | null,
    extra: Record<string, unknown> = {},
  ) =>
    `data: ${JSON.stringify({
      id: 'chatcmpl-mock',
      object: 'chat.completion.chunk',
      created: 1_700_000_000,
      model,
      choices: [{ index: 0, delta, finish_reason: finishReason }],
      ...extra,
    })}\n\n`;
  const pieces = [chunk({ role: 'assistant', content: '' }, null)];
  for (const token of tokens) pieces.push(chunk({ content: token }, null));
  if (options.finish !== false) pieces.push(chunk({}, 'stop'));
  if (options.usage !== false && options.finish !== false) {
    pieces.push(
      `data: ${JSON.stringify({
        id: 'chatcmpl-mock',
        object: 'chat.completion.chunk',
        created: 1_700_000_000,
        model,
        choices: [],
        usage: { prompt_tokens: 10, completion_tokens: tokens.length, total_tokens: 10 + tokens.length },
      })}\n\n`,
    );
  }
  if (options.done !== false && options.finish !== false) pieces.push('data: [DONE]\n\n');
  return {
    type: 'stream',
    headers: options.headers,
    pieces,
    intervalMs: options.intervalMs,
    delayMs: options.delayMs,
    after: options.after,
  };
}

/** An error reply. */
export function errorReply(status: number, body: unknown, headers?: Record<string, string>): MockReply {
  return typeof body === 'string'
    ? { type: 'text', status, body, headers }
    : { type: 'json', status, body, headers };
}

/** Starts a mock provider on 127.0.0.1. */
export async function startMockProvider(options: MockProviderOptions = {}): Promise<MockProvider> {
  const scripts = new Map<string, { replies: MockReply[]; next: number }>();
  const requests: MockRequest[] = [];
  const sockets = new Set<Socket>();
  let opened = 0;
  let closed = 0;
  const closeWaiters = new Set<() => void>();
  const fallback =
    options.fallback ??
    ((request: MockRequest) =>
      request.body?.stream === true
        ? streamReply({ model: request.model ?? 'mock-model' })
        : completionReply({ model: request.model ?? 'mock-model' }));

  const server: Server = createServer((incoming, outgoing) => {
    const parts: Buffer[] = [];
    incoming.on('data', (part: Buffer) => parts.push(part));
    incoming.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8');
      let body: Record<string, unknown> | undefined;
      try {
        body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      } catch {
        body = undefined;
      }
      const socket = incoming.socket;
      const request: MockRequest = {
        method: incoming.method ?? 'GET',
        path: incoming.url ?? '/',
        headers: incoming.headers,
        body,
        model: typeof body?.model === 'string' ? body.model : undefined,
        at: Date.now(),
        socketClosed: closedOf(socket),
      };
      requests.push(request);
      const script = request.model !== undefined ? scripts.get(request.model) : undefined;
      let reply: MockReply;
      if (script && script.replies.length > 0) {
        reply = script.replies[Math.min(script.next, script.replies.length - 1)]!;
        script.next++;
      } else reply = fallback(request);
      void respond(incoming, outgoing, reply);
    });
  });
  server.keepAliveTimeout = 5_000;
  server.on('connection', (socket) => {
    opened++;
    sockets.add(socket);
    socket.on('close', () => {
      closed++;
      sockets.delete(socket);
      if (sockets.size === 0) for (const wake of closeWaiters) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    requestsFor: (model) => requests.filter((request) => request.model === model),
    script(model, replies) {
      scripts.set(model, { replies, next: 0 });
    },
    sockets: () => ({ opened, closed, open: sockets.size }),
    allSocketsClosed(timeoutMs = 2_000) {
      if (sockets.size === 0) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          closeWaiters.delete(wake);
          reject(new Error(`${sockets.size} upstream socket(s) still open after ${timeoutMs} ms`));
        }, timeoutMs);
        const wake = () => {
          clearTimeout(timer);
          closeWaiters.delete(wake);
          resolve();
        };
        closeWaiters.add(wake);
      });
    },
    reset() {
      scripts.clear();
      requests.length = 0;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function wait(ms: number | undefined): Promise<void> {
  return ms ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

async function respond(incoming: IncomingMessage, outgoing: ServerResponse, reply: MockReply): Promise<void> {
  let gone = false;
  outgoing.on('close', () => {
    gone = true;
  });
  switch (reply.type) {
    case 'silent':
      return;
    case 'reset':
      incoming.socket.destroy();
      return;
    case 'json':
    case 'text': {
      await wait(reply.delayMs);
      if (gone) return;
      const text = reply.type === 'json' ? JSON.stringify(reply.body) : reply.body;
      outgoing.writeHead(reply.status ?? 200, {
        'content-type': reply.type === 'json' ? 'application/json' : 'text/plain',
        ...reply.headers,
      });
      outgoing.end(text);
      return;
    }
    case 'stream': {
      await wait(reply.delayMs);
      if (gone) return;
      outgoing.writeHead(reply.status ?? 200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        ...reply.headers,
      });
      outgoing.flushHeaders();
      for (const piece of reply.pieces) {
        if (gone) return;
        outgoing.write(piece);
        await wait(reply.intervalMs);
      }
      if (gone) return;
      if (reply.after === 'cut') incoming.socket.destroy();
      else if (reply.after !== 'hang') outgoing.end();
      return;
    }
  }
}
