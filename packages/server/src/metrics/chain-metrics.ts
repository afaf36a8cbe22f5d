import type { Chain, ChainStatus, RequestRecord } from '@429chain/core';
import { MetricsRegistry } from './metrics-registry.ts';

/** The `chain` label of requests refused before routing (bad input, an unknown model). */
export const unroutedChainLabel = '(none)';

/**
 * A request's chain as a metric label. A request that reached a chain (or a listed
 * `provider/model`) has at least one attempt or skip; one refused before routing has none,
 * and its `chain` is whatever the client sent, so it gets one fixed label instead of a
 * series of its own: a client cannot grow `/metrics` by inventing names.
 */
function routedChain(record: RequestRecord): string {
  return record.attempts.length > 0 ? record.chain : unroutedChainLabel;
}

const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** Extra readings the server adds at scrape time. */
export interface ScrapeExtras {
  /** Rate-limit store health: name of the store and whether it answers. */
  store: { type: string; up: boolean; fallback?: boolean | undefined };
}

/**
 * Prometheus metrics fed by the chain's events: requests, attempts, fallbacks,
 * upstream status codes, latency and time-to-first-token histograms, and at scrape
 * time the remaining quota of every bucket and the state of every entry.
 */
export class ChainMetrics {
  readonly #registry = new MetricsRegistry();
  readonly #requests = this.#registry.counter(
    'chain429_requests_total',
    'Requests by chain, outcome and status.',
  );
  readonly #attempts = this.#registry.counter(
    'chain429_attempts_total',
    'Candidates tried or skipped, by provider, model and outcome.',
  );
  readonly #fallbacks = this.#registry.counter(
    'chain429_fallbacks_total',
    "Requests answered by another entry than the first that could serve them (the record's fallback).",
  );
  readonly #upstream = this.#registry.counter(
    'chain429_upstream_responses_total',
    'Upstream HTTP statuses, by provider.',
  );
  readonly #tokens = this.#registry.counter(
    'chain429_tokens_total',
    'Tokens used, by provider, model and kind.',
  );
  readonly #requestSeconds = this.#registry.histogram(
    'chain429_request_duration_seconds',
    'Request duration, by chain and stream.',
    latencyBuckets,
  );
  readonly #attemptSeconds = this.#registry.histogram(
    'chain429_attempt_duration_seconds',
    'Upstream attempt duration (to commit for streams), by provider.',
    latencyBuckets,
  );
  readonly #ttftSeconds = this.#registry.histogram(
    'chain429_time_to_first_token_seconds',
    'Time to first token of streamed answers, by provider.',
    latencyBuckets,
  );
  readonly #remaining = this.#registry.gauge(
    'chain429_ratelimit_remaining',
    'Units left in each rate-limit bucket (requests or tokens).',
  );
  readonly #limit = this.#registry.gauge('chain429_ratelimit_limit', 'Limit of each rate-limit bucket.');
  readonly #reset = this.#registry.gauge(
    'chain429_ratelimit_reset_seconds',
    'Seconds until each rate-limit bucket resets.',
  );
  readonly #inFlight = this.#registry.gauge(
    'chain429_ratelimit_in_flight',
    'Units reserved by running requests.',
  );
  readonly #window = this.#registry.gauge(
    'chain429_ratelimit_window_seconds',
    'Length of each sliding rate-limit window (learnt limits, and manual ones shorter than a day).',
  );
  readonly #entryState = this.#registry.gauge(
    'chain429_entry_state',
    'State of each chain entry and key (1 for the current state).',
  );
  readonly #queue = this.#registry.gauge('chain429_queue_size', 'Requests waiting for capacity.');
  readonly #store = this.#registry.gauge(
    'chain429_store_up',
    'Whether the rate-limit store answers (1) or not (0).',
  );
  readonly #storeFallback = this.#registry.gauge(
    'chain429_store_fallback',
    'Whether the rate-limit store fell back to local memory (1).',
  );
  readonly #resident = this.#registry.gauge(
    'process_resident_memory_bytes',
    'Resident memory size of the proxy process in bytes.',
  );
  readonly #heapUsed = this.#registry.gauge('chain429_heap_used_bytes', 'V8 heap in use, in bytes.');
  readonly #compactions = this.#registry.counter(
    'chain429_memory_compactions_total',
    'Full garbage collections run after a quiet spell (settings.compactMemoryAfterIdleMs).',
  );
  readonly #compactionSeconds = this.#registry.counter(
    'chain429_memory_compaction_seconds_total',
    'Time those collections blocked the event loop.',
  );
  readonly #unsubscribe: Array<() => void>;

  constructor(chain: Chain) {
    this.#compactions.inc({}, 0);
    this.#compactionSeconds.inc({}, 0);
    this.#unsubscribe = [
      chain.on('attempt-end', ({ attempt }) => {
        const labels = { provider: attempt.provider, model: attempt.model };
        this.#attempts.inc({ ...labels, outcome: attempt.outcome });
        if (attempt.status !== undefined) {
          this.#upstream.inc({ provider: attempt.provider, status: String(attempt.status) });
        }
        if (attempt.outcome !== 'skipped') {
          this.#attemptSeconds.observe({ provider: attempt.provider }, attempt.latencyMs / 1000);
        }
        if (attempt.outcome === 'answered' && attempt.ttftMs !== undefined) {
          this.#ttftSeconds.observe({ provider: attempt.provider }, attempt.ttftMs / 1000);
        }
        if (attempt.usage) {
          this.#tokens.inc({ ...labels, kind: 'prompt' }, attempt.usage.promptTokens);
          this.#tokens.inc({ ...labels, kind: 'completion' }, attempt.usage.completionTokens);
        }
      }),
      chain.on('request-end', ({ record }) => {
        const chainLabel = routedChain(record);
        this.#requests.inc({ chain: chainLabel, outcome: record.outcome, status: String(record.status) });
        this.#requestSeconds.observe(
          { chain: chainLabel, stream: String(record.stream) },
          record.latencyMs / 1000,
        );
        if (record.fallback) this.#fallbacks.inc({ chain: record.chain });
      }),
    ];
  }

  /** Counts one idle-time memory compaction. */
  recordCompaction(durationMs: number): void {
    this.#compactions.inc();
    this.#compactionSeconds.inc({}, durationMs / 1000);
  }

  /** Renders every metric, reading the live rate-limit picture first. */
  render(status: ChainStatus, extras: ScrapeExtras): string {
    const now = status.at;
    const bucketLabels = (bucket: ChainStatus['buckets'][number]) => ({
      provider: bucket.provider,
      key: bucket.key,
      model: bucket.model ?? '',
      kind: bucket.kind,
      window: bucket.window,
      source: bucket.source,
      // What told a learnt limit: header, body, message or count.
      evidence: bucket.learnt?.evidence ?? '',
    });
    const tracked = status.buckets.filter((bucket) => bucket.remaining !== null);
    this.#remaining.set(
      tracked.map((bucket) => ({ labels: bucketLabels(bucket), value: bucket.remaining ?? 0 })),
    );
    this.#limit.set(
      status.buckets
        .filter((bucket) => bucket.limit !== null)
        .map((bucket) => ({ labels: bucketLabels(bucket), value: bucket.limit ?? 0 })),
    );
    this.#reset.set(
      status.buckets
        .filter((bucket) => bucket.resetAt !== null)
        .map((bucket) => ({
          labels: bucketLabels(bucket),
          value: Math.max(0, ((bucket.resetAt ?? now) - now) / 1000),
        })),
    );
    this.#inFlight.set(
      status.buckets.map((bucket) => ({ labels: bucketLabels(bucket), value: bucket.inFlight })),
    );
    this.#window.set(
      status.buckets
        .filter((bucket) => bucket.windowMs !== null)
        .map((bucket) => ({ labels: bucketLabels(bucket), value: (bucket.windowMs ?? 0) / 1000 })),
    );
    this.#entryState.set(
      status.entries.map((entry) => ({
        labels: {
          chain: entry.chain,
          provider: entry.provider,
          model: entry.model,
          key: entry.key,
          state: entry.state,
        },
        value: 1,
      })),
    );
    this.#queue.set([{ labels: {}, value: status.queue.size }]);
    this.#store.set([{ labels: { store: extras.store.type }, value: extras.store.up ? 1 : 0 }]);
    this.#storeFallback.set([{ labels: { store: extras.store.type }, value: extras.store.fallback ? 1 : 0 }]);
    const memory = process.memoryUsage();
    this.#resident.set([{ labels: {}, value: memory.rss }]);
    this.#heapUsed.set([{ labels: {}, value: memory.heapUsed }]);
    return this.#registry.render();
  }

  close(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
  }
}
