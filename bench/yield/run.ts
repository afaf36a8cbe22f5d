/**
 * Free-tier yield benchmark: how much of a farm of free quotas 429chain turns into answers, and
 * how many 429s it wastes upstream on the way.
 *
 *   pnpm bench:yield                                  (builds the CLI, then three modes: about 100 s)
 *   pnpm bench:yield --modes queue --seed 7
 *   pnpm bench:yield --duration 64000 --interval 400 --minute 8000 --day 16000
 *   pnpm bench:yield --enforcement rolling            (every window rolls, instead of the realistic mix)
 *   pnpm bench:yield --from source                    (the CLI from its .ts sources, no build)
 *   pnpm bench:yield --settings '{"queueMaxWaitMs":60000}' --out /tmp/yield.md
 *   pnpm bench:yield --verbose                        (every request's status, latency and trail on stderr)
 *   pnpm bench:yield --keep                           (keeps each mode's config and the proxy's SQLite log)
 *
 * Per mode, fresh: the farm (bench/yield/farm-process.ts: six simulated providers in the dialects
 * of PROVIDERS.md, windows scaled to seconds) and the proxy as users start it
 * (`429chain serve --config … --port … --db <fresh>`), configured with one chain of the six. A
 * steady client sends one request every `--interval` ms for `--duration` ms, more than any one
 * provider can take, and waits for every answer. Modes: `ordered` (strict chain order, no queue),
 * `queue` (strict order, `settings.queueMode: true`), `expiring-first` (`strategy:
 * expiring-first`, every entry `tier: 1`, no queue). A build that refuses a mode's config prints
 * that mode as not supported and goes on.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  baseEnvironment,
  freePort,
  type StartedProcess,
  sleep,
  startProcess,
  waitFor,
} from '../bench-processes.ts';
import { benchRequest, causeOf, type LimitSpec, learntFrom429, yieldFarm } from './farm.ts';
import type { FarmProcessSpec } from './farm-process.ts';
import type { Enforcement } from './limit-window.ts';
import type { ProviderStats } from './simulated-provider.ts';
import { type BestSchedule, theoreticalBest } from './theoretical-best.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

const argv = process.argv.slice(2);
const { values: options } = parseArgs({
  // `pnpm bench:yield -- --duration 3000` passes the `--` through.
  args: argv[0] === '--' ? argv.slice(1) : argv,
  options: {
    duration: { type: 'string', default: '32000' },
    interval: { type: 'string', default: '400' },
    minute: { type: 'string', default: '8000' },
    day: { type: 'string', default: '16000' },
    modes: { type: 'string', default: 'ordered,queue,expiring-first' },
    seed: { type: 'string', default: '1' },
    enforcement: { type: 'string', default: 'mixed' },
    from: { type: 'string', default: 'dist' },
    settings: { type: 'string' },
    out: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});

const MODES = {
  ordered: '(a) ordered, no queue',
  queue: '(b) ordered, queue',
  'expiring-first': '(c) expiring-first, no queue',
} as const;
type Mode = keyof typeof MODES;

const durationMs = positive('duration');
const intervalMs = positive('interval');
const seed = Number(options.seed);
if (!Number.isInteger(seed)) fail(`--seed must be an integer, not "${options.seed}"`);
const enforcement = options.enforcement as Enforcement | 'mixed';
if (!['mixed', 'fixed', 'rolling', 'anchored'].includes(enforcement)) {
  fail(`--enforcement must be mixed, fixed, rolling or anchored, not "${options.enforcement}"`);
}
const modes = options.modes.split(',') as Mode[];
for (const mode of modes) {
  if (!(mode in MODES)) fail(`--modes: unknown mode "${mode}" (modes: ${Object.keys(MODES).join(', ')})`);
}
const from = options.from === 'source' ? 'source' : 'dist';
const extraSettings = parseSettings(options.settings);
const farm = yieldFarm({ minuteMs: positive('minute'), dayMs: positive('day'), enforcement });
/** When each request is sent, in ms after the run's origin. */
const arrivals = Array.from(
  { length: Math.floor(durationMs / intervalMs) },
  (_, index) => index * intervalMs,
);

