import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { withBufferedBody, withChunkSource } from '@429chain/core';
import { chunkSourceStream, incomingChunkSource } from './incoming-chunk-source.ts';

/**
 * The runtime's own `Response`, as it was when this module loaded. `@hono/node-server`
 * later swaps the global for a lightweight one that builds the real one when it is first
 * touched; an event stream's response always is, so it is built as the real one at once.
 */
const NativeResponse = globalThis.Response;

/** Options of {@link createUpstreamFetch}. */
export interface UpstreamFetchOptions {
  /** Idle keep-alive sockets kept per upstream host. @default 64 */
  maxFreeSockets?: number | undefined;
  /** How long an idle keep-alive socket is kept (ms). @default 15000 */
  keepAliveMs?: number | undefined;
  /** A non-streamed answer larger than this is cut there, and the engine reports it so. @default 67108864 (64 MiB) */
  maxBodyBytes?: number | undefined;
}

/**
 * The `fetch` the proxy gives the engine for upstream calls: the subset core uses
 * (`fetch(url, { method, headers, body, signal })`), on `node:http`/`node:https` with
 * keep-alive agents. Node's global `fetch` costs about twice the CPU per call; on a
 * proxy that is most of what it adds. Semantics match `fetch` where core relies on them:
 * network failures reject with a `TypeError` whose `cause` carries the code, an aborted
 * signal rejects with its reason and destroys the socket (also while an event stream is
 * being read), event streams arrive as a streamed body (which the engine reads through
 * `withChunkSource`, everything that has arrived at once), and other bodies are read whole
 * (up to `maxBodyBytes`) before the promise resolves, and handed to the engine as they are
 * (`withBufferedBody`).
 */
export function createUpstreamFetch(options: UpstreamFetchOptions = {}): typeof globalThis.fetch {
  const agentOptions = {
    keepAlive: true,
    keepAliveMsecs: 1_000,
    maxFreeSockets: options.maxFreeSockets ?? 64,
    timeout: options.keepAliveMs ?? 15_000,
    scheduling: 'lifo' as const,
  };
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024 * 1024;
  const httpAgent = new HttpAgent(agentOptions);
  const httpsAgent = new HttpsAgent(agentOptions);
  const targets = new TargetCache();

  return (input, init = {}) => {
    if (typeof input !== 'string' && !(input instanceof URL)) return globalThis.fetch(input, init);
    const target = typeof input === 'string' ? targets.get(input) : requestTarget(input);
    const signal = init.signal ?? undefined;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const { secure, location } = target;
    const send = secure ? httpsRequest : httpRequest;
    const headers = flattenHeaders(init.headers);
    const body = typeof init.body === 'string' ? Buffer.from(init.body) : undefined;
    if (body) headers['content-length'] = String(body.byteLength);

    return new Promise<Response>((resolve, reject) => {
      let settled = false;
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        detach();
        reject(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: error }));
      };
      const outgoing = send({
        ...location,
        method: init.method ?? 'GET',
        headers,
        agent: secure ? httpsAgent : httpAgent,
      });
      // One listener, removed once the exchange is over. (Node's own `signal` option costs
      // about 40 µs a request here: it follows the stream's end through `finished()`.)
      const onAbort = () => {
        outgoing.destroy(signal?.reason);
        fail(signal?.reason);
      };
      const detach = () => signal?.removeEventListener('abort', onAbort);
      signal?.addEventListener('abort', onAbort, { once: true });
      outgoing.on('error', fail);
      outgoing.on('response', (incoming: IncomingMessage) => {
        const responseHeaders = toHeaders(incoming);
        const status = incoming.statusCode ?? 502;
        const streamed = (incoming.headers['content-type'] ?? '').includes('text/event-stream');
        if (streamed) {
          settled = true;
          // The body is read later: an abort still has to reach the socket until it ends.
          incoming.once('close', detach);
          const source = incomingChunkSource(incoming, signal);
          resolve(
            withChunkSource(
              new NativeResponse(chunkSourceStream(source), { status, headers: responseHeaders }),
              source,
            ),
          );
          return;
        }
        const parts: Buffer[] = [];
        let received = 0;
        incoming.on('data', (part: Buffer) => {
          if (settled) return;
          if (received + part.byteLength > maxBodyBytes) {
            // Cut here: the engine gets the start, marked, and names the failure.
            parts.push(part.subarray(0, maxBodyBytes - received));
            settled = true;
            detach();
            outgoing.destroy();
            const bytes = Buffer.concat(parts);
            const response = new Response(bytes, { status, headers: responseHeaders });
            resolve(withBufferedBody(response, bytes, { cutAt: maxBodyBytes }));
            return;
          }
          received += part.byteLength;
          parts.push(part);
        });
        incoming.on('error', fail);
        incoming.on('aborted', () => fail(new Error('the response was cut')));
        incoming.on('end', () => {
          if (settled) return;
          settled = true;
          detach();
          const bytes = Buffer.concat(parts);
          const nullBody = status === 204 || status === 304 || init.method === 'HEAD';
          const response = new Response(nullBody ? null : bytes, { status, headers: responseHeaders });
          resolve(nullBody ? response : withBufferedBody(response, bytes));
        });
      });
      outgoing.end(body);
    });
  };
}

/** Where a request goes, as `http.request` options: what `urlToHttpOptions` gives, without the URL. */
interface RequestTarget {
  secure: boolean;
  location: { protocol: string; hostname: string; port?: number; path: string; auth?: string };
}

function requestTarget(url: URL): RequestTarget {
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const location: RequestTarget['location'] = {
    protocol: url.protocol,
    hostname,
    path: `${url.pathname}${url.search}`,
  };
  if (url.port !== '') location.port = Number(url.port);
  if (url.username || url.password) {
    location.auth = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  }
  return { secure: url.protocol === 'https:', location };
}

/**
 * Parsed request targets by URL string. The engine calls the same few URLs (a provider's base
 * URL + `/chat/completions`) over and over; parsing one and having `http.request` convert the
 * `URL` again cost ~20 µs per call on the benchmark machine. Bounded: cleared past 256 entries.
 */
class TargetCache {
  readonly #targets = new Map<string, RequestTarget>();

  get(url: string): RequestTarget {
    let target = this.#targets.get(url);
    if (!target) {
      target = requestTarget(new URL(url));
      if (this.#targets.size >= 256) this.#targets.clear();
      this.#targets.set(url, target);
    }
    return target;
  }
}

function flattenHeaders(headers: RequestInit['headers']): Record<string, string> {
  if (!headers) return {};
  if (headers instanceof Headers) return Object.fromEntries(headers);
  if (Array.isArray(headers)) return Object.fromEntries(headers);
  return { ...(headers as Record<string, string>) };
}

function toHeaders(incoming: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = incoming.rawHeaders;
  for (let index = 0; index < raw.length; index += 2) headers.append(raw[index]!, raw[index + 1]!);
  return headers;
}
