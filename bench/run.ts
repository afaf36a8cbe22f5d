/**
 * Proxy benchmark: 429chain vs a direct call vs the Portkey gateway, side by side in one run.
 *
 *   pnpm bench                              (builds the server, then everything, ~4–5 minutes)
 *   pnpm bench -- --duration 3000 --modes json --concurrency 1,16 --targets direct,429chain
 *   pnpm bench -- --from source             (run 429chain from its TypeScript sources instead of the
 *                                            built dist/main.js that users run; Node's type stripper
 *                                            then adds ~30 MB of RSS)
 *   pnpm bench -- --cpu-prof /tmp/prof      (run 429chain under `node --cpu-prof`, profiles written there on exit)
 *   pnpm bench -- --out results.md          (also write the tables to a file)
 *   pnpm bench -- --settings '{"store":{"type":"memory"}}'   (extra `settings` for 429chain's config)
 *
 * Processes (each its own event loop; all share this machine's cores):
 * - the mock upstream (bench/mock-upstream.ts): answers /v1/chat/completions at once, JSON or SSE;
 * - 429chain: the real server (packages/server/dist/main.js as built, or src/main.ts with --from source), configured
 *   from a file with a chain `bench` of two entries whose first answers, and a chain `bench-failover`
 *   whose first entry's provider is out of quota (429, `retry-after: 86400`, learned before timing),
 *   so every request skips it and fails over to the second;
 * - 429chain with its rate-limit store on Redis (target `429chain-redis`): the same server and config
 *   with REDIS_URL pointing at a throwaway redis-server (packages/redis/test/start-redis-server.ts);
 * - the Portkey gateway (@portkey-ai/gateway, its own `build/start-server.js --headless`), with a
 *   two-target fallback config in `x-portkey-config` (provider `openai`, `custom_host` = the mock);
 *   a second config puts the out-of-quota host first (Portkey keeps no state, so it calls it every time);
 * - one load generator per cell (bench/load.ts, undici Pool).
 *
 * Per cell (target × streaming or not × concurrency): requests/s, p50/p99 latency, added latency over
 * the direct call of the same cell, time to first body chunk (streaming), the server process's CPU
 * per request and peak RSS (VmRSS sampled every 20 ms from /proc), and upstream calls per request
 * (counted by the mock). Idle RSS is read once each server is up, before any request, and again 7 s
 * after the last cell (429chain compacts its heap after 5 s without a request).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type RedisServerProcess, startRedisServer } from '../packages/redis/test/start-redis-server.ts';
import { baseEnvironment, freePort, sleep, startProcess, waitFor } from './bench-processes.ts';
import type { LoadResult, LoadSpec } from './load.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const benchDirectory = join(root, 'bench');

const argv = process.argv.slice(2);
const { values: options } = parseArgs({
  // `pnpm bench -- --duration 3000` passes the `--` through.
  args: argv[0] === '--' ? argv.slice(1) : argv,
  options: {
    duration: { type: 'string', default: '6000' },
    warmup: { type: 'string', default: '1500' },
    concurrency: { type: 'string', default: '1,16,64' },
    modes: { type: 'string', default: 'json,stream' },
    targets: {
      type: 'string',
      default: 'direct,node-proxy,429chain,429chain-redis,429chain-failover,portkey,portkey-failover',
    },
    from: { type: 'string', default: 'dist' },
    'cpu-prof': { type: 'string' },
    settings: { type: 'string' },
    out: { type: 'string' },
  },
});
const durationMs = Number(options.duration);
const warmupMs = Number(options.warmup);
const concurrencies = options.concurrency.split(',').map(Number);
const modes = options.modes.split(',') as Array<'json' | 'stream'>;
const from = options.from === 'source' ? 'source' : 'dist';

// ---------------------------------------------------------------- processes

interface Server {
  name: string;
  child: ChildProcess;
  pid: number;
  origin: string;
  /** The last output, for error messages. */
  output: () => string;
}

const servers: Server[] = [];

async function startMock(directory: string): Promise<Server> {
  return startPrintingPort('mock upstream', [join(benchDirectory, 'mock-upstream.ts'), '0'], directory);
}

/** The floor: a bare node:http forwarding proxy in front of the mock (bench/node-proxy.ts). */
async function startNodeProxy(directory: string, mock: Server): Promise<Server> {
  return startPrintingPort(
    'node:http proxy',
    [join(benchDirectory, 'node-proxy.ts'), mock.origin, '0'],
    directory,
  );
}