function positive(name: 'duration' | 'interval' | 'minute' | 'day'): number {
  const value = Number(options[name]);
  if (!Number.isFinite(value) || value <= 0)
    fail(`--${name} must be a positive number of ms, not "${options[name]}"`);
  return value;
}

function parseSettings(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  try {
    const settings = JSON.parse(text) as unknown;
    if (typeof settings === 'object' && settings !== null && !Array.isArray(settings)) {
      return settings as Record<string, unknown>;
    }
  } catch {
    // Reported below.
  }
  fail(`--settings must be a JSON object of 429chain settings, not ${JSON.stringify(text)}`);
}

function fail(message: string): never {
  process.stderr.write(`bench:yield: ${message}\n`);
  process.exit(2);
}

// ---------------------------------------------------------------- processes

const running = new Set<StartedProcess>();

async function startFarm(directory: string): Promise<{ control: string; ports: Record<string, number> }> {
  const spec: FarmProcessSpec = { seed, minuteMs: farm.minuteMs, dayMs: farm.dayMs, enforcement };
  const started = startProcess(
    'farm',
    [join(root, 'bench/yield/farm-process.ts'), JSON.stringify(spec)],
    baseEnvironment(),
    directory,
  );
  running.add(started);
  const line = await new Promise<string>((resolve, reject) => {
    let text = '';
    started.child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(text.split('\n')[0]!);
    });
    started.child.once('exit', (code) => reject(new Error(`farm exited (${code}): ${started.output()}`)));
  });
  const { control, ports } = JSON.parse(line) as { control: number; ports: Record<string, number> };
  return { control: `http://127.0.0.1:${control}`, ports };
}

/** The proxy's config for a mode: one chain `yield` over the six providers, in farm order. */
function proxyConfig(mode: Mode, ports: Record<string, number>): Record<string, unknown> {
  const yieldFirst = mode === 'expiring-first';
  return {
    settings: {
      logLevel: 'warn',
      // The default cooldown (a minute) on the farm's scale.
      cooldownDefaultMs: farm.minuteMs,
      ...(mode === 'queue' ? { queueMode: true } : {}),
      ...extraSettings,
    },
    providers: farm.providers.map((provider) => ({
      id: provider.id,
      type: provider.preset,
      apiKey: `bench-key-${provider.id}`,
      baseUrl: `http://127.0.0.1:${ports[provider.id]}/v1`,
      ...(provider.rateLimits ? { rateLimits: provider.rateLimits } : {}),
    })),
    chains: [
      {
        name: benchRequest.model,
        ...(yieldFirst ? { strategy: 'expiring-first' } : {}),
        entries: farm.providers.map((provider) => ({
          provider: provider.id,
          model: provider.model,
          ...(yieldFirst ? { tier: 1 } : {}),
        })),
      },
    ],
  };
}

/** The proxy started from its CLI; `refused` when it exits on its config. */
async function startProxy(
  directory: string,
  configPath: string,
): Promise<{ origin: string; process: StartedProcess } | { refused: string }> {
  const port = await freePort();
  const cli =
    from === 'dist'
      ? [join(root, 'packages/cli/dist/cli.js')]
      : ['--conditions=@429chain/source', join(root, 'packages/cli/src/cli.ts')];
  const started = startProcess(
    '429chain',
    [
      ...cli,
      'serve',
      '--config',
      configPath,
      '--port',
      String(port),
      '--db',
      join(directory, 'data/429chain.db'),
    ],
    baseEnvironment(),
    directory,
  );
  running.add(started);
  const origin = `http://127.0.0.1:${port}`;
  try {
    await waitFor('429chain', `${origin}/health`, started);
  } catch (error) {
    if (started.child.exitCode !== null && /invalid config/i.test(started.output())) {
      // One line per distinct complaint: `entries[3].tier` and `entries[4].tier` are the same one.
      const issues = started
        .output()
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.trim().replace(/\[\d+\]/g, '[*]'));
      return { refused: [...new Set(issues)].join('; ') };
    }
    throw error;
  }
  return { origin, process: started };
}

