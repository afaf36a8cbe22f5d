/**
 * The rate-limit vocabulary shared by presets, the tracker and every store.
 *
 * A bucket is one limit on one scope: `{scope, kind, window, limit, remaining, resetAt}`.
 * A block is a state that makes a scope unavailable until a time: a cooldown after a
 * 429, a parked key, a broken entry, an open circuit.
 *
 * Two kinds of window exist. A **fixed** window (`windowMs` null) counts `remaining` down until
 * `resetAt`, then refills: the provider's own headers describe such windows, and daily quotas
 * follow the provider's clock. A **sliding** window (`windowMs` set) allows at most `limit`
 * units in any `windowMs`: it keeps a short log of what it admitted, which makes it safe against
 * providers whose windows are fixed and against those whose windows roll. Learnt limits and
 * manual limits shorter than a day are sliding.
 */

/** What a bucket counts. `concurrency` counts requests in flight and never resets. */
export type BucketKind = 'requests' | 'tokens' | 'concurrency';

/**
 * The window a bucket's limit applies to, as the provider (or the config) names it. `rolling`
 * is a sliding window whose length was observed rather than named; `none` is for concurrency.
 */
export type BucketWindow = 'second' | 'minute' | 'hour' | 'day' | 'month' | 'rolling' | 'none';

/**
 * Where a bucket's numbers come from, strongest first: the provider's headers on its
 * answers, the config, or what the engine learnt from 429s (see {@link LearntLimit}).
 */
export type BucketSource = 'header' | 'manual' | 'learnt';

/** What told the engine a learnt limit. */
export type LimitEvidence =
  /** A limit header on a 429 (OpenRouter's `X-RateLimit-Limit`). */
  | 'header'
  /** A field of a 429 body (Gemini's `quotaValue`, `error.metadata.headers`). */
  | 'body'
  /** The wording of an error message (Groq's "Limit 3", GitHub's "50 per 86400s"). */
  | 'message'
  /** Counting: how many requests a provider accepted in how long before its 429. */
  | 'count';

/** The identity and meaning of a bucket. */
export interface BucketKey {
  /** Stable id: `${scope}|${kind}:${window}:${source}`. */
  id: string;
  /** The scope it limits, e.g. `groq~3fa9c2e1` (a key) or `groq~3fa9c2e1/llama-3.1-8b-instant` (key + model). */
  scope: string;
  kind: BucketKind;
  window: BucketWindow;
  source: BucketSource;
}

/** One entry of a sliding window's log: units admitted at a time. */
export interface LogEntry {
  /** When the units were admitted (epoch ms). */
  at: number;
  units: number;
}

/** How a learnt bucket was learnt, for status pages. */
export interface LearntLimit {
  evidence: LimitEvidence;
  /** The window the provider named (`minute` for "requests per minute"), if it named one. */
  named?: BucketWindow | undefined;
  /** When it was learnt (epoch ms). */
  at: number;
  /** Human-readable account, e.g. `429 said "Limit 3"; 10.2s from the first accepted request to the reset`. */
  note: string;
}

/** A bucket as a store holds it. */
export interface BucketState extends BucketKey {
  /** The limit, when known. */
  limit: number | null;
  /**
   * Units left in the current window, when known; `null` means "no constraint known".
   * For a sliding window, what its log leaves of `limit` now.
   */
  remaining: number | null;
  /**
   * Fixed window: when it resets (epoch ms), when known. Sliding window: when the oldest
   * units of its log leave the window (as status pages show it).
   */
  resetAt: number | null;
  /**
   * A fixed window's `resetAt` is the engine's guess (the window it opened when the last one
   * ended, or when a configured limit created it), not a reset the provider stated: the
   * provider's next answer replaces it, count and reset, even when its reset is earlier.
   */
  resetGuessed?: boolean | undefined;
  /** Length of a sliding window (ms); `null` for a fixed window. */
  windowMs: number | null;
  /** A sliding window's admissions, oldest first, within the last `windowMs`. */
  log: readonly LogEntry[];
  /**
   * A sliding window's current run: entries at or after this time were admitted since its
   * last block ended, so a 429 learns from them alone. @default 0
   */
  runStart: number;
  /** How a `learnt` bucket's limit was learnt; undefined while nothing is known. */
  learnt?: LearntLimit | undefined;
  /** Units reserved by requests that are still running. */
  inFlight: number;
  /** Last change (epoch ms). */
  updatedAt: number;
}

/** One bucket an attempt must take units from before it is sent. */
export interface BucketDemand extends BucketKey {
  /** Units to take: 1 request, the estimated tokens, or 1 concurrent slot. */
  cost: number;
  /** The configured limit (manual buckets); creates or resizes the bucket. */
  limit?: number | undefined;
  /** When a fixed window opened now would reset (epoch ms); used to (re)open a window. */
  nextResetAt?: number | undefined;
  /**
   * Makes the bucket sliding with this window (ms), for manual limits, or keeps this much
   * history in a learnt bucket that has no limit yet.
   */
  windowMs?: number | undefined;
  /** Take from the bucket only when it exists; a missing one is neither created nor refused. */
  ifPresent?: boolean | undefined;
}

/** What a response (headers or body) said about one bucket. */
export interface BucketObservation extends BucketKey {
  limit?: number | undefined;
  remaining?: number | undefined;
  resetAt?: number | undefined;
}

/** Why a scope is blocked. */
export type BlockState =
  /** Rate-limited for a short window (a per-minute 429, a timeout). */
  | 'cooldown'
  /** A daily or monthly quota is used up: blocked until that reset. */
  | 'exhausted'
  /** Out of credit, or the key is invalid: blocked for long, shown as such. */
  | 'parked'
  /** The model does not exist here, or the entry keeps failing. */
  | 'broken'
  /** Consecutive failures opened the circuit; after `until` one probe may pass. */
  | 'circuit-open'
  /** A short rest after a fault that is not a limit: a silent provider, a stream that broke. */
  | 'faulted';

/**
 * How a block lets requests through once it ends: `all` at once (what may pass is known: a
 * learnt limit, a header's count), or one `probe` whose answer lifts the block (nothing is
 * known of the capacity behind it, or the entry was failing).
 */
export type BlockRelease = 'all' | 'probe';

/** A block on one scope. */
export interface BlockRecord {
  scope: string;
  state: BlockState;
  /** Epoch ms when it ends. */
  until: number;
  /** Human-readable cause, e.g. `429 requests per minute (retry-after 7s)`. */
  reason: string;
  /** When it was set (epoch ms). */
  since: number;
  /** How it lets requests through once it ends. */
  release: BlockRelease;
  /** While a probe admitted after `until` awaits its answer: when that probe lapses (epoch ms). */
  probeUntil: number | null;
}

/** A scope's consecutive failures, for the circuit breaker. */
export interface FailureRecord {
  /** Failures in a row. */
  count: number;
  /** When the first of them happened (epoch ms): the outage's start. */
  since: number;
}

/** Builds the id of a bucket. */
export function bucketId(key: Omit<BucketKey, 'id'>): string {
  return `${key.scope}|${key.kind}:${key.window}:${key.source}`;
}

/** The key of a bucket from its parts. */
export function bucketKeyOf(
  scope: string,
  kind: BucketKind,
  window: BucketWindow,
  source: BucketSource,
): BucketKey {
  return { id: bucketId({ scope, kind, window, source }), scope, kind, window, source };
}