/** Starts a bench process that prints `{"port":N}` once it listens. */
async function startPrintingPort(name: string, args: string[], directory: string): Promise<Server> {
  const started = startProcess(name, args, baseEnvironment(), directory);
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    started.child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const line = text.split('\n')[0];
      if (text.includes('\n') && line) resolve((JSON.parse(line) as { port: number }).port);
    });
    started.child.once('exit', (code) => reject(new Error(`${name} exited (${code}): ${started.output()}`)));
  });
  const server = { name, ...started, origin: `http://127.0.0.1:${port}` };
  servers.push(server);
  return server;
}

/** Starts 429chain; with `redisUrl`, a second one whose rate-limit store is Redis (REDIS_URL). */
async function start429chain(directory: string, mock: Server, redisUrl?: string): Promise<Server> {
  const name = redisUrl ? '429chain (redis store)' : '429chain';
  const variant = redisUrl ? 'redis' : 'default';
  const config = {
    settings: { logLevel: 'silent', ...(options.settings ? JSON.parse(options.settings) : {}) },
    providers: [
      { id: 'primary', type: 'generic', apiKey: 'bench-key-primary', baseUrl: `${mock.origin}/v1` },
      { id: 'secondary', type: 'generic', apiKey: 'bench-key-secondary', baseUrl: `${mock.origin}/v1` },
      { id: 'spent', type: 'generic', apiKey: 'bench-key-spent', baseUrl: `${mock.origin}/exhausted/v1` },
    ],
    chains: [
      {
        name: 'bench',
        entries: [
          { provider: 'primary', model: 'bench-model' },
          { provider: 'secondary', model: 'bench-model' },
        ],
      },
      {
        name: 'bench-failover',
        entries: [
          { provider: 'spent', model: 'bench-model' },
          { provider: 'primary', model: 'bench-model' },
        ],
      },
    ],
  };
  const configPath = join(directory, `429chain-${variant}.json`);
  await writeFile(configPath, JSON.stringify(config, null, 2));
  const port = await freePort();
  const entry =
    from === 'dist'
      ? [join(root, 'packages/server/dist/main.js')]
      : ['--conditions=@429chain/source', join(root, 'packages/server/src/main.ts')];
  const profile = options['cpu-prof']
    ? ['--cpu-prof', '--cpu-prof-interval=100', `--cpu-prof-dir=${options['cpu-prof']}`]
    : [];
  const started = startProcess(
    name,
    [...profile, ...entry],
    {
      ...baseEnvironment(),
      CHAIN429_CONFIG: configPath,
      PORT: String(port),
      HOST: '127.0.0.1',
      CHAIN429_DB: join(directory, `data-${variant}`, '429chain.db'),
      ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    },
    directory,
  );
  const origin = `http://127.0.0.1:${port}`;
  await waitFor(name, `${origin}/health`, started);
  const server = { name, ...started, origin };
  servers.push(server);
  return server;
}

async function startPortkey(directory: string): Promise<Server> {
  const port = await freePort();
  const bin = join(root, 'node_modules/@portkey-ai/gateway/build/start-server.js');
  // --headless: no log UI (/public, /log/stream). The open-source gateway sends no telemetry;
  // it calls out only for Portkey-hosted guardrails and files, which this config does not use.
  const started = startProcess(
    'portkey',
    [bin, `--port=${port}`, '--headless'],
    baseEnvironment(),
    directory,
  );
  const origin = `http://127.0.0.1:${port}`;
  await waitFor('portkey', `${origin}/`, started);
  const server = { name: 'portkey', ...started, origin };
  servers.push(server);
  return server;
}

async function stopAll(): Promise<void> {
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          if (server.child.exitCode !== null) return resolve();
          const timer = setTimeout(() => {
            server.child.kill('SIGKILL');
            resolve();
          }, 15_000);
          server.child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          server.child.kill('SIGTERM');
        }),
    ),
  );
}

// ---------------------------------------------------------------- /proc

const clockTicks = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Resident set size in MiB (VmRSS kB / 1024), the unit every RSS figure here is in. */
function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** User + system CPU time in ms. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat(5) (utime, stime) are at 11 and 12 once pid and comm are cut off.
  return ((Number(fields[11]) + Number(fields[12])) / clockTicks) * 1000;
}

// ---------------------------------------------------------------- targets

interface Target {
  id: string;
  label: string;
  server: Server;
  headers: Record<string, string>;
  model: string;
  /** Checks one answer of each kind before timing. */
  check(json: Response, jsonBody: string, stream: Response, streamBody: string): string[];
}

