/**
 * The load generator of the proxy benchmark, in its own process (started by bench/run.ts).
 *
 *   node bench/load.ts '<LoadSpec as JSON>'
 *
 * Keeps `concurrency` requests in flight over as many keep-alive connections (an undici
 * Pool driven through `dispatch`, the cheapest client path undici has), first for
 * `warmupMs` (discarded), then for `durationMs`. Every request is timed from the moment it
 * is handed to the pool to its last body byte; time to first token is the time to the first
 * body chunk. Each answer is checked (status 200 and a complete body: `[DONE]` ending a
 * stream, a closing brace ending JSON); a failed check counts as an error.
 *
 * Prints `{"phase":"measure"}` when the timed phase starts, then one JSON line with the
 * result (a {@link LoadResult}).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { type Dispatcher, Pool } from 'undici';

/** What to run. */
export interface LoadSpec {
  /** Origin, e.g. `http://127.0.0.1:3429`. */
  origin: string;
  path: string;
  /** Request headers (content-type included). */
  headers: Record<string, string>;
  body: string;
  stream: boolean;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
}

/** What the timed phase gave; times in ms. */
export interface LoadResult {
  requests: number;
  errors: number;
  firstError?: string | undefined;
  elapsedMs: number;
  requestsPerSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Time to first body chunk (streaming only). */
  ttftP50?: number | undefined;
  ttftP99?: number | undefined;
  /** CPU time of this process over the timed phase, in ms (user + system). */
  clientCpuMs: number;
}

class Samples {
  private values = new Float64Array(1 << 16);
  length = 0;
  push(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }
  sorted(): Float64Array {
    return this.values.slice(0, this.length).sort();
  }
}

const quantile = (sorted: Float64Array, q: number): number =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;

interface Outcome {
  ok: boolean;
  error?: string;
  totalMs: number;
  ttftMs: number;
}

const doneMarker = Buffer.from('data: [DONE]');
const closingBrace = '}'.charCodeAt(0);

/** One request through `dispatch`, resolved when its body has ended. */
function send(pool: Pool, spec: LoadSpec, options: Dispatcher.DispatchOptions): Promise<Outcome> {
  return new Promise((resolve) => {
    const startedAt = performance.now();
    let firstChunkAt = 0;
    let status = 0;
    let tail: Buffer = Buffer.alloc(0);
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart() {},
      onResponseStart(_controller, statusCode: number, _headers: IncomingHttpHeaders) {
        status = statusCode;
      },
      onResponseData(_controller, chunk: Buffer) {
        if (firstChunkAt === 0) firstChunkAt = performance.now();
        // Keep the last bytes only: enough to see how the body ended.
        tail = chunk.length >= 32 ? chunk : Buffer.concat([tail, chunk]).subarray(-64);
      },
      onResponseEnd() {
        const endedAt = performance.now();
        const text = tail;
        let ok = status === 200;
        let error: string | undefined;
        if (!ok) error = `status ${status}: ${text.toString().slice(0, 200)}`;
        else if (spec.stream ? !text.includes(doneMarker) : text.at(-1) !== closingBrace) {
          ok = false;
          error = `incomplete body, ending ${JSON.stringify(text.toString().slice(-60))}`;
        }
        resolve({
          ok,
          error,
          totalMs: endedAt - startedAt,
          ttftMs: (firstChunkAt || endedAt) - startedAt,
        });
      },
      onResponseError(_controller, error: Error) {
        resolve({ ok: false, error: error.message, totalMs: performance.now() - startedAt, ttftMs: 0 });
      },
    };
    pool.dispatch(options, handler);
  });
}

async function runPhase(
  pool: Pool,
  spec: LoadSpec,
  durationMs: number,
): Promise<{ latencies: Samples; ttfts: Samples; errors: number; firstError?: string; elapsedMs: number }> {
  const options: Dispatcher.DispatchOptions = {
    path: spec.path,
    method: 'POST',
    headers: spec.headers,
    body: spec.body,
  };
  const latencies = new Samples();
  const ttfts = new Samples();
  let errors = 0;
  let firstError: string | undefined;
  const startedAt = performance.now();
  const until = startedAt + durationMs;
  const worker = async () => {
    while (performance.now() < until) {
      const outcome = await send(pool, spec, options);
      if (!outcome.ok) {
        errors++;
        firstError ??= outcome.error;
        // A target that only fails would otherwise spin; the error count already says enough.
        if (errors >= 1000 && latencies.length === 0) break;
        continue;
      }
      latencies.push(outcome.totalMs);
      if (spec.stream) ttfts.push(outcome.ttftMs);
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, worker));
  return { latencies, ttfts, errors, firstError, elapsedMs: performance.now() - startedAt };
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as LoadSpec;
  const pool = new Pool(spec.origin, {
    connections: spec.concurrency,
    pipelining: 1,
    keepAliveTimeout: 60_000,
  });
  try {
    await runPhase(pool, spec, spec.warmupMs);
    (globalThis as { gc?: () => void }).gc?.();
    process.stdout.write(`${JSON.stringify({ phase: 'measure' })}\n`);
    const cpuBefore = process.cpuUsage();
    const phase = await runPhase(pool, spec, spec.durationMs);
    const cpu = process.cpuUsage(cpuBefore);
    const latencies = phase.latencies.sorted();
    const ttfts = phase.ttfts.sorted();
    const result: LoadResult = {
      requests: latencies.length,
      errors: phase.errors,
      firstError: phase.firstError,
      elapsedMs: phase.elapsedMs,
      requestsPerSecond: latencies.length / (phase.elapsedMs / 1000),
      p50: quantile(latencies, 0.5),
      p90: quantile(latencies, 0.9),
      p99: quantile(latencies, 0.99),
      max: latencies.at(-1) ?? Number.NaN,
      ttftP50: spec.stream ? quantile(ttfts, 0.5) : undefined,
      ttftP99: spec.stream ? quantile(ttfts, 0.99) : undefined,
      clientCpuMs: (cpu.user + cpu.system) / 1000,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await pool.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`load: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
