/**
 * A zero-latency OpenAI-compatible upstream for the proxy benchmark, in its own process.
 *
 *   node bench/mock-upstream.ts [port]      (port 0 or none: any free port)
 *
 * Prints one JSON line `{"port":N}` once listening. Answers at once, without timers:
 * - `POST /v1/chat/completions`: a ~400-byte JSON completion, or with `"stream": true` an SSE
 *   stream of 22 events (role, 20 content chunks, finish) plus a usage event when
 *   `stream_options.include_usage` is set, then `[DONE]`; each event is its own `write()`.
 *   Both carry OpenAI-style `x-ratelimit-*` headers with plenty left, as a real provider does.
 * - `POST /exhausted/v1/chat/completions`: 429 with `retry-after: 86400`, the answer of a
 *   provider whose daily quota is spent (used by the fail-over rows).
 * - `GET /stats`: requests served per path, and TCP connections accepted (`connections`), since the
 *   last `GET /stats?reset=1`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

const created = 1_700_000_000;
const rateLimitHeaders = {
  'x-ratelimit-limit-requests': '1000000',
  'x-ratelimit-remaining-requests': '999999',
  'x-ratelimit-reset-requests': '1s',
  'x-ratelimit-limit-tokens': '100000000',
  'x-ratelimit-remaining-tokens': '99999999',
  'x-ratelimit-reset-tokens': '1s',
};

const completionFor = (model: string) =>
  Buffer.from(
    JSON.stringify({
      id: 'chatcmpl-bench',
      object: 'chat.completion',
      created,
      model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'The quick brown fox jumps over the lazy dog, twice over.' },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 24, completion_tokens: 20, total_tokens: 44 },
      system_fingerprint: 'fp_bench',
    }),
  );

const streamEventsFor = (model: string): { events: Buffer[]; usage: Buffer; done: Buffer } => {
  const event = (fields: Record<string, unknown>) =>
    Buffer.from(
      `data: ${JSON.stringify({
        id: 'chatcmpl-bench',
        object: 'chat.completion.chunk',
        created,
        model,
        system_fingerprint: 'fp_bench',
        ...fields,
      })}\n\n`,
    );
  const chunk = (delta: Record<string, unknown>, finishReason: string | null) =>
    event({ choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] });
  const events = [chunk({ role: 'assistant', content: '' }, null)];
  for (let index = 0; index < 20; index++) events.push(chunk({ content: ` token${index}` }, null));
  events.push(chunk({}, 'stop'));
  const usage = event({
    choices: [],
    usage: { prompt_tokens: 24, completion_tokens: 20, total_tokens: 44 },
  });
  return { events, usage, done: Buffer.from('data: [DONE]\n\n') };
};

/** Prebuilt answers per model name (the proxies rewrite `model`; a handful of names at most). */
const answers = new Map<string, { completion: Buffer; stream: ReturnType<typeof streamEventsFor> }>();
const answersFor = (model: string) => {
  let answer = answers.get(model);
  if (!answer) {
    answer = { completion: completionFor(model), stream: streamEventsFor(model) };
    if (answers.size < 64) answers.set(model, answer);
  }
  return answer;
};

const rateLimited = Buffer.from(
  JSON.stringify({
    error: {
      message: 'Rate limit reached for requests per day. Please try again in 24h.',
      type: 'requests',
      param: null,
      code: 'rate_limit_exceeded',
    },
  }),
);

const served = new Map<string, number>();
let connections = 0;

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () =>
      resolve(chunks.length === 1 ? chunks[0]!.toString() : Buffer.concat(chunks).toString()),
    );
    request.on('error', reject);
  });
}

function answerJson(response: ServerResponse, status: number, body: Buffer, extra: Record<string, string>) {
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length, ...extra });
  response.end(body);
}

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '/').split('?')[0]!;
  if (request.method === 'GET' && path === '/stats') {
    const stats = { ...Object.fromEntries(served), connections };
    if (request.url?.includes('reset=1')) {
      served.clear();
      connections = 0;
    }
    answerJson(response, 200, Buffer.from(JSON.stringify(stats)), {});
    return;
  }
  const text = await readBody(request);
  served.set(path, (served.get(path) ?? 0) + 1);
  if (request.method !== 'POST' || !path.endsWith('/v1/chat/completions')) {
    answerJson(
      response,
      404,
      Buffer.from('{"error":{"message":"not found","type":"invalid_request_error"}}'),
      {},
    );
    return;
  }
  if (path.startsWith('/exhausted/')) {
    answerJson(response, 429, rateLimited, { 'retry-after': '86400' });
    return;
  }
  let body: { model?: unknown; stream?: unknown; stream_options?: { include_usage?: unknown } | null };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    answerJson(
      response,
      400,
      Buffer.from('{"error":{"message":"invalid JSON","type":"invalid_request_error"}}'),
      {},
    );
    return;
  }
  const answer = answersFor(typeof body.model === 'string' ? body.model : 'bench-model');
  if (body.stream !== true) {
    answerJson(response, 200, answer.completion, rateLimitHeaders);
    return;
  }
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    ...rateLimitHeaders,
  });
  for (const event of answer.stream.events) response.write(event);
  if (body.stream_options?.include_usage === true) response.write(answer.stream.usage);
  response.end(answer.stream.done);
}

const server = createServer((request, response) => {
  handle(request, response).catch((error: unknown) => {
    response.destroy(error instanceof Error ? error : new Error(String(error)));
  });
});
server.on('connection', () => {
  connections++;
});
// Keep the proxies' pooled connections open between benchmark cells.
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('SIGINT', () => server.close(() => process.exit(0)));