const messages = [
  { role: 'system', content: 'You are a concise assistant.' },
  { role: 'user', content: 'Say something about foxes and dogs in one sentence.' },
];
const bodyFor = (model: string, stream: boolean) =>
  JSON.stringify(
    stream ? { model, messages, max_tokens: 64, stream: true } : { model, messages, max_tokens: 64 },
  );

function portkeyConfig(mock: Server, firstExhausted: boolean): string {
  const target = (path: string, key: string) => ({
    provider: 'openai',
    api_key: key,
    custom_host: `${mock.origin}${path}`,
  });
  return JSON.stringify({
    strategy: { mode: 'fallback' },
    targets: [
      firstExhausted ? target('/exhausted/v1', 'bench-key-spent') : target('/v1', 'bench-key-primary'),
      target('/v1', 'bench-key-secondary'),
    ],
  });
}

function commonChecks(json: Response, jsonBody: string, stream: Response, streamBody: string): string[] {
  return [
    json.status !== 200 && `JSON status ${json.status}: ${jsonBody.slice(0, 300)}`,
    json.status === 200 && !jsonBody.includes('twice over') && 'JSON answer lacks the completion text',
    stream.status !== 200 && `stream status ${stream.status}: ${streamBody.slice(0, 300)}`,
    stream.status === 200 && !streamBody.includes(' token19') && 'stream lacks the last content chunk',
    stream.status === 200 &&
      !streamBody.trimEnd().endsWith('data: [DONE]') &&
      'stream does not end with [DONE]',
  ].filter((problem): problem is string => typeof problem === 'string');
}

function buildTargets(
  ids: string[],
  mock: Server,
  chain?: Server,
  portkey?: Server,
  chainRedis?: Server,
  nodeProxy?: Server,
): Target[] {
  const targets: Target[] = [];
  for (const id of ids) {
    if (id === 'direct') {
      targets.push({
        id,
        label: 'direct (mock upstream)',
        server: mock,
        headers: {},
        model: 'bench-model',
        check: commonChecks,
      });
    } else if (id === 'node-proxy') {
      targets.push({
        id,
        label: 'node:http proxy (floor)',
        server: nodeProxy!,
        headers: {},
        model: 'bench-model',
        check: commonChecks,
      });
    } else if (id === '429chain' || id === '429chain-failover' || id === '429chain-redis') {
      const failover = id === '429chain-failover';
      targets.push({
        id,
        label: failover
          ? '429chain, 1st entry exhausted'
          : id === '429chain-redis'
            ? '429chain, Redis store'
            : '429chain',
        server: id === '429chain-redis' ? chainRedis! : chain!,
        headers: {},
        model: failover ? 'bench-failover' : 'bench',
        check: (json, jsonBody, stream, streamBody) => {
          const trail = json.headers.get('x-429chain-trail') ?? '';
          return [
            ...commonChecks(json, jsonBody, stream, streamBody),
            json.headers.get('x-429chain-provider') !== 'primary' &&
              `answered by ${json.headers.get('x-429chain-provider')}, not primary (trail: ${trail})`,
            failover &&
              !/^spent\/bench-model=skip\(/.test(trail) &&
              `exhausted entry not skipped (trail: ${trail})`,
            streamBody.includes('"usage"') && 'usage chunk relayed although the client did not ask for it',
          ].filter((problem): problem is string => typeof problem === 'string');
        },
      });
    } else if (id === 'portkey' || id === 'portkey-failover') {
      const failover = id === 'portkey-failover';
      targets.push({
        id,
        label: failover ? 'Portkey, 1st target 429s' : 'Portkey',
        server: portkey!,
        headers: { 'x-portkey-config': portkeyConfig(mock, failover) },
        model: 'bench-model',
        check: (json, jsonBody, stream, streamBody) => {
          const used = json.headers.get('x-portkey-last-used-option-index');
          const expected = failover ? 'config.targets[1]' : 'config.targets[0]';
          return [
            ...commonChecks(json, jsonBody, stream, streamBody),
            used !== expected && `answered by ${used}, expected ${expected}`,
          ].filter((problem): problem is string => typeof problem === 'string');
        },
      });
    } else {
      throw new Error(`unknown target ${id}`);
    }
  }
  return targets;
}

async function checkTarget(target: Target): Promise<void> {
  const url = `${target.server.origin}/v1/chat/completions`;
  const post = (stream: boolean) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...target.headers },
      body: bodyFor(target.model, stream),
    });
  // The first call teaches 429chain that the `spent` entry is out of quota (and warms every path up).
  await post(false).then((response) => response.arrayBuffer());
  const json = await post(false);
  const jsonBody = await json.text();
  const stream = await post(true);
  const streamBody = await stream.text();
  const problems = target.check(json, jsonBody, stream, streamBody);
  if (problems.length > 0) throw new Error(`${target.label}: ${problems.join('; ')}`);
}

