/**
 * Rate-limit store benchmark: the real server with the memory store (the default, snapshotted), the transactional SQLite
 * store and the Redis store, side by side, against the zero-latency loopback mock.
 *
 *   node bench/redis-store.ts                      (concurrency 16 and 64, 3 rounds of 6 s per cell)
 *   node bench/redis-store.ts --duration 3000 --rounds 1 --concurrency 16 --out /tmp/redis-store.md
 *
 * Processes, all on 127.0.0.1: the mock upstream (bench/mock-upstream.ts), a throwaway
 * redis-server (`--save '' --appendonly no`, a free port), one 429chain per store
 * (packages/server/src/main.ts from source; `settings.store` memory / sqlite, REDIS_URL for
 * Redis) and, per cell, the load generator (bench/load.ts: keeps `concurrency` JSON chat
 * requests in flight over keep-alive connections, warms up, then times). The cells are
 * interleaved, and each round starts with another target, so that drift on the machine
 * hits every store alike; each cell reports the median over the rounds.
 * Every request through 429chain costs the store two operations (acquire, and settle, which
 * also clears the entry's failure count on a success), so with Redis two round trips to it. A
 * second table measures those two operations alone, in this process, for each store: what the
 * store itself costs, apart from the proxy.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createMemoryStore } from '../packages/core/src/rate-limit/memory-store.ts';
import type { RateLimitStore } from '../packages/core/src/rate-limit/rate-limit-store.ts';
import { createSqliteStore } from '../packages/core/src/stores/sqlite-store.ts';
import { createRedisClient, waitUntilReady } from '../packages/redis/src/create-redis-client.ts';
import { createRedisStore } from '../packages/redis/src/redis-store.ts';
import { startRedisServer } from '../packages/redis/test/start-redis-server.ts';
import { baseEnvironment, freePort, type StartedProcess, startProcess, waitFor } from './bench-processes.ts';
import type { LoadResult, LoadSpec } from './load.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const { values: options } = parseArgs({
  args: argv[0] === '--' ? argv.slice(1) : argv,
  options: {
    duration: { type: 'string', default: '6000' },
    warmup: { type: 'string', default: '1500' },
    concurrency: { type: 'string', default: '16,64' },
    rounds: { type: 'string', default: '3' },
    out: { type: 'string' },
  },
});
const durationMs = Number(options.duration);
const warmupMs = Number(options.warmup);
const concurrencies = options.concurrency.split(',').map(Number);
const rounds = Math.max(1, Number(options.rounds));

const children: ChildProcess[] = [];

function start(args: string[], env: Record<string, string>): StartedProcess {
  const started = startProcess(args.at(-1) ?? 'process', args, { ...baseEnvironment(), ...env });
  children.push(started.child);
  return started;
}

function median(values: number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

async function startMock(): Promise<string> {
  const mock = start([join(root, 'bench/mock-upstream.ts'), '0'], {});
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    mock.child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const line = text.split('\n')[0];
      if (text.includes('\n') && line) resolve((JSON.parse(line) as { port: number }).port);
    });
    mock.child.once('exit', (code) => reject(new Error(`mock upstream exited (${code}): ${mock.output()}`)));
  });
  return `http://127.0.0.1:${port}`;
}

type StoreName = 'memory' | 'sqlite' | 'redis';

async function start429chain(
  directory: string,
  mock: string,
  store: StoreName,
  redisUrl: string,
): Promise<string> {
  const config = {
    settings: { logLevel: 'silent', ...(store === 'redis' ? {} : { store: { type: store } }) },
    providers: [
      { id: 'primary', type: 'generic', apiKey: 'bench-key-primary', baseUrl: `${mock}/v1` },
      { id: 'secondary', type: 'generic', apiKey: 'bench-key-secondary', baseUrl: `${mock}/v1` },
    ],
    chains: [
      {
        name: 'bench',
        entries: [
          { provider: 'primary', model: 'bench-model' },
          { provider: 'secondary', model: 'bench-model' },
        ],
      },
    ],
  };
  const configPath = join(directory, `${store}.json`);
  await writeFile(configPath, JSON.stringify(config, null, 2));
  const port = await freePort();
  const server = start(['--conditions=@429chain/source', join(root, 'packages/server/src/main.ts')], {
    CHAIN429_CONFIG: configPath,
    PORT: String(port),
    HOST: '127.0.0.1',
    CHAIN429_DB: join(directory, store, '429chain.db'),
    ...(store === 'redis' ? { REDIS_URL: redisUrl } : {}),
  });
  const origin = `http://127.0.0.1:${port}`;
  await waitFor('server', `${origin}/health`, server);
  const ready = (await (await fetch(`${origin}/ready`)).json()) as { store: string };
  if (ready.store !== store) throw new Error(`the ${store} server reports store "${ready.store}"`);
  return origin;
}

const body = JSON.stringify({
  model: 'bench',
  max_tokens: 64,
  messages: [
    { role: 'system', content: 'You are a concise assistant.' },
    { role: 'user', content: 'Say something about foxes and dogs in one sentence.' },
  ],
});

async function load(origin: string, concurrency: number): Promise<LoadResult> {
  const spec: LoadSpec = {
    origin,
    path: '/v1/chat/completions',
    headers: { 'content-type': 'application/json' },
    body,
    stream: false,
    concurrency,
    warmupMs,
    durationMs,
  };
  const generator = start([join(root, 'bench/load.ts'), JSON.stringify(spec)], {});
  await new Promise<void>((resolve) => generator.child.once('exit', () => resolve()));
  const lines = generator.output().trim().split('\n');
  const last = lines.at(-1) ?? '';
  if (generator.child.exitCode !== 0) throw new Error(`load generator failed:\n${generator.output()}`);
  return JSON.parse(last) as LoadResult;
}

/**
 * The store alone, in this process: `concurrency` loops each doing what one proxied request
 * asks of the store — acquire (two buckets, three block scopes), settle with an observation
 * and the failure count to clear — for `durationMs`. Latency is per request-worth of operations.
 */
