/**
 * The rate-limit vocabulary shared by presets, the tracker and every store.
 *
 * A bucket is one limit on one scope: `{scope, kind, window, limit, remaining, resetAt}`.
 * A block is a state that makes a scope unavailable until a time: a cooldown after a
 * 429, a parked key, a broken entry, an open circuit.
 */

/** What a bucket counts. `concurrency` counts requests in flight and never resets. */
export type BucketKind = 'requests' | 'tokens' | 'concurrency';

/** The window a bucket's limit applies to. `none` is for concurrency. */
export type BucketWindow = 'second' | 'minute' | 'hour' | 'day' | 'month' | 'none';

/** Where a bucket's numbers come from, strongest first. */
export type BucketSource = 'header' | 'body' | 'manual';

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

/** A bucket as a store holds it. */
export interface BucketState extends BucketKey {
  /** The limit, when known. */
  limit: number | null;
  /** Units left in the current window, when known; `null` means "no constraint known". */
  remaining: number | null;
  /** When the window resets (epoch ms), when known. */
  resetAt: number | null;
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
  /** When a window opened now would reset (epoch ms); used to (re)open a window. */
  nextResetAt?: number | undefined;
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
  /** One probe is in flight through a half-open circuit. */
  | 'probing';

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
}

/** Builds the id of a bucket. */
export function bucketId(key: Omit<BucketKey, 'id'>): string {
  return `${key.scope}|${key.kind}:${key.window}:${key.source}`;
}