/** Upstream calls and new TCP connections the mock saw since the last reset. */
async function mockStats(mock: Server, reset: boolean): Promise<{ calls: number; connections: number }> {
  const response = await fetch(`${mock.origin}/stats${reset ? '?reset=1' : ''}`);
  const stats = (await response.json()) as Record<string, number>;
  const calls = Object.entries(stats)
    .filter(([path]) => path.endsWith('/chat/completions'))
    .reduce((sum, [, count]) => sum + count, 0);
  return { calls, connections: stats.connections ?? 0 };
}

// ---------------------------------------------------------------- cells

interface Cell {
  target: Target;
  mode: 'json' | 'stream';
  concurrency: number;
  result: LoadResult;
  serverCpuMsPerRequest: number;
  rssPeakMb: number;
  upstreamCallsPerRequest: number;
  /** TCP connections the mock accepted during the timed phase (0 when the proxy reuses them). */
  upstreamConnections: number;
}

function runLoad(
  spec: LoadSpec,
  onMeasureStart: () => void,
): Promise<{ result: LoadResult; measureEnded: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(benchDirectory, 'load.ts'), JSON.stringify(spec)], {
      cwd: root,
      env: baseEnvironment(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    let errors = '';
    let result: LoadResult | undefined;
    let measureEnded = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      let newline = text.indexOf('\n');
      while (newline >= 0) {
        const line = text.slice(0, newline);
        text = text.slice(newline + 1);
        const message = JSON.parse(line) as { phase?: string } & LoadResult;
        if (message.phase === 'measure') onMeasureStart();
        else {
          measureEnded = performance.now();
          result = message;
        }
        newline = text.indexOf('\n');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
    });
    child.once('exit', (code) => {
      if (code === 0 && result) resolve({ result, measureEnded });
      else reject(new Error(`load generator exited (${code}): ${errors}`));
    });
  });
}

async function runCell(
  target: Target,
  mode: 'json' | 'stream',
  concurrency: number,
  mock: Server,
): Promise<Cell> {
  const pid = target.server.pid;
  let rssPeakMb = 0;
  let sampler: ReturnType<typeof setInterval> | undefined;
  let cpuBefore = 0;
  let statsPromise: Promise<unknown> | undefined;
  const { result } = await runLoad(
    {
      origin: target.server.origin,
      path: '/v1/chat/completions',
      headers: { 'content-type': 'application/json', ...target.headers },
      body: bodyFor(target.model, mode === 'stream'),
      stream: mode === 'stream',
      concurrency,
      warmupMs,
      durationMs,
    },
    () => {
      cpuBefore = cpuMs(pid);
      rssPeakMb = rssMb(pid);
      statsPromise = mockStats(mock, true);
      sampler = setInterval(() => {
        rssPeakMb = Math.max(rssPeakMb, rssMb(pid));
      }, 20);
    },
  );
  clearInterval(sampler);
  const cpuAfter = cpuMs(pid);
  await statsPromise;
  const { calls, connections } = await mockStats(mock, true);
  rssPeakMb = Math.max(rssPeakMb, rssMb(pid));
  if (result.errors > 0) {
    process.stderr.write(`  ! ${target.label}: ${result.errors} errors, first: ${result.firstError}\n`);
  }
  return {
    target,
    mode,
    concurrency,
    result,
    serverCpuMsPerRequest: result.requests > 0 ? (cpuAfter - cpuBefore) / result.requests : Number.NaN,
    rssPeakMb,
    upstreamCallsPerRequest: result.requests > 0 ? calls / result.requests : Number.NaN,
    upstreamConnections: connections,
  };
}

// ---------------------------------------------------------------- report

const ms = (value: number | undefined) =>
  value === undefined || Number.isNaN(value) ? '—' : value >= 10 ? value.toFixed(1) : value.toFixed(2);
const signedMs = (value: number) => `${value >= 0 ? '+' : ''}${ms(value)}`;
const mb = (value: number) => (Number.isNaN(value) ? '—' : value.toFixed(0));

