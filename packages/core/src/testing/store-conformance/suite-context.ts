import {
  type BucketDemand,
  type BucketKey,
  type BucketKind,
  type BucketObservation,
  type BucketSource,
  type BucketState,
  type BucketWindow,
  bucketKeyOf,
} from '../../rate-limit/bucket.ts';
import type { AcquireInput, AcquireResult, RateLimitStore } from '../../rate-limit/rate-limit-store.ts';

/** A fixed origin for every `now` in the suite. */
export const start = 1_700_000_000_000;
export const minute = 60_000;

/** What every case of the suite works with; `store` is a fresh store for each case. */
export interface SuiteContext {
  readonly store: RateLimitStore;
  /** Calls `acquire` with defaults: `now = start`, a fresh lease id, a 10-minute lease, a 30 s probe. */
  acquire(input: Partial<AcquireInput>): Promise<AcquireResult>;
  /** The bucket as the snapshot at `now` shows it. */
  bucketAt(id: string, now?: number): Promise<BucketState | undefined>;
  /** Marks the store as closed by the case itself. */
  markClosed(): void;
}

/** Builds the key of a bucket; `source` defaults to `manual`. */
export function keyOf(
  scope: string,
  kind: BucketKind,
  window: BucketWindow,
  source: BucketSource = 'manual',
): BucketKey {
  return bucketKeyOf(scope, kind, window, source);
}

/** A demand on a bucket, with an optional configured limit, next reset, sliding window or `ifPresent`. */
export function demandOf(
  key: BucketKey,
  cost: number,
  extra: { limit?: number; nextResetAt?: number; windowMs?: number; ifPresent?: boolean } = {},
): BucketDemand {
  return { ...key, cost, ...extra };
}

/** An observation of a bucket. */
export function observationOf(
  key: BucketKey,
  said: { limit?: number; remaining?: number; resetAt?: number },
): BucketObservation {
  return { ...key, ...said };
}

export function countAdmitted(results: AcquireResult[]): number {
  return results.filter((result) => result.ok).length;
}

/** An admission that probes nothing. */
export const admitted = { ok: true, probes: [] } as const;

/** A fixed bucket as a store shows it, with the fields a fixed window does not use. */
export function fixedBucket(key: BucketKey, fields: Partial<BucketState>): BucketState {
  return {
    ...key,
    limit: null,
    remaining: null,
    resetAt: null,
    windowMs: null,
    log: [],
    runStart: 0,
    inFlight: 0,
    updatedAt: start,
    ...fields,
  };
}

/** The keys the cases share. */
export const keys = {
  requests: keyOf('groq~key1', 'requests', 'minute'),
  tokens: keyOf('groq~key1', 'tokens', 'minute'),
  daily: keyOf('groq~key1/llama', 'requests', 'day'),
  slots: keyOf('groq~key1', 'concurrency', 'none'),
  history: keyOf('groq~key1/llama', 'requests', 'rolling', 'learnt'),
  learntTokens: keyOf('groq~key1/llama', 'tokens', 'rolling', 'learnt'),
  learntDaily: keyOf('groq~key1/llama', 'requests', 'day', 'learnt'),
  keyHistory: keyOf('groq~key1', 'requests', 'rolling', 'learnt'),
};
