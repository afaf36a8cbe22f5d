import type { BlockRecord, BlockState, BucketDemand, BucketObservation, BucketState } from './bucket.ts';

/** Input of {@link RateLimitStore.acquire}. */
export interface AcquireInput {
  /** Current time (epoch ms). Stores never read the clock themselves. */
  now: number;
  /** Identifies this reservation, unique per acquire; {@link RateLimitStore.settle} releases it. */
  leaseId: string;
  /** When the reservation lapses if it is never settled (a crashed process). */
  leaseExpiresAt: number;
  /** Scopes whose blocks make this attempt impossible. */
  blockScopes: string[];
  /** Buckets to take units from. All or nothing. */
  buckets: BucketDemand[];
  /** How long a probe through a half-open circuit holds it (epoch ms). */
  probeUntil: number;
}

/** Result of {@link RateLimitStore.acquire}. */
export type AcquireResult =
  | { ok: true /** This attempt is the single probe through a half-open circuit. */; probe: boolean }
  | { ok: false; blocked: BlockRecord }
  | { ok: false; bucket: BucketState /** Units asked for. */; cost: number };

/** How one reserved bucket is settled. */
export interface SettleBucket {
  id: string;
  /** Units taken at acquire. */
  reserved: number;
  /** Units actually used, when known and no header says better (token usage). */
  used?: number | undefined;
  /** What the response said about this bucket. */
  observed?: BucketObservation | undefined;
}

/** Input of {@link RateLimitStore.settle}. */
export interface SettleInput {
  now: number;
  leaseId: string;
  buckets: SettleBucket[];
  /**
   * Scopes whose consecutive-failure counts a successful answer resets, as
   * {@link RateLimitStore.clearFailures} would, in the same atomic step (one round trip
   * instead of two on a shared store).
   */
  clearFailures?: string[] | undefined;
}

/** Input of {@link RateLimitStore.block}. */
export interface BlockInput {
  now: number;
  scope: string;
  state: BlockState;
  until: number;
  reason: string;
  /**
   * `extend` keeps whichever block ends later (a minute cooldown never shortens a
   * parked key); `replace` overwrites (re-opening a circuit after a failed probe).
   * @default 'extend'
   */
  mode?: 'extend' | 'replace';
}

/** Everything a store holds, for status pages. */
export interface StoreSnapshot {
  buckets: BucketState[];
  blocks: BlockRecord[];
}

/**
 * Shared rate-limit state. Every method is atomic on its own: no caller reads a
 * value, decides, and writes it back. Memory, SQLite and Redis stores implement it,
 * and `@429chain/core/testing` checks each of them with one conformance suite.
 *
 * Semantics every store follows (the conformance suite pins them):
 * - A bucket missing at acquire is created from the demand: `limit` and
 *   `remaining = limit` when a limit is given, otherwise unknown (`null`).
 * - A bucket whose `resetAt` has passed refills to `limit` and reopens its window
 *   at the demand's `nextResetAt`.
 * - A demand with a `limit` different from the stored one resizes the bucket,
 *   moving `remaining` by the difference.
 * - `concurrency` buckets admit while `inFlight + cost <= limit`; others while
 *   `remaining` is unknown or `remaining >= cost`.
 * - Blocks on any scope in `blockScopes` refuse, unless expired. An expired
 *   `circuit-open` block (or a `probing` one whose probe never reported back)
 *   becomes `probing` until `probeUntil` and admits this one attempt as the probe.
 * - Admitting takes `cost` from `remaining` (not for concurrency), adds it to
 *   `inFlight`, and records the lease. Expired leases give back their `inFlight`.
 * - Settling removes the lease. An observed `remaining` replaces the stored one,
 *   less what other leases still hold in flight; otherwise `used` gives back
 *   `reserved - used`. It also clears the failure counts of `clearFailures`.
 */
export interface RateLimitStore {
  /** Reserves units in every bucket, or none when any block or bucket refuses. */
  acquire(input: AcquireInput): Promise<AcquireResult>;
  /** Releases a reservation and reconciles it with what the response said. */
  settle(input: SettleInput): Promise<void>;
  /** Records what a response said about buckets outside any reservation (e.g. on a 429). */
  observe(input: { now: number; observations: BucketObservation[] }): Promise<void>;
  /** Blocks a scope until a time. */
  block(input: BlockInput): Promise<void>;
  /** Lifts blocks on the given scopes (a successful probe, a manual reset). */
  unblock(input: { scopes: string[] }): Promise<void>;
  /** Counts one more consecutive failure on a scope and returns the new count. */
  recordFailure(input: { now: number; scope: string }): Promise<number>;
  /** Resets the consecutive-failure count of a scope (a success). */
  clearFailures(input: { scope: string }): Promise<void>;
  /** Everything held now; expired blocks are left out, except half-open circuits awaiting a probe. */
  snapshot(input: { now: number }): Promise<StoreSnapshot>;
  /**
   * Forgets buckets, blocks and failure counts whose scope starts with `scopePrefix`,
   * or everything when it is omitted. Leases in flight are kept.
   */
  reset(input?: { scopePrefix?: string | undefined }): Promise<void>;
  /** Releases timers and connections the store owns. */
  close(): Promise<void>;
}