async function stop(started: StartedProcess): Promise<void> {
  running.delete(started);
  if (started.child.exitCode !== null || started.child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      started.child.kill('SIGKILL');
      resolve();
    }, 10_000);
    started.child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    started.child.kill('SIGTERM');
  });
}

// ---------------------------------------------------------------- one mode

interface ClientResult {
  /** ms after the origin. */
  sentAt: number;
  latencyMs: number;
  /** HTTP status, or 0 when the request failed without one. */
  status: number;
  answered: boolean;
  provider?: string | undefined;
  /** `x-429chain-trail`: what the proxy tried. */
  trail?: string | undefined;
  error?: string | undefined;
}

interface ModeRun {
  mode: Mode;
  results: ClientResult[];
  stats: Record<string, ProviderStats>;
  /** From the first request to the last answer (ms). */
  elapsedMs: number;
}

type ModeOutcome = ModeRun | { mode: Mode; refused: string };

async function runMode(mode: Mode, directory: string): Promise<ModeOutcome> {
  const modeDirectory = join(directory, mode);
  await mkdir(modeDirectory, { recursive: true });
  const farmProcess = await startFarm(directory);
  const configPath = join(directory, `${mode}.json`);
  await writeFile(configPath, JSON.stringify(proxyConfig(mode, farmProcess.ports), null, 2));
  try {
    const proxy = await startProxy(modeDirectory, configPath);
    if ('refused' in proxy) return { mode, refused: proxy.refused };
    if (options.verbose) process.stderr.write(`${MODES[mode]}: config ${configPath}\n`);
    const origin = Date.now() + 300;
    await fetch(`${farmProcess.control}/start`, { method: 'POST', body: JSON.stringify({ origin }) });
    const results = await sendSteadily(proxy.origin, origin);
    const elapsedMs = Date.now() - origin;
    const stats = (await (await fetch(`${farmProcess.control}/stats`)).json()) as Record<
      string,
      ProviderStats
    >;
    return { mode, results, stats, elapsedMs };
  } finally {
    for (const started of [...running]) await stop(started);
  }
}

/** The steady client: request i leaves at origin + i·interval, whatever is still in flight. */
async function sendSteadily(proxyOrigin: string, origin: number): Promise<ClientResult[]> {
  const body = JSON.stringify(benchRequest);
  const pending: Array<Promise<ClientResult>> = [];
  for (const [index, at] of arrivals.entries()) {
    const wait = origin + at - Date.now();
    if (wait > 0) await sleep(wait);
    const result = send(proxyOrigin, body, Date.now() - origin);
    if (options.verbose) {
      void result.then((one) =>
        process.stderr.write(
          `  #${index} sent ${one.sentAt} ms: ${one.status} in ${one.latencyMs.toFixed(0)} ms${one.provider ? ` by ${one.provider}` : ''}; trail ${one.trail ?? '—'}\n`,
        ),
      );
    }
    pending.push(result);
  }
  return Promise.all(pending);
}

