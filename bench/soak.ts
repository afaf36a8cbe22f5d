/**
 * The soak benchmark (`pnpm bench:soak [minutes]`, default 10): N minutes of mixed load with
 * faults against the proxy (the Docker entry, its own process), then SIGTERM. It prints the
 * proxy's RSS curve, what clients got, the errors, and the request log's rows against the
 * requests sent. A benchmark, not a test: it asserts nothing, it reports.
 *
 * Load (16 clients, back to back): non-streamed and streamed chat through a three-entry chain
 * whose first two entries fail at random (429 with a reset, 500, connection reset before
 * headers, a stream cut mid-way, a stream that never sends a first token), clients that leave
 * mid-stream, invented model names (refused, never upstream), and bad bodies.
 *
 * "Errors" are what must never happen: a transport failure at the client, a 5xx other than the
 * chain's own 502/503/429 with an OpenAI error body, a stream that ends with neither [DONE]
 * nor an in-band error, or a 200 answer that is not a complete completion.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { baseEnvironment, freePort, sleep, startProcess, waitFor } from './bench-processes.ts';

const minutes = Number(process.argv[2] ?? 10);
const clients = 16;
const sampleEveryMs = 15_000;
const root = resolve(import.meta.dirname, '..');

// ---- a faulty upstream, in this process ----
const created = 1_700_000_000;
const completion = (model: string) =>
  JSON.stringify({
    id: 'chatcmpl-soak',
    object: 'chat.completion',
    created,
    model,
    choices: [
      { index: 0, message: { role: 'assistant', content: 'A steady answer.' }, finish_reason: 'stop' },
    ],
    usage: { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 },
  });
const chunk = (model: string, delta: Record<string, unknown>, finish: string | null) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-soak', object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

const upstreamCounts = new Map<string, number>();
const count = (what: string) => upstreamCounts.set(what, (upstreamCounts.get(what) ?? 0) + 1);

function answer(request: IncomingMessage, response: ServerResponse, faulty: boolean): void {
  let text = '';
  request.setEncoding('utf8').on('data', (part: string) => {
    text += part;
  });
  request.on('end', () => {
    const body = JSON.parse(text || '{}') as { model?: string; stream?: boolean };
    const model = body.model ?? 'm';
    const roll = Math.random();
    if (faulty && roll < 0.01) {
      count('429');
      response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
      return void response.end(
        JSON.stringify({ error: { message: 'Rate limit reached', code: 'rate_limit_exceeded' } }),
      );
    }
    if (faulty && roll < 0.05) {
      count('500');
      response.writeHead(500, { 'content-type': 'application/json' });
      return void response.end(JSON.stringify({ error: { message: 'upstream failure' } }));
    }
    if (faulty && roll < 0.07) {
      count('reset');
      return void request.socket.destroy();
    }
    if (!body.stream) {
      count('json');
      response.writeHead(200, { 'content-type': 'application/json' });
      return void response.end(completion(model));
    }
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    if (faulty && roll < 0.09) {
      // Never a first token: the proxy's first-token timeout fails over.
      count('silent-stream');
      response.write(': waiting\n\n');
      setTimeout(() => response.destroy(), 3_000).unref();
      return;
    }
    const cut = faulty && roll < 0.12;
    count(cut ? 'cut-stream' : 'stream');
    const pieces = [chunk(model, { role: 'assistant', content: '' }, null)];
    for (let index = 0; index < 12; index++) pieces.push(chunk(model, { content: `w${index} ` }, null));
    if (cut) {
      for (const piece of pieces.slice(0, 5)) response.write(piece);
      return void setTimeout(() => response.destroy(), 20).unref();
    }
    pieces.push(chunk(model, {}, 'stop'), 'data: [DONE]\n\n');
    let index = 0;
    const next = () => {
      if (response.destroyed) return;
      if (index >= pieces.length) return void response.end();
      response.write(pieces[index++]);
      setTimeout(next, 2).unref();
    };
    next();
  });
}

async function startUpstream(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((request, response) =>
    answer(request, response, !request.url?.startsWith('/good/')),
  );
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolveClose) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolveClose());
      }),
  };
}

// ---- the load ----
const outcomes = new Map<string, number>();
const errors = new Map<string, number>();
const note = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
let sent = 0;

async function one(base: string): Promise<void> {
  const roll = Math.random();
  const post = (body: unknown, signal?: AbortSignal) =>
    fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      signal,
    });
  const messages = [{ role: 'user', content: 'Tell me something steady.' }];
  sent++;
  try {
    if (roll < 0.45) {
      const response = await post({ model: 'soak', messages });
      const body = (await response.json()) as { choices?: unknown[]; error?: { message?: string } };
      note(outcomes, `json ${response.status}`);
      if (response.status === 200 && !Array.isArray(body.choices)) note(errors, '200 without choices');
      if (response.status >= 500 && ![502, 503].includes(response.status))
        note(errors, `unexpected ${response.status}`);
      if (response.status !== 200 && !body.error?.message) note(errors, 'error without an OpenAI body');
    } else if (roll < 0.8) {
      const response = await post({ model: 'soak', messages, stream: true });
      const text = await response.text();
      note(outcomes, `stream ${response.status}`);
      if (response.status === 200) {
        const complete = text.includes('data: [DONE]');
        const interrupted = text.includes('"stream_interrupted"');
        if (!complete && !interrupted) note(errors, 'a stream with neither [DONE] nor an in-band error');
        if (complete && interrupted) note(errors, 'a stream with both [DONE] and an error');
      }
    } else if (roll < 0.88) {
      // A client that leaves mid-stream.
      const controller = new AbortController();
      const response = await post({ model: 'soak', messages, stream: true }, controller.signal);
      const reader = response.body!.getReader();
      await reader.read();
      controller.abort();
      await reader.cancel().catch(() => {});
      note(outcomes, 'client left mid-stream');
    } else if (roll < 0.95) {
      const response = await post({ model: `p-faulty/invented-${sent}`, messages });
      await response.arrayBuffer();
      note(outcomes, `invented name ${response.status}`);
      if (response.status !== 400) note(errors, `invented name answered ${response.status}`);
    } else {
      const response = await post('{"model": "soak", "messages": [');
      await response.arrayBuffer();
      note(outcomes, `bad body ${response.status}`);
      if (response.status !== 400) note(errors, `bad body answered ${response.status}`);
    }
  } catch (error) {
    if ((error as Error).name === 'AbortError') return;
    note(errors, `transport: ${(error as Error).message}`);
  }
}

async function main(): Promise<void> {
  const upstream = await startUpstream();
  const work = mkdtempSync(join(tmpdir(), '429chain-soak-'));
  const configPath = join(work, '429chain.yaml');
  writeFileSync(
    configPath,
    JSON.stringify({
      settings: {
        defaultChain: 'soak',
        adminKeys: ['soak-admin-key-000001'],
        firstTokenTimeoutMs: 1_000,
        cooldownDefaultMs: 500,
        circuitFailureThreshold: 1000,
        logMaxRows: 10_000_000,
        compactMemoryAfterIdleMs: 1_000,
      },
      providers: [
        { id: 'p-faulty', type: 'generic', baseUrl: `${upstream.url}/a/v1`, apiKey: 'sk-soak-faulty-a-0001' },
        { id: 'p-flaky', type: 'generic', baseUrl: `${upstream.url}/b/v1`, apiKey: 'sk-soak-faulty-b-0001' },
        { id: 'p-good', type: 'generic', baseUrl: `${upstream.url}/good/v1`, apiKey: 'sk-soak-good-0001' },
      ],
      chains: [
        {
          name: 'soak',
          entries: [
            { provider: 'p-faulty', model: 'fast' },
            { provider: 'p-flaky', model: 'medium', capabilities: { prefill: true } },
            { provider: 'p-good', model: 'steady', capabilities: { prefill: true } },
          ],
        },
      ],
    }),
  );
  const dbPath = join(work, 'data', '429chain.db');
  const port = await freePort();
  const proxy = startProcess(
    'proxy',
    ['--conditions=@429chain/source', join(root, 'packages/server/src/main.ts')],
    { ...baseEnvironment(), CHAIN429_CONFIG: configPath, CHAIN429_DB: dbPath, PORT: String(port) },
    work,
  );
  const base = `http://127.0.0.1:${port}`;
  await waitFor('proxy', `${base}/ready`, proxy);

  const rssOf = async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    return Number(/^process_resident_memory_bytes (\d+)/m.exec(text)?.[1]) / 1024 / 1024;
  };
  const curve: Array<{ minute: number; rssMiB: number; requests: number }> = [];
  const startedAt = Date.now();
  const endAt = startedAt + minutes * 60_000;
  curve.push({ minute: 0, rssMiB: await rssOf(), requests: 0 });
  const sampler = setInterval(async () => {
    curve.push({
      minute: (Date.now() - startedAt) / 60_000,
      rssMiB: await rssOf().catch(() => Number.NaN),
      requests: sent,
    });
  }, sampleEveryMs);
  process.stdout.write(`soak: ${minutes} min, ${clients} clients, proxy pid ${proxy.pid}\n`);
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (Date.now() < endAt) await one(base);
    }),
  );
  clearInterval(sampler);
  curve.push({ minute: (Date.now() - startedAt) / 60_000, rssMiB: await rssOf(), requests: sent });
  // Past the idle heap compaction (settings.compactMemoryAfterIdleMs): what the run left behind.
  await sleep(3_000);
  const idle = await rssOf();

  proxy.child.kill('SIGTERM');
  const code = await new Promise<number | null>((resolveExit) => proxy.child.once('exit', resolveExit));
  await upstream.close();
  const database = new DatabaseSync(dbPath, { readOnly: true });
  const rows = database
    .prepare('SELECT outcome, count(*) AS n FROM requests GROUP BY outcome')
    .all() as Array<{
    outcome: string;
    n: number;
  }>;
  database.close();
  rmSync(work, { recursive: true, force: true });

  const logged = rows.reduce((total, row) => total + row.n, 0);
  const lines = [
    `soak: ${sent} requests in ${((Date.now() - startedAt) / 60_000).toFixed(1)} min (${(sent / ((Date.now() - startedAt) / 1000)).toFixed(0)}/s)`,
    'RSS (MiB) by minute:',
    ...curve.map(
      (point) =>
        `  ${point.minute.toFixed(1).padStart(5)} min  ${point.rssMiB.toFixed(1).padStart(6)}  after ${point.requests} requests`,
    ),
    `  idle after the run: ${idle.toFixed(1)}`,
    'clients got:',
    ...[...outcomes].sort().map(([key, value]) => `  ${key}: ${value}`),
    `errors: ${[...errors.values()].reduce((total, value) => total + value, 0)}`,
    ...[...errors].map(([key, value]) => `  ${key}: ${value}`),
    `upstream answered: ${[...upstreamCounts].map(([key, value]) => `${key} ${value}`).join(', ')}`,
    `request log: ${logged} rows for ${sent} requests (${rows.map((row) => `${row.outcome} ${row.n}`).join(', ')})`,
    `proxy exit code on SIGTERM: ${code}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