function table(cells: Cell[], mode: 'json' | 'stream'): string[] {
  const stream = mode === 'stream';
  const header = [
    'target',
    'conc.',
    'req/s',
    'p50 ms',
    'p99 ms',
    'added p50 ms',
    'added p99 ms',
    ...(stream ? ['TTFT p50 ms', 'TTFT p99 ms'] : []),
    'server CPU µs/req',
    'server RSS peak MiB',
    'upstream calls/req',
    'upstream conns opened',
    'errors',
  ];
  const lines = [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, index) => (index === 0 ? '---' : '---:')).join('|')}|`,
  ];
  for (const cell of cells.filter((candidate) => candidate.mode === mode)) {
    const direct = cells.find(
      (candidate) =>
        candidate.mode === mode &&
        candidate.concurrency === cell.concurrency &&
        candidate.target.id === 'direct',
    );
    const isDirect = cell.target.id === 'direct';
    const row = [
      cell.target.label,
      String(cell.concurrency),
      cell.result.requestsPerSecond.toFixed(0),
      ms(cell.result.p50),
      ms(cell.result.p99),
      isDirect || !direct ? '—' : signedMs(cell.result.p50 - direct.result.p50),
      isDirect || !direct ? '—' : signedMs(cell.result.p99 - direct.result.p99),
      ...(stream ? [ms(cell.result.ttftP50), ms(cell.result.ttftP99)] : []),
      (cell.serverCpuMsPerRequest * 1000).toFixed(0),
      mb(cell.rssPeakMb),
      cell.upstreamCallsPerRequest.toFixed(2),
      isDirect ? '—' : String(cell.upstreamConnections),
      String(cell.result.errors),
    ];
    lines.push(`| ${row.join(' | ')} |`);
  }
  return lines;
}

function verdicts(cells: Cell[], idle: Map<string, number>): string[] {
  const lines: string[] = [];
  const find = (id: string, mode: string, concurrency: number) =>
    cells.find((cell) => cell.target.id === id && cell.mode === mode && cell.concurrency === concurrency);
  const mark = (ok: boolean) => (ok ? 'met' : '**MISSED**');
  for (const mode of modes) {
    const chain = find('429chain', mode, 1);
    const direct = find('direct', mode, 1);
    if (chain && direct) {
      const addedP50 = chain.result.p50 - direct.result.p50;
      const addedP99 = chain.result.p99 - direct.result.p99;
      lines.push(
        `- ${mode === 'json' ? 'non-streaming' : 'streaming'}, concurrency 1: added p50 ${ms(addedP50)} ms (≤ 0.5: ${mark(addedP50 <= 0.5)}), added p99 ${ms(addedP99)} ms (≤ 2: ${mark(addedP99 <= 2)})`,
      );
    }
    for (const concurrency of concurrencies) {
      const ours = find('429chain', mode, concurrency);
      const theirs = find('portkey', mode, concurrency);
      if (ours && theirs) {
        const ratio = ours.result.requestsPerSecond / theirs.result.requestsPerSecond;
        lines.push(
          `- ${mode === 'json' ? 'non-streaming' : 'streaming'}, concurrency ${concurrency}: 429chain ${ours.result.requestsPerSecond.toFixed(0)} req/s vs Portkey ${theirs.result.requestsPerSecond.toFixed(0)} (×${ratio.toFixed(2)}): ${mark(ratio > 1)}`,
        );
      }
    }
  }
  const chainIdle = idle.get('429chain');
  if (chainIdle !== undefined) lines.push(`- idle RSS ${mb(chainIdle)} MiB (< 80: ${mark(chainIdle < 80)})`);
  return lines;
}

// ---------------------------------------------------------------- main

let redis: RedisServerProcess | undefined;

async function main(): Promise<void> {
  const targetIds = options.targets.split(',');
  if (from === 'dist' && !existsSync(join(root, 'packages/server/dist/main.js'))) {
    throw new Error(
      'packages/server/dist/main.js is missing: run `pnpm build` first (or pass --from source).',
    );
  }
  const directory = await mkdtemp(join(tmpdir(), '429chain-bench-'));
  const startedAt = new Date();
  try {
    const mock = await startMock(directory);
    const wantsChain = targetIds.some((id) => id === '429chain' || id === '429chain-failover');
    const wantsPortkey = targetIds.some((id) => id.startsWith('portkey'));
    const nodeProxy = targetIds.includes('node-proxy') ? await startNodeProxy(directory, mock) : undefined;
    const chain = wantsChain ? await start429chain(directory, mock) : undefined;
    const portkey = wantsPortkey ? await startPortkey(directory) : undefined;
    // The Redis column: the same server with its rate-limit store on a throwaway redis-server.
    redis = targetIds.includes('429chain-redis') ? await startRedisServer() : undefined;
    const chainRedis = redis ? await start429chain(directory, mock, redis.url) : undefined;

    // Idle RSS: up and settled, before any request.
    await sleep(1500);
    const idle = new Map<string, number>();
    for (const server of servers) idle.set(server.name, rssMb(server.pid));

    const targets = buildTargets(targetIds, mock, chain, portkey, chainRedis, nodeProxy);
    for (const target of targets) await checkTarget(target);
    process.stderr.write(
      `checked ${targets.map((target) => target.label).join(', ')}; ${warmupMs} ms warm-up + ${durationMs} ms per cell\n`,
    );

    const cells: Cell[] = [];
    for (const mode of modes) {
      for (const concurrency of concurrencies) {
        for (const target of targets) {
          const cell = await runCell(target, mode, concurrency, mock);
          cells.push(cell);
          process.stderr.write(
            `${mode} c=${concurrency} ${target.label}: ${cell.result.requestsPerSecond.toFixed(0)} req/s, p50 ${ms(cell.result.p50)} ms, p99 ${ms(cell.result.p99)} ms\n`,
          );
        }
      }
    }

    // Past 429chain's settings.compactMemoryAfterIdleMs (5 s), so its column shows what a quiet proxy keeps.
    await sleep(7000);
    const after = new Map<string, number>();
    for (const server of servers) after.set(server.name, rssMb(server.pid));
    const peaks = new Map<string, number>();
    for (const cell of cells) {
      const name = cell.target.server.name;
      peaks.set(name, Math.max(peaks.get(name) ?? 0, cell.rssPeakMb));
    }

    const cpu = cpus()[0]?.model ?? 'unknown CPU';
    const lines = [
      `Run ${startedAt.toISOString()} · Node ${process.version} · ${process.platform}/${process.arch} · Linux ${release()}`,
      `${availableParallelism()} cores (${cpu}), ${(totalmem() / 1024 ** 3).toFixed(0)} GB RAM · load average at the end ${loadavg()
        .map((value) => value.toFixed(2))
        .join(' ')}`,
      `429chain from ${from === 'dist' ? 'packages/server/dist/main.js (built)' : 'source (node --conditions=@429chain/source packages/server/src/main.ts)'} · Portkey @portkey-ai/gateway ${portkeyVersion()} (build/start-server.js --headless)`,
      `${warmupMs} ms warm-up + ${durationMs} ms timed per cell; latency from request start to last body byte; TTFT = first body chunk.`,
      'Load generator, mock upstream and server share the 2 cores: every row includes the cost of the other two processes.',
      '',
      '**Non-streaming**',
      '',
      ...table(cells, 'json'),
      '',
      '**Streaming** (22 SSE events + `[DONE]`; the mock writes them back to back)',
      '',
      ...table(cells, 'stream'),
      '',
      "**Server processes' RSS (MiB)**",
      '',
      '| process | idle, before load | peak during load | idle, after the run |',
      '|---|---:|---:|---:|',
      ...servers.map(
        (server) =>
          `| ${server.name} | ${mb(idle.get(server.name) ?? Number.NaN)} | ${mb(peaks.get(server.name) ?? Number.NaN)} | ${mb(after.get(server.name) ?? Number.NaN)} |`,
      ),
      '',
      '**Targets (DESIGN.md §7)**',
      '',
      ...verdicts(cells, idle),
      '',
    ];
    const text = lines.join('\n');
    process.stdout.write(`${text}\n`);
    if (options.out) await writeFile(options.out, `${text}\n`);
  } finally {
    await stopAll();
    await redis?.close();
    await rm(directory, { recursive: true, force: true });
  }
}

function portkeyVersion(): string {
  try {
    const manifest = JSON.parse(
      readFileSync(join(root, 'node_modules/@portkey-ai/gateway/package.json'), 'utf8'),
    ) as { version: string };
    return manifest.version;
  } catch {
    return '?';
  }
}

process.on('SIGINT', () => {
  stopAll().then(() => process.exit(130));
});

main().catch(async (error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  await stopAll();
  process.exitCode = 1;
});