async function send(proxyOrigin: string, body: string, sentAt: number): Promise<ClientResult> {
  const started = performance.now();
  try {
    const response = await fetch(`${proxyOrigin}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      // Longer than the queue's longest wait (120 s by default) plus a request's budget.
      signal: AbortSignal.timeout(240_000),
    });
    const text = await response.text();
    const latencyMs = performance.now() - started;
    const answered = response.status === 200 && typeof contentOf(text) === 'string';
    return {
      sentAt,
      latencyMs,
      status: response.status,
      answered,
      provider: response.headers.get('x-429chain-provider') ?? undefined,
      trail: response.headers.get('x-429chain-trail') ?? undefined,
      error: answered ? undefined : text.slice(0, 300),
    };
  } catch (error) {
    return {
      sentAt,
      latencyMs: performance.now() - started,
      status: 0,
      answered: false,
      error: error instanceof Error ? error.message : String(error),
    };
  }
}

function contentOf(text: string): unknown {
  try {
    return (JSON.parse(text) as { choices?: Array<{ message?: { content?: unknown } }> }).choices?.[0]
      ?.message?.content;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- report

const STATED: Readonly<Record<LimitSpec['stated'], string>> = {
  headers: 'headers',
  '429': 'its 429',
  config: 'config',
  nothing: 'counting',
};

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const ms = (value: number) => (Number.isNaN(value) ? '—' : value.toFixed(0));
const percent = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)} %`;

/** Most 429s one provider sent within any `spanMs`. */
function largestBurst(
  stats: Record<string, ProviderStats>,
  spanMs = 100,
): { count: number; provider: string } {
  let largest = { count: 0, provider: '—' };
  for (const [provider, one] of Object.entries(stats)) {
    const times = [...one.refusedAt].sort((a, b) => a - b);
    let first = 0;
    for (let last = 0; last < times.length; last++) {
      while (times[last]! - times[first]! > spanMs) first++;
      if (last - first + 1 > largest.count) largest = { count: last - first + 1, provider };
    }
  }
  return largest;
}

/** Counts per scaled minute of the run (times in ms after the origin). */
function perMinute(times: number[]): number[] {
  const minutes = Math.max(
    Math.ceil(durationMs / farm.minuteMs),
    ...times.map((at) => Math.floor(at / farm.minuteMs) + 1),
  );
  const counts = new Array<number>(minutes).fill(0);
  for (const at of times) counts[Math.max(0, Math.floor(at / farm.minuteMs))]!++;
  return counts;
}

const refusals = (stats: ProviderStats) =>
  Object.values(stats.refused).reduce((sum, count) => sum + count, 0);

function farmTable(best: BestSchedule): string[] {
  const lines = [
    '| # | provider (preset) | limits: size (enforcement; how 429chain can know it) | alone | in the best schedule |',
    '|---:|---|---|---:|---:|',
  ];
  for (const [index, provider] of farm.providers.entries()) {
    const limits = provider.limits
      .map((limit) => `${causeOf(limit)} ${limit.limit} (${limit.enforcement}; ${STATED[limit.stated]})`)
      .join(', ');
    lines.push(
      `| ${index + 1} | ${provider.id} (${provider.preset}) | ${limits} | ${best.alone[provider.id]} | ${best.perProvider[provider.id]} |`,
    );
  }
  return lines;
}

function summaryTable(outcomes: ModeOutcome[], best: BestSchedule): string[] {
  const lines = [
    '| mode | answered | 429s upstream | p50 ms | p95 ms | largest 429 burst (100 ms) | not answered (proxy status) | time s |',
    '|---|---:|---:|---:|---:|---:|---|---:|',
    `| theoretical best: every limit known, no waiting | ${best.served} of ${best.offered} (${percent(best.served, best.offered)}) | 0 | | | | | |`,
    `| strict chain order, every limit known, no waiting | ${best.inChainOrder} of ${best.offered} (${percent(best.inChainOrder, best.offered)}) | 0 | | | | | |`,
  ];
  for (const outcome of outcomes) {
    if ('refused' in outcome) {
      lines.push(`| ${MODES[outcome.mode]} | not supported by this build (${outcome.refused}) | | | | | | |`);
      continue;
    }
    const answered = outcome.results.filter((result) => result.answered);
    const latencies = answered.map((result) => result.latencyMs).sort((a, b) => a - b);
    const statuses = new Map<string, number>();
    for (const result of outcome.results) {
      if (!result.answered) {
        const key = result.status === 0 ? 'no answer' : String(result.status);
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
      }
    }
    const burst = largestBurst(outcome.stats);
    const wasted = Object.values(outcome.stats).reduce((sum, stats) => sum + refusals(stats), 0);
    lines.push(
      `| ${MODES[outcome.mode]} | ${answered.length} of ${best.offered} (${percent(answered.length, best.offered)}) | ${wasted} | ${ms(quantile(latencies, 0.5))} | ${ms(quantile(latencies, 0.95))} | ${burst.count === 0 ? '0' : `${burst.count} (${burst.provider})`} | ${[...statuses].map(([status, count]) => `${count}× ${status}`).join(', ') || 'none'} | ${(outcome.elapsedMs / 1000).toFixed(1)} |`,
    );
  }
  return lines;
}

function perProviderTable(runs: ModeRun[], best: BestSchedule, what: 'refused' | 'accepted'): string[] {
  const head =
    what === 'refused'
      ? ['provider', 'allowed with the queue', ...runs.map((run) => MODES[run.mode])]
      : ['provider', 'alone', 'best schedule', ...runs.map((run) => MODES[run.mode])];
  const lines = [
    `| ${head.join(' | ')} |`,
    `|---|${head
      .slice(1)
      .map(() => '---:')
      .join('|')}|`,
  ];
  for (const provider of farm.providers) {
    const cells = runs.map((run) => {
      const stats = run.stats[provider.id];
      if (!stats) return '—';
      if (what === 'accepted') return `${stats.accepted} (${perMinute(stats.acceptedAt).join('·')})`;
      const causes = Object.entries(stats.refused).map(([cause, count]) => `${cause} ${count}`);
      return causes.length === 0 ? '0' : `${refusals(stats)} (${causes.join(', ')})`;
    });
    const lead =
      what === 'refused'
        ? [learntFrom429(provider) ? '1' : '0']
        : [String(best.alone[provider.id]), String(best.perProvider[provider.id])];
    lines.push(`| ${provider.id} | ${[...lead, ...cells].join(' | ')} |`);
  }
  return lines;
}

/** A line on requests that were not chat completions (model lists, probes), when there were any. */
function otherRequests(runs: ModeRun[]): string[] {
  const parts = runs.flatMap((run) =>
    Object.entries(run.stats)
      .filter(([, stats]) => stats.other > 0)
      .map(([provider, stats]) => `${MODES[run.mode]}: ${provider} ${stats.other}`),
  );
  return parts.length === 0
    ? []
    : [`Other requests upstream (not chat completions): ${parts.join(', ')}.`, ''];
}

function targets(outcomes: ModeOutcome[], best: BestSchedule): string[] {
  const mark = (ok: boolean) => (ok ? 'met' : '**MISSED**');
  const lines: string[] = [];
  const find = (mode: Mode) => outcomes.find((outcome) => outcome.mode === mode);
  const queue = find('queue');
  if (queue && !('refused' in queue)) {
    const answered = queue.results.filter((result) => result.answered).length;
    const over = farm.providers
      .map((provider) => {
        const stats = queue.stats[provider.id];
        const allowed = learntFrom429(provider) ? 1 : 0;
        return { id: provider.id, count: stats ? refusals(stats) : 0, allowed };
      })
      .filter((provider) => provider.count > provider.allowed);
    lines.push(
      `- ${MODES.queue}: every request answered: ${answered} of ${best.offered}: ${mark(answered === best.offered)}`,
      `- ${MODES.queue}: at most one 429 per provider whose limit can only be learnt from a 429, none elsewhere: ${over.length === 0 ? 'met' : `${over.map((provider) => `${provider.id} ${provider.count} (allowed ${provider.allowed})`).join(', ')}: **MISSED**`}`,
    );
  } else lines.push(`- ${MODES.queue}: ${queue ? 'not supported by this build' : 'not run'}`);
  const yieldFirst = find('expiring-first');
  const needed = Math.ceil(0.95 * best.offered);
  if (yieldFirst && !('refused' in yieldFirst)) {
    const answered = yieldFirst.results.filter((result) => result.answered).length;
    lines.push(
      `- ${MODES['expiring-first']}: at least 95 % answered (${needed} of ${best.offered}): ${answered}: ${mark(answered >= needed)}`,
    );
  } else {
    lines.push(
      `- ${MODES['expiring-first']}: at least 95 % answered (${needed} of ${best.offered}): ${yieldFirst ? 'not supported by this build' : 'not run'}`,
    );
  }
  return lines;
}

function report(outcomes: ModeOutcome[], best: BestSchedule, startedAt: Date, wallMs: number): string {
  const runs = outcomes.filter((outcome): outcome is ModeRun => !('refused' in outcome));
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return [
    `Run ${startedAt.toISOString()} · Node ${process.version} · ${availableParallelism()} cores (${cpu}) · load average at the end ${loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')} · ${(wallMs / 1000).toFixed(0)} s in all`,
    `429chain from ${from === 'dist' ? 'packages/cli/dist/cli.js (built)' : 'packages/cli/src/cli.ts (source)'} · seed ${seed} · enforcement ${enforcement} · scaled minute ${farm.minuteMs / 1000} s, scaled day ${farm.dayMs / 1000} s · settings.cooldownDefaultMs ${farm.minuteMs}${Object.keys(extraSettings).length > 0 ? ` · extra settings ${JSON.stringify(extraSettings)}` : ''}`,
    `Offered: ${best.offered} requests, one every ${intervalMs} ms for ${durationMs / 1000} s (${(farm.minuteMs / intervalMs) | 0} a scaled minute), non-streaming, through one chain of the six entries in this order:`,
    '',
    ...farmTable(best),
    '',
    `"alone": what the provider could answer in the run if it received every request. Sum ${farm.providers.reduce((sum, provider) => sum + (best.alone[provider.id] ?? 0), 0)} for ${best.offered} offered.`,
    '',
    `**Theoretical best: ${best.served} of ${best.offered}${best.exact ? '' : ` (a schedule found; at most ${best.upperBound})`}**: every limit known, each request answered at its arrival, no waiting (order ${best.order.join(' → ')}). In the chain's own order, every limit known and no queue: ${best.inChainOrder} of ${best.offered}.`,
    '',
    ...summaryTable(outcomes, best),
    '',
    'Latency: answered requests, from sending to the whole answer, including time spent in the queue.',
    '',
    '**Upstream 429s per provider and cause** (what each simulator sent)',
    '',
    ...perProviderTable(runs, best, 'refused'),
    '',
    ...otherRequests(runs),
    '**Requests accepted upstream per provider** (in brackets: per scaled minute)',
    '',
    ...perProviderTable(runs, best, 'accepted'),
    '',
    `"alone" and "best schedule" count the offered span (${durationMs / 1000} s); with the queue, answers go on after it, into the next scaled day.`,
    '',
    '**Targets (DESIGN.md §7)**',
    '',
    ...targets(outcomes, best),
    '',
  ].join('\n');
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  if (from === 'dist' && !existsSync(join(root, 'packages/cli/dist/cli.js'))) {
    throw new Error('packages/cli/dist/cli.js is missing: run `pnpm build` first (or pass --from source).');
  }
  const startedAt = new Date();
  const best = theoreticalBest({ farm, seed, arrivals, body: benchRequest });
  const directory = await mkdtemp(join(tmpdir(), '429chain-yield-'));
  const outcomes: ModeOutcome[] = [];
  try {
    for (const mode of modes) {
      const outcome = await runMode(mode, directory);
      outcomes.push(outcome);
      if ('refused' in outcome) {
        process.stderr.write(`${MODES[mode]}: not supported by this build (${outcome.refused})\n`);
      } else {
        const answered = outcome.results.filter((result) => result.answered).length;
        const wasted = Object.values(outcome.stats).reduce((sum, stats) => sum + refusals(stats), 0);
        process.stderr.write(
          `${MODES[mode]}: ${answered} of ${best.offered} answered, ${wasted} upstream 429s, ${(outcome.elapsedMs / 1000).toFixed(1)} s\n`,
        );
      }
    }
    const text = report(outcomes, best, startedAt, Date.now() - startedAt.getTime());
    process.stdout.write(`${text}\n`);
    if (options.out) await writeFile(options.out, `${text}\n`);
  } finally {
    for (const started of [...running]) await stop(started);
    if (!options.keep) await rm(directory, { recursive: true, force: true });
    else process.stderr.write(`kept ${directory}\n`);
  }
}

process.on('SIGINT', () => {
  Promise.all([...running].map(stop)).then(() => process.exit(130));
});

main().catch(async (error: unknown) => {
  process.stderr.write(`bench:yield: ${error instanceof Error ? error.message : String(error)}\n`);
  for (const started of [...running]) await stop(started);
  process.exitCode = 1;
});