async function measureStore(
  store: RateLimitStore,
  concurrency: number,
): Promise<{ rate: number; p50: number; p99: number }> {
  const scope = 'bench~key1/model';
  const requests = { scope, kind: 'requests', window: 'minute', source: 'header' } as const;
  const tokens = { scope, kind: 'tokens', window: 'minute', source: 'header' } as const;
  const requestsId = `${scope}|requests:minute:header`;
  const tokensId = `${scope}|tokens:minute:header`;
  let counter = 0;
  const once = async () => {
    const now = Date.now();
    const leaseId = `bench-${++counter}`;
    await store.acquire({
      now,
      leaseId,
      leaseExpiresAt: now + 900_000,
      blockScopes: ['bench~key1', scope, `${scope}#0`],
      buckets: [
        { ...requests, id: requestsId, cost: 1, nextResetAt: now + 60_000 },
        { ...tokens, id: tokensId, cost: 120, nextResetAt: now + 60_000 },
      ],
      probeUntil: now + 60_000,
    });
    await store.settle({
      now,
      leaseId,
      buckets: [
        {
          id: requestsId,
          reserved: 1,
          observed: { ...requests, id: requestsId, remaining: 1_000_000, resetAt: now + 60_000 },
        },
        { id: tokensId, reserved: 120, used: 100 },
      ],
      clearFailures: [`${scope}#0`],
    });
  };
  const latencies: number[] = [];
  const run = async (until: number, keep: boolean) => {
    while (Date.now() < until) {
      const began = performance.now();
      await once();
      if (keep) latencies.push(performance.now() - began);
    }
  };
  const warmEnd = Date.now() + warmupMs;
  await Promise.all(Array.from({ length: concurrency }, () => run(warmEnd, false)));
  const began = Date.now();
  const end = began + durationMs;
  await Promise.all(Array.from({ length: concurrency }, () => run(end, true)));
  const elapsed = (Date.now() - began) / 1000;
  latencies.sort((left, right) => left - right);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? Number.NaN;
  return { rate: latencies.length / elapsed, p50: at(0.5), p99: at(0.99) };
}

