/**
 * One simulated free-tier provider on loopback `node:http`: it enforces its limits (farm.ts),
 * answers in its dialect (dialects.ts), and counts every request it accepted and every 429 it
 * sent, with the limit that caused it. `GET …/models` lists its model and costs no quota.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dialects, type LimitView } from './dialects.ts';
import { amountsFor, causeOf, type Farm, limitWindows, type ProviderSpec } from './farm.ts';
import { admit, type LimitWindow } from './limit-window.ts';

/** What a simulator saw since its run started; times in ms after the run's origin. */
export interface ProviderStats {
  accepted: number;
  acceptedAt: number[];
  /** 429s by cause (`requests/minute`, …). */
  refused: Record<string, number>;
  refusedAt: number[];
  /** Requests that were not chat completions (`GET /models` is answered), or came before the run started. */
  other: number;
}

/** Options of {@link startSimulatedProvider}. */
export interface SimulatedProviderOptions {
  farm: Pick<Farm, 'minuteMs' | 'dayMs'>;
  provider: ProviderSpec;
  /** Draws the answer delays. */
  random: () => number;
  /** Where its fixed per-minute windows start, after the run's origin (ms). */
  phaseMs: number;
}

export interface SimulatedProvider {
  port: number;
  /** Starts counting afresh: the run's windows begin at `origin` (epoch ms). */
  start(origin: number): void;
  stats(): ProviderStats;
  close(): Promise<void>;
}

export async function startSimulatedProvider(options: SimulatedProviderOptions): Promise<SimulatedProvider> {
  const { farm, provider, random, phaseMs } = options;
  const dialect = dialects[provider.dialect];
  let origin: number | undefined;
  let windows: LimitWindow[] = [];
  let stats = emptyStats();

  const delay = ([low, high]: readonly [number, number]) => low + random() * (high - low);

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const text = await readBody(request);
    const path = request.url?.split('?')[0] ?? '/';
    if (request.method === 'GET' && path.endsWith('/models')) {
      // Listing models costs no quota here, as on the real services.
      stats.other++;
      const models = {
        object: 'list',
        data: [{ id: provider.model, object: 'model', owned_by: provider.id }],
      };
      return send(response, 200, {}, models);
    }
    if (request.method !== 'POST' || !path.endsWith('/chat/completions') || origin === undefined) {
      stats.other++;
      return send(response, 404, {}, { error: { message: `no route for ${request.method} ${request.url}` } });
    }
    const now = Date.now();
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      stats.other++;
      return send(
        response,
        400,
        {},
        { error: { message: 'invalid JSON body', type: 'invalid_request_error' } },
      );
    }
    const amounts = amountsFor(provider, body);
    const views = (): LimitView[] =>
      provider.limits.map((spec, index) => ({
        spec,
        remaining: windows[index]!.remaining(now),
        resetAt: windows[index]!.resetAt(now),
      }));
    const hit = admit(windows, now, amounts);
    if (hit >= 0) {
      const cause = causeOf(provider.limits[hit]!);
      stats.refused[cause] = (stats.refused[cause] ?? 0) + 1;
      stats.refusedAt.push(now - origin);
      const all = views();
      const answer = dialect.tooManyRequests(all[hit]!, all, {
        now,
        model: provider.model,
        requested: amounts[hit]!,
        minuteMs: farm.minuteMs,
      });
      await sleep(delay([10, 30]));
      return send(response, answer.status, answer.headers, answer.body);
    }
    stats.accepted++;
    stats.acceptedAt.push(now - origin);
    const headers = dialect.successHeaders(views(), now);
    await sleep(delay(provider.latencyMs));
    const model = typeof body.model === 'string' ? body.model : provider.model;
    return send(response, 200, headers, completion(provider.id, model, stats.accepted));
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    start(at) {
      origin = at;
      windows = limitWindows(farm, provider, at, phaseMs);
      stats = emptyStats();
    },
    stats: () => stats,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function emptyStats(): ProviderStats {
  return { accepted: 0, acceptedAt: [], refused: {}, refusedAt: [], other: 0 };
}

function completion(providerId: string, model: string, count: number): Record<string, unknown> {
  const content = `Hello from ${providerId}, answer ${count}.`;
  return {
    id: `chatcmpl-${providerId}-${count}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 7, completion_tokens: 8, total_tokens: 15 },
  };
}

function send(
  response: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: unknown,
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
