import type {
  BlockRecord,
  BlockRelease,
  BlockState,
  BucketDemand,
  BucketKey,
  BucketObservation,
  BucketState,
  BucketWindow,
  FailureRecord,
  LimitEvidence,
} from './bucket.ts';

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
  /** How long a probe admitted past an ended block holds it (epoch ms). */
  probeUntil: number;
}

/** Result of {@link RateLimitStore.acquire}. */
export type AcquireResult =
  | {
      ok: true;
      /** Scopes whose ended block this attempt probes: its answer decides for the others. */
      probes: string[];
    }
  | {
      ok: false;
      /** The block that refused; one whose `until` has passed has a probe in flight (`probeUntil`). */
      blocked: BlockRecord;
    }
  | {
      ok: false;
      /** The bucket that refused, as it reads now; `resetAt` is when the cost fits again, when known. */
      bucket: BucketState;
      /** Units asked for. */
      cost: number;
    };

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
   * {@link RateLimitStore.clearFailures} would, in the same atomic step.
   */
  clearFailures?: string[] | undefined;
  /** Scopes to unblock in the same step: those a successful probe answered for. */
  unblock?: string[] | undefined;
  /**
   * The provider answered this request. A learnt limit of a bucket the lease holds that now
   * counts more than its limit in its window is contradicted, and dropped.
   */
  answered?: boolean | undefined;
}

/** One limit to learn from a refusal (see {@link RefuseInput}). */
export interface LearnLimit {
  /** The learnt bucket (`source: 'learnt'`) to set; created when missing. */
  bucket: BucketKey;
  /** The limit the provider stated; left out, the run of accepted requests is counted. */
  limit?: number | undefined;
  /** A window length the provider stated in numbers (GitHub's "per 86400s"), in ms. */
  windowMs?: number | undefined;
  /** When the provider says this limit clears (epoch ms). @default the block's `until` */
  resetAt?: number | undefined;
  /**
   * A fixed window until `resetAt` on the provider's clock (daily and monthly quotas) instead of
   * a sliding one: the bucket holds `limit` with nothing left until then.
   */
  fixed?: boolean | undefined;
  /** What told the limit. @default 'count' when no limit is given, else 'message' */
  evidence?: LimitEvidence | undefined;
  /** The window the provider named, for status pages. */
  named?: BucketWindow | undefined;
}

/** Input of {@link RateLimitStore.refuse}. */
export interface RefuseInput {
  now: number;
  /**
   * The refused request's lease. It is settled here, and its units go back out of every
   * sliding log (a provider does not count what it refused).
   */
  leaseId: string;
  /** What the refusal's headers said about buckets, settled as {@link RateLimitStore.settle} would. */
  buckets: SettleBucket[];
  /**
   * The bucket whose log holds the requests sent before the refusal (the key + model's
   * `requests:rolling:learnt`): the run counted, and the window measured, for every limit.
   */
  historyId: string;
  /** The limits to learn. */
  limits: LearnLimit[];
  /** The window assumed when neither the provider nor a learnt limit gives one (ms). */
  defaultWindowMs: number;
  /**
   * The block to set. Its `until` is the reset the provider gave; without one, the moment a
   * learnt sliding limit admits again, else `now + defaultWindowMs`. It releases `all` once it
   * ends when a limit is known, else one `probe`.
   */
  block: { scope: string; state: BlockState; reason: string; until?: number | undefined };
}

/** Result of {@link RateLimitStore.refuse}. */
export interface RefuseResult {
  /** The block as set (or the longer one that was kept). */
  block: BlockRecord;
  /** The learnt buckets as they read now. */
  learnt: BucketState[];
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
  /** How it lets requests through once it ends (a circuit always probes). @default 'probe' */
  release?: BlockRelease | undefined;
}

/** Input of {@link RateLimitStore.view}. */
export interface ViewInput {
  now: number;
  /** Buckets to read; missing ones are left out. */
  bucketIds: string[];
  /** Scopes whose blocks to read. */
  scopes: string[];
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
 * Semantics every store follows (the conformance suite pins them; `store-planner.ts` is
 * their one implementation for the stores written in TypeScript):
 * - A bucket missing at acquire is created from the demand: `limit` and `remaining = limit`
 *   when a limit is given, otherwise unknown (`null`); with `windowMs` it is a sliding window.
 *   A demand with `ifPresent` skips a missing bucket.
 * - A fixed bucket whose `resetAt` has passed refills to `limit` and reopens its window
 *   at the demand's `nextResetAt`. A demand with a `limit` different from the stored one
 *   resizes the bucket, moving `remaining` by the difference.
 * - `concurrency` buckets admit while `inFlight + cost <= limit`; sliding ones while the
 *   units logged in the last `windowMs` plus `cost` fit `limit`; fixed ones while
 *   `remaining` is unknown or `remaining >= cost`.
 * - Blocks on any scope in `blockScopes` refuse until they end. An ended block that releases
 *   `all` is removed; one that releases a `probe` (always a circuit) admits this one attempt
 *   as its probe, and refuses others until `probeUntil`; a probe that never reports back
 *   lapses then, and the next attempt probes.
 * - Admitting takes `cost` from `remaining` (fixed) or logs it (sliding), adds it to
 *   `inFlight`, and records the lease. Expired leases give back their `inFlight`.
 * - Settling removes the lease. Within one window an observed `remaining` may lower the
 *   stored count but not raise it; it replaces it (less what other leases hold in flight)
 *   once the window has rolled over. Otherwise `used` gives back `reserved - used`.
 * - Refusing settles the lease, takes its units out of sliding logs, learns limits from the
 *   history's current run, and blocks the scope.
 */
export interface RateLimitStore {
  /** Reserves units in every bucket, or none when any block or bucket refuses. */
  acquire(input: AcquireInput): Promise<AcquireResult>;
  /** Releases a reservation and reconciles it with what the response said. */
  settle(input: SettleInput): Promise<void>;
  /** Settles a request the provider refused (a 429), learns the limits it told, and blocks its scope. */
  refuse(input: RefuseInput): Promise<RefuseResult>;
  /** Records what a response said about buckets outside any reservation. */
  observe(input: { now: number; observations: BucketObservation[] }): Promise<void>;
  /** Blocks a scope until a time. */
  block(input: BlockInput): Promise<void>;
  /** Lifts blocks on the given scopes (a successful probe, a manual reset). */
  unblock(input: { scopes: string[] }): Promise<void>;
  /** Counts one more consecutive failure on a scope; returns the count and when the run began. */
  recordFailure(input: { now: number; scope: string }): Promise<FailureRecord>;
  /** Resets the consecutive-failure count of a scope (a success). */
  clearFailures(input: { scope: string }): Promise<void>;
  /** The named buckets (as they read now) and the blocks on the named scopes. */
  view(input: ViewInput): Promise<StoreSnapshot>;
  /** Everything held now; ended blocks are left out, except those awaiting a probe. */
  snapshot(input: { now: number }): Promise<StoreSnapshot>;
  /**
   * Forgets buckets, blocks and failure counts whose scope starts with `scopePrefix`,
   * or everything when it is omitted. Leases in flight are kept.
   */
  reset(input?: { scopePrefix?: string | undefined }): Promise<void>;
  /** Releases timers and connections the store owns. */
  close(): Promise<void>;
}