/** The store-only table: memory, SQLite (a file) and Redis, each at every concurrency. */
async function storeTable(directory: string, redisUrl: string): Promise<string> {
  const client = createRedisClient({ url: redisUrl });
  await waitUntilReady(client);
  const stores: Array<[string, RateLimitStore]> = [
    ['memory', createMemoryStore()],
    ['sqlite (file)', createSqliteStore({ path: join(directory, 'store-only.db') })],
    ['redis', createRedisStore({ client })],
  ];
  const rows: string[] = [];
  try {
    for (const concurrency of concurrencies) {
      for (const [name, store] of stores) {
        process.stderr.write(`store only: ${name} at concurrency ${concurrency}…\n`);
        const result = await measureStore(store, concurrency);
        rows.push(
          `| ${name} | ${concurrency} | ${Math.round(result.rate).toLocaleString('en-US')} | ${result.p50.toFixed(3)} | ${result.p99.toFixed(3)} |`,
        );
      }
    }
  } finally {
    for (const [, store] of stores) await store.close();
    await client.quit();
  }
  return [
    `The store alone, in one process (no proxy): what one request asks of it — acquire, then settle (clearing the failure count) — ` +
      `in ${durationMs / 1000} s after ${warmupMs / 1000} s of warm-up.`,
    '',
    "| store | concurrency | requests' worth of operations/s | p50 ms | p99 ms |",
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

async function main(): Promise<void> {
  const directory = await mkdtemp(join(tmpdir(), '429chain-bench-store-'));
  const redis = await startRedisServer();
  try {
    const mock = await startMock();
    const stores: StoreName[] = ['memory', 'sqlite', 'redis'];
    const origins = new Map<StoreName, string>();
    for (const store of stores) origins.set(store, await start429chain(directory, mock, store, redis.url));
    const targets: Array<StoreName | 'direct'> = ['direct', ...stores];
    const cells = new Map<string, LoadResult[]>();
    for (let round = 0; round < rounds; round++) {
      for (const concurrency of concurrencies) {
        // Each round starts with another target, so that no store always runs first.
        const order = targets.map((_, index) => targets[(index + round) % targets.length]!);
        for (const target of order) {
          process.stderr.write(`round ${round + 1}/${rounds}: ${target} at concurrency ${concurrency}…\n`);
          const origin = target === 'direct' ? mock : origins.get(target)!;
          const key = `${target}@${concurrency}`;
          cells.set(key, [...(cells.get(key) ?? []), await load(origin, concurrency)]);
        }
      }
    }
    const rows: string[] = [];
    for (const concurrency of concurrencies) {
      for (const target of targets) {
        const results = cells.get(`${target}@${concurrency}`) ?? [];
        const label = target === 'direct' ? 'direct (mock upstream, no proxy)' : `429chain, ${target} store`;
        const rate = median(results.map((result) => result.requestsPerSecond));
        const errors = results.reduce((sum, result) => sum + result.errors, 0);
        rows.push(
          `| ${label} | ${concurrency} | ${Math.round(rate).toLocaleString('en-US')} | ` +
            `${median(results.map((result) => result.p50)).toFixed(2)} | ` +
            `${median(results.map((result) => result.p99)).toFixed(2)} | ${errors} |`,
        );
      }
    }
    const table = [
      `Non-streaming chat completions; per cell the median of ${rounds} rounds of ${durationMs / 1000} s, ` +
        `each timed after ${warmupMs / 1000} s of warm-up; ` +
        `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.versions.node}, ` +
        `redis-server on loopback; load average at the end ${loadavg()
          .map((value) => value.toFixed(2))
          .join(' ')}.`,
      '',
      '| target | concurrency | requests/s | p50 ms | p99 ms | errors |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...rows,
    ].join('\n');
    const storeOnly = await storeTable(directory, redis.url);
    const text = `${table}\n\n${storeOnly}\n`;
    process.stdout.write(text);
    if (options.out) await writeFile(options.out, text);
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await redis.close();
    await rm(directory, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
